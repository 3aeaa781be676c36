// Bad input across the constructs: each case names the construct path, the prop, the value and what is
// allowed (InvalidPropError), and nothing is half-created: the stack holds the same Terraform resources and
// providers after the failed constructor as before it.
import { TerraformProvider, TerraformResource, TerraformStack, Testing } from 'cdktf';
import { Cloud, Gpu, GpuTrainingCluster, InferenceEndpoint, InvalidPropError, ModelBackupBucket, Policy, PolicyPack } from '../../src';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { FakeGpuCluster } from '../k8s/fake-cluster';

const aws = () => Cloud.aws({ region: 'us-east-1' });
const gcp = () => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
const azure = () => Cloud.azure({ location: 'eastus2' });

function elements(stack: TerraformStack): number {
  return stack.node.findAll().filter((c) => TerraformResource.isTerraformResource(c) || TerraformProvider.isTerraformProvider(c)).length;
}

interface Case {
  readonly name: string;
  /** Builds the failing construct in `stack` (which may already hold valid constructs made by `setup`). */
  readonly build: (stack: TerraformStack, ctx: { cluster: FakeGpuCluster; models: ModelBackupBucket }) => unknown;
  readonly path: string;
  readonly prop: string;
  readonly value: unknown;
  readonly allowed: RegExp;
}

const cases: Case[] = [
  { name: 'bucket: key rotation shorter than 90 days', build: (s) => new ModelBackupBucket(s, 'bad', { cloud: aws(), keyRotationDays: 30 }),
    path: 'stack/bad', prop: 'keyRotationDays', value: 30, allowed: /an integer >= 90 and <= 2560/ },
  { name: 'bucket: unknown cold storage class', build: (s) => new ModelBackupBucket(s, 'bad', { cloud: gcp(), coldStorageClass: 'glacier' as never }),
    path: 'stack/bad', prop: 'coldStorageClass', value: 'glacier', allowed: /one of "infrequent", "cold"/ },
  { name: 'bucket: soft delete outside 7-90 days', build: (s) => new ModelBackupBucket(s, 'bad', { cloud: azure(), softDeleteDays: 400 }),
    path: 'stack/bad', prop: 'softDeleteDays', value: 400, allowed: /an integer >= 7 and <= 90/ },
  { name: 'bucket: object lock mode', build: (s) => new ModelBackupBucket(s, 'bad', { cloud: aws(), objectLock: { mode: 'forever' as never, days: 30 } }),
    path: 'stack/bad', prop: 'objectLock.mode', value: 'forever', allowed: /"governance", "compliance"/ },
  { name: 'bucket: model reference select', build: (_s, { models }) => models.model('llm/v1', { select: 'latest' as never }),
    path: 'stack/models', prop: 'model(options.select)', value: 'latest', allowed: /one of "newest", "best"/ },
  { name: 'cluster: no GPU pools', build: (s) => new GpuTrainingCluster(s, 'bad', { cloud: aws(), gpuPools: [] }),
    path: 'stack/bad', prop: 'gpuPools', value: [], allowed: /at least one pool/ },
  { name: 'cluster: authorized network is not a CIDR', build: (s) => new GpuTrainingCluster(s, 'bad', { cloud: gcp(), gpuPools: [{ gpu: Gpu.L4, maxNodes: 2 }], authorizedNetworks: ['10.0.0.1'] }),
    path: 'stack/bad', prop: 'authorizedNetworks', value: '10.0.0.1', allowed: /IPv4 CIDRs/ },
  { name: 'cluster: pool maxNodes 0', build: (s) => new GpuTrainingCluster(s, 'bad', { cloud: azure(), gpuPools: [{ gpu: Gpu.A100_80GB, maxNodes: 0 }] }),
    path: 'stack/bad', prop: 'gpuPools[0].maxNodes', value: 0, allowed: /an integer >= 1/ },
  { name: 'cluster: unknown endpoint access', build: (s) => new GpuTrainingCluster(s, 'bad', { cloud: aws(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 1 }], endpointAccess: 'internal' as never }),
    path: 'stack/bad', prop: 'endpointAccess', value: 'internal', allowed: /one of "public", "private"/ },
  { name: 'cluster: kubernetes version', build: (s) => new GpuTrainingCluster(s, 'bad', { cloud: aws(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 1 }], kubernetesVersion: 'latest' }),
    path: 'stack/bad', prop: 'kubernetesVersion', value: 'latest', allowed: /a Kubernetes minor version/ },
  { name: 'endpoint: zero max replicas', build: (s, { cluster, models }) => new InferenceEndpoint(s, 'bad', { cluster, model: models.model('llm/v1'), image: 'ghcr.io/acme/server:1', replicas: { min: 2, max: 0 } }),
    path: 'stack/bad', prop: 'replicas.max', value: 0, allowed: /./ },
  { name: 'monitoring: unknown backend', build: (s, { cluster }) => new MonitoringStack(s, 'bad', { cluster, backend: 'datadog' as never }),
    path: 'stack/bad', prop: 'backend', value: 'datadog', allowed: /"managed"|"self-managed"/ },
  { name: 'policy: suppression without a reason', build: (s) => Policy.suppress(s, 'AI-AWS-S3-1', ''),
    path: 'stack', prop: 'reason', value: '', allowed: /a reason of at least 10 characters/ },
  { name: 'policy: checkov skip of an unknown id', build: (s) => Policy.skipCheckov(s, ['CKV_X'], 'reason long enough here'),
    path: 'stack', prop: 'checkIds', value: 'CKV_X', allowed: /checkov check ids such as CKV_AWS_18/ },
];

describe('bad input names the construct path, the prop, the value and what is allowed; nothing is half-created', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const stack = new TerraformStack(Testing.app(), 'stack');
    const cluster = new FakeGpuCluster(stack, 'cluster', { cloud: aws() });
    const models = new ModelBackupBucket(stack, 'models', { cloud: aws() });
    const before = elements(stack);
    let err: unknown;
    try {
      c.build(stack, { cluster, models });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPropError);
    const e = err as InvalidPropError;
    expect({ path: e.constructPath, prop: e.prop, value: e.value }).toEqual({ path: c.path, prop: c.prop, value: c.value });
    expect(e.allowed).toMatch(c.allowed);
    expect(e.message).toBe(`${c.path}: invalid ${c.prop} = ${JSON.stringify(c.value)}. Allowed: ${e.allowed}`);
    expect(elements(stack)).toBe(before);
  });

  test('a policy pack rule that is not a rule', () => {
    expect(() => new PolicyPack({ name: 'acme' }).addRule({} as never)).toThrow(/^PolicyPack acme: invalid rule = undefined\. Allowed: a rule made with terraformRule/);
  });
});
