// The new-data Sensor's debounce, run through Argo Events' own parameter code (pkg/sensors/triggers.ApplyParams from
// the v1.9.10 Go module, built by scripts/tools/argo-events-params.sh): the Workflow it creates is named after the
// current window, two events in one window give the same name (so the second create is refused), and a template
// Argo Events cannot render fails. AIINFRA_ARGO_EVENTS_PARAMS_BINARY=<path> uses another build.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { Cloud, ModelPipeline } from '../../src';
import { Tenant } from '../../src/training/tenant';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { FakeStore } from '../training/fakes';

const ROOT = path.resolve(__dirname, '../..');

function binary(): string {
  if (process.env.AIINFRA_ARGO_EVENTS_PARAMS_BINARY) return process.env.AIINFRA_ARGO_EVENTS_PARAMS_BINARY;
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/tools/argo-events-params.sh')], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`scripts/tools/argo-events-params.sh failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  return r.stdout.trim().split('\n').pop()!;
}

interface SensorObject { spec: { triggers: { template: { k8s: { parameters: { src: { dataTemplate: string } }[] } } }[] } }

function sensor(minIntervalMinutes: number): SensorObject {
  const cloud = Cloud.aws({ region: 'us-east-1' });
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud });
  const store = new FakeStore(stack, 'Models', cloud);
  const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
  const p = new ModelPipeline(stack, 'chat-model', {
    cluster, tenant, image: 'registry.example.com/aiinfra/trainer:1.0', data: { store, prefix: 'team/raw/chat/' },
    train: { preset: 'gpt-125m', gpusPerNode: 8, steps: 200 }, trigger: { onNewData: { minIntervalMinutes } },
  });
  return p.workload.render().objects.find((o) => o.kind === 'Sensor') as unknown as SensorObject;
}

function apply(bin: string, s: SensorObject): { status: number | null; out: string; err: string } {
  const r = spawnSync(bin, [], { input: JSON.stringify(s), encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('new-data Sensor under Argo Events v1.9.10', () => {
  const bin = binary();

  test('the Workflow is named after the debounce window; two events in one window share the name', () => {
    const s = sensor(30);
    const before = Math.floor(Date.now() / 1000 / 1800);
    const first = apply(bin, s);
    const second = apply(bin, s);
    const after = Math.floor(Date.now() / 1000 / 1800);
    expect(first.err).toBe('');
    const wf = JSON.parse(first.out);
    expect(wf).toMatchObject({ kind: 'Workflow', metadata: { namespace: 'team' }, spec: { workflowTemplateRef: { name: 'chat-model' } } });
    expect([`chat-model-data-${before}`, `chat-model-data-${after}`]).toContain(wf.metadata.name);
    if (before === after) expect(JSON.parse(second.out).metadata.name).toBe(wf.metadata.name);
  });

  test('a template Argo Events cannot render fails', () => {
    const s = sensor(60);
    s.spec.triggers[0].template.k8s.parameters[0].src.dataTemplate = 'chat-model-data-{{ nosuchfunction now }}';
    expect(apply(bin, s).status).not.toBe(0);
  });
});
