import { terraformRule } from '../../rule';

/** AI-AWS-LOGS-2: log groups keep logs for a bounded, sufficient time. */
export const LogsRetention = terraformRule({
  id: 'AI-AWS-LOGS-2',
  severity: 'warning',
  title: 'CloudWatch log group retention of at least 90 days',
  rationale: 'Logs kept forever cost money without bound; kept too briefly they are gone before an incident is noticed.',
  remediation: 'Set retention_in_days to 90 or more (365 for audit logs).',
  resourceTypes: ['aws_cloudwatch_log_group'],
  check(group) {
    const days = group.attrs.retention_in_days;
    if (days === undefined || days === 0) return 'retention_in_days unset (logs never expire)';
    return typeof days === 'number' && days < 90 ? `retention_in_days = ${days}` : undefined;
  },
});
