import { terraformRule } from '../../rule';
import { isOn } from '../../util';

/** AI-AZ-AKS-2: pods authenticate with workload identity federation. */
export const AksWorkloadIdentity = terraformRule({
  id: 'AI-AZ-AKS-2',
  severity: 'error',
  title: 'AKS OIDC issuer and workload identity enabled',
  rationale: 'Without workload identity pods fall back to the kubelet identity or to secrets with client credentials.',
  remediation: 'Set oidc_issuer_enabled = true and workload_identity_enabled = true.',
  resourceTypes: ['azurerm_kubernetes_cluster'],
  check(cluster) {
    const missing = ['oidc_issuer_enabled', 'workload_identity_enabled'].filter((k) => !isOn(cluster.attrs[k]));
    return missing.length ? `${missing.join(', ')} not true` : undefined;
  },
});
