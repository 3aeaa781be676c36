import { terraformRule } from '../../rule';
import { isS3LogTarget } from '../../log-targets';
import { attached, blocks, isSet } from '../../util';

/** AI-AWS-S3-1: buckets are encrypted with a customer-managed KMS key. */
export const S3KmsEncryption = terraformRule({
  id: 'AI-AWS-S3-1',
  severity: 'error',
  title: 'S3 bucket encrypted with a customer-managed KMS key',
  rationale: 'Checkpoints and model weights are the crown jewels; a customer-managed key gives key policy control, rotation, audit of every decrypt and crypto-shredding.',
  remediation: 'Add an aws_s3_bucket_server_side_encryption_configuration with sse_algorithm "aws:kms" (or "aws:kms:dsse") and kms_master_key_id set to your key. Buckets that receive S3 server access logs are exempt (log delivery rejects SSE-KMS targets).',
  checkov: ['CKV_AWS_145'],
  resourceTypes: ['aws_s3_bucket'],
  check(bucket, ctx) {
    // S3 server access log delivery does not support SSE-KMS on the target bucket (SSE-S3 is used there).
    if (isS3LogTarget(bucket, ctx)) return undefined;
    const configs = attached(ctx, 'aws_s3_bucket_server_side_encryption_configuration', bucket, 'bucket', 'bucket');
    const inline = blocks(bucket.attrs.server_side_encryption_configuration);
    const rules = [...configs.flatMap((c) => blocks(c.attrs.rule)), ...inline.flatMap((c) => blocks(c.rule))];
    const ok = rules.some((r) => blocks(r.apply_server_side_encryption_by_default).some((d) =>
      String(d.sse_algorithm).startsWith('aws:kms') && isSet(d.kms_master_key_id)));
    return ok ? undefined : 'no server-side encryption with a customer-managed KMS key';
  },
});
