import { terraformRule } from '../../rule';

/** AI-AWS-KMS-2: a scheduled key deletion leaves time to cancel it. */
export const KmsDeletionWindow = terraformRule({
  id: 'AI-AWS-KMS-2',
  severity: 'warning',
  title: 'KMS key deletion window of at least 14 days',
  rationale: 'Deleting the key of a bucket makes every checkpoint unreadable; a long window lets an on-call engineer cancel a mistaken deletion.',
  remediation: 'Leave deletion_window_in_days unset (30) or set it to 14 or more.',
  resourceTypes: ['aws_kms_key'],
  check(key) {
    const days = key.attrs.deletion_window_in_days;
    return typeof days === 'number' && days < 14 ? `deletion_window_in_days = ${days}` : undefined;
  },
});
