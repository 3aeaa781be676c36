import { terraformRule } from '../../rule';
import { attached } from '../../util';

/** AI-AWS-S3-6: buckets expire old versions and abort stale uploads. */
export const S3Lifecycle = terraformRule({
  id: 'AI-AWS-S3-6',
  severity: 'warning',
  title: 'S3 bucket has a lifecycle configuration',
  rationale: 'With versioning on, every checkpoint overwrite keeps a full copy; without expiry of noncurrent versions storage grows without bound.',
  remediation: 'Add an aws_s3_bucket_lifecycle_configuration that expires noncurrent versions and aborts incomplete multipart uploads.',
  checkov: ['CKV2_AWS_61'],
  resourceTypes: ['aws_s3_bucket'],
  check(bucket, ctx) {
    return attached(ctx, 'aws_s3_bucket_lifecycle_configuration', bucket, 'bucket', 'bucket').length > 0
      ? undefined : 'no aws_s3_bucket_lifecycle_configuration for the bucket';
  },
});
