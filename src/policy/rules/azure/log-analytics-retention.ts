import { terraformRule } from '../../rule';

/** AI-AZ-LOG-1: Log Analytics keeps logs long enough for an investigation. */
export const LogAnalyticsRetention = terraformRule({
  id: 'AI-AZ-LOG-1',
  severity: 'warning',
  title: 'Log Analytics workspace retention of at least 90 days',
  rationale: 'The default 30 days is often gone before an incident is noticed; audit logs of the cluster and the stores live here.',
  remediation: 'Set retention_in_days to 90 or more (365 for audit logs).',
  constructFix: 'ModelBackupBucket accessLogRetentionDays: 90 or more (the default 90), or azure.logAnalyticsWorkspaceId for a workspace of your own',
  resourceTypes: ['azurerm_log_analytics_workspace'],
  check(ws) {
    const days = ws.attrs.retention_in_days;
    if (days === undefined) return 'retention_in_days unset (30 days)';
    return typeof days === 'number' && days < 90 ? `retention_in_days = ${days}` : undefined;
  },
});
