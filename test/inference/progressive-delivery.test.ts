// Issue 25 item 7: progressive delivery with automatic rollback (Flagger, Gateway API provider, Prometheus analysis)
// replaces the manual canary; item 5 (endpoint side): an endpoint serves a model registry alias, resolved in the pod.
import { TerraformStack, Testing } from 'cdktf';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { Cloud } from '../../src/core/cloud';
import { InvalidPropError } from '../../src/core/errors';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { RUNTIME_METRICS } from '../../src/inference/metrics';
import { canaryQueries, FLAGGER_CHART, resolveCanary } from '../../src/inference/progressive-delivery';
import { InferenceEndpointProps } from '../../src/inference/types';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { K8sObject } from '../k8s/validate';
import { validateAll } from './crds';
import { flaggerSchemaErrors } from './flagger-crds';
import { build, byKind, CLOUDS, CloudName, endpointObjects, Json, pools, resources, SERVER_IMAGE, synthJson } from './helpers';

const PROM = 'http://prometheus-operated.monitoring.svc:9090';
const APP = 'platform-chat-d21a8f63';
const CANARY = { steps: [5, 25, 50], interval: '10m', slo: { errorRatio: 0.01, p95TtftMs: 800 } };
/** An internal endpoint on Azure needs a Gateway class with a private frontend. */
const exposureFor = (cloud: CloudName): Json => (cloud === 'azure' ? { exposure: { gatewayClassName: 'internal-gateway' } } : {});

const progressive = (cloud: CloudName, extra: Json = {}) => build(cloud, () => ({
  monitoring: { prometheusQueryUrl: PROM }, canary: CANARY, ...exposureFor(cloud), ...extra,
}));

const flagger = (objects: K8sObject[]) => objects.filter((o) => o.apiVersion === 'flagger.app/v1beta1');
const env = (container: Json): Record<string, Json> => Object.fromEntries(container.env.map((e: Json) => [e.name, e]));

