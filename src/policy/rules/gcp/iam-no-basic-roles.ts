import { terraformRule } from '../../rule';

const BASIC = ['roles/owner', 'roles/editor', 'roles/iam.securityAdmin', 'roles/iam.serviceAccountAdmin', 'roles/resourcemanager.projectIamAdmin'];

/** AI-GCP-IAM-1: no owner/editor (basic) or IAM-admin roles granted. */
export const GcpNoBasicRoles = terraformRule({
  id: 'AI-GCP-IAM-1',
  severity: 'error',
  title: 'No owner, editor or IAM-admin roles granted',
  rationale: 'Basic roles grant thousands of permissions; a workload holding one can take over the project.',
  remediation: 'Grant predefined, resource-level roles (roles/storage.objectViewer on one bucket, roles/monitoring.metricWriter).',
  checkov: ['CKV_GCP_115', 'CKV_GCP_116', 'CKV_GCP_117', 'CKV_GCP_42'],
  resourceTypes: ['google_project_iam_member', 'google_project_iam_binding', 'google_folder_iam_member', 'google_folder_iam_binding',
    'google_organization_iam_member', 'google_organization_iam_binding', 'google_storage_bucket_iam_member', 'google_storage_bucket_iam_binding'],
  check(r) {
    return typeof r.attrs.role === 'string' && BASIC.includes(r.attrs.role) ? `grants ${r.attrs.role}` : undefined;
  },
});
