import { terraformRule } from '../../rule';

const PUBLIC = ['public-read', 'public-read-write', 'authenticated-read'];

/** AI-AWS-S3-7: no canned ACL grants access to everyone. */
export const S3NoPublicAcl = terraformRule({
  id: 'AI-AWS-S3-7',
  severity: 'error',
  title: 'S3 bucket ACL is not public',
  rationale: 'public-read and authenticated-read ACLs expose every object to the internet or to any AWS account.',
  remediation: 'Remove the public canned ACL; keep ACLs disabled with object ownership BucketOwnerEnforced and grant access by IAM.',
  checkov: ['CKV_AWS_20', 'CKV_AWS_57'],
  resourceTypes: ['aws_s3_bucket_acl', 'aws_s3_bucket'],
  check(r) {
    const acl = r.attrs.acl;
    return typeof acl === 'string' && PUBLIC.includes(acl) ? `canned ACL "${acl}"` : undefined;
  },
});
