import { terraformRule } from '../../rule';
import { dig } from '../../util';

/** AI-AWS-EKS-5: access is managed with EKS access entries, not the aws-auth ConfigMap. */
export const EksAccessEntries = terraformRule({
  id: 'AI-AWS-EKS-5',
  severity: 'warning',
  title: 'EKS authentication mode uses access entries (API)',
  rationale: 'The aws-auth ConfigMap is edited in-cluster, outside Terraform and IAM audit; access entries are IAM-managed and reviewable.',
  remediation: 'Set access_config { authentication_mode = "API" } (or "API_AND_CONFIG_MAP" while migrating).',
  resourceTypes: ['aws_eks_cluster'],
  check(cluster) {
    const mode = dig(cluster.attrs, 'access_config', 'authentication_mode');
    return mode === 'API' || mode === 'API_AND_CONFIG_MAP' ? undefined : `authentication_mode is ${JSON.stringify(mode ?? 'CONFIG_MAP (default)')}`;
  },
});
