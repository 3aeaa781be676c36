// The endpoint with the library's real cluster and monitoring stack, on each cloud: it lands on the
// cluster's GPU pool, scales on queue depth from the stack's Prometheus, is watched by the stack (SLO
// alert rules), and the whole stack synthesizes.
import { TerraformStack, Testing } from 'cdktf';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { Gpu } from '../../src/core/gpu';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { manifestsOf } from '../k8s/validate';
import { byKind, CLOUDS, CloudName, Json, resources, synthJson } from './helpers';

describe.each(Object.keys(CLOUDS) as CloudName[])('%s with GpuTrainingCluster and MonitoringStack', (cloudName) => {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'platform');
  const cloud = CLOUDS[cloudName]();
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
  const monitoring = new MonitoringStack(stack, 'obs', { cluster });
  const endpoint = new InferenceEndpoint(stack, 'chat', {
    cluster, monitoring, image: 'ghcr.io/acme/aiinfra-server:0.1.0',
    model: models.model('checkpoints/pretrain', { parameterCount: 1_210_000_000, select: 'best' }),
    slo: { latencyP95Seconds: 8, availability: 0.995 },
  });
  const objects = manifestsOf(endpoint.workload);
  const json = synthJson(stack);

  test('the replicas land on the H100 pool with its labels and taints', () => {
    const pod = byKind(objects, 'Deployment').spec.template.spec;
    expect(pod.nodeSelector).toEqual(cluster.gpuPools[0].nodeSelector);
    for (const t of cluster.gpuPools[0].taints) expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: t.key, effect: t.effect }));
  });

  test('KEDA scales on queue depth from the stack\'s Prometheus; the NetworkPolicy admits its namespace', () => {
    expect(endpoint.scaling.kind).toBe('keda');
    const so = byKind(objects, 'ScaledObject');
    expect(so.spec.triggers[0].metadata.serverAddress).toBe(monitoring.prometheusQueryUrl);
    const np = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === endpoint.name) as Json;
    expect(JSON.stringify(np.spec.ingress)).toContain(`"kubernetes.io/metadata.name":"${monitoring.scraperNamespace}"`);
  });

  test('the monitoring stack watches the endpoint: SLO rules name it', () => {
    const all = JSON.stringify(manifestsOf(stack));
    expect(all).toContain(endpoint.name);
    expect(all).toMatch(/aiinfra_server_request_duration_seconds/);
  });

  test('the endpoint release waits for the monitoring releases (ServiceMonitor CRD)', () => {
    const mine = resources(json, 'helm_release').find((r) => r.name === endpoint.name) as Json;
    expect(mine.depends_on.some((d: string) => /obs/.test(d))).toBe(true);
  });
});

describe('tenant', () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'platform');
  const cloud = CLOUDS.gcp();
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
  const team = cluster.addTenant('research', { gpuQuota: 8, bucketPrefix: 'research/' });
  const endpoint = new InferenceEndpoint(stack, 'chat', {
    cluster, tenant: team, image: 'ghcr.io/acme/aiinfra-server:0.1.0', model: models.model('research/gpt-1b', { parameterCount: 1_210_000_000 }),
  });

  test('lands in the tenant\'s namespace, after the tenant\'s release (not a shared namespace)', () => {
    expect(endpoint.namespace).toBe(team.namespace);
    const objects = manifestsOf(endpoint.workload);
    expect(byKind(objects, 'Deployment').metadata.namespace).toBe(team.namespace);
    const releases = resources(synthJson(stack), 'helm_release');
    const mine = releases.find((r) => r.name === endpoint.name) as Json;
    expect(mine.namespace).toBe(team.namespace);
    expect(mine.depends_on).toContain(`helm_release.${team.workload.release.friendlyUniqueId}`);
    expect(mine.depends_on.some((d: string) => /Namespace-inference/.test(d))).toBe(false);
  });

  test('a model outside the tenant\'s prefix is refused', () => {
    expect(() => new InferenceEndpoint(stack, 'other', {
      cluster, tenant: team, image: 'ghcr.io/acme/aiinfra-server:0.1.0', model: models.model('finance/llm'),
    })).toThrow(/platform\/other: invalid model = "finance\/llm"\. Allowed: a prefix inside tenant research/);
  });
});

describe('two stacks: an endpoint on a cluster and bucket imported from the infra stack', () => {
  test.each(Object.keys(CLOUDS) as CloudName[])('%s', (cloudName) => {
    const app = Testing.app();
    const cloud = CLOUDS[cloudName]();
    const infra = new TerraformStack(app, 'infra');
    const realModels = new ModelBackupBucket(infra, 'models', { cloud });
    const realCluster = new GpuTrainingCluster(infra, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    const workloads = new TerraformStack(app, 'workloads');
    const cluster = GpuTrainingCluster.fromClusterAttributes(workloads, 'train', realCluster.attributes);
    const models = ModelBackupBucket.fromBucketAttributes(workloads, 'models', {
      cloud, bucketName: realModels.bucketName, storageAccountName: realModels.azure?.storageAccount.name, storageAccountId: realModels.azure?.storageAccount.id,
    });
    const endpoint = new InferenceEndpoint(workloads, 'chat', {
      cluster, image: 'ghcr.io/acme/aiinfra-server:0.1.0', model: models.model('research/gpt-1b', { preset: 'gpt-1b' }),
    });
    const objects = manifestsOf(endpoint.workload);
    expect(byKind(objects, 'Deployment').spec.template.spec.nodeSelector).toEqual(realCluster.gpuPools[0].nodeSelector);
    const json = synthJson(workloads);
    expect(resources(json, 'helm_release').some((r) => r.name === endpoint.name)).toBe(true);
    // The endpoint's identity and grants live in the workloads stack.
    expect(JSON.stringify(json.resource)).toContain('chat_Identity');
  });
});
