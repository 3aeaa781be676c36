import { terraformRule } from '../../rule';
import { blocks } from '../../util';

/** AI-AWS-EKS-4: node groups have no SSH remote access. */
export const EksNodeNoSsh = terraformRule({
  id: 'AI-AWS-EKS-4',
  severity: 'error',
  title: 'EKS node group without SSH remote access',
  rationale: 'SSH keys on GPU nodes bypass Kubernetes RBAC and audit; use SSM Session Manager for break-glass access.',
  remediation: 'Remove the remote_access block from the aws_eks_node_group.',
  checkov: ['CKV_AWS_100'],
  resourceTypes: ['aws_eks_node_group'],
  check(group) {
    return blocks(group.attrs.remote_access).length > 0 ? 'remote_access (SSH) is configured' : undefined;
  },
});
