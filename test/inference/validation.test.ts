// Bad props throw InvalidPropError (construct path, prop, value, what is allowed) before any child is
// created; risky but valid choices are warnings.
import { TerraformStack, Testing } from 'cdktf';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { Gpu } from '../../src/core/gpu';
import { InvalidPropError } from '../../src/core/errors';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { InferenceEndpointProps } from '../../src/inference/types';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { CLOUDS, CloudName, Json, pools, SERVER_IMAGE } from './helpers';

const PROM = 'http://prometheus-operated.monitoring.svc:9090';

function attempt(cloud: CloudName, props: (m: ModelBackupBucket) => Json): { error?: unknown; endpointChildren: string[]; stack: TerraformStack } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'platform');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS[cloud](), pools: pools(cloud) });
  const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS[cloud]() });
  let error: unknown;
  try {
    new InferenceEndpoint(stack, 'chat', {
      cluster, model: models.model('research/gpt-1b', { parameterCount: 1_210_000_000 }), image: SERVER_IMAGE, ...props(models),
    } as InferenceEndpointProps);
  } catch (e) {
    error = e;
  }
  const ep = stack.node.tryFindChild('chat');
  return { error, stack, endpointChildren: ep ? ep.node.children.map((c) => c.node.id) : [] };
}

function expectInvalid(cloud: CloudName, props: (m: ModelBackupBucket) => Json, prop: string, allowed: RegExp): InvalidPropError {
  const { error, endpointChildren } = attempt(cloud, props);
  expect(error).toBeInstanceOf(InvalidPropError);
  const e = error as InvalidPropError;
  expect(e.constructPath).toBe('platform/chat');
  expect(e.prop).toBe(prop);
  expect(e.message).toMatch(allowed);
  // Nothing was created before the error.
  expect(endpointChildren).toEqual([]);
  return e;
}

