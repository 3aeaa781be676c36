import { terraformRule } from '../../rule';
import { isS3LogTarget } from '../../log-targets';
import { attached } from '../../util';

/** AI-AWS-S3-5: buckets log access (log buckets themselves excepted). */
export const S3AccessLogging = terraformRule({
  id: 'AI-AWS-S3-5',
  severity: 'warning',
  title: 'S3 bucket access is logged',
  rationale: 'Access logs answer who read which model or checkpoint, which an incident review and many audits require.',
  remediation: 'Add an aws_s3_bucket_logging that sends the bucket\'s access logs to a log bucket.',
  constructFix: 'ModelBackupBucket accessLogs: true (the default)',
  checkov: ['CKV_AWS_18'],
  resourceTypes: ['aws_s3_bucket'],
  check(bucket, ctx) {
    if (attached(ctx, 'aws_s3_bucket_logging', bucket, 'bucket', 'bucket').length > 0) return undefined;
    return isS3LogTarget(bucket, ctx) ? undefined : 'no aws_s3_bucket_logging for the bucket';
  },
});
