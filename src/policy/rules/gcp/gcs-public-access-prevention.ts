import { terraformRule } from '../../rule';

/** AI-GCP-GCS-2: public access prevention is enforced. */
export const GcsPublicAccessPrevention = terraformRule({
  id: 'AI-GCP-GCS-2',
  severity: 'error',
  title: 'Cloud Storage bucket enforces public access prevention',
  rationale: 'Enforced prevention blocks allUsers/allAuthenticatedUsers grants whatever IAM says later.',
  remediation: 'Set public_access_prevention = "enforced".',
  checkov: ['CKV_GCP_114'],
  resourceTypes: ['google_storage_bucket'],
  check(bucket) {
    return bucket.attrs.public_access_prevention === 'enforced' ? undefined : `public_access_prevention is ${JSON.stringify(bucket.attrs.public_access_prevention ?? 'inherited')}`;
  },
});
