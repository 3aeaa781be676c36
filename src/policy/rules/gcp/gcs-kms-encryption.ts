import { terraformRule } from '../../rule';
import { dig, isSet } from '../../util';

/** AI-GCP-GCS-1: buckets are encrypted with a customer-managed Cloud KMS key. */
export const GcsKmsEncryption = terraformRule({
  id: 'AI-GCP-GCS-1',
  severity: 'error',
  title: 'Cloud Storage bucket encrypted with a customer-managed key (CMEK)',
  rationale: 'Checkpoints and model weights under a key you control can be audited per use and crypto-shredded.',
  remediation: 'Set encryption { default_kms_key_name = <crypto key id> } and grant the GCS service agent roles/cloudkms.cryptoKeyEncrypterDecrypter on the key.',
  resourceTypes: ['google_storage_bucket'],
  check(bucket) {
    return isSet(dig(bucket.attrs, 'encryption', 'default_kms_key_name')) ? undefined : 'no encryption.default_kms_key_name';
  },
});