describe('InferenceEndpoint bad props', () => {
  test('a model larger than the GPUs of one replica: the numbers are in the message', () => {
    const e = expectInvalid('aws', (m) => ({ model: m.model('llm/70b', { parameterCount: 70_000_000_000 }) }), 'model',
      /70\.00B parameters x 2 bytes \(bf16\) = 130\.4 GiB of weights; 1 x l4 = 24 GiB, of which 80% \(19\.2 GiB\)/);
    expect(String(e.value)).toMatch(/^s3:\/\/.+\/llm\/70b$/);
  });

  test('the same 70B model fits 8 x H100 with vLLM tensor parallel (no error)', () => {
    const { error } = attempt('aws', (m) => ({
      model: m.model('llm/70b', { parameterCount: 70_000_000_000 }), runtime: 'vllm', gpu: Gpu.H100_80GB, gpusPerReplica: 8, monitoring: { prometheusQueryUrl: PROM },
      replicas: { min: 2, max: 2 }, // the h100 pool holds 2 x 8 GPUs
    }));
    expect(error).toBeUndefined();
  });

  test('int8 halves the weights, and a 30B model (27.9 GiB) still does not fit one L4 (19.2 GiB budget)', () => {
    expectInvalid('gcp', (m) => ({ model: m.model('llm/30b', { parameterCount: 30_000_000_000 }), quantization: 'int8' }), 'model',
      /30\.00B parameters x 1 bytes \(int8\) = 27\.9 GiB/);
  });

  test('a trainer preset gives the parameter count for the fit check', () => {
    expect(attempt('aws', (m) => ({ model: m.model('research/gpt-3b', { preset: 'gpt-3b' }), precision: 'fp32' })).error).toBeUndefined();
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const small = { ...pools('aws')[0], name: 'small', gpuMemoryGiB: 8 };
    const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS.aws(), pools: [small] });
    const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS.aws() });
    expect(() => new InferenceEndpoint(stack, 'chat', { cluster, model: models.model('m', { preset: 'gpt-3b' }), image: SERVER_IMAGE, precision: 'fp32' }))
      .toThrow(/2\.97B parameters x 4 bytes \(fp32\) = 11\.1 GiB of weights; 1 x l4 = 8 GiB/);
  });

  test('a trainer checkpoint on vLLM, and a context longer than the preset\'s', () => {
    // vLLM serves a trainer checkpoint through its export: bf16/fp16/fp32 weights, never AWQ/GPTQ.
    expectInvalid('aws', (m) => ({ runtime: 'vllm', model: m.model('research/gpt-1b', { preset: 'gpt-1b' }), quantization: 'awq' }), 'quantization',
      /none or fp8 for the trainer checkpoint model \(preset gpt-1b\).*awq needs a checkpoint quantized that way/);
    expectInvalid('aws', (m) => ({ model: m.model('research/gpt-1b', { preset: 'gpt-1b' }), maxModelLength: 4096 }), 'maxModelLength',
      /at most 2048 \(the context length of gpt-1b\)/);
  });

  test('a registry model that does not fit is rejected too', () => {
    expectInvalid('gcp', (m) => ({ model: m.registry('chat-model', { parameterCount: 70_000_000_000 }) }), 'model', /130\.4 GiB of weights/);
  });

  test('gateway annotations must be Kubernetes annotations', () => {
    expectInvalid('gcp', () => ({ exposure: { gateway: true, gatewayAnnotations: { 'bad key!': 'x' } } }), 'exposure.gatewayAnnotations.bad key!', /a Kubernetes annotation/);
  });

  test('allowedCidrs must be IPv4 CIDRs', () => {
    expectInvalid('aws', () => ({ exposure: { allowedCidrs: ['10.0.0.0'] } }), 'exposure.allowedCidrs[0]', /an IPv4 CIDR/);
  });

  test('vLLM tensor parallel size that does not divide the GPUs per replica', () => {
    expectInvalid('aws', () => ({ runtime: 'vllm', gpu: Gpu.H100_80GB, gpusPerReplica: 6, tensorParallelSize: 4 }), 'tensorParallelSize',
      /Allowed: a divisor of gpusPerReplica \(6\): 1, 2, 3, 6/);
  });

  test('more GPUs per replica than one node of the pool has', () => {
    expectInvalid('aws', () => ({ runtime: 'vllm', gpusPerReplica: 2 }), 'gpusPerReplica', /an integer >= 1 and <= 1/);
  });

  test('minReplicas > maxReplicas', () => {
    expectInvalid('azure', () => ({ replicas: { min: 5, max: 3 } }), 'replicas', /min <= max \(min 5 > max 3\)/);
  });

  test('public exposure without TLS', () => {
    expectInvalid('aws', () => ({ exposure: { type: 'public', domainName: 'chat.example.com', tls: false } }), 'exposure.tls',
      /a public endpoint always terminates TLS/);
  });

  test('public exposure without a domain name (no certificate possible)', () => {
    expectInvalid('gcp', () => ({ exposure: { type: 'public' } }), 'exposure.domainName', /TLS needs a certificate for a host name/);
  });

  test('public exposure without an API key', () => {
    expectInvalid('gcp', () => ({ exposure: { type: 'public', domainName: 'chat.example.com' }, auth: { apiKey: false } }), 'auth.apiKey',
      /always requires an API key/);
  });

  test('public Azure endpoint without a cert-manager issuer', () => {
    expectInvalid('azure', () => ({ exposure: { type: 'public', domainName: 'chat.example.com' }, auth: { keyVaultNetwork: { allowedIpRanges: ['203.0.113.7'] } } }), 'exposure.certificate.certManagerClusterIssuer',
      /cert-manager ClusterIssuer/);
  });

  test('an Azure API key vault with no network admitted (it denies all others)', () => {
    expectInvalid('azure', () => ({ auth: { apiKey: true } }), 'auth.keyVaultNetwork', /allowedSubnetIds \(the AKS node subnets/);
    expectInvalid('azure', () => ({ auth: { apiKey: true, keyVaultNetwork: { allowedIpRanges: ['not-an-ip'] } } }), 'auth.keyVaultNetwork.allowedIpRanges[0]', /an IPv4 address or CIDR/);
    expectInvalid('aws', () => ({ auth: { apiKey: true, keyVaultNetwork: { allowedIpRanges: ['1.2.3.4'] } } }), 'auth.keyVaultNetwork', /Azure Key Vault only/);
  });

  test('a certificate kind the cloud\'s gateway cannot use', () => {
    expectInvalid('aws', () => ({ exposure: { type: 'public', domainName: 'chat.example.com', certificate: { certificateMapName: 'm' } } }),
      'exposure.certificate', /acmCertificateArn/);
  });

  test.each([-1, 101, 12.5])('the manual canary weight %p is gone: the error explains the migration', (weight) => {
    expectInvalid('gcp', () => ({ canary: { weight } }), 'canary.weight', /the manual canary .* is replaced by Flagger/);
  });

  test('a GPU type the cluster has no pool for', () => {
    expectInvalid('aws', () => ({ gpu: Gpu.A100_80GB }), 'gpu', /a GPU the cluster has a pool for: l4, h100-80gb/);
  });

  test('bf16 on a GPU without bf16', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const t4 = { ...pools('aws')[0], name: 't4', gpu: 't4', gpuMemoryGiB: 16 };
    const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS.aws(), pools: [t4] });
    const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS.aws() });
    expect(() => new InferenceEndpoint(stack, 'chat', { cluster, model: models.model('m'), image: SERVER_IMAGE, precision: 'bf16' }))
      .toThrow(/invalid precision = "bf16"\. Allowed: fp16 or fp32: t4 has no bf16 support/);
    // Without a precision the T4 default is fp16.
    const ok = new InferenceEndpoint(stack, 'chat2', { cluster, model: models.model('m'), image: SERVER_IMAGE });
    expect(ok.precision).toBe('fp16');
  });

  test('a quantization the runtime does not support', () => {
    expectInvalid('aws', () => ({ runtime: 'builtin', quantization: 'awq' }), 'quantization', /none, int8 with runtime "builtin" \(awq runs on runtime "vllm"\)/);
    expectInvalid('aws', () => ({ runtime: 'vllm', quantization: 'int8' }), 'quantization', /none, fp8, awq, gptq with runtime "vllm" \(int8 is the builtin server's/);
  });

  test('the builtin server runs on one GPU', () => {
    expectInvalid('aws', () => ({ runtime: 'builtin', gpu: Gpu.H100_80GB, gpusPerReplica: 2 }), 'gpusPerReplica', /1 with runtime "builtin"/);
  });

  test('replicas.min 0 needs scaleToZero; scaleToZero needs KEDA, a gateway, and its activator props need it', () => {
    expectInvalid('aws', () => ({ replicas: { min: 0 } }), 'replicas.min', /set autoscaling.scaleToZero/);
    expectInvalid('aws', () => ({ autoscaling: { scaleToZero: true, metric: 'cpu' } }), 'autoscaling.metric', /unset or "none" with scaleToZero/);
    // The activator is reached from the endpoint's HTTPRoute: no gateway, no activator.
    expectInvalid('aws', () => ({ autoscaling: { scaleToZero: true }, exposure: { gateway: false } }), 'exposure.gateway', /scale-to-zero endpoints/);
    expectInvalid('aws', () => ({ autoscaling: { coldStartTimeoutSeconds: 900 } }), 'autoscaling.coldStartTimeoutSeconds', /only with autoscaling.scaleToZero/);
    expectInvalid('aws', () => ({ autoscaling: { targetConcurrency: 8 } }), 'autoscaling.targetConcurrency', /only with autoscaling.scaleToZero/);
    // Without a window or a Prometheus it is valid now: a request at zero wakes it through the activator.
    expect(attempt('aws', () => ({ autoscaling: { scaleToZero: true } })).error).toBeUndefined();
  });

  test('queue autoscaling without a Prometheus', () => {
    expectInvalid('gcp', () => ({ autoscaling: { metric: 'queue' } }), 'autoscaling.prometheusUrl',
      /a Prometheus URL \(or a monitoring stack with prometheusQueryUrl\).*managed monitoring backends .* expose no query URL/);
  });

  test('a schedule window with a bad cron expression', () => {
    expectInvalid('gcp', () => ({ schedule: [{ start: '8am', end: '0 20 * * 1-5' }], monitoring: { prometheusQueryUrl: PROM } }), 'schedule[0].start',
      /a 5-field cron expression/);
  });

  test('an unpinned image', () => {
    expectInvalid('aws', () => ({ image: 'ghcr.io/acme/server:latest' }), 'image', /not ':latest'/);
    expectInvalid('aws', () => ({ image: 'ghcr.io/acme/server' }), 'image', /with a tag or digest/);
  });

  test('a model in another cloud\'s store', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS.aws(), pools: pools('aws') });
    const gcs = new ModelBackupBucket(stack, 'gcs', { cloud: CLOUDS.gcp() });
    expect(() => new InferenceEndpoint(stack, 'chat', { cluster, model: gcs.model('m'), image: SERVER_IMAGE }))
      .toThrow(/invalid model = "gs:\/\/.*"\. Allowed: a model in a store of the cluster's cloud \(aws us-east-1\)/);
  });

  test('an internal Azure canary needs a Gateway class with a private frontend', () => {
    expectInvalid('azure', () => ({ canary: {}, monitoring: { prometheusQueryUrl: PROM } }), 'exposure.gatewayClassName', /private frontend/);
  });

  test('no cluster and no cloud', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS.aws() });
    expect(() => new InferenceEndpoint(stack, 'chat', { model: models.model('m'), image: SERVER_IMAGE }))
      .toThrow(/platform\/chat: invalid cluster = undefined\. Allowed: an IGpuCluster .* or `cloud` to make a serving cluster/);
  });

  // Issue 16: parameterCount is a raw count; a shorthand would pass the fit check.
  test('a parameterCount written short (7 for 7B) or contradicting its preset is an error', () => {
    expectInvalid('aws', (m) => ({ runtime: 'vllm', model: m.model('llm/llama-7b', { parameterCount: 7 }), monitoring: { prometheusQueryUrl: PROM } }),
      'model.parameterCount', /invalid model\.parameterCount = 7\. Allowed: a raw parameter count such as 7_000_000_000 for a 7B model/);
    expectInvalid('aws', (m) => ({ model: m.registry('chat-model', { parameterCount: 70 }) }), 'model.parameterCount', /looks like billions/);
    expectInvalid('aws', () => ({ model: { image: 'ghcr.io/acme/chat:1.0.0', modelPath: '/models/chat', parameterCount: 13 } }), 'model.parameterCount', /raw parameter count/);
    expectInvalid('aws', (m) => ({ model: m.model('research/gpt-1b', { preset: 'gpt-1b', parameterCount: 1_000_000 }) }), 'model.parameterCount',
      /about 1\.14B \(1141204992, the count of preset gpt-1b\)/);
    // The preset's own count, or one near it, is fine.
    expect(attempt('aws', (m) => ({ model: m.model('research/gpt-1b', { preset: 'gpt-1b', parameterCount: 1_210_000_000 }) })).error).toBeUndefined();
  });

  // Issue 16: replicas only land on the chosen pool.
  test('a replicas.max the serving pool can never hold', () => {
    // l4 pool: 8 nodes x 1 GPU
    expectInvalid('aws', () => ({ replicas: { min: 2, max: 20 } }), 'replicas.max', /at most 8: pool l4 holds 8 x 1 = 8 l4 GPUs and each replica takes 1/);
    expectInvalid('aws', () => ({ runtime: 'vllm', gpu: Gpu.H100_80GB, gpusPerReplica: 4, replicas: { min: 2, max: 5 }, monitoring: { prometheusQueryUrl: PROM } }),
      'replicas.max', /at most 4: pool h100 holds 2 x 8 = 16 h100-80gb GPUs and each replica takes 4/);
    expect(attempt('aws', () => ({ replicas: { min: 2, max: 8 } })).error).toBeUndefined();
  });

  test('a tenant endpoint may only serve models under the tenant\'s prefix', () => {
    const tenant = {
      namespace: 'research',
      checkPrefix(scope: unknown, prop: string, prefix: string) {
        if (!prefix.startsWith('research/')) throw new InvalidPropError(scope as string, prop, prefix, 'a path under research/');
      },
    };
    expect(attempt('aws', (m) => ({ tenant, model: m.model('other-team/llm') })).error).toBeInstanceOf(InvalidPropError);
    expect(attempt('aws', () => ({ tenant })).error).toBeUndefined();
  });
});

