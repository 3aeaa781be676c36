import { terraformRule } from '../../rule';
import { blocks, dig, isAnywhere, isOn } from '../../util';

/** AI-GCP-GKE-2: the control plane is private or limited to authorized networks. */
export const GkeAuthorizedNetworks = terraformRule({
  id: 'AI-GCP-GKE-2',
  severity: 'error',
  title: 'GKE control plane private or restricted to authorized networks',
  rationale: 'A control plane reachable from 0.0.0.0/0 is exposed to credential stuffing and API server CVEs.',
  remediation: 'Set master_authorized_networks_config with your CIDRs (not 0.0.0.0/0), or private_cluster_config.enable_private_endpoint = true.',
  constructFix: 'GpuTrainingCluster endpointAccess: \'private\' (the default without authorizedNetworks), or authorizedNetworks: [your CIDRs] (not 0.0.0.0/0)',
  checkov: ['CKV_GCP_18', 'CKV_GCP_20'],
  resourceTypes: ['google_container_cluster'],
  check(cluster) {
    if (isOn(dig(cluster.attrs, 'private_cluster_config', 'enable_private_endpoint'))) return undefined;
    const config = blocks(cluster.attrs.master_authorized_networks_config);
    if (config.length === 0) return 'no master_authorized_networks_config and the endpoint is public';
    const open = config.flatMap((c) => blocks(c.cidr_blocks)).filter((b) => typeof b.cidr_block === 'string' && isAnywhere(b.cidr_block));
    return open.length ? 'authorized networks include 0.0.0.0/0' : undefined;
  },
});