describe.each(['aws', 'gcp', 'azure'] as CloudName[])('%s: an endpoint with progressive delivery', (cloud) => {
  const b = progressive(cloud);
  const objects = endpointObjects(b);

  test('a Flagger Canary of the Deployment on the endpoint Gateway, with the configured steps and interval', () => {
    const c = byKind(objects, 'Canary', APP) as Json;
    expect(c.spec).toMatchObject({
      provider: 'gatewayapi:v1',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: APP },
      autoscalerRef: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: APP },
      service: {
        port: 80, targetPort: 8000, gatewayRefs: [{ name: APP, namespace: 'inference' }],
        primary: { labels: { 'app.kubernetes.io/name': APP, 'aiinfra.dev/metrics': 'true' } },
        canary: { labels: { 'app.kubernetes.io/name': APP, 'aiinfra.dev/metrics': 'true' } },
      },
      analysis: { interval: '10m', threshold: 2, stepWeights: [5, 25, 50] },
    });
    // The apex Service selects the primary's pods too: no metrics label, so no series is scraped twice.
    expect(c.spec.service.apex).toBeUndefined();
    expect(c.spec.progressDeadlineSeconds).toBe(1800 + 600);
    expect(c.spec.analysis.metrics).toEqual([
      { name: 'error-ratio', templateRef: { name: `${APP}-error-ratio`, namespace: 'inference' }, thresholdRange: { max: 0.01 }, interval: '10m' },
      { name: 'ttft-p95-ms', templateRef: { name: `${APP}-ttft-p95-ms`, namespace: 'inference' }, thresholdRange: { max: 800 }, interval: '10m' },
    ]);
  });

  test('MetricTemplates query the canary Service\'s series of the runtime in the monitoring stack\'s Prometheus', () => {
    const t = byKind(objects, 'MetricTemplate', `${APP}-error-ratio`) as Json;
    expect(t.spec.provider).toEqual({ type: 'prometheus', address: PROM });
    expect(t.spec.query).toBe(`(sum(rate(aiinfra_server_requests_total{namespace="inference",service="${APP}-canary",code=~"5..|429"}[10m])) or vector(0))`
      + ` / sum(rate(aiinfra_server_requests_total{namespace="inference",service="${APP}-canary"}[10m]))`);
    expect((byKind(objects, 'MetricTemplate', `${APP}-ttft-p95-ms`) as Json).spec.query)
      .toBe(`histogram_quantile(0.95, sum by (le) (rate(aiinfra_server_time_to_first_token_seconds_bucket{namespace="inference",service="${APP}-canary"}[10m]))) * 1000`);
  });

  test('Flagger owns the route and the Services; the Deployment selects on its own label, a PDB per Deployment', () => {
    expect(objects.filter((o) => o.kind === 'HTTPRoute' || o.kind === 'Service')).toEqual([]);
    const dep = byKind(objects, 'Deployment', APP) as Json;
    expect(dep.spec.selector).toEqual({ matchLabels: { 'aiinfra.dev/deployment': APP } });
    expect(dep.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': APP, 'aiinfra.dev/deployment': APP });
    expect(dep.spec.template.metadata.labels['aiinfra.dev/track']).toBeUndefined();
    // No version in the synthesized template: a pipeline sets the annotation, the alias decides without it.
    expect(dep.spec.template.metadata.annotations?.['ai-infra.dev/model-version']).toBeUndefined();
    expect((byKind(objects, 'PodDisruptionBudget', APP) as Json).spec.selector).toEqual({ matchLabels: { 'aiinfra.dev/deployment': APP } });
    expect((byKind(objects, 'PodDisruptionBudget', `${APP}-primary`) as Json).spec.selector).toEqual({ matchLabels: { 'aiinfra.dev/deployment': `${APP}-primary` } });
    // The NetworkPolicy and the ServiceMonitor keep matching primary and canary pods (Flagger rewrites only the selector label).
    expect((byKind(objects, 'NetworkPolicy', APP) as Json).spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': APP } });
  });

  test('the cloud\'s backend policies cover both Services the route splits over', () => {
    const names = objects.filter((o) => /Policy$|TargetGroupConfiguration/.test(o.kind) && o.kind !== 'NetworkPolicy').map((o) => o.metadata.name);
    expect(new Set(names)).toEqual(new Set([`${APP}-primary`, `${APP}-canary`]));
  });

  test('KEDA scales the canary on its own queue; Flagger rewrites the primary copy\'s query to the primary\'s series', () => {
    const so = byKind(objects, 'ScaledObject', APP) as Json;
    expect(so.spec.triggers[0].metadata.query).toBe(`sum(aiinfra_server_queue_depth{namespace="inference",service="${APP}-canary"})`);
    expect((byKind(objects, 'Canary') as Json).spec.autoscalerRef.primaryScalerQueries)
      .toEqual({ 'queue-depth': `sum(aiinfra_server_queue_depth{namespace="inference",service="${APP}-primary"})` });
  });

  test('every object passes its schema: Flagger\'s against its own CRDs (Go module v1.36.1)', () => {
    for (const o of flagger(objects)) expect(flaggerSchemaErrors(o)).toEqual([]);
    // The check is real: a misspelled field and a wrong type are errors.
    const c = byKind(objects, 'Canary') as Json;
    const broken = { ...c, spec: { ...c.spec, analysis: { ...c.spec.analysis, stepWeight: 'five', threshhold: 2 } } };
    expect(flaggerSchemaErrors(broken).join('\n')).toMatch(/threshhold[\s\S]*|stepWeight/);
    expect(flaggerSchemaErrors(broken).length).toBeGreaterThanOrEqual(2);
    expect(() => validateAll(objects)).not.toThrow();
  });

  test('Flagger is installed once per cluster, pinned, its CRDs as templates; the endpoint release waits for it', () => {
    const json = synthJson(b.stack);
    const releases = Object.entries(json.resource.helm_release as Json).filter(([, r]) => (r as Json).chart === 'flagger');
    expect(releases).toHaveLength(1);
    const [id, r] = releases[0] as [string, Json];
    expect(r).toMatchObject({ repository: 'https://flagger.app', version: FLAGGER_CHART.version, namespace: 'flagger-system', skip_crds: true });
    expect(r.values[0]).toContain('meshProvider: gatewayapi:v1');
    expect(r.values[0]).toContain('selectorLabels: aiinfra.dev/deployment,app,name,app.kubernetes.io/name');
    expect(r.values[0]).toContain('linkerd.io/inject: null');
    expect(JSON.stringify(json.resource.helm_release.chat_Workload_Release_FBFD4D80.depends_on)).toContain(`helm_release.${id}`);
  });

  test('monitoring reads primary and canary', () => {
    expect(b.endpoint.selector()).toBe(`namespace="inference",service=~"${APP}|${APP}-primary|${APP}-canary"`);
    expect(b.endpoint.hasCanary).toBe(true);
  });
});

