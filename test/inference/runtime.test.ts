// Runtimes (builtin image build, vLLM args and model copy), autoscaling (KEDA queue depth, scale to zero,
// schedules), metrics accessors, and the serving cluster made when none is given.
import { TerraformStack, Testing } from 'cdktf';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { Gpu } from '../../src/core/gpu';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { vllmArgs, VLLM_IMAGE } from '../../src/inference/vllm';
import { checkModelFits } from '../../src/inference/sizing';
import { restrictedPssProblems } from '../k8s/validate';
import { validateAll } from './crds';
import { build, byKind, CLOUDS, CloudName, endpointObjects, Json, resources, synthJson } from './helpers';

const PROM = 'http://prometheus-operated.monitoring.svc:9090';
const envOf = (c: Json) => Object.fromEntries(c.env.map((e: Json) => [e.name, e.value]));

describe.each(Object.keys(CLOUDS) as CloudName[])('vLLM on %s', (cloud) => {
  const b = build(cloud, ({ models }) => ({
    runtime: 'vllm', image: undefined, gpu: Gpu.H100_80GB, gpusPerReplica: 4, maxModelLength: 8192, quantization: 'fp8',
    model: models.model('llm/llama-70b-hf', { parameterCount: 70_600_000_000 }), monitoring: { prometheusQueryUrl: PROM },
  }));
  const objects = endpointObjects(b);
  const pod = byKind(objects, 'Deployment').spec.template.spec;
  const server = pod.containers[0];

  test('the pinned vllm-openai image with args from the props: tensor parallel = GPUs per replica', () => {
    expect(server.image).toBe(VLLM_IMAGE);
    expect(VLLM_IMAGE).toMatch(/^vllm\/vllm-openai:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(server.command).toEqual(['python3', '-m', 'vllm.entrypoints.openai.api_server']);
    // AWS and GCP stream the weights from the bucket (Run:ai streamer); Azure copies them to local disk first.
    const streamed = cloud !== 'azure';
    expect(server.args).toEqual([
      '--model', streamed ? `${b.models.uri}/llm/llama-70b-hf` : '/models/model', '--served-model-name', 'llama-70b-hf', '--host', '0.0.0.0', '--port', '8000',
      '--tensor-parallel-size', '4', '--dtype', 'bfloat16', '--quantization', 'fp8', '--max-model-len', '8192',
      ...(streamed ? ['--load-format', 'runai_streamer'] : []),
      '--gpu-memory-utilization', '0.90',
    ]);
    expect(server.resources.limits['nvidia.com/gpu']).toBe('4');
    expect(pod.nodeSelector['ai-infra/gpu']).toBe('h100-80gb');
  });

  test('AWS and GCP: the Run:ai streamer reads the bucket with the workload identity; no copy, no cache volume', () => {
    if (cloud === 'azure') return;
    expect(pod.initContainers ?? []).toEqual([]);
    expect(pod.volumes.find((v: Json) => v.name === 'model-cache')).toBeUndefined();
    expect(envOf(server).RUNAI_STREAMER_CONCURRENCY).toBe('32');
    if (cloud === 'aws') expect(envOf(server)).toMatchObject({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' });
    const names = server.env.map((e: Json) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('Azure: an init container copies the HF-format model directory into the cache volume, read-only for the server', () => {
    if (cloud !== 'azure') return;
    expect(pod.initContainers).toHaveLength(1);
    const init = pod.initContainers[0];
    expect(init.name).toBe('fetch-model');
    expect(init.volumeMounts).toContainEqual({ name: 'model-cache', mountPath: '/models' });
    expect(server.volumeMounts).toContainEqual({ name: 'model-cache', mountPath: '/models', readOnly: true });
    const cache = pod.volumes.find((v: Json) => v.name === 'model-cache');
    expect(cache.emptyDir.sizeLimit).toMatch(/^\d+Gi$/);
    const joined = [...(init.command ?? []), ...Object.values(envOf(init))].join(' ');
    expect(joined).toContain('az storage blob download-batch --auth-mode login');
    expect(envOf(init).MODEL_PATH).toBe('llm/llama-70b-hf');
    // Staged in the cache volume beside the destination: the final move is a rename, not a copy through /tmp.
    expect(envOf(init).MODEL_STAGING).toBe('/models/model.staging');
    expect(restrictedPssProblems(pod)).toEqual([]);
    // Every container sets each variable once (the store's client env merged with the tool's).
    for (const c of [...pod.initContainers, ...pod.containers]) {
      const names = c.env.map((e: Json) => e.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  test('vLLM probes: startup and readiness on /health, liveness on the socket (never fails from load); caches in /tmp', () => {
    expect(server.startupProbe.httpGet.path).toBe('/health');
    expect(server.readinessProbe.httpGet.path).toBe('/health');
    expect(server.livenessProbe).toEqual({ tcpSocket: { port: 'http' }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 });
    expect(server.readinessProbe.periodSeconds).toBeLessThan(server.livenessProbe.periodSeconds);
    expect(envOf(server)).toMatchObject({ HOME: '/tmp', HF_HUB_OFFLINE: '1', VLLM_NO_USAGE_STATS: '1' });
    expect(pod.volumes.find((v: Json) => v.name === 'shm').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '10Gi' });
  });

  test('KEDA scales on vllm:num_requests_waiting of the stable Service', () => {
    expect(() => validateAll(objects)).not.toThrow();
    const so = byKind(objects, 'ScaledObject');
    expect(so.spec.triggers[0].metadata.query).toBe(`sum(vllm:num_requests_waiting{namespace="inference",service="${b.endpoint.name}"})`);
  });
});

describe('vLLM with an API key', () => {
  test('the key file from the secret manager becomes VLLM_API_KEY; the value is never in the pod spec', () => {
    const b = build('aws', () => ({ runtime: 'vllm', image: undefined, auth: { apiKey: true } }));
    const server = byKind(endpointObjects(b), 'Deployment').spec.template.spec.containers[0];
    expect(server.command[0]).toBe('/bin/sh');
    expect(server.command[2]).toBe('VLLM_API_KEY="$(head -n 1 /var/run/secrets/aiinfra/api-keys)"; export VLLM_API_KEY; exec python3 -m vllm.entrypoints.openai.api_server "$@"');
    expect(envOf(server).VLLM_API_KEY).toBeUndefined();
    expect(server.args[0]).toBe('--model');
  });

  test('vllmArgs adds pipeline stages when tensor parallel is smaller than the GPUs', () => {
    expect(vllmArgs({ modelPath: '/m', servedModelName: 'm', port: 8000, tensorParallelSize: 4, pipelineParallelSize: 2, precision: 'fp16', quantization: 'none' }))
      .toEqual(['--model', '/m', '--served-model-name', 'm', '--host', '0.0.0.0', '--port', '8000', '--tensor-parallel-size', '4',
        '--pipeline-parallel-size', '2', '--dtype', 'float16', '--gpu-memory-utilization', '0.90']);
  });
});

describe('model fit arithmetic', () => {
  test('bf16 7B on one 24 GiB GPU fits; 13B does not; AWQ 4-bit 30B fits 2 x 24 GiB', () => {
    expect(checkModelFits(7e9, 'bf16', 'none', 'l4', 24, 1).fits).toBe(true);
    const big = checkModelFits(13e9, 'bf16', 'none', 'l4', 24, 1);
    expect(big.fits).toBe(false);
    expect(big.budgetGiB).toBeCloseTo(19.2);
    expect(big.weightsGiB).toBeCloseTo(24.2, 1);
    expect(checkModelFits(30e9, 'bf16', 'awq', 'l4', 24, 2).fits).toBe(true);
  });
});

describe('autoscaling', () => {
  test('scale to zero with schedule windows: KEDA min 0, queue depth while up, cron windows hold replicas', () => {
    const b = build('azure', () => ({
      monitoring: { prometheusQueryUrl: PROM },
      autoscaling: { scaleToZero: true, targetQueueDepth: 8, cooldownSeconds: 900 },
      replicas: { max: 6 },
      schedule: [{ start: '0 8 * * 1-5', end: '0 20 * * 1-5', timezone: 'Europe/Berlin', replicas: 2 }, { start: '0 10 * * 6', end: '0 14 * * 6' }],
      exposure: { gatewayClassName: 'internal-gateway' },
    }));
    const objects = endpointObjects(b);
    expect(() => validateAll(objects)).not.toThrow();
    const so = byKind(objects, 'ScaledObject');
    expect(so.spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 6, cooldownPeriod: 900 });
    expect(so.spec.fallback).toBeUndefined();
    // One ScaledObject: the activator's request trigger (wakes it from zero) beside queue depth and the windows.
    expect(so.spec.triggers.map((t: Json) => [t.type, t.name])).toEqual([
      ['external-push', 'http-requests'], ['prometheus', 'queue-depth'], ['cron', 'window-0'], ['cron', 'window-1'],
    ]);
    expect(so.spec.triggers[1].metadata.threshold).toBe('8');
    expect(so.spec.triggers[2].metadata).toEqual({ timezone: 'Europe/Berlin', start: '0 8 * * 1-5', end: '0 20 * * 1-5', desiredReplicas: '2' });
    expect(so.spec.triggers[3].metadata).toEqual({ timezone: 'UTC', start: '0 10 * * 6', end: '0 14 * * 6', desiredReplicas: '1' });
    expect(byKind(objects, 'Deployment', b.endpoint.name).spec.replicas).toBeUndefined();
    expect(objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
    // KEDA is installed once per cluster and the endpoint's release waits for it.
    const json = synthJson(b.stack);
    const keda = resources(json, 'helm_release').filter((r) => r.chart === 'keda');
    expect(keda).toHaveLength(1);
    expect(keda[0]).toMatchObject({ repository: 'https://kedacore.github.io/charts', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    const mine = resources(json, 'helm_release').find((r) => r.name === b.endpoint.name) as Json;
    expect(mine.depends_on.some((d: string) => /Keda/.test(d))).toBe(true);
  });

  test('a wake query wakes a scaled-to-zero endpoint without a schedule', () => {
    const b = build('aws', () => ({
      monitoring: { prometheusQueryUrl: PROM }, autoscaling: { scaleToZero: true, wakeQuery: 'sum(rate(lb_requests_total[1m]))' },
    }));
    const so = byKind(endpointObjects(b), 'ScaledObject');
    expect(so.spec.triggers[2]).toEqual({ type: 'prometheus', name: 'wake', metadata: { serverAddress: PROM, query: 'sum(rate(lb_requests_total[1m]))', threshold: '1', activationThreshold: '0' } });
  });

  test('two endpoints on one cluster share one KEDA release', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const { FakeGpuCluster } = require('../k8s/fake-cluster') as typeof import('../k8s/fake-cluster');
    const { pools } = require('./helpers') as typeof import('./helpers');
    const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS.gcp(), pools: pools('gcp') });
    const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS.gcp() });
    for (const id of ['a', 'b']) {
      new InferenceEndpoint(stack, id, { cluster, model: models.model(id), image: 'ghcr.io/acme/server:1.0.0', monitoring: { prometheusQueryUrl: PROM } });
    }
    const releases = resources(synthJson(stack), 'helm_release');
    expect(releases.filter((r) => r.chart === 'keda')).toHaveLength(1);
  });

  test('a schedule without a Prometheus: KEDA with the cpu scaler and the cron windows, no fallback', () => {
    const b = build('aws', () => ({ schedule: [{ start: '0 7 * * *', end: '0 19 * * *' }] }));
    const objects = endpointObjects(b);
    expect(() => validateAll(objects)).not.toThrow();
    const so = byKind(objects, 'ScaledObject');
    expect(so.spec.triggers).toEqual([
      { type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: '70' } },
      { type: 'cron', name: 'window-0', metadata: { timezone: 'UTC', start: '0 7 * * *', end: '0 19 * * *', desiredReplicas: '2' } },
    ]);
    expect(so.spec.fallback).toBeUndefined();
    expect(so.spec.minReplicaCount).toBe(2);
  });

  test('metric "none": a fixed replica count and no autoscaler', () => {
    const b = build('gcp', () => ({ autoscaling: { metric: 'none' }, replicas: { min: 3 } }));
    const objects = endpointObjects(b);
    expect(byKind(objects, 'Deployment').spec.replicas).toBe(3);
    expect(objects.some((o) => o.kind === 'ScaledObject' || o.kind === 'HorizontalPodAutoscaler')).toBe(false);
  });
});

describe('metrics for the MonitoringStack', () => {
  test('PromQL over the endpoint\'s ServiceMonitor series, per runtime', () => {
    const builtin = build('aws').endpoint;
    const sel = `namespace="inference",service="${builtin.name}"`;
    expect(builtin.selector()).toBe(sel);
    expect(builtin.metricLatencyP95()).toBe(`histogram_quantile(0.95, sum by (le) (rate(aiinfra_server_request_duration_seconds_bucket{${sel}}[5m])))`);
    expect(builtin.metricTimeToFirstToken(0.99, '10m')).toBe(`histogram_quantile(0.99, sum by (le) (rate(aiinfra_server_time_to_first_token_seconds_bucket{${sel}}[10m])))`);
    expect(builtin.metricErrorRatio()).toBe(`sum(rate(aiinfra_server_requests_total{${sel},code=~"5..|429"}[5m])) / sum(rate(aiinfra_server_requests_total{${sel}}[5m]))`);
    expect(builtin.metricQueueDepth()).toBe(`sum(aiinfra_server_queue_depth{${sel}})`);
    const vllm = build('aws', () => ({ runtime: 'vllm', image: undefined })).endpoint;
    expect(vllm.metricLatencyP95()).toContain('vllm:e2e_request_latency_seconds_bucket');
    expect(vllm.metricErrorRatio()).toContain('http_requests_total');
    expect(vllm.metricKvCacheUsage()).toContain('vllm:kv_cache_usage_perc');
  });
});

describe('builtin runtime image', () => {
  test('without an image the bundled server image is built, pushed to the cloud registry, and the release waits for the push', () => {
    const b = build('aws', () => ({ image: undefined }));
    const server = byKind(endpointObjects(b), 'Deployment').spec.template.spec.containers[0];
    expect(server.image).toMatch(/__AIINFRA_TF_PLACEHOLDER_\d+__/);
    const json = synthJson(b.stack);
    expect(Object.keys(json.resource)).toEqual(expect.arrayContaining(['aws_ecr_repository', 'docker_registry_image']));
    const repo = resources(json, 'aws_ecr_repository')[0];
    expect(repo.name).toMatch(/\/aiinfra-server$/);
    const mine = resources(json, 'helm_release').find((r) => r.name === b.endpoint.name) as Json;
    expect(mine.depends_on.some((d: string) => /docker_registry_image/.test(d))).toBe(true);
  });
});

describe('no cluster given', () => {
  test('a small serving cluster with one on-demand pool of the endpoint\'s GPU, scaling from zero', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const cloud = CLOUDS.gcp();
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    const ep = new InferenceEndpoint(stack, 'chat', {
      cloud, model: models.model('research/gpt-1b', { parameterCount: 1_210_000_000 }), image: 'ghcr.io/acme/server:1.0.0', replicas: { min: 2, max: 3 },
    });
    expect(ep.cluster.node.path).toBe('platform/chat/Cluster');
    expect(ep.cluster.gpuPools).toHaveLength(1);
    expect(ep.cluster.gpuPools[0]).toMatchObject({ gpu: 'l4', gpusPerNode: 1, maxNodes: 4 });
    expect(ep.pool.nodeSelector).toEqual(ep.cluster.gpuPools[0].nodeSelector);
    const pod = byKind(endpointObjects({ app, stack, endpoint: ep } as never), 'Deployment').spec.template.spec;
    expect(pod.nodeSelector).toEqual(ep.cluster.gpuPools[0].nodeSelector);
    expect(Object.keys(synthJson(stack).resource)).toContain('google_container_cluster');
  });

  test('on Azure (no L4) the default serving GPU is the A10', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const cloud = CLOUDS.azure();
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    const ep = new InferenceEndpoint(stack, 'chat', { cloud, model: models.model('m'), image: 'ghcr.io/acme/server:1.0.0' });
    expect(ep.pool.gpu).toBe('a10g');
  });
});

describe('monitoring', () => {
  test('the endpoint registers itself with its SLO and waits for the monitoring stack\'s releases (CRDs)', () => {
    const { Construct } = require('constructs') as typeof import('constructs');
    const { Release } = require('@cdktf/provider-helm/lib/release') as typeof import('@cdktf/provider-helm/lib/release');
    const calls: { target: unknown; options: unknown }[] = [];
    let monitoringRelease: InstanceType<typeof Release> | undefined;
    const b = build('aws', ({ cluster }) => {
      class FakeMonitoring extends Construct {
        public readonly prometheusQueryUrl = PROM;
        public readonly scraperNamespace = 'observability';
        public readonly serviceMonitorLabels = { release: 'kps' };
        public watch(target: unknown, options?: unknown): void {
          calls.push({ target, options });
        }
      }
      const mon = new FakeMonitoring(cluster.node.scope as InstanceType<typeof Construct>, 'obs');
      monitoringRelease = new Release(mon, 'Kps', { provider: cluster.helmProvider, name: 'kps', chart: 'kube-prometheus-stack' });
      return { monitoring: mon, slo: { latencyP95Seconds: 4, availability: 0.995 } };
    });
    expect(calls).toEqual([{ target: b.endpoint, options: { latencyP95Seconds: 4, ttftP95Seconds: undefined, availability: 0.995 } }]);
    const objects = endpointObjects(b);
    expect(byKind(objects, 'ServiceMonitor').metadata.labels.release).toBe('kps');
    const np = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === b.endpoint.name) as Json;
    expect(np.spec.ingress[1].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('observability');
    const mine = resources(synthJson(b.stack), 'helm_release').find((r) => r.name === b.endpoint.name) as Json;
    expect(mine.depends_on).toContain(`helm_release.${(monitoringRelease as InstanceType<typeof Release>).friendlyUniqueId}`);
    expect(b.endpoint.scaling.kind).toBe('keda');
  });
});

describe('NetworkPolicy sources', () => {
  test('allowedCidrs replace the defaults; an empty list admits only the scraper (never every source)', () => {
    const narrow = build('aws', () => ({ exposure: { allowedCidrs: ['10.20.0.0/16'] } }));
    const np = (b: typeof narrow) => endpointObjects(b).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === b.endpoint.name) as Json;
    expect(np(narrow).spec.ingress[0].from).toEqual([{ ipBlock: { cidr: '10.20.0.0/16' } }]);
    const none = build('aws', () => ({ exposure: { allowedCidrs: [] } }));
    expect(np(none).spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 8000 }] },
    ]);
  });

  test('a public GKE gateway admits Google\'s front ends and health checkers', () => {
    const b = build('gcp', () => ({ exposure: { type: 'public', domainName: 'chat.example.com' } }));
    const np = endpointObjects(b).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === b.endpoint.name) as Json;
    expect(np.spec.ingress[0].from).toEqual([{ ipBlock: { cidr: '35.191.0.0/16' } }, { ipBlock: { cidr: '130.211.0.0/22' } }]);
  });

  test('pods may reach the node-local credential endpoint of the cloud\'s workload identity', () => {
    const egress = (cloud: CloudName) => endpointObjects(build(cloud)).filter((o) => o.kind === 'NetworkPolicy' && /identity-egress$/.test(o.metadata.name));
    expect(egress('aws')[0].spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] }]);
    expect(egress('gcp')[0].spec.egress).toHaveLength(2);
    expect(egress('azure')).toEqual([]);
  });
});

