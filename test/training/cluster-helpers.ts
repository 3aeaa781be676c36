import { Testing, TerraformStack } from 'cdktf';
import { AwsCloud, AzureCloud, Cloud, GcpCloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { GpuTrainingCluster, GpuTrainingClusterProps } from '../../src/training/gpu-training-cluster';
import { Json, SynthQuery } from '../synth-query';
export { expectInvalid } from '../expect-invalid';
export type { Json } from '../synth-query';
export { allOf as all, oneOf as one } from '../synth-query';

export const aws = (): AwsCloud => Cloud.aws({ region: 'us-east-1' });
export const gcp = (): GcpCloud => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
export const azure = (): AzureCloud => Cloud.azure({ location: 'eastus2' });

export function newStack(id = 'infra'): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

export function synth(stack: TerraformStack): Json {
  return SynthQuery.fromStack(stack).json;
}

/** A stack with one cluster (id `train`), synthesized; `q` queries it. */
export function clusterJson(props: Partial<GpuTrainingClusterProps> & { cloud: Cloud }): { json: Json; q: SynthQuery; cluster: GpuTrainingCluster; stack: TerraformStack } {
  const stack = newStack();
  const cluster = new GpuTrainingCluster(stack, 'train', {
    gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }],
    ...props,
  });
  const q = SynthQuery.fromStack(stack);
  return { json: q.json, q, cluster, stack };
}

// Adapters over SynthQuery for the tests that hold the JSON.

/** Resources of a type by logical id. */
export function byId(json: Json, type: string): Record<string, Json> {
  return SynthQuery.fromJson(json).byId(type);
}

/** The helm release named `name` (its values parsed from YAML by the caller). */
export function release(json: Json, name: string): Json {
  return SynthQuery.fromJson(json).helmRelease(name);
}

/** Warning messages of a construct's annotations. */
export function warnings(scope: GpuTrainingCluster): string[] {
  return scope.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
}
