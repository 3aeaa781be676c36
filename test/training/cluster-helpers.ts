import { Testing, TerraformStack } from 'cdktf';
import { AwsCloud, AzureCloud, Cloud, GcpCloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { GpuTrainingCluster, GpuTrainingClusterProps } from '../../src/training/gpu-training-cluster';
export { expectInvalid } from '../expect-invalid';

/** Synthesized Terraform JSON: free-form by nature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const aws = (): AwsCloud => Cloud.aws({ region: 'us-east-1' });
export const gcp = (): GcpCloud => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
export const azure = (): AzureCloud => Cloud.azure({ location: 'eastus2' });

export function newStack(id = 'infra'): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

export function synth(stack: TerraformStack): Json {
  return JSON.parse(Testing.synth(stack));
}

/** A stack with one cluster (id `train`), synthesized. */
export function clusterJson(props: Partial<GpuTrainingClusterProps> & { cloud: Cloud }): { json: Json; cluster: GpuTrainingCluster; stack: TerraformStack } {
  const stack = newStack();
  const cluster = new GpuTrainingCluster(stack, 'train', {
    gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }],
    ...props,
  });
  return { json: synth(stack), cluster, stack };
}

/** All resources (or data sources) of one Terraform type, as a list. */
export function all(json: Json, type: string, block: 'resource' | 'data' = 'resource'): Json[] {
  return Object.values(json[block]?.[type] ?? {});
}

/** Resources of a type by logical id. */
export function byId(json: Json, type: string): Record<string, Json> {
  return json.resource?.[type] ?? {};
}

/** The one resource of a type whose logical id contains `idPart`. */
export function one(json: Json, type: string, idPart: string | RegExp): Json {
  const entries = Object.entries(byId(json, type)).filter(([k]) => (typeof idPart === 'string' ? k.includes(idPart) : idPart.test(k)));
  if (entries.length !== 1) throw new Error(`${type} matching ${idPart}: ${entries.length} found (${Object.keys(byId(json, type)).join(', ')})`);
  return entries[0][1];
}

/** The helm release named `name` (its values parsed from YAML by the caller). */
export function release(json: Json, name: string): Json {
  const found = all(json, 'helm_release').filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`helm_release ${name}: ${found.length} found`);
  return found[0];
}


/** Warning messages of a construct's annotations. */
export function warnings(scope: GpuTrainingCluster): string[] {
  return scope.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
}
