// Progressive delivery (issue 25 item 7) against a real kube-apiserver with Flagger's real CRDs (its Go module,
// artifacts/flagger/crd.yaml): the Canary and MetricTemplates an endpoint renders on each cloud pass a server-side
// dry run with strict field validation; a Canary with a wrong type or an unknown field is refused (so the check bites).
import * as fs from 'fs';
import { flaggerCrdFile, flaggerCrds } from '../inference/flagger-crds';
import { build, CloudName, endpointObjects } from '../inference/helpers';
import { ApiServer, startApiServer } from './kube-apiserver';

const PROM = 'http://prometheus-operated.monitoring.svc:9090';
const asList = (items: readonly unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

function flaggerObjects(cloud: CloudName, runtime: 'builtin' | 'vllm') {
  const b = build(cloud, () => ({
    runtime, ...(runtime === 'vllm' ? { image: 'vllm/vllm-openai:v0.11.0' } : {}),
    monitoring: { prometheusQueryUrl: PROM },
    canary: { steps: [5, 25, 50], interval: '10m', slo: { errorRatio: 0.01, p95TtftMs: 800, minTokensPerSecond: 20 } },
    ...(cloud === 'azure' ? { exposure: { gatewayClassName: 'internal-gateway' } } : {}),
  }));
  return endpointObjects(b).filter((o) => o.apiVersion === 'flagger.app/v1beta1');
}

describe('Flagger objects against a real kube-apiserver', () => {
  let server: ApiServer;

  beforeAll(async () => {
    server = await startApiServer();
    // kubectl reads the module's file itself (Go's YAML, as the upstream install does).
    await server.kubectlOk(['apply', '--server-side', '-f', flaggerCrdFile()]);
    await server.waitEstablished(['crd/canaries.flagger.app', 'crd/metrictemplates.flagger.app']);
    await server.kubectlOk(['apply', '-f', '-'], asList([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'inference' } }]));
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  test.each([['aws', 'builtin'], ['gcp', 'vllm'], ['azure', 'builtin']] as [CloudName, 'builtin' | 'vllm'][])(
    '%s (%s): the Canary and its MetricTemplates pass a strict server-side dry run', async (cloud, runtime) => {
      const objects = flaggerObjects(cloud, runtime);
      expect(objects.map((o) => o.kind).sort()).toEqual(['Canary', 'MetricTemplate', 'MetricTemplate', 'MetricTemplate']);
      const out = await server.kubectlOk(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], asList(objects));
      expect(out).toMatch(/canary\.flagger\.app\/\S+ created \(server dry run\)/);
    }, 120_000);

  test('a wrong type or an unknown field is refused by the same server', async () => {
    const canary = flaggerObjects('aws', 'builtin').find((o) => o.kind === 'Canary') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const wrongType = { ...canary, spec: { ...canary.spec, analysis: { ...canary.spec.analysis, stepWeights: ['five'] } } };
    const r1 = await server.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], asList([wrongType]));
    expect(r1.status).not.toBe(0);
    expect(r1.stderr).toMatch(/stepWeights/);
    const unknown = { ...canary, spec: { ...canary.spec, analysis: { ...canary.spec.analysis, stepWieghts: [5] } } };
    const r2 = await server.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], asList([unknown]));
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toMatch(/unknown field.*stepWieghts/);
  }, 120_000);
});

// The offline schema check (test/inference/flagger-crds.ts) reads the same module file.
test('the offline check knows the CRDs this server was given', () => {
  expect([...flaggerCrds().keys()]).toEqual(expect.arrayContaining(['Canary', 'MetricTemplate']));
  expect(fs.existsSync(flaggerCrdFile())).toBe(true);
});
