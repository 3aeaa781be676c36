import { terraformRule } from '../../rule';
import { strings } from '../../util';

const PUBLIC = ['allUsers', 'allAuthenticatedUsers'];

/** AI-GCP-IAM-3: no IAM grant to allUsers / allAuthenticatedUsers on any resource. */
export const GcpNoPublicMembers = terraformRule({
  id: 'AI-GCP-IAM-3',
  severity: 'error',
  title: 'No IAM grants to allUsers or allAuthenticatedUsers',
  rationale: 'Either principal makes the bucket, key or repository readable by anyone on the internet (or any Google account).',
  remediation: 'Grant roles to service accounts, groups or workload identity principals only.',
  checkov: ['CKV_GCP_28', 'CKV_GCP_101', 'CKV_GCP_112', 'CKV2_GCP_6', 'CKV2_GCP_8', 'CKV2_GCP_9'],
  resourceTypes: [
    'google_storage_bucket_iam_member', 'google_storage_bucket_iam_binding', 'google_artifact_registry_repository_iam_member',
    'google_artifact_registry_repository_iam_binding', 'google_kms_crypto_key_iam_member', 'google_kms_crypto_key_iam_binding',
    'google_pubsub_topic_iam_member', 'google_pubsub_topic_iam_binding', 'google_project_iam_member', 'google_project_iam_binding',
    'google_service_account_iam_member', 'google_service_account_iam_binding',
  ],
  check(r) {
    const members = [...strings(r.attrs.member), ...strings(r.attrs.members)].filter((m) => PUBLIC.includes(m));
    return members.length ? `grants ${r.attrs.role} to ${members.join(', ')}` : undefined;
  },
});
