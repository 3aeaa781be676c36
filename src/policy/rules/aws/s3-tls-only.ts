import { terraformRule } from '../../rule';
import { attached, policyStatements, strings } from '../../util';

/** AI-AWS-S3-4: bucket policies deny requests without TLS. */
export const S3TlsOnly = terraformRule({
  id: 'AI-AWS-S3-4',
  severity: 'error',
  title: 'S3 bucket denies requests without TLS',
  rationale: 'Without an explicit deny on aws:SecureTransport=false a client can fetch weights or credentials-bearing objects over plain HTTP.',
  remediation: 'Attach an aws_s3_bucket_policy with a Deny statement for "s3:*" on the bucket and its objects when "aws:SecureTransport" is "false".',
  resourceTypes: ['aws_s3_bucket'],
  check(bucket, ctx) {
    const policies = attached(ctx, 'aws_s3_bucket_policy', bucket, 'bucket', 'bucket');
    const denies = policies.flatMap((p) => policyStatements(p.attrs.policy)).some((s) =>
      s.Effect === 'Deny' && strings(s.Action).some((a) => a === 's3:*' || a === '*')
      && JSON.stringify(s.Condition ?? {}).includes('aws:SecureTransport'));
    return denies ? undefined : 'no bucket policy denies aws:SecureTransport=false';
  },
});