describe('InferenceEndpoint warnings', () => {
  function warnings(stack: TerraformStack): string[] {
    return stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
  }

  test('a parameterCount under 10M without a preset warns (a tiny model is possible, but rare on a GPU)', () => {
    const { error, stack } = attempt('aws', (m) => ({ model: m.model('llm/tiny', { parameterCount: 7_000 }) }));
    expect(error).toBeUndefined();
    expect(warnings(stack).join('\n')).toMatch(/model\.parameterCount is 7000 \(7000\), a very small model .*write the full count \(7_000_000_000 for 7B\)/);
    expect(warnings(attempt('aws', (m) => ({ model: m.model('llm/7b', { parameterCount: 7_000_000_000 }), gpu: Gpu.H100_80GB })).stack).join('\n')).not.toMatch(/parameterCount/);
  });

  test('a single replica without scaleToZero', () => {
    const { error, stack } = attempt('aws', () => ({ replicas: { min: 1, max: 2 } }));
    expect(error).toBeUndefined();
    expect(warnings(stack).join('\n')).toMatch(/a single replica \(replicas.min = 1\) drops requests during node loss and rollouts/);
  });

  test('scale to zero on a public endpoint with an SLO', () => {
    const { error, stack } = attempt('gcp', () => ({
      exposure: { type: 'public', domainName: 'chat.example.com' }, monitoring: { prometheusQueryUrl: PROM },
      autoscaling: { scaleToZero: true }, schedule: [{ start: '0 8 * * 1-5', end: '0 20 * * 1-5' }], slo: { latencyP95Seconds: 5 },
    }));
    expect(error).toBeUndefined();
    expect(warnings(stack).join('\n')).toMatch(/scale-to-zero on a public endpoint with an SLO/);
  });

  test('the defaults warn about nothing', () => {
    const { stack } = attempt('aws', () => ({}));
    expect(warnings(stack)).toEqual([]);
  });
});

