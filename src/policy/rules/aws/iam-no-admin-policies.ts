import { terraformRule } from '../../rule';

const ADMIN = /arn:aws[a-z-]*:iam::aws:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess|AmazonS3FullAccess|AmazonEC2FullAccess)$/;

/** AI-AWS-IAM-3: no AWS-managed admin-like policies attached. */
export const IamNoAdminPolicies = terraformRule({
  id: 'AI-AWS-IAM-3',
  severity: 'error',
  title: 'No administrator or *FullAccess managed policies attached',
  rationale: 'AdministratorAccess and *FullAccess policies are the AWS owner/editor roles: a workload holding one owns the account.',
  remediation: 'Attach a customer-managed policy with the few actions the role needs.',
  checkov: ['CKV_AWS_274'],
  resourceTypes: ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_user_policy_attachment', 'aws_iam_group_policy_attachment', 'aws_iam_role_policies_exclusive', 'aws_iam_role'],
  check(r) {
    const arns = [r.attrs.policy_arn, ...(Array.isArray(r.attrs.managed_policy_arns) ? r.attrs.managed_policy_arns : [])];
    const bad = arns.filter((a): a is string => typeof a === 'string' && ADMIN.test(a));
    return bad.length ? `attaches ${bad.join(', ')}` : undefined;
  },
});
