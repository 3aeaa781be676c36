import { terraformRule } from '../../rule';
import { dig, isOn } from '../../util';

/** AI-GCP-GKE-12: NetworkPolicies are enforced (Dataplane V2 or Calico). */
export const GkeNetworkPolicy = terraformRule({
  id: 'AI-GCP-GKE-12',
  severity: 'error',
  title: 'GKE enforces NetworkPolicy (Dataplane V2)',
  rationale: 'Tenant default-deny NetworkPolicies are silently ignored on a cluster without an enforcing dataplane.',
  remediation: 'Set datapath_provider = "ADVANCED_DATAPATH" (or network_policy { enabled = true } with Calico).',
  checkov: ['CKV_GCP_12'],
  resourceTypes: ['google_container_cluster'],
  check(cluster) {
    if (cluster.attrs.datapath_provider === 'ADVANCED_DATAPATH' || isOn(dig(cluster.attrs, 'network_policy', 'enabled'))) return undefined;
    return 'neither Dataplane V2 nor network_policy is enabled';
  },
});
