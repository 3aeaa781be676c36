import { terraformRule } from '../../rule';
import { dig, isOn } from '../../util';

/** AI-GCP-GKE-11: no legacy ABAC, no client certificates. */
export const GkeNoLegacyAuth = terraformRule({
  id: 'AI-GCP-GKE-11',
  severity: 'error',
  title: 'GKE legacy ABAC and client certificate authentication disabled',
  rationale: 'Legacy ABAC grants broad access outside RBAC; client certificates cannot be revoked.',
  remediation: 'Leave enable_legacy_abac false and master_auth.client_certificate_config.issue_client_certificate false.',
  checkov: ['CKV_GCP_7', 'CKV_GCP_13'],
  resourceTypes: ['google_container_cluster'],
  check(cluster) {
    const problems: string[] = [];
    if (cluster.attrs.enable_legacy_abac === true) problems.push('enable_legacy_abac = true');
    if (isOn(dig(cluster.attrs, 'master_auth', 'client_certificate_config', 'issue_client_certificate'))) problems.push('issues client certificates');
    return problems.length ? problems.join('; ') : undefined;
  },
});
