import { terraformRule } from '../../rule';
import { iamStatements, strings } from '../../util';

/** Actions that only accept `"Resource": "*"`. */
const RESOURCELESS = new Set([
  'ecr:GetAuthorizationToken', 'sts:GetCallerIdentity', 'cloudwatch:PutMetricData', 'aps:RemoteWrite',
  'xray:PutTraceSegments', 'ec2:GetInstanceTypesFromInstanceRequirements',
]);

/** Read-only calls of these services support no resource-level permissions. */
const RESOURCELESS_PREFIX = /^(ec2|autoscaling|elasticloadbalancing):Describe[A-Za-z]*$/;

/** A condition on resource or request tags (attribute-based access control) scopes a "*" resource. */
function tagScoped(condition: unknown): boolean {
  return /aws:(ResourceTag|RequestTag)\//.test(JSON.stringify(condition ?? {}));
}

/** AI-AWS-IAM-2: Allow statements name the resources they apply to. */
export const IamNoWildcardResource = terraformRule({
  id: 'AI-AWS-IAM-2',
  severity: 'error',
  title: 'IAM policies grant on named resources, not "*"',
  rationale: 'An identity allowed s3:GetObject on "*" reads every bucket in the account, not just its model store.',
  remediation: 'Name the ARNs (bucket, bucket/prefix/*, key ARN); "*" is accepted only for actions that support nothing else (e.g. ecr:GetAuthorizationToken, ec2:Describe*) or when a Condition on aws:ResourceTag/aws:RequestTag scopes the statement.',
  checkov: ['CKV_AWS_355', 'CKV_AWS_288', 'CKV_AWS_289', 'CKV_AWS_290'],
  resourceTypes: ['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy', 'data.aws_iam_policy_document', 'aws_iam_role'],
  check(r) {
    const statements = iamStatements(r.type, r.attrs);
    const bad = statements.filter((s) => (s.Effect ?? 'Allow') === 'Allow' && strings(s.Resource).includes('*')
      && !tagScoped(s.Condition) && !strings(s.Action).every((a) => RESOURCELESS.has(a) || RESOURCELESS_PREFIX.test(a)));
    return bad.length ? `Allow on "*" for ${bad.flatMap((s) => strings(s.Action)).join(', ')}` : undefined;
  },
});
