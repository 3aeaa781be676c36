// Shared set-up for InferenceEndpoint tests: a stack per cloud with a fake cluster and a real model store.
import { App, TerraformStack, Testing } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { GpuPoolInfo } from '../../src/core/cluster';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { InferenceEndpointProps } from '../../src/inference/types';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { K8sObject, manifestsOf } from '../k8s/validate';
import { SynthQuery } from '../synth-query';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export const CLOUDS = {
  aws: () => Cloud.aws({ region: 'us-east-1' }),
  gcp: () => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }),
  azure: () => Cloud.azure({ location: 'eastus2' }),
};
export type CloudName = keyof typeof CLOUDS;

/** An L4 (24 GiB) pool with one GPU per node, and an H100 pool with eight. */
export function pools(cloud: CloudName): GpuPoolInfo[] {
  const small = cloud === 'azure' ? 'a10g' : 'l4';
  return [
    {
      name: small, gpu: small, gpusPerNode: 1, maxNodes: 8, gpuMemoryGiB: 24,
      nodeSelector: { 'ai-infra/gpu': small, 'ai-infra/pool': small },
      taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }], interconnect: 'ethernet',
    },
    {
      name: 'h100', gpu: 'h100-80gb', gpusPerNode: 8, maxNodes: 2, gpuMemoryGiB: 80,
      nodeSelector: { 'ai-infra/gpu': 'h100-80gb', 'ai-infra/pool': 'h100' },
      taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }], interconnect: 'efa',
    },
  ];
}

export const SERVER_IMAGE = 'ghcr.io/acme/aiinfra-server:0.1.0';

export interface Built {
  app: App;
  stack: TerraformStack;
  cluster: FakeGpuCluster;
  models: ModelBackupBucket;
  endpoint: InferenceEndpoint;
}

/** A stack with a cluster, a bucket and one endpoint; `props` may use the bucket. */
export function build(cloudName: CloudName, props: (b: { models: ModelBackupBucket; cluster: FakeGpuCluster }) => Partial<InferenceEndpointProps> = () => ({})): Built {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'platform');
  const cloud = CLOUDS[cloudName]();
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud, pools: pools(cloudName) });
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  const extra = props({ models, cluster });
  const endpoint = new InferenceEndpoint(stack, 'chat', {
    cluster,
    model: models.model('research/gpt-1b', { parameterCount: 1_210_000_000 }),
    // The fixture's image is a builtin server build; tests of vLLM and of the default runtime rule say so.
    runtime: 'builtin',
    image: SERVER_IMAGE,
    ...extra,
  } as InferenceEndpointProps);
  return { app, stack, cluster, models, endpoint };
}

/** Terraform JSON of the stack. */
export function synthJson(stack: TerraformStack): Json {
  return SynthQuery.fromStack(stack).json;
}

/** Resources of a type whose key contains `fragment`. */
export function resources(json: Json, type: string, fragment = ''): Json[] {
  return SynthQuery.fromJson(json).resources(type, fragment);
}

export function dataSources(json: Json, type: string): Json[] {
  return SynthQuery.fromJson(json).dataSources(type);
}

/** The objects of the endpoint's own release. */
export function endpointObjects(b: Built): K8sObject[] {
  return manifestsOf(b.endpoint.workload);
}

/** The one object of a kind (and name) among `objects`. */
export { findObject as byKind } from '../k8s/validate';
