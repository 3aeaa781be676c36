import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AwsCloud, AzureCloud, Cloud, GcpCloud } from '../../src/core/cloud';
import { ModelBackupBucket, ModelBackupBucketProps } from '../../src/backup/model-backup-bucket';
export { expectInvalid } from '../expect-invalid';

/** Synthesized Terraform JSON: free-form by nature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const aws = (): AwsCloud => Cloud.aws({ region: 'us-east-1' });
export const gcp = (): GcpCloud => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
export const azure = (): AzureCloud => Cloud.azure({ location: 'eastus2' });

export function newStack(id = 'platform'): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

export function synth(stack: TerraformStack): Json {
  return JSON.parse(Testing.synth(stack));
}

/** A stack with one bucket (id `models`), synthesized. */
export function bucketJson(props: ModelBackupBucketProps, id = 'platform'): { json: Json; bucket: ModelBackupBucket; stack: TerraformStack } {
  const stack = newStack(id);
  const bucket = new ModelBackupBucket(stack, 'models', props);
  return { json: synth(stack), bucket, stack };
}

/** All resources (or data sources) of one Terraform type, as a list. */
export function all(json: Json, type: string, block: 'resource' | 'data' = 'resource'): Json[] {
  return Object.values(json[block]?.[type] ?? {});
}

/** The logical id of the main child (`Resource`) of the construct `models`. */
export const MAIN = /^models_[0-9A-F]{8}$/;

/** The one resource of a type whose logical id contains `idPart` (or matches it). */
export function one(json: Json, type: string, idPart: string | RegExp): Json {
  const entries = Object.entries(json.resource?.[type] ?? {})
    .filter(([k]) => (typeof idPart === 'string' ? k.includes(idPart) : idPart.test(k)));
  if (entries.length !== 1) throw new Error(`${type} matching ${idPart}: ${entries.length} found (${Object.keys(json.resource?.[type] ?? {}).join(', ')})`);
  return entries[0][1];
}


/** Number of children under a construct (to prove validation ran before any child was made). */
export function childCount(scope: Construct): number {
  return scope.node.findAll().length - 1;
}
