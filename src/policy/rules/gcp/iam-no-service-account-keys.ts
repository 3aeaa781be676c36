import { terraformRule } from '../../rule';

/** AI-GCP-IAM-2: no service account keys (static credentials). */
export const GcpNoServiceAccountKeys = terraformRule({
  id: 'AI-GCP-IAM-2',
  severity: 'error',
  title: 'No service account keys',
  rationale: 'Exported keys never expire and leak; pods use Workload Identity, CI uses Workload Identity Federation.',
  remediation: 'Remove the google_service_account_key; bind the service account to a Kubernetes service account or a workload identity pool.',
  checkov: ['CKV2_GCP_3'],
  resourceTypes: ['google_service_account_key', 'google_storage_hmac_key'],
  check(r) {
    return `${r.type} creates a long-lived key`;
  },
});
