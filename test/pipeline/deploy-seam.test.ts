// Issue 25: the pipeline's deploy step meets a real InferenceEndpoint with progressive delivery (Flagger) serving a
// registry alias: the registry the pipeline writes is the one the endpoint reads, the pipeline's Role names the
// endpoint's Deployment and Canary, the version annotation is the one the pods read, and the wait conditions use
// Flagger's own Canary phases (read from its Go module).
import * as fs from 'fs';
import * as path from 'path';
import { ModelPipeline } from '../../src';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { MODEL_VERSION_ANNOTATION } from '../../src/inference/progressive-delivery';
import { CANARY_FAILED, CANARY_STARTED } from '../../src/pipeline/workflow';
import { Tenant } from '../../src/training/tenant';
import { expectInvalid } from '../expect-invalid';
import { flaggerCrdFile } from '../inference/flagger-crds';
import { build, CloudName, endpointObjects, Json } from '../inference/helpers';
import { findObject, K8sObject } from '../k8s/validate';

const PROM = 'http://prometheus-operated.monitoring.svc:9090';
const CANARY = { steps: [5, 25, 50], interval: '10m', slo: { errorRatio: 0.01 } };
const IMAGE = 'registry.example.com/aiinfra/trainer:1.0';

function setup(cloud: CloudName, endpoint: (models: Parameters<Parameters<typeof build>[1] & object>[0]['models']) => Json) {
  const b = build(cloud, ({ models }) => ({
    monitoring: { prometheusQueryUrl: PROM },
    ...(cloud === 'azure' ? { exposure: { gatewayClassName: 'internal-gateway' } } : {}),
    ...endpoint(models),
  }));
  const tenant = new Tenant(b.stack, 'research', { cluster: b.cluster, gpuQuota: 8, store: b.models, bucketPrefix: 'research/' });
  const props = {
    cluster: b.cluster, tenant, image: IMAGE,
    data: { store: b.models, prefix: 'research/raw/chat/' },
    train: { preset: 'gpt-125m' as const, gpusPerNode: 8, steps: 200 },
  };
  return { ...b, tenant, props };
}

const registryEndpoint = (models: Json) => ({ model: models.registry('chat-model', { prefix: 'research', preset: 'gpt-125m' }), canary: CANARY });

/** Flagger's CanaryPhase values, from pkg/apis/flagger/v1beta1/status.go of the module its CRDs come from. */
function flaggerPhases(): string[] {
  const root = path.resolve(path.dirname(flaggerCrdFile()), '..', '..');
  const src = fs.readFileSync(path.join(root, 'pkg/apis/flagger/v1beta1/status.go'), 'utf8');
  return [...src.matchAll(/CanaryPhase\w+\s+CanaryPhase\s*=\s*"(\w+)"/g)].map((m) => m[1]);
}

describe.each(['aws', 'gcp', 'azure'] as CloudName[])('%s: a pipeline deploying to a real InferenceEndpoint', (cloud) => {
  const s = setup(cloud, registryEndpoint);
  const pipeline = new ModelPipeline(s.stack, 'chat-model', { ...s.props, deploy: { endpoint: s.endpoint } });
  const objects = pipeline.workload.render().objects as K8sObject[];
  const served = endpointObjects(s);

  test('the endpoint is a typed progressive deploy target; the pipeline registers where the endpoint reads', () => {
    expect(InferenceEndpoint.isProgressiveDeployTarget(s.endpoint)).toBe(true);
    expect(pipeline.deployTarget).toBe(s.endpoint);
    expect(pipeline.registryUri).toBe(s.endpoint.registry!.uri);
    expect(s.endpoint.registry!.path).toBe('research/models/chat-model');
    // The pods resolve from that root (init container env).
    const dep = findObject(served, 'Deployment', s.endpoint.deploymentName) as Json;
    const init = dep.spec.template.spec.initContainers.find((c: Json) => c.name === 'resolve-model');
    expect(init.env).toEqual(expect.arrayContaining([{ name: 'AIINFRA_REGISTRY_ROOT', value: pipeline.registryUri }]));
    // ... and read the version from the annotation the deploy step sets.
    expect(init.env).toEqual(expect.arrayContaining([
      { name: 'AIINFRA_MODEL_VERSION', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${MODEL_VERSION_ANNOTATION}']` } } },
    ]));
    const wt = findObject(objects, 'WorkflowTemplate', 'chat-model') as Json;
    const deploy = wt.spec.templates.find((t: Json) => t.name === 'deploy');
    expect(deploy.resource.manifest).toContain(`name: ${s.endpoint.deploymentName}\n`);
    expect(deploy.resource.manifest).toContain(`${MODEL_VERSION_ANNOTATION}: "{{inputs.parameters.version}}"`);
  });

  test("the pipeline's Role in the endpoint namespace names the endpoint's Deployment and Canary objects", () => {
    const role = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === s.endpoint.namespace) as Json;
    const canary = findObject(served, 'Canary', s.endpoint.canaryName!) as Json;
    findObject(served, 'Deployment', s.endpoint.deploymentName);
    expect(canary.spec.targetRef).toMatchObject({ kind: 'Deployment', name: s.endpoint.deploymentName });
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [s.endpoint.deploymentName], verbs: ['get', 'patch'] },
      { apiGroups: ['flagger.app'], resources: ['canaries'], resourceNames: [canary.metadata.name], verbs: ['get', 'list', 'watch'] },
    ]);
  });
});

describe('the wait conditions and the endpoint seam', () => {
  test("the canary steps' phases are Flagger's own", () => {
    const phases = flaggerPhases();
    expect(phases).toEqual(expect.arrayContaining(['Progressing', 'Succeeded', 'Failed']));
    for (const p of [...CANARY_STARTED, ...CANARY_FAILED]) expect(phases).toContain(p);
    // Neither terminal phase counts as "started": the previous run's verdict is still on the Canary when the step begins.
    expect(CANARY_STARTED).not.toContain('Failed');
    expect(CANARY_STARTED).not.toContain('Succeeded');
  });

  test('an InferenceEndpoint without a canary, or not serving a registry, is refused with the reason', () => {
    const noCanary = setup('aws', (models) => ({ model: models.registry('chat-model', { prefix: 'research', preset: 'gpt-125m' }) }));
    expect(InferenceEndpoint.isProgressiveDeployTarget(noCanary.endpoint)).toBe(false);
    expectInvalid(() => new ModelPipeline(noCanary.stack, 'p', { ...noCanary.props, deploy: { endpoint: noCanary.endpoint } }),
      /deploy\.endpoint/, /platform\/chat/, /no `canary`/, /automatic rollback/);
    const fixed = setup('gcp', () => ({ canary: CANARY }));
    expectInvalid(() => new ModelPipeline(fixed.stack, 'p', { ...fixed.props, deploy: { endpoint: fixed.endpoint } }),
      /deploy\.endpoint/, /not a registry alias/, /store\.registry/);
  });

  test("a registry outside the tenant's prefix is refused", () => {
    const s = setup('aws', (models) => ({ model: models.registry('chat-model', { prefix: 'other', preset: 'gpt-125m' }), canary: CANARY }));
    expectInvalid(() => new ModelPipeline(s.stack, 'p', { ...s.props, deploy: { endpoint: s.endpoint } }), /deploy\.endpoint\.registry/, /other\/models\/chat-model/);
  });
});
