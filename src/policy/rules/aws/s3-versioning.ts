import { terraformRule } from '../../rule';
import { attached, dig, isExpression } from '../../util';

/** AI-AWS-S3-3: buckets keep object versions. */
export const S3Versioning = terraformRule({
  id: 'AI-AWS-S3-3',
  severity: 'error',
  title: 'S3 bucket versioning enabled',
  rationale: 'Versioning turns an overwrite or delete of a checkpoint into a recoverable event (ransomware, a bad job, a wrong prefix).',
  remediation: 'Add an aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" }.',
  constructFix: 'ModelBackupBucket versioned: true (the default)',
  checkov: ['CKV_AWS_21'],
  resourceTypes: ['aws_s3_bucket'],
  check(bucket, ctx) {
    const configs = attached(ctx, 'aws_s3_bucket_versioning', bucket, 'bucket', 'bucket');
    const status = configs.map((c) => dig(c.attrs, 'versioning_configuration', 'status'));
    const inline = dig(bucket.attrs, 'versioning', 'enabled');
    return status.some((s) => s === 'Enabled' || isExpression(s)) || inline === true ? undefined : 'versioning is not enabled';
  },
});