// Issue 16: scale-to-zero with a schedule works on every monitoring backend on every cloud (KEDA cron windows need
// no Prometheus); what cannot work is rejected once, with the one fix.
describe('scale to zero on every monitoring backend', () => {
  const { MonitoringStack } = require('../../src/monitoring/monitoring-stack') as typeof import('../../src/monitoring/monitoring-stack');
  const cases = (['aws', 'gcp', 'azure'] as const).flatMap((c) => (['managed', 'self-managed'] as const).map((b) => [c, b] as const));

  test.each(cases)('%s, %s backend: scaleToZero + a schedule makes a KEDA ScaledObject from 0 with cron windows', (cloud, backend) => {
    const stack = new TerraformStack(Testing.app(), 'platform');
    const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS[cloud](), pools: pools(cloud) });
    const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS[cloud]() });
    const monitoring = new MonitoringStack(stack, 'obs', { cluster, backend });
    const endpoint = new InferenceEndpoint(stack, 'chat', {
      cluster, model: models.model('llm/v1'), image: SERVER_IMAGE, monitoring,
      autoscaling: { scaleToZero: true }, schedule: [{ start: '0 8 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Berlin' }],
      // An internal Azure endpoint behind a gateway (the activator's route) needs a class with a private frontend.
      ...(cloud === 'azure' ? { exposure: { gatewayClassName: 'internal-gateway' } } : {}),
    });
    expect(endpoint.scaling).toMatchObject({ kind: 'keda', min: 0, scaleToZero: true, metric: backend === 'managed' ? 'none' : 'queue' });
    const scaled = endpoint.objects.find((o) => (o as { kind?: string }).kind === 'ScaledObject') as Json;
    expect(scaled.spec.minReplicaCount).toBe(0);
    expect(scaled.spec.triggers).toContainEqual(expect.objectContaining({ type: 'cron', metadata: expect.objectContaining({ start: '0 8 * * 1-5', timezone: 'Europe/Berlin' }) }));
  });

  test.each(['aws', 'gcp', 'azure'] as const)('%s managed backend: a wakeQuery is one error naming the fix', (cloud) => {
    const stack = new TerraformStack(Testing.app(), 'platform');
    const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS[cloud](), pools: pools(cloud) });
    const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS[cloud]() });
    const monitoring = new MonitoringStack(stack, 'obs', { cluster, backend: 'managed' });
    let err: unknown;
    try {
      new InferenceEndpoint(stack, 'chat', {
        cluster, model: models.model('llm/v1'), image: SERVER_IMAGE, monitoring, autoscaling: { scaleToZero: true, wakeQuery: 'sum(lb_requests) > 0' },
        ...(cloud === 'azure' ? { exposure: { gatewayClassName: 'internal-gateway' } } : {}),
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPropError);
    expect((err as InvalidPropError).prop).toBe('autoscaling.wakeQuery');
    expect((err as Error).message).toMatch(/managed monitoring backends .* expose no query URL.*Use schedule windows to wake the endpoint instead/);
  });
});

// Issue 16: a GPU/region pair outside the catalog is a warning annotation (what synth prints), also for the
// serving cluster an endpoint makes for itself.
test('a GPU the catalog does not know in the region warns on the serving cluster an endpoint makes', () => {
  const { Cloud } = require('../../src/core/cloud') as typeof import('../../src/core/cloud');
  const stack = new TerraformStack(Testing.app(), 'platform');
  const cloud = Cloud.aws({ region: 'af-south-1' });
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  new InferenceEndpoint(stack, 'chat', { cloud, model: models.model('llm/v1'), image: SERVER_IMAGE, gpu: Gpu.L4 });
  const warned = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => `${c.node.path}: ${String(m.data)}`));
  expect(warned).toContainEqual(expect.stringMatching(/^platform\/chat\/Cluster: gpuPools\[0\]: g6\.\S+ \(l4\) is not known to be offered in af-south-1; known regions: /));
});
