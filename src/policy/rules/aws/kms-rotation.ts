import { terraformRule } from '../../rule';
import { isOn } from '../../util';

/** AI-AWS-KMS-1: customer-managed keys rotate. */
export const KmsRotation = terraformRule({
  id: 'AI-AWS-KMS-1',
  severity: 'error',
  title: 'KMS key rotation enabled',
  rationale: 'Yearly automatic rotation limits how much data one key version protects, and most compliance regimes require it.',
  remediation: 'Set enable_key_rotation = true on the aws_kms_key.',
  checkov: ['CKV_AWS_7'],
  resourceTypes: ['aws_kms_key'],
  check(key) {
    if (key.attrs.customer_master_key_spec !== undefined && key.attrs.customer_master_key_spec !== 'SYMMETRIC_DEFAULT') return undefined;
    return isOn(key.attrs.enable_key_rotation) ? undefined : 'enable_key_rotation is not true';
  },
});
