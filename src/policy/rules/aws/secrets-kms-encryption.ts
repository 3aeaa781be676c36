import { terraformRule } from '../../rule';
import { isSet } from '../../util';

/** AI-AWS-SM-1: secrets are encrypted with a customer-managed key. */
export const SecretsKmsEncryption = terraformRule({
  id: 'AI-AWS-SM-1',
  severity: 'error',
  title: 'Secrets Manager secret encrypted with a customer-managed KMS key',
  rationale: 'The key policy then decides who can read endpoint API keys, independent of the secret policy.',
  remediation: 'Set kms_key_id on the aws_secretsmanager_secret.',
  checkov: ['CKV_AWS_149'],
  resourceTypes: ['aws_secretsmanager_secret'],
  check(secret) {
    return isSet(secret.attrs.kms_key_id) ? undefined : 'kms_key_id unset';
  },
});