describe('import', () => {
  test('fromEndpointAttributes gives the same PromQL and URL as the endpoint it stands for', () => {
    const b = build('gcp', () => ({ runtime: 'vllm', image: undefined }));
    const imported = InferenceEndpoint.fromEndpointAttributes(b.stack, 'Imported', {
      cluster: b.cluster, name: b.endpoint.name, runtime: 'vllm',
    });
    expect(imported.metricLatencyP95()).toBe(b.endpoint.metricLatencyP95());
    expect(imported.metricQueueDepth()).toBe(b.endpoint.metricQueueDepth());
    expect(imported.url).toBe(b.endpoint.url);
    expect(() => InferenceEndpoint.fromEndpointAttributes(b.stack, 'Bad', { cluster: b.cluster, name: 'Not_A_Label' }))
      .toThrow(/platform\/Bad: invalid name = "Not_A_Label"/);
  });
});

describe('ServiceMonitor', () => {
  test('a managed monitoring backend scrapes through its own objects: no ServiceMonitor; serviceMonitor: true forces one', () => {
    const managed = endpointObjects(build('gcp', () => ({ monitoring: { backend: 'managed' } })));
    expect(managed.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    const forced = endpointObjects(build('gcp', () => ({ serviceMonitor: true })));
    expect(byKind(forced, 'ServiceMonitor').spec.endpoints[0].port).toBe('http');
  });
});
