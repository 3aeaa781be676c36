import { terraformRule } from '../../rule';

/** AI-GCP-KMS-1: crypto keys rotate at least every 90 days and are protected from destruction. */
export const GcpKmsRotation = terraformRule({
  id: 'AI-GCP-KMS-1',
  severity: 'error',
  title: 'Cloud KMS key rotation of 90 days or less',
  rationale: 'Rotation bounds how much data one key version protects.',
  remediation: 'Set rotation_period = "7776000s" (90 days) or shorter on the google_kms_crypto_key, and keep lifecycle prevent_destroy.',
  checkov: ['CKV_GCP_43'],
  resourceTypes: ['google_kms_crypto_key'],
  check(key) {
    if (key.attrs.purpose !== undefined && key.attrs.purpose !== 'ENCRYPT_DECRYPT') return undefined;
    const period = key.attrs.rotation_period;
    if (typeof period !== 'string') return 'rotation_period unset';
    const seconds = Number(period.replace(/s$/, ''));
    return Number.isFinite(seconds) && seconds > 7_776_000 ? `rotation_period = ${period}` : undefined;
  },
});
