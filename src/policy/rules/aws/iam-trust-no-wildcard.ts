import { terraformRule } from '../../rule';
import { policyStatements } from '../../util';

/** AI-AWS-IAM-5: role trust policies never trust everyone. */
export const IamTrustNoWildcard = terraformRule({
  id: 'AI-AWS-IAM-5',
  severity: 'error',
  title: 'Role trust policy names its principals (no "*")',
  rationale: 'A trust policy with Principal "*" lets any AWS account assume the role.',
  remediation: 'Trust a service (pods.eks.amazonaws.com), an account root or an OIDC provider with conditions on sub and aud.',
  resourceTypes: ['aws_iam_role'],
  check(role) {
    const bad = policyStatements(role.attrs.assume_role_policy).filter((s) => (s.Effect ?? 'Allow') === 'Allow'
      && (s.Principal === '*' || JSON.stringify(s.Principal ?? '').includes('"AWS":"*"')));
    return bad.length ? 'trust policy allows Principal "*"' : undefined;
  },
});
