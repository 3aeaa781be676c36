import { terraformRule } from '../../rule';
import { dig, isTrue } from '../../util';

/** AI-AZ-AKS-7: nodes get no public IPs. */
export const AksNoNodePublicIp = terraformRule({
  id: 'AI-AZ-AKS-7',
  severity: 'error',
  title: 'AKS nodes without public IPs',
  rationale: 'Public node IPs expose kubelet and NodePorts of GPU nodes to the internet.',
  remediation: 'Leave node_public_ip_enabled false on the default node pool and every azurerm_kubernetes_cluster_node_pool.',
  checkov: ['CKV_AZURE_143'],
  resourceTypes: ['azurerm_kubernetes_cluster', 'azurerm_kubernetes_cluster_node_pool'],
  check(r) {
    const value = r.type === 'azurerm_kubernetes_cluster' ? dig(r.attrs, 'default_node_pool', 'node_public_ip_enabled') : r.attrs.node_public_ip_enabled;
    return isTrue(value) ? 'node_public_ip_enabled = true' : undefined;
  },
});
