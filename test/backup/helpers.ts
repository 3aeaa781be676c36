import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AwsCloud, AzureCloud, Cloud, GcpCloud } from '../../src/core/cloud';
import { ModelBackupBucket, ModelBackupBucketProps } from '../../src/backup/model-backup-bucket';
import { Json, SynthQuery } from '../synth-query';
export { expectInvalid } from '../expect-invalid';
export type { Json } from '../synth-query';
export { allOf as all, oneOf as one } from '../synth-query';

export const aws = (): AwsCloud => Cloud.aws({ region: 'us-east-1' });
export const gcp = (): GcpCloud => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
export const azure = (): AzureCloud => Cloud.azure({ location: 'eastus2' });

export function newStack(id = 'platform'): TerraformStack {
  return new TerraformStack(Testing.app(), id);
}

export function synth(stack: TerraformStack): Json {
  return SynthQuery.fromStack(stack).json;
}

/** A stack with one bucket (id `models`), synthesized; `q` queries it. */
export function bucketJson(props: ModelBackupBucketProps, id = 'platform'): { json: Json; q: SynthQuery; bucket: ModelBackupBucket; stack: TerraformStack } {
  const stack = newStack(id);
  const bucket = new ModelBackupBucket(stack, 'models', props);
  const q = SynthQuery.fromStack(stack);
  return { json: q.json, q, bucket, stack };
}

/** The logical id of the main child (`Resource`) of the construct `models`. */
export const MAIN = /^models_[0-9A-F]{8}$/;

/** Number of children under a construct (to prove validation ran before any child was made). */
export function childCount(scope: Construct): number {
  return scope.node.findAll().length - 1;
}
