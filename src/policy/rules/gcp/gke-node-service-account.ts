import { terraformRule } from '../../rule';
import { blocks, dig, isOn, isSet } from '../../util';

/** AI-GCP-GKE-7: nodes run as a dedicated least-privilege service account. */
export const GkeNodeServiceAccount = terraformRule({
  id: 'AI-GCP-GKE-7',
  severity: 'error',
  title: 'GKE nodes use a dedicated service account, not the Compute default',
  rationale: 'The Compute Engine default service account has Editor on the project.',
  remediation: 'Set node_config.service_account to a service account with only logging, monitoring and Artifact Registry read roles.',
  checkov: ['CKV2_GCP_1'],
  resourceTypes: ['google_container_node_pool', 'google_container_cluster'],
  check(r) {
    if (r.type === 'google_container_cluster' && (blocks(r.attrs.node_config).length === 0 || isOn(r.attrs.remove_default_node_pool))) return undefined;
    const sa = dig(r.attrs, 'node_config', 'service_account');
    if (!isSet(sa) || sa === 'default') return 'node_config.service_account unset (Compute default service account)';
    return typeof sa === 'string' && sa.endsWith('-compute@developer.gserviceaccount.com') ? 'uses the Compute default service account' : undefined;
  },
});
