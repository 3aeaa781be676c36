import { terraformRule } from '../../rule';
import { isSet } from '../../util';

/** AI-AWS-SNS-1: alert topics are encrypted with a customer-managed key. */
export const SnsKmsEncryption = terraformRule({
  id: 'AI-AWS-SNS-1',
  severity: 'error',
  title: 'SNS topic encrypted with a customer-managed KMS key',
  rationale: 'Alerts carry cluster names, model names and error text; the AWS-managed alias/aws/sns key cannot be shared with CloudWatch alarms or audited per use.',
  remediation: 'Set kms_master_key_id to a customer-managed key whose policy allows cloudwatch.amazonaws.com to use it.',
  checkov: ['CKV_AWS_26'],
  resourceTypes: ['aws_sns_topic'],
  check(topic) {
    const key = topic.attrs.kms_master_key_id;
    if (!isSet(key)) return 'kms_master_key_id unset';
    return key === 'alias/aws/sns' ? 'uses the AWS-managed key alias/aws/sns' : undefined;
  },
});
