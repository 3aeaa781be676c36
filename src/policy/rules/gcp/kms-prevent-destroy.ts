import { terraformRule } from '../../rule';
import { dig, isOn } from '../../util';

/** AI-GCP-KMS-2: crypto keys cannot be destroyed by a Terraform run. */
export const GcpKmsPreventDestroy = terraformRule({
  id: 'AI-GCP-KMS-2',
  severity: 'error',
  title: 'Cloud KMS key protected from deletion (lifecycle prevent_destroy)',
  rationale: 'Destroying the key (a rename, a refactor, `cdktf destroy`) schedules every key version for destruction: all data it encrypts becomes unreadable.',
  remediation: 'Set lifecycle { prevent_destroy = true } on the google_kms_crypto_key (cdktf: `lifecycle: { preventDestroy: true }`).',
  constructFix: 'ModelBackupBucket forceDestroy: false (the default) keeps prevent_destroy on its key',
  checkov: ['CKV_GCP_82'],
  resourceTypes: ['google_kms_crypto_key'],
  check(key) {
    return isOn(dig(key.attrs, 'lifecycle', 'prevent_destroy')) ? undefined : 'lifecycle.prevent_destroy is not true';
  },
});
