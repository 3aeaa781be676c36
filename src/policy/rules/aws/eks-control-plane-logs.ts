import { terraformRule } from '../../rule';
import { strings } from '../../util';

const REQUIRED = ['api', 'audit', 'authenticator'];

/** AI-AWS-EKS-3: control plane logs go to CloudWatch. */
export const EksControlPlaneLogs = terraformRule({
  id: 'AI-AWS-EKS-3',
  severity: 'error',
  title: 'EKS control plane logging (api, audit, authenticator)',
  rationale: 'The audit log is the only record of who changed what in the cluster; without it an incident cannot be reconstructed.',
  remediation: 'Set enabled_cluster_log_types to include "api", "audit" and "authenticator" (all five for full coverage).',
  checkov: ['CKV_AWS_37'],
  resourceTypes: ['aws_eks_cluster'],
  check(cluster) {
    const types = strings(cluster.attrs.enabled_cluster_log_types);
    const missing = REQUIRED.filter((t) => !types.includes(t));
    return missing.length ? `log types missing: ${missing.join(', ')}` : undefined;
  },
});
