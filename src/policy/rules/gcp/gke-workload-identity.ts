import { terraformRule } from '../../rule';
import { dig, isSet } from '../../util';

/** AI-GCP-GKE-4: the cluster has a workload identity pool. */
export const GkeWorkloadIdentity = terraformRule({
  id: 'AI-GCP-GKE-4',
  severity: 'error',
  title: 'GKE Workload Identity enabled',
  rationale: 'Without it pods use the node service account: every pod gets every permission of the node.',
  remediation: 'Set workload_identity_config { workload_pool = "<project>.svc.id.goog" }.',
  resourceTypes: ['google_container_cluster'],
  check(cluster) {
    return isSet(dig(cluster.attrs, 'workload_identity_config', 'workload_pool')) ? undefined : 'no workload_identity_config.workload_pool';
  },
});
