import { terraformRule } from '../../rule';
import { attached, isOn } from '../../util';

const FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];

/** AI-AWS-S3-2: buckets block every form of public access. */
export const S3PublicAccessBlock = terraformRule({
  id: 'AI-AWS-S3-2',
  severity: 'error',
  title: 'S3 bucket blocks public access',
  rationale: 'A public ACL or policy on a model bucket leaks weights and training data; the public access block stops both, whatever a later policy says.',
  remediation: 'Add an aws_s3_bucket_public_access_block for the bucket with all four flags true.',
  checkov: ['CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56', 'CKV2_AWS_6'],
  resourceTypes: ['aws_s3_bucket'],
  check(bucket, ctx) {
    const blocks = attached(ctx, 'aws_s3_bucket_public_access_block', bucket, 'bucket', 'bucket');
    if (blocks.length === 0) return 'no aws_s3_bucket_public_access_block';
    const missing = FLAGS.filter((f) => !blocks.some((b) => isOn(b.attrs[f])));
    return missing.length ? `public access block leaves ${missing.join(', ')} off` : undefined;
  },
});
