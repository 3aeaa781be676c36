import { terraformRule } from '../../rule';

/** AI-AWS-IAM-4: no long-lived access keys or IAM users for workloads. */
export const IamNoStaticKeys = terraformRule({
  id: 'AI-AWS-IAM-4',
  severity: 'error',
  title: 'No IAM access keys (static credentials)',
  rationale: 'Access keys leak through images, logs and laptops and never expire; pods use EKS Pod Identity, CI uses OIDC federation.',
  remediation: 'Remove the aws_iam_access_key; give workloads a role through Pod Identity (WorkloadIdentity) and CI a role assumed with OIDC.',
  resourceTypes: ['aws_iam_access_key', 'aws_iam_user_login_profile'],
  check(r) {
    return `${r.type} creates long-lived credentials`;
  },
});
