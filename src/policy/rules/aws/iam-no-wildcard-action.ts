import { terraformRule } from '../../rule';
import { iamStatements, strings } from '../../util';

/** AI-AWS-IAM-1: no Allow statement grants every action (`*` or `service:*`). */
export const IamNoWildcardAction = terraformRule({
  id: 'AI-AWS-IAM-1',
  severity: 'error',
  title: 'IAM policies grant no wildcard actions',
  rationale: '"*" or "s3:*" grants actions nobody reviewed, including deletes and policy changes; least privilege lists what the workload calls.',
  remediation: 'List the actions the workload needs (e.g. s3:GetObject, s3:PutObject, s3:ListBucket) instead of "*" or "service:*".',
  checkov: ['CKV_AWS_1', 'CKV_AWS_49', 'CKV_AWS_62', 'CKV_AWS_63', 'CKV_AWS_290', 'CKV_AWS_355'],
  resourceTypes: ['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy', 'data.aws_iam_policy_document', 'aws_iam_role'],
  check(r) {
    const statements = iamStatements(r.type, r.attrs);
    const wild = statements.filter((s) => (s.Effect ?? 'Allow') === 'Allow')
      .flatMap((s) => [...strings(s.Action).filter((a) => a === '*' || a.endsWith(':*')), ...(s.NotAction ? ['NotAction'] : [])]);
    return wild.length ? `Allow with ${[...new Set(wild)].join(', ')}` : undefined;
  },
});
