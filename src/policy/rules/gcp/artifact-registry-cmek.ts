import { terraformRule } from '../../rule';
import { isSet } from '../../util';

/** AI-GCP-AR-1: image repositories are encrypted with a customer-managed key. */
export const ArtifactRegistryCmek = terraformRule({
  id: 'AI-GCP-AR-1',
  severity: 'error',
  title: 'Artifact Registry repository encrypted with a customer-managed key',
  rationale: 'Images carry the compute core and sometimes weights; the key policy then governs every pull.',
  remediation: 'Set kms_key_name on the google_artifact_registry_repository (grant the Artifact Registry service agent the key).',
  checkov: ['CKV_GCP_84'],
  resourceTypes: ['google_artifact_registry_repository'],
  check(repo) {
    return isSet(repo.attrs.kms_key_name) ? undefined : 'kms_key_name unset';
  },
});
