// The CPU steps of the rendered WorkflowTemplate, run for real: each step's script source (as Argo would run it, with
// the Argo variables substituted and the bucket mapped to a local directory) against the compute core: prep publishes
// a dataset, register makes a version, the gate accepts the first and rejects a worse second (its result counts the
// rejections in a row), promote moves `production` only for the accepted one.
import { spawnSync } from 'child_process';
import { parse } from 'yaml';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { ModelPipeline } from '../../src';
import { ModelPipelineProps } from '../../src/pipeline/model-pipeline';
import { Tenant } from '../../src/training/tenant';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { findObject, K8sObject } from '../k8s/validate';
import { haveComputeVenv, VENV_PYTHON } from '../python-fork';
import { FakeStore } from '../training/fakes';

const COMPUTE_SRC = path.join(__dirname, '..', '..', 'compute', 'src');

function renderTemplate(evaluate?: ModelPipelineProps['evaluate']): K8sObject {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  const store = new FakeStore(stack, 'Models');
  const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
  const p = new ModelPipeline(stack, 'chat-model', {
    cluster, tenant, image: 'registry.example.com/trainer:1', data: { store, prefix: 'team/raw/chat/', format: 'jsonl' },
    train: { preset: 'gpt-125m', gpusPerNode: 8 }, evaluate,
  });
  return findObject(p.workload.render().objects, 'WorkflowTemplate', 'chat-model');
}

