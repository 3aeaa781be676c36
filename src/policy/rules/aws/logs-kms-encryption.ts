import { terraformRule } from '../../rule';
import { isSet } from '../../util';

/** AI-AWS-LOGS-1: log groups are encrypted with a customer-managed key. */
export const LogsKmsEncryption = terraformRule({
  id: 'AI-AWS-LOGS-1',
  severity: 'error',
  title: 'CloudWatch log group encrypted with a customer-managed KMS key',
  rationale: 'Control plane and application logs contain request bodies, tokens in URLs and object keys.',
  remediation: 'Set kms_key_id on the aws_cloudwatch_log_group (the key policy must allow logs.<region>.amazonaws.com).',
  checkov: ['CKV_AWS_158'],
  resourceTypes: ['aws_cloudwatch_log_group'],
  check(group) {
    return isSet(group.attrs.kms_key_id) ? undefined : 'kms_key_id unset';
  },
});
