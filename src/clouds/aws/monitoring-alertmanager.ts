// Alertmanager receivers and configuration that publish to SNS: the self-managed Alertmanager's platform
// receiver, and the whole configuration of Amazon Managed Service for Prometheus (SNS is its only receiver type).
import { INHIBIT, ResolvedRouting, ROUTE_DEFAULTS, severityRoutes } from '../../monitoring/alertmanager';

/** An Alertmanager receiver publishing to an SNS topic (SigV4 with the pod's or the workspace's credentials). */
export function snsReceiver(topicArn: string, region: string): Record<string, unknown> {
  return {
    sns_configs: [{ topic_arn: topicArn, sigv4: { region }, send_resolved: true,
      subject: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}', attributes: { severity: '{{ .CommonLabels.severity }}' } }],
  };
}

/**
 * Alertmanager configuration of Amazon Managed Service for Prometheus: SNS is its only receiver type, so each
 * receiver is an SNS topic (`topics[name]`); `platformTopic` receives every alert.
 */
export function snsAlertmanagerConfig(routing: ResolvedRouting, topics: Record<string, string>, platformTopic: string, region: string): Record<string, unknown> {
  const sns = (arn: string) => snsReceiver(arn, region);
  return {
    route: {
      receiver: 'platform',
      ...ROUTE_DEFAULTS,
      routes: [{ matchers: ['alertname=~"Watchdog|InfoInhibitor"'], receiver: 'null' },
        { matchers: ['severity=~".+"'], receiver: 'platform', continue: true }, ...severityRoutes(routing)],
    },
    inhibit_rules: INHIBIT,
    receivers: [{ name: 'null' }, { name: 'platform', ...sns(platformTopic) },
      ...routing.receivers.map((r) => ({ name: r.name, ...sns(topics[r.name]) }))],
  };
}
