import { terraformRule } from '../../rule';
import { blocks, dig, isOn } from '../../util';

/** AI-GCP-GKE-6: node pools run the GKE metadata server, hiding the node identity from pods. */
export const GkeMetadataServer = terraformRule({
  id: 'AI-GCP-GKE-6',
  severity: 'error',
  title: 'GKE node pool uses the GKE metadata server (workload identity on nodes)',
  rationale: 'With the plain metadata server pods read the node service account token and the kube-env secrets.',
  remediation: 'Set node_config { workload_metadata_config { mode = "GKE_METADATA" } } on every node pool.',
  checkov: ['CKV_GCP_69'],
  resourceTypes: ['google_container_node_pool', 'google_container_cluster'],
  check(r) {
    if (r.type === 'google_container_cluster' && (blocks(r.attrs.node_config).length === 0 || isOn(r.attrs.remove_default_node_pool))) return undefined;
    return dig(r.attrs, 'node_config', 'workload_metadata_config', 'mode') === 'GKE_METADATA' ? undefined : 'workload_metadata_config.mode is not GKE_METADATA';
  },
});