describe('the analysis per runtime and autoscaler', () => {
  test('vLLM series, and tokens/s per running request when asked for', () => {
    const b = progressive('gcp', { runtime: 'vllm', image: 'vllm/vllm-openai:v0.11.0', canary: { ...CANARY, slo: { minTokensPerSecond: 20 } } });
    const objects = endpointObjects(b);
    expect(flagger(objects).map((o) => o.metadata.name)).toEqual([`${APP}-error-ratio`, `${APP}-tokens-per-second`, APP]);
    expect((byKind(objects, 'MetricTemplate', `${APP}-error-ratio`) as Json).spec.query).toContain('http_requests_total{namespace="inference",service="');
    expect((byKind(objects, 'MetricTemplate', `${APP}-tokens-per-second`) as Json).spec.query)
      .toBe(`sum(rate(vllm:generation_tokens_total{namespace="inference",service="${APP}-canary"}[10m])) / sum(avg_over_time(vllm:num_requests_running{namespace="inference",service="${APP}-canary"}[10m]))`);
    expect((byKind(objects, 'Canary') as Json).spec.analysis.metrics[1].thresholdRange).toEqual({ min: 20 });
  });

  test('the endpoint SLO\'s TTFT is the canary\'s default; failedChecks sets the threshold', () => {
    const b = progressive('aws', { slo: { ttftP95Seconds: 0.5 }, canary: { failedChecks: 3 } });
    const c = byKind(endpointObjects(b), 'Canary') as Json;
    expect(c.spec.analysis).toMatchObject({ threshold: 3, stepWeights: [5, 25, 50], interval: '10m' });
    expect(c.spec.analysis.metrics.map((m: Json) => [m.name, m.thresholdRange])).toEqual([['error-ratio', { max: 0.01 }], ['ttft-p95-ms', { max: 500 }]]);
  });

  test('an HPA is referenced as is; KEDA holds a fixed count (min = max) that Flagger can pause', () => {
    const hpa = byKind(endpointObjects(progressive('aws', { autoscaling: { metric: 'cpu', prometheusUrl: PROM } })), 'Canary') as Json;
    expect(hpa.spec.autoscalerRef).toEqual({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: APP });
    const pinned = endpointObjects(progressive('aws', { replicas: { min: 2, max: 2 } }));
    expect((byKind(pinned, 'Canary') as Json).spec.autoscalerRef.kind).toBe('ScaledObject');
    expect((byKind(pinned, 'Deployment') as Json).spec.replicas).toBeUndefined();
  });

  test('without canary the endpoint renders its own Service and route, as before', () => {
    const objects = endpointObjects(build('gcp', () => ({ monitoring: { prometheusQueryUrl: PROM }, exposure: { gateway: true } })));
    expect(flagger(objects)).toEqual([]);
    expect((byKind(objects, 'HTTPRoute') as Json).spec.rules[0].backendRefs).toEqual([{ name: APP, port: 80, weight: 100 }]);
    expect((byKind(objects, 'Deployment') as Json).spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': APP, 'aiinfra.dev/track': 'stable' });
  });
});

function attempt(cloud: CloudName, props: (m: ModelBackupBucket) => Json): unknown {
  const stack = new TerraformStack(Testing.app(), 'platform');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS[cloud](), pools: pools(cloud) });
  const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS[cloud]() });
  try {
    new InferenceEndpoint(stack, 'chat', {
      cluster, model: models.model('research/gpt-1b', { parameterCount: 1_210_000_000 }), image: SERVER_IMAGE, runtime: 'builtin',
      monitoring: { prometheusQueryUrl: PROM }, ...props(models),
    } as InferenceEndpointProps);
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectInvalid(props: (m: ModelBackupBucket) => Json, prop: string, allowed: RegExp): void {
  const e = attempt('gcp', props);
  expect(e).toBeInstanceOf(InvalidPropError);
  expect((e as InvalidPropError).constructPath).toBe('platform/chat');
  expect({ prop: (e as InvalidPropError).prop, message: (e as InvalidPropError).message }).toEqual({ prop, message: expect.stringMatching(allowed) });
}

describe('canary validation', () => {
  test.each([
    [[5, 5, 50], 'canary.steps', /strictly increasing percentages \(step 1 is 5, after 5\)/],
    [[50, 25], 'canary.steps', /strictly increasing/],
    [[5, 101], 'canary.steps[1]', /an integer percent in \(0, 100\]/],
    [[0, 50], 'canary.steps[0]', /an integer percent in \(0, 100\]/],
    [[12.5], 'canary.steps[0]', /an integer percent/],
    [[], 'canary.steps', /a list of 1 to 20 traffic percentages/],
  ])('steps %p', (steps, prop, allowed) => {
    expectInvalid(() => ({ canary: { steps } }), prop as string, allowed as RegExp);
  });

  test('100 as the last step is allowed (all traffic on the canary before promotion)', () => {
    expect(attempt('gcp', () => ({ canary: { steps: [10, 100] } }))).toBeUndefined();
  });

  test.each(['10 minutes', '10', 'm', '-5m', '30s', '25h'])('interval %p', (interval) => {
    expectInvalid(() => ({ canary: { interval } }), 'canary.interval', /a duration such as "10m"|from 1m to 24h/);
  });

  test.each([
    ['weight', { weight: 10 }], ['promote', { promote: true }], ['model', { model: { image: 'x' } }], ['replicas', { replicas: 2 }],
  ])('the manual canary field %s is rejected with the migration', (field, old) => {
    expectInvalid(() => ({ canary: old }), `canary.${field}`, /replaced by Flagger. Set the new model or image on the endpoint itself/);
  });

  test('canary with scale to zero is refused with the reason', () => {
    expectInvalid(() => ({ canary: {}, autoscaling: { scaleToZero: true }, replicas: { min: 0 }, schedule: [{ start: '0 8 * * *', end: '0 18 * * *' }] }),
      'autoscaling.scaleToZero', /no traffic for the analysis to measure/);
  });

  test('a fixed replica count (no autoscaler Flagger can pause) is refused with the reason', () => {
    expectInvalid(() => ({ canary: {}, autoscaling: { metric: 'none' } }), 'autoscaling.metric', /every later deploy starts the idle canary's GPU pods again/);
  });

  test('no Prometheus to query: refused', () => {
    expectInvalid(() => ({ canary: {}, monitoring: undefined, autoscaling: { metric: 'cpu' } }), 'canary', /a Prometheus Flagger can query/);
  });

  test.each([
    [{ errorRatio: 1.5 }, 'canary.slo.errorRatio'], [{ p95TtftMs: 0 }, 'canary.slo.p95TtftMs'], [{ minTokensPerSecond: -1 }, 'canary.slo.minTokensPerSecond'],
  ])('slo %p out of range', (slo, prop) => {
    expectInvalid(() => ({ canary: { slo } }), prop, /between|from|at least|>=|in \[/);
  });

  test('an SLO on a metric the runtime does not export is a synth error', () => {
    const scope = new TerraformStack(Testing.app(), 'platform');
    // A runtime without a TTFT histogram (e.g. an image's own server speaking the builtin contract only in part).
    const metrics = { builtin: { ...RUNTIME_METRICS.builtin, timeToFirstToken: '' }, vllm: RUNTIME_METRICS.vllm };
    const ctx = { runtime: 'builtin' as const, prometheusUrl: PROM, scaleToZero: false, metrics };
    expect(() => resolveCanary(scope, { slo: { p95TtftMs: 800 } }, ctx)).toThrow(/canary\.slo\.p95TtftMs.*runtime "builtin" exports: it has no timeToFirstToken series/);
    expect(() => resolveCanary(scope, { slo: { errorRatio: 0.01 } }, ctx)).not.toThrow();
    // Both shipped runtimes export every series the three SLOs read.
    for (const runtime of ['builtin', 'vllm'] as const) {
      expect(() => resolveCanary(scope, { slo: { errorRatio: 0.01, p95TtftMs: 800, minTokensPerSecond: 5 } }, { ...ctx, runtime, metrics: undefined })).not.toThrow();
    }
  });
});

test('a canary gate looser than the endpoint SLO is a warning, a tighter one is not', () => {
  const warningsOf = (b: { stack: TerraformStack }) => b.stack.node.findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
  const loose = progressive('aws', { slo: { availability: 0.999, ttftP95Seconds: 0.5 }, canary: { slo: { errorRatio: 0.01, p95TtftMs: 800 } } });
  expect(warningsOf(loose).join('\n')).toMatch(/canary.slo.errorRatio 0.01 allows more errors than slo.availability 0.999 \(0.001\); canary.slo.p95TtftMs 800 is above slo.ttftP95Seconds \(500 ms\)/);
  const tight = progressive('aws', { slo: { availability: 0.99, ttftP95Seconds: 1 }, canary: { slo: { errorRatio: 0.005, p95TtftMs: 800 } } });
  expect(warningsOf(tight).join('\n')).not.toMatch(/canary\.slo/);
});

describe('serving a registry alias', () => {
  const registryEndpoint = (runtime: 'builtin' | 'vllm', extra: Json = {}) => build('aws', ({ models }) => ({
    model: models.registry('chat-model', { parameterCount: 1_210_000_000, ...(runtime === 'vllm' ? { preset: 'gpt-1b' } : {}) }),
    runtime, ...(runtime === 'vllm' ? { image: 'vllm/vllm-openai:v0.11.0' } : {}),
    monitoring: { prometheusQueryUrl: PROM }, canary: CANARY, ...extra,
  }));

  test('bucket.registry() is a ModelRegistryReference of the store, on own and imported buckets', () => {
    const stack = new TerraformStack(Testing.app(), 's');
    const own = new ModelBackupBucket(stack, 'models', { cloud: Cloud.aws({ region: 'us-east-1' }) });
    expect(own.registry('chat-model')).toMatchObject({ store: own, path: 'models/chat-model', uri: `${own.uri}/models/chat-model`, alias: 'production' });
    const imported = ModelBackupBucket.fromBucketAttributes(stack, 'imp', { cloud: Cloud.aws({ region: 'us-east-1' }), bucketName: 'acme-models' });
    expect(imported.registry('chat-model', { alias: 'candidate' })).toMatchObject({ uri: 's3://acme-models/models/chat-model', alias: 'candidate' });
    expect(own.registry('chat-model', { prefix: 'research' })).toMatchObject({ path: 'research/models/chat-model', uri: `${own.uri}/research/models/chat-model` });
    expect(() => own.registry('Chat Model')).toThrow(/registry\(name\)/);
    expect(() => own.registry('chat', { prefix: '../x' })).toThrow(/registry\(options.prefix\)/);
    expect(() => own.registry('chat', { alias: '-x' })).toThrow(/registry\(options.alias\)/);
  });

  test('builtin: an init container resolves the version (annotation, else the alias); the server reads the URI it wrote', () => {
    const b = registryEndpoint('builtin');
    const pod = (byKind(endpointObjects(b), 'Deployment') as Json).spec.template.spec;
    const init = pod.initContainers.find((c: Json) => c.name === 'resolve-model');
    expect(init.image).toBe(SERVER_IMAGE);
    expect(init.command.join(' ')).toContain('python -m aiinfra.registry --root "$AIINFRA_REGISTRY_ROOT" resolve --alias "$AIINFRA_REGISTRY_ALIAS" --version "$AIINFRA_MODEL_VERSION" --out /run/aiinfra-model/uri');
    const e = env(init);
    expect(e.AIINFRA_REGISTRY_ROOT.value).toBe(`${b.models.uri}/models/chat-model`);
    expect(e.AIINFRA_REGISTRY_ALIAS.value).toBe('production');
    expect(e.AIINFRA_MODEL_VERSION).toEqual({ name: 'AIINFRA_MODEL_VERSION', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['ai-infra.dev/model-version']" } } });
    const server = pod.containers[0];
    expect(server.command[2]).toContain('AIINFRA_MODEL_URI="$(cat /run/aiinfra-model/uri)"');
    expect(env(server).AIINFRA_MODEL_URI).toBeUndefined();
    expect(server.volumeMounts).toContainEqual({ name: 'resolved-model', mountPath: '/run/aiinfra-model', readOnly: true });
  });

  test('vLLM: the trainer image resolves and exports the version to local disk; vLLM loads it from there', () => {
    const b = registryEndpoint('vllm');
    const pod = (byKind(endpointObjects(b), 'Deployment') as Json).spec.template.spec;
    expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['resolve-model']);
    const cmd = pod.initContainers[0].command[2];
    expect(cmd).toContain('uri="$(python -m aiinfra.registry');
    expect(cmd).toContain('python -m aiinfra.export --checkpoint "$uri" --output /models/model --select newest --dtype bf16');
    expect(pod.containers[0].args).toContain('/models/model');
    // A registry of Hugging Face directories (no preset): resolve and copy in one step.
    const hf = build('aws', ({ models }) => ({
      model: models.registry('hf-model', { parameterCount: 1_210_000_000 }), runtime: 'vllm', image: 'vllm/vllm-openai:v0.11.0',
      monitoring: { prometheusQueryUrl: PROM }, canary: CANARY,
    }));
    const hfPod = (byKind(endpointObjects(hf), 'Deployment') as Json).spec.template.spec;
    expect(hfPod.initContainers[0].command[2]).toBe(
      'exec python -m aiinfra.registry --root "$AIINFRA_REGISTRY_ROOT" resolve --alias "$AIINFRA_REGISTRY_ALIAS" --version "$AIINFRA_MODEL_VERSION" --download /models/model');
  });

  test('the synthesized stack names no version: a promotion changes neither it nor Terraform state', () => {
    const b = registryEndpoint('builtin');
    const text = Testing.synth(b.stack);
    expect(text).not.toMatch(/versions\/\d|model-version['"]?\s*:\s*['"]?\d/);
    expect(text).toContain('models/chat-model');
    // Read-only on the registry prefix (versions and aliases); no write grant.
    const json = synthJson(b.stack);
    expect(JSON.stringify(resources(json, 'aws_iam_role_policy'))).not.toMatch(/s3:PutObject[^\]]*models\/chat-model/);
  });

  test('the endpoint is the pipeline\'s deploy target', () => {
    const b = registryEndpoint('builtin');
    expect(InferenceEndpoint.isProgressiveDeployTarget(b.endpoint)).toBe(true);
    expect(b.endpoint).toMatchObject({
      deploymentName: APP, canaryName: APP, modelVersionAnnotation: 'ai-infra.dev/model-version', namespace: 'inference',
      registry: { path: 'models/chat-model', alias: 'production' },
    });
    expect(InferenceEndpoint.isProgressiveDeployTarget(progressive('aws').endpoint)).toBe(false);
    expect(InferenceEndpoint.isProgressiveDeployTarget(registryEndpoint('builtin', { canary: undefined }).endpoint)).toBe(false);
  });

  test('a tenant\'s endpoint serves a registry under the tenant\'s prefix, not outside it', () => {
    const tenant = {
      namespace: 'research',
      checkPrefix: (scope: unknown, prop: string, prefix: string) => {
        if (!prefix.startsWith('research/')) throw new InvalidPropError(scope as never, prop, prefix, 'a path under research/');
      },
    };
    expect(attempt('gcp', (m) => ({ tenant, model: m.registry('chat-model', { prefix: 'research' }) }))).toBeUndefined();
    const e = attempt('gcp', (m) => ({ tenant, model: m.registry('chat-model') }));
    expect({ prop: (e as InvalidPropError).prop, value: (e as InvalidPropError).value }).toEqual({ prop: 'model', value: 'models/chat-model' });
  });

  test('LoRA adapters on a registry model are refused (a promotion changes the weights they apply to)', () => {
    const e = attempt('gcp', (m) => ({
      model: m.registry('chat-model'), runtime: 'vllm', image: 'vllm/vllm-openai:v0.11.0',
      adapters: [{ name: 'support', adapter: { store: m, path: 'adapters/support', uri: `${m.uri}/adapters/support`, rank: 16, select: 'best' } }],
    }));
    expect((e as InvalidPropError).prop).toBe('adapters');
    expect((e as Error).message).toMatch(/a promotion changes them without a deploy/);
  });
});

describe('canaryQueries', () => {
  test('one query per configured SLO, in a fixed order', () => {
    const c = { steps: [5], interval: '5m', intervalSeconds: 300, failedChecks: 2, errorRatio: 0.02, minTokensPerSecond: 10 };
    expect(canaryQueries(c, RUNTIME_METRICS.builtin, 'ns', 'x-canary').map((q) => [q.name, q.min, q.max]))
      .toEqual([['error-ratio', undefined, 0.02], ['tokens-per-second', 10, undefined]]);
  });
});

test('a canary querying a Prometheus of its own is a warning (Flagger\'s egress admits the monitoring stack\'s only)', () => {
  const warningsOf = (b: { stack: TerraformStack }) => b.stack.node.findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
  const own = progressive('aws', { autoscaling: { prometheusUrl: 'http://thanos-query.observability.svc:9090' } });
  expect(warningsOf(own).join('\n')).toMatch(/canary analysis queries autoscaling.prometheusUrl http:\/\/thanos-query\.observability\.svc:9090, but Flagger's namespace \(flagger-system, default-deny\)/);
  // the monitoring stack's own URL (given or inherited) is admitted: no warning
  expect(warningsOf(progressive('aws')).join('\n')).not.toMatch(/Flagger's namespace/);
  expect(warningsOf(progressive('aws', { autoscaling: { prometheusUrl: PROM } })).join('\n')).not.toMatch(/Flagger's namespace/);
});
