import { terraformRule } from '../../rule';
import { dig, isAnywhere, isOn, strings } from '../../util';

/** AI-AZ-AKS-1: the API server is private or restricted to authorized IP ranges. */
export const AksApiAccess = terraformRule({
  id: 'AI-AZ-AKS-1',
  severity: 'error',
  title: 'AKS API server private or limited to authorized IP ranges',
  rationale: 'An API server open to the internet is exposed to credential stuffing and API server CVEs.',
  remediation: 'Set private_cluster_enabled = true, or api_server_access_profile { authorized_ip_ranges = [your CIDRs] }.',
  constructFix: 'GpuTrainingCluster endpointAccess: \'private\' (the default without authorizedNetworks), or authorizedNetworks: [your CIDRs] (not 0.0.0.0/0)',
  checkov: ['CKV_AZURE_115', 'CKV_AZURE_6'],
  resourceTypes: ['azurerm_kubernetes_cluster'],
  check(cluster) {
    if (isOn(cluster.attrs.private_cluster_enabled)) return undefined;
    const ranges = strings(dig(cluster.attrs, 'api_server_access_profile', 'authorized_ip_ranges'));
    if (ranges.length === 0) return 'public API server without authorized_ip_ranges';
    return ranges.some(isAnywhere) ? 'authorized_ip_ranges include 0.0.0.0/0' : undefined;
  },
});
