import { terraformRule } from '../../rule';
import { isSet } from '../../util';

/** AI-AWS-SQS-1: queues (request queues of the endpoints, alert fan-out) are encrypted with a customer-managed key. */
export const SqsKmsEncryption = terraformRule({
  id: 'AI-AWS-SQS-1',
  severity: 'error',
  title: 'SQS queue encrypted with a customer-managed KMS key',
  rationale: 'Queued inference requests hold user prompts.',
  remediation: 'Set kms_master_key_id on the aws_sqs_queue.',
  checkov: ['CKV_AWS_27'],
  resourceTypes: ['aws_sqs_queue'],
  check(queue) {
    return isSet(queue.attrs.kms_master_key_id) ? undefined : 'kms_master_key_id unset';
  },
});
