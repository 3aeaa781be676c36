import { terraformRule } from '../../rule';
import { attached, blocks } from '../../util';

/** AI-AWS-S3-8: ACLs are disabled (BucketOwnerEnforced). */
export const S3OwnershipEnforced = terraformRule({
  id: 'AI-AWS-S3-8',
  severity: 'warning',
  title: 'S3 bucket disables ACLs (object ownership BucketOwnerEnforced)',
  rationale: 'With ACLs disabled, access is decided by IAM and bucket policy only; an object written by another account cannot carry its own grants.',
  remediation: 'Add an aws_s3_bucket_ownership_controls with rule { object_ownership = "BucketOwnerEnforced" }.',
  resourceTypes: ['aws_s3_bucket'],
  check(bucket, ctx) {
    const ok = attached(ctx, 'aws_s3_bucket_ownership_controls', bucket, 'bucket', 'bucket')
      .some((c) => blocks(c.attrs.rule).some((r) => r.object_ownership === 'BucketOwnerEnforced'));
    return ok ? undefined : 'object ownership is not BucketOwnerEnforced';
  },
});
