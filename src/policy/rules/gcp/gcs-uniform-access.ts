import { terraformRule } from '../../rule';
import { isOn } from '../../util';

/** AI-GCP-GCS-3: access is by IAM only (no object ACLs). */
export const GcsUniformAccess = terraformRule({
  id: 'AI-GCP-GCS-3',
  severity: 'error',
  title: 'Cloud Storage bucket uses uniform bucket-level access',
  rationale: 'Object ACLs bypass bucket IAM and are invisible in IAM reviews; a tenant prefix grant means nothing if an object ACL opens it.',
  remediation: 'Set uniform_bucket_level_access = true.',
  checkov: ['CKV_GCP_29'],
  resourceTypes: ['google_storage_bucket'],
  check(bucket) {
    return isOn(bucket.attrs.uniform_bucket_level_access) ? undefined : 'uniform_bucket_level_access is not true';
  },
});
