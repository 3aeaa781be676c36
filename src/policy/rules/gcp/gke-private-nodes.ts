import { terraformRule } from '../../rule';
import { dig, isOn } from '../../util';

/** AI-GCP-GKE-1: nodes have private IPs only. */
export const GkePrivateNodes = terraformRule({
  id: 'AI-GCP-GKE-1',
  severity: 'error',
  title: 'GKE cluster uses private nodes',
  rationale: 'GPU nodes with external IPs are reachable from the internet; private nodes egress through Cloud NAT.',
  remediation: 'Set private_cluster_config { enable_private_nodes = true, master_ipv4_cidr_block = "..." } (and Cloud NAT for egress).',
  checkov: ['CKV_GCP_25', 'CKV_GCP_64'],
  resourceTypes: ['google_container_cluster'],
  check(cluster) {
    return isOn(dig(cluster.attrs, 'private_cluster_config', 'enable_private_nodes')) ? undefined : 'enable_private_nodes is not true';
  },
});
