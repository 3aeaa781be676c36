import { terraformRule } from '../../rule';
import { dig, isSet } from '../../util';

/** AI-AZ-AKS-6: NetworkPolicies are enforced. */
export const AksNetworkPolicy = terraformRule({
  id: 'AI-AZ-AKS-6',
  severity: 'error',
  title: 'AKS enforces NetworkPolicy',
  rationale: 'Without a network policy engine, tenant default-deny NetworkPolicies are silently ignored.',
  remediation: 'Set network_profile { network_plugin = "azure", network_policy = "cilium" (or "azure"/"calico") }.',
  checkov: ['CKV_AZURE_7'],
  resourceTypes: ['azurerm_kubernetes_cluster'],
  check(cluster) {
    return isSet(dig(cluster.attrs, 'network_profile', 'network_policy')) ? undefined : 'network_profile.network_policy unset';
  },
});
