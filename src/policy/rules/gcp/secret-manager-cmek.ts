import { terraformRule } from '../../rule';
import { blocks, dig, isSet } from '../../util';

/** AI-GCP-SM-1: secrets are encrypted with a customer-managed key. */
export const SecretManagerCmek = terraformRule({
  id: 'AI-GCP-SM-1',
  severity: 'warning',
  title: 'Secret Manager secret encrypted with a customer-managed key',
  rationale: 'The key policy then decides who can read API keys and passwords, independent of the secret\'s IAM, and revoking the key revokes them all.',
  remediation: 'Set replication.auto.customer_managed_encryption.kms_key_name (a global key) or user_managed replicas with customer_managed_encryption.',
  resourceTypes: ['google_secret_manager_secret'],
  check(secret) {
    const auto = dig(secret.attrs, 'replication', 'auto');
    if (auto !== undefined) return isSet(dig(auto, 'customer_managed_encryption', 'kms_key_name')) ? undefined : 'automatic replication without a customer-managed key';
    const replicas = blocks(dig(secret.attrs, 'replication', 'user_managed', 'replicas'));
    const bare = replicas.filter((r) => !isSet(dig(r, 'customer_managed_encryption', 'kms_key_name')));
    return replicas.length === 0 || bare.length ? 'replicas without a customer-managed key' : undefined;
  },
});
