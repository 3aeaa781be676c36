// Argo's own validation of what a ModelPipeline renders: `argo lint --offline --strict` (the CLI built from the
// argo-workflows v4.0.5 Go module by scripts/tools/argo.sh, cached in .tools/) on the WorkflowTemplate and CronWorkflow,
// for a pipeline with a canary and one without, and a broken template that must fail (a check that passes everything
// would pass it). AIINFRA_ARGO_BINARY=<path> uses another build.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { stringify } from 'yaml';
import { ModelPipeline } from '../../src';
import { Tenant } from '../../src/training/tenant';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { FakeStore } from '../training/fakes';
import { FakeEndpoint } from '../pipeline/fake-endpoint';

const ROOT = path.resolve(__dirname, '../..');

function argoBinary(): string {
  if (process.env.AIINFRA_ARGO_BINARY) return process.env.AIINFRA_ARGO_BINARY;
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/tools/argo.sh')], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`scripts/tools/argo.sh failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  return r.stdout.trim().split('\n').pop()!;
}


/** The WorkflowTemplate and CronWorkflow of a pipeline, as the chart delivers them (Argo expressions unescaped). */
function argoObjects(withCanary: boolean): Record<string, unknown>[] {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  const store = new FakeStore(stack, 'Models');
  const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
  const p = new ModelPipeline(stack, 'chat-model', {
    cluster, tenant, image: 'registry.example.com/aiinfra/trainer:1.0',
    data: { store, prefix: 'team/raw/chat/', format: 'jsonl' },
    train: { preset: 'gpt-125m', gpusPerNode: 8, lora: { rank: 16 }, baseModel: store.model('team/base', { preset: 'gpt-125m' }) },
    deploy: withCanary ? { endpoint: new FakeEndpoint(stack, 'Chat', store) } : undefined,
    trigger: { schedule: '0 3 * * 1' },
  });
  const objects = p.workload.render().objects.filter((o) => o.kind === 'WorkflowTemplate' || o.kind === 'CronWorkflow');
  expect(objects.map((o) => o.kind).sort()).toEqual(['CronWorkflow', 'WorkflowTemplate']);
  return objects;
}

function lint(binary: string, objects: readonly Record<string, unknown>[]): { status: number; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'argo-lint-'));
  try {
    const file = path.join(dir, 'pipeline.yaml');
    fs.writeFileSync(file, objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
    const r = spawnSync(binary, ['lint', '--offline', '--strict', '--no-color', file], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('argo lint --offline on the rendered pipeline', () => {
  const binary = argoBinary();

  test.each([[true], [false]])('with a canary: %s', (withCanary) => {
    const result = lint(binary, argoObjects(withCanary));
    expect(result).toMatchObject({ status: 0 });
  });

  test('a step naming a template that does not exist fails the lint', () => {
    const objects = argoObjects(true);
    const wt = objects.find((o) => o.kind === 'WorkflowTemplate') as { spec: { templates: { name: string; steps?: { template: string }[][] }[] } };
    wt.spec.templates.find((t) => t.name === 'main')!.steps![0][0].template = 'no-such-template';
    const result = lint(binary, objects);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/no-such-template/);
  });

  test('a CronWorkflow with a malformed schedule fails the lint (the CronWorkflow is linted too)', () => {
    const objects = argoObjects(false);
    (objects.find((o) => o.kind === 'CronWorkflow') as { spec: { schedules: string[] } }).spec.schedules = ['not a cron'];
    const result = lint(binary, objects);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/CronWorkflow.*malformed/);
  });
});
