import { terraformRule } from '../../rule';
import { blocks, dig, strings } from '../../util';

/** AI-GCP-GKE-5: API server logs are collected. */
export const GkeControlPlaneLogs = terraformRule({
  id: 'AI-GCP-GKE-5',
  severity: 'error',
  title: 'GKE control plane logging (APISERVER) enabled',
  rationale: 'API server logs (with Cloud Audit Logs) reconstruct who changed the cluster.',
  remediation: 'Set logging_config { enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER", "SCHEDULER", "CONTROLLER_MANAGER"] }.',
  checkov: ['CKV_GCP_1'],
  resourceTypes: ['google_container_cluster'],
  check(cluster) {
    if (cluster.attrs.logging_service === 'none') return 'logging_service = "none"';
    if (blocks(cluster.attrs.logging_config).length === 0) return 'no logging_config with APISERVER';
    return strings(dig(cluster.attrs, 'logging_config', 'enable_components')).includes('APISERVER') ? undefined : 'APISERVER logs not enabled';
  },
});
