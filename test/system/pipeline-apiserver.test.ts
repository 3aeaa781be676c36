// A ModelPipeline's objects against a real kube-apiserver with Argo Workflows' real CRDs (the full schemas of the
// argo-workflows v4.0.5 Go module's manifests/base/crds/full): the WorkflowTemplate, CronWorkflow, RBAC, ConfigMap and
// NetworkPolicies are accepted by server-side validation; the train step's Job (its manifest inside the template, with
// the Argo variables substituted) passes the restricted Pod Security Standard as a pod; the pipeline's ServiceAccount may
// patch only the endpoint's Deployment, read only its Canary, and no Secret. A WorkflowTemplate with a wrong-typed field
// must be refused (the check can fail).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { parse } from 'yaml';
import { ModelPipeline } from '../../src';
import { KubernetesWorkload } from '../../src/k8s/delivery';
import { Tenant } from '../../src/training/tenant';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { FakeStore } from '../training/fakes';
import { FakeEndpoint } from '../pipeline/fake-endpoint';
import { ApiServer, startApiServer } from './kube-apiserver';

/** The directory of a Go module (downloaded by `go mod download`, as scripts/tools/argo.sh does). */
function moduleDir(module: string): string {
  const r = spawnSync('go', ['mod', 'download', '-json', module], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`go mod download ${module} failed: ${r.stderr}`);
  return JSON.parse(r.stdout).Dir as string;
}


function render(): { tenant: Record<string, unknown>[]; pipeline: Record<string, unknown>[] } {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  const store = new FakeStore(stack, 'Models');
  const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
  const p = new ModelPipeline(stack, 'chat-model', {
    cluster, tenant, image: 'registry.example.com/aiinfra/trainer:1.0',
    data: { store, prefix: 'team/raw/chat/', format: 'jsonl' }, train: { preset: 'gpt-125m', gpusPerNode: 8 },
    deploy: { endpoint: new FakeEndpoint(stack, 'Chat', store) }, trigger: { schedule: '0 3 * * 1' },
  });
  const others = KubernetesWorkload.allIn(stack).filter((w) => w !== p.workload && w.namespace === 'team');
  return {
    // Kueue's CRDs are not installed in this bare API server (the twin runs Kueue).
    tenant: others.flatMap((w) => w.render().objects).filter((o) => !String(o.apiVersion).startsWith('kueue.x-k8s.io/')),
    pipeline: p.workload.render().objects,
  };
}

const list = (items: readonly unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

describe('a model pipeline on a real kube-apiserver with the Argo CRDs', () => {
  let server: ApiServer;
  let objects: ReturnType<typeof render>;

  beforeAll(async () => {
    server = await startApiServer();
    const argo = path.join(moduleDir('github.com/argoproj/argo-workflows/v4@v4.0.5'), 'manifests/base/crds/full');
    for (const f of ['argoproj.io_workflowtemplates.yaml', 'argoproj.io_cronworkflows.yaml', 'argoproj.io_workflowtaskresults.yaml', 'argoproj.io_workflows.yaml']) {
      await server.kubectlOk(['apply', '--server-side', '-f', '-'], fs.readFileSync(path.join(argo, f), 'utf8'));
    }
    // Flagger's CRDs (the Canary the deploy steps read), from its module at the version the endpoint side pins in tests.
    await server.kubectlOk(['apply', '--server-side', '-f', '-'], fs.readFileSync(path.join(moduleDir('github.com/fluxcd/flagger@v1.36.1'), 'artifacts/flagger/crd.yaml'), 'utf8'));
    await server.waitEstablished(['crd/workflowtemplates.argoproj.io', 'crd/cronworkflows.argoproj.io',
      'crd/canaries.flagger.app']);
    objects = render();
    await server.kubectlOk(['apply', '-f', '-'], list([
      ...objects.tenant,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'serving' } },
    ]));
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  test('the WorkflowTemplate, CronWorkflow and the rest pass server-side validation (applied for real)', async () => {
    const out = await server.kubectlOk(['apply', '-f', '-'], list(objects.pipeline));
    expect(out).toMatch(/workflowtemplate\.argoproj\.io\/chat-model (created|configured)/);
    expect(out).toMatch(/cronworkflow\.argoproj\.io\/chat-model (created|configured)/);
  });

  test('a WorkflowTemplate with a field of the wrong type is refused', async () => {
    const wt = structuredClone(objects.pipeline.find((o) => o.kind === 'WorkflowTemplate')) as { metadata: { name: string }; spec: Record<string, unknown> };
    wt.metadata.name = 'broken';
    wt.spec.entrypoint = 42;
    const r = await server.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(wt));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/entrypoint/);
  });

  test('the train step\'s pod passes the restricted Pod Security Standard in the tenant namespace', async () => {
    const wt = objects.pipeline.find((o) => o.kind === 'WorkflowTemplate') as { spec: { templates: { name: string; resource?: { manifest: string } }[] } };
    const manifest = wt.spec.templates.find((t) => t.name === 'train')!.resource!.manifest.split('{{workflow.name}}').join('run-1');
    const job = parse(manifest);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'run-1-train-probe', namespace: 'team', labels: job.spec.template.metadata.labels }, spec: job.spec.template.spec };
    const r = await server.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    expect(r).toMatchObject({ status: 0 });
    // the fixture: the same pod allowing privilege escalation is refused by the namespace's Pod Security enforcement
    const escalating = structuredClone(pod);
    escalating.spec.containers[0].securityContext = { ...escalating.spec.containers[0].securityContext, allowPrivilegeEscalation: true };
    const bad = await server.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(escalating));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/violates PodSecurity "restricted/);
    const job2 = await server.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(job));
    expect(job2.stderr).not.toMatch(/PodSecurity|violates/);
  });

  test('the pipeline ServiceAccount: the one Deployment and Canary, Jobs in its namespace, no Secrets', async () => {
    const as = ['--as', 'system:serviceaccount:team:chat-model'];
    const cells: [string, string, string, boolean][] = [
      ['patch', 'deployments.apps/chat', 'serving', true], ['patch', 'deployments.apps/other', 'serving', false],
      ['get', 'canaries.flagger.app/chat', 'serving', true], ['patch', 'canaries.flagger.app/chat', 'serving', false],
      ['create', 'jobs.batch', 'team', true], ['create', 'jobs.batch', 'serving', false],
      ['create', 'workflowtaskresults.argoproj.io', 'team', true], ['get', 'secrets', 'team', false], ['create', 'workflows.argoproj.io', 'team', false],
    ];
    const answers: string[] = [];
    for (const [verb, what, ns] of cells) {
      const r = await server.kubectl(['auth', 'can-i', verb, what, '-n', ns, ...as]);
      answers.push(`${verb} ${what} -n ${ns}: ${r.status === 0}`);
    }
    expect(answers).toEqual(cells.map(([verb, what, ns, allowed]) => `${verb} ${what} -n ${ns}: ${allowed}`));
  });
});