/** Runs one step's script as Argo would: variables substituted, the bucket URI mapped to `root`. */
function runStep(template: K8sObject, step: string, root: string, vars: Record<string, string>): { status: number; stdout: string; stderr: string } {
  const t = template.spec.templates.find((x: { name: string }) => x.name === step);
  let source: string = t.script.source;
  for (const [k, v] of Object.entries(vars)) source = source.split(`{{${k}}}`).join(v);
  source = source.split('s3://bucket-models').join(root);
  expect(source).not.toMatch(/\{\{/);
  const r = spawnSync(VENV_PYTHON, ['-c', source], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: COMPUTE_SRC }, timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr };
}

/** Runs a Job step's container (the evaluate step on a GPU) as the pod would: its command and args, on this machine's Python. */
function runJob(template: K8sObject, step: string, root: string, vars: Record<string, string>): { status: number; stdout: string; stderr: string } {
  const t = template.spec.templates.find((x: { name: string }) => x.name === step);
  const container = (parse(t.resource.manifest) as K8sObject).spec.template.spec.containers[0];
  const sub = (a: string) => Object.entries(vars).reduce((acc, [k, v]) => acc.split(`{{${k}}}`).join(v), a).split('s3://bucket-models').join(root);
  const [python, ...rest] = [...container.command, ...container.args].map(sub);
  expect(python).toBe('python');
  expect(rest.join(' ')).not.toMatch(/\{\{/);
  const r = spawnSync(VENV_PYTHON, rest, { encoding: 'utf8', env: { ...process.env, PYTHONPATH: COMPUTE_SRC }, timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr };
}

(haveComputeVenv() ? describe : describe.skip)('the pipeline steps against the compute core', () => {
  test('prep -> register -> gate accepts -> promote; a worse run is rejected twice in a row and production stays', () => {
    const template = renderTemplate();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-steps-'));
    try {
      const raw = path.join(root, 'team', 'raw', 'chat');
      fs.mkdirSync(raw, { recursive: true });
      fs.writeFileSync(path.join(raw, 'a.jsonl'), Array.from({ length: 200 }, (_, i) => JSON.stringify({ text: `record ${i % 150}` })).join('\n') + '\n');
      const prep = runStep(template, 'prep', root, { 'workflow.name': 'run-1' });
      expect(prep).toMatchObject({ status: 0 });
      const datasets = path.join(root, 'team', 'pipelines', 'chat-model', 'datasets');
      expect(JSON.parse(fs.readFileSync(path.join(datasets, 'current.json'), 'utf8')).run).toBe('run-1');

      // What train and evaluate leave behind (a checkpoint directory and its metrics), made by hand: they need a GPU run.
      const candidate = (run: string, loss: number, baseline?: { version: number; loss: number }) => {
        const ckpt = path.join(root, 'team', 'pipelines', 'chat-model', 'checkpoints', run);
        fs.mkdirSync(path.join(ckpt, 'step-00000010'), { recursive: true });
        fs.writeFileSync(path.join(ckpt, 'step-00000010', 'model.safetensors'), 'weights');
        fs.writeFileSync(path.join(ckpt, 'metrics.json'), JSON.stringify({
          test_loss: loss, test_split: 'sha-split', ...(baseline ? { baseline: { version: baseline.version, test_loss: baseline.loss } } : {}),
        }));
        fs.mkdirSync(path.join(datasets, 'runs', run), { recursive: true });
        if (!fs.existsSync(path.join(datasets, 'runs', run, 'manifest.json'))) fs.writeFileSync(path.join(datasets, 'runs', run, 'manifest.json'), '{}');
      };
      candidate('run-1', 2.0);
      const reg1 = runStep(template, 'register', root, { 'workflow.name': 'run-1' });
      expect(reg1).toMatchObject({ status: 0, stdout: '1' });
      expect(runStep(template, 'gate', root, { 'workflow.name': 'run-1', 'inputs.parameters.version': '1' })).toMatchObject({ status: 0, stdout: '0' });
      const promoted = runStep(template, 'promote', root, { 'workflow.name': 'run-1', 'inputs.parameters.version': '1' });
      expect(promoted.status).toBe(0);
      const alias = path.join(root, 'team', 'pipelines', 'chat-model', 'registry', 'aliases', 'production.json');
      expect(JSON.parse(fs.readFileSync(alias, 'utf8')).version).toBe(1);

      for (const [run, version, inRow] of [['run-2', 2, 1], ['run-3', 3, 2]] as const) {
        candidate(run, 3.0, { version: 1, loss: 2.0 });
        expect(runStep(template, 'register', root, { 'workflow.name': run })).toMatchObject({ status: 0, stdout: String(version) });
        const gate = runStep(template, 'gate', root, { 'workflow.name': run, 'inputs.parameters.version': String(version) });
        expect(gate).toMatchObject({ status: 0, stdout: String(inRow) });
      }
      // A rejected version can never become production (the workflow skips promote; the registry refuses it too).
      expect(runStep(template, 'promote', root, { 'workflow.name': 'run-3', 'inputs.parameters.version': '3' }).status).not.toBe(0);
      expect(JSON.parse(fs.readFileSync(alias, 'utf8')).version).toBe(1);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('benchmark tasks: the rendered evaluate flags parse, and the rendered gate rejects a score under its floor', () => {
    const template = renderTemplate({ tasks: ['hellaswag'], taskDir: 'team/eval-tasks/', taskLimit: 50, minScore: { hellaswag: 0.55 }, maxScoreRegression: 0.02 });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-bench-'));
    try {
      const base = path.join(root, 'team', 'pipelines', 'chat-model');
      // evaluate (the GPU Job's command, and the CPU step's script): every flag is one aiinfra.evaluate takes; the task
      // folder is checked before any device is used or model loaded.
      for (const ev of [runJob(template, 'evaluate', root, { 'workflow.name': 'run-1' }),
        runStep(renderTemplate({ tasks: ['hellaswag'], taskDir: 'team/eval-tasks/', device: 'cpu' }), 'evaluate', root, { 'workflow.name': 'run-1' })]) {
        expect(ev.stderr).not.toMatch(/usage:|unrecognized arguments/);
        expect(ev.status).toBe(2);
        expect(ev.stderr).toMatch(/eval-tasks/);
      }
      const version = (run: string, score: number) => {
        const ckpt = path.join(base, 'checkpoints', run);
        fs.mkdirSync(path.join(ckpt, 'step-00000010'), { recursive: true });
        fs.writeFileSync(path.join(ckpt, 'step-00000010', 'model.safetensors'), 'weights');
        fs.writeFileSync(path.join(ckpt, 'metrics.json'), JSON.stringify({ test_loss: 2.0, test_split: 'sha-split', scores: { hellaswag: score } }));
        fs.mkdirSync(path.join(base, 'datasets', 'runs', run), { recursive: true });
        fs.writeFileSync(path.join(base, 'datasets', 'runs', run, 'manifest.json'), '{}');
        return runStep(template, 'register', root, { 'workflow.name': run });
      };
      expect(version('run-1', 0.5)).toMatchObject({ status: 0, stdout: '1' });
      // 0.5 < the 0.55 floor: rejected (the step's result counts it), production untouched.
      expect(runStep(template, 'gate', root, { 'workflow.name': 'run-1', 'inputs.parameters.version': '1' })).toMatchObject({ status: 0, stdout: '1' });
      expect(version('run-2', 0.6)).toMatchObject({ status: 0, stdout: '2' });
      expect(runStep(template, 'gate', root, { 'workflow.name': 'run-2', 'inputs.parameters.version': '2' })).toMatchObject({ status: 0, stdout: '0' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
