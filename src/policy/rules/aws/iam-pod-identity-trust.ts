import { terraformRule } from '../../rule';
import { policyStatements } from '../../util';

const SESSION_TAGS = ['aws:RequestTag/kubernetes-namespace', 'aws:RequestTag/kubernetes-service-account'];

/** AI-AWS-IAM-6: a role EKS Pod Identity may assume names the namespace and ServiceAccount that may assume it. */
export const IamPodIdentityTrust = terraformRule({
  id: 'AI-AWS-IAM-6',
  severity: 'error',
  title: 'Pod Identity role trust names its namespace and ServiceAccount',
  rationale: 'Trusting pods.eks.amazonaws.com without conditions lets any Pod Identity association in the account (another '
    + "tenant's namespace, another workload's ServiceAccount) be pointed at the role and receive its credentials.",
  remediation: 'Add Condition StringEquals on aws:RequestTag/kubernetes-namespace and aws:RequestTag/kubernetes-service-account '
    + '(and aws:RequestTag/eks-cluster-name) for each ServiceAccount bound to the role; WorkloadIdentity does this for every binding.',
  resourceTypes: ['aws_iam_role'],
  check(role) {
    const open = policyStatements(role.attrs.assume_role_policy).filter((s) => (s.Effect ?? 'Allow') === 'Allow'
      && JSON.stringify(s.Principal ?? '').includes('pods.eks.amazonaws.com')
      && !SESSION_TAGS.every((k) => typeof (s.Condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals?.[k] === 'string'));
    return open.length ? 'trusts EKS Pod Identity without a namespace and ServiceAccount condition' : undefined;
  },
});
