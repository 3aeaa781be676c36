// A pipeline's new-data objects on a real kube-apiserver with Argo Events' CRDs (v1.9.10 Go module, as the pinned
// chart 2.4.22 installs them) and Argo Workflows': the EventBus, EventSource, Sensor, their ServiceAccounts, RBAC and
// NetworkPolicies are accepted; the Sensor's ServiceAccount may create Workflows in the tenant namespace and nothing
// else; the event source's ServiceAccount has no Kubernetes rights. A NetworkPolicy with a wrong-typed port is refused.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { Cloud, ModelPipeline } from '../../src';
import { KubernetesWorkload } from '../../src/k8s/delivery';
import { Tenant } from '../../src/training/tenant';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { FakeStore } from '../training/fakes';
import { ApiServer, startApiServer } from './kube-apiserver';

function moduleDir(module: string): string {
  const r = spawnSync('go', ['mod', 'download', '-json', module], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`go mod download ${module} failed: ${r.stderr}`);
  return JSON.parse(r.stdout).Dir as string;
}

function render(): { tenant: Record<string, unknown>[]; pipeline: Record<string, unknown>[] } {
  const cloud = Cloud.aws({ region: 'us-east-1' });
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud });
  const store = new FakeStore(stack, 'Models', cloud);
  const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
  const p = new ModelPipeline(stack, 'chat-model', {
    cluster, tenant, image: 'registry.example.com/aiinfra/trainer:1.0',
    data: { store, prefix: 'team/raw/chat/' }, train: { preset: 'gpt-125m', gpusPerNode: 8 }, trigger: { onNewData: true },
  });
  const others = KubernetesWorkload.allIn(stack).filter((w) => w !== p.workload && w.namespace === 'team');
  return {
    tenant: others.flatMap((w) => w.render().objects).filter((o) => !String(o.apiVersion).startsWith('kueue.x-k8s.io/')),
    pipeline: p.workload.render().objects,
  };
}

const list = (items: readonly unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

describe('a pipeline\'s new-data trigger on a real kube-apiserver with the Argo Events CRDs', () => {
  let server: ApiServer;
  let objects: ReturnType<typeof render>;

  beforeAll(async () => {
    server = await startApiServer();
    const events = path.join(moduleDir('github.com/argoproj/argo-events@v1.9.10'), 'manifests/base/crds');
    const workflows = path.join(moduleDir('github.com/argoproj/argo-workflows/v4@v4.0.5'), 'manifests/base/crds/full');
    const files = [
      ...['argoproj.io_eventbus.yaml', 'argoproj.io_eventsources.yaml', 'argoproj.io_sensors.yaml'].map((f) => path.join(events, f)),
      ...['argoproj.io_workflowtemplates.yaml', 'argoproj.io_cronworkflows.yaml', 'argoproj.io_workflowtaskresults.yaml', 'argoproj.io_workflows.yaml'].map((f) => path.join(workflows, f)),
    ];
    for (const f of files) await server.kubectlOk(['apply', '--server-side', '-f', '-'], fs.readFileSync(f, 'utf8'));
    await server.waitEstablished(['crd/eventbus.argoproj.io', 'crd/eventsources.argoproj.io',
      'crd/sensors.argoproj.io', 'crd/workflowtemplates.argoproj.io', 'crd/workflows.argoproj.io']);
    objects = render();
    await server.kubectlOk(['apply', '-f', '-'], list(objects.tenant));
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  test('the EventBus, EventSource, Sensor, ServiceAccounts, RBAC and NetworkPolicies are accepted (applied for real)', async () => {
    const out = await server.kubectlOk(['apply', '-f', '-'], list(objects.pipeline));
    expect(out).toMatch(/eventbus\.argoproj\.io\/chat-model-events (created|configured)/);
    expect(out).toMatch(/eventsource\.argoproj\.io\/chat-model-new-data (created|configured)/);
    expect(out).toMatch(/sensor\.argoproj\.io\/chat-model (created|configured)/);
    expect(out).toMatch(/networkpolicy\.networking\.k8s\.io\/chat-model-events-ingress (created|configured)/);
  });

  test('a NetworkPolicy with a wrong-typed podSelector is refused', async () => {
    const np = structuredClone(objects.pipeline.find((o) => o.kind === 'NetworkPolicy')) as { metadata: { name: string }; spec: Record<string, unknown> };
    np.metadata.name = 'broken';
    np.spec.podSelector = 'everything';
    const r = await server.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(np));
    expect(r.status).not.toBe(0);
  });

  test('the Sensor may only create Workflows in its namespace; the event source has no Kubernetes rights', async () => {
    const cells: [string, string, string, string, boolean][] = [
      ['chat-model-sensor', 'create', 'workflows.argoproj.io', 'team', true],
      ['chat-model-sensor', 'delete', 'workflows.argoproj.io', 'team', false],
      ['chat-model-sensor', 'create', 'workflows.argoproj.io', 'default', false],
      ['chat-model-sensor', 'create', 'pods', 'team', false],
      ['chat-model-sensor', 'get', 'secrets', 'team', false],
      ['chat-model-sensor', 'create', 'workflowtemplates.argoproj.io', 'team', false],
      ['chat-model-new-data', 'create', 'workflows.argoproj.io', 'team', false],
      ['chat-model-new-data', 'get', 'secrets', 'team', false],
    ];
    const answers: string[] = [];
    for (const [sa, verb, what, ns] of cells) {
      const r = await server.kubectl(['auth', 'can-i', verb, what, '-n', ns, '--as', `system:serviceaccount:team:${sa}`]);
      answers.push(`${sa} ${verb} ${what} -n ${ns}: ${r.status === 0}`);
    }
    expect(answers).toEqual(cells.map(([sa, verb, what, ns, allowed]) => `${sa} ${verb} ${what} -n ${ns}: ${allowed}`));
  });
});
