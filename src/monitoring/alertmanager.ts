import { Severity, SEVERITIES } from './rules';
import { ReceiverProps, SmtpProps } from './types';

/** Routing after defaults: every severity names its receivers. */
export interface ResolvedRouting {
  readonly receivers: readonly ReceiverProps[];
  readonly routes: Record<Severity, readonly string[]>;
  readonly smtp?: SmtpProps;
}

/**
 * The SecretProviderClass (in the monitoring namespace) that maps receiver credentials of the cloud's secret
 * manager to files of Alertmanager's CSI volume.
 */
export const RECEIVER_SECRET = 'aiinfra-alertmanager-receivers';
/** Where Alertmanager finds the credential files. */
export const RECEIVER_SECRET_DIR = `/etc/alertmanager/secrets/${RECEIVER_SECRET}`;
const SECRET_DIR = RECEIVER_SECRET_DIR;

export type ReceiverSecretKind = 'slack-url' | 'webhook-url' | 'pagerduty-key';

/** Key of one credential in the receiver Secret. */
export function receiverSecretKey(receiver: string, kind: ReceiverSecretKind | 'smtp-password'): string {
  return kind === 'smtp-password' ? 'smtp-password' : `${receiver}-${kind}`;
}

/** Grouping and repeat intervals of every Alertmanager route tree this library writes. */
export const ROUTE_DEFAULTS = { group_by: ['alertname', 'namespace', 'severity'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' };
/** A critical alert silences the warnings and infos of the same alert and namespace. */
export const INHIBIT = [{ source_matchers: ['severity="critical"'], target_matchers: ['severity=~"warning|info"'], equal: ['alertname', 'namespace'] }];

/** One route per severity and receiver (`continue`: every receiver of a severity gets the alert). */
export function severityRoutes(routing: ResolvedRouting): Record<string, unknown>[] {
  return SEVERITIES.flatMap((sev) => routing.routes[sev].map((receiver) => ({ matchers: [`severity="${sev}"`], receiver, continue: true })));
}

/**
 * Alertmanager configuration for the self-managed backend. Credentials are never inline: Slack, webhook,
 * PagerDuty and SMTP settings read files (`*_file`) of a CSI volume the pod fills from the cloud's secret
 * manager at runtime.
 */
export function alertmanagerConfig(routing: ResolvedRouting, platform?: Record<string, unknown>): Record<string, unknown> {
  const smtp = routing.smtp;
  const receivers = routing.receivers.map((r) => ({
    name: r.name,
    ...(r.emails?.length ? { email_configs: r.emails.map((to) => ({ to, send_resolved: true })) } : {}),
    ...(r.slackWebhookUrl ? { slack_configs: [{ api_url_file: `${SECRET_DIR}/${receiverSecretKey(r.name, 'slack-url')}`, send_resolved: true,
      title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}', text: '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}' }] } : {}),
    ...(r.webhookUrl ? { webhook_configs: [{ url_file: `${SECRET_DIR}/${receiverSecretKey(r.name, 'webhook-url')}`, send_resolved: true }] } : {}),
    ...(r.pagerDutyRoutingKey ? { pagerduty_configs: [{ routing_key_file: `${SECRET_DIR}/${receiverSecretKey(r.name, 'pagerduty-key')}`, send_resolved: true }] } : {}),
  }));
  return {
    global: {
      resolve_timeout: '5m',
      ...(smtp ? {
        smtp_smarthost: smtp.smarthost, smtp_from: smtp.from, smtp_require_tls: true,
        ...(smtp.username ? { smtp_auth_username: smtp.username } : {}),
        ...(smtp.password ? { smtp_auth_password_file: `${SECRET_DIR}/${receiverSecretKey('', 'smtp-password')}` } : {}),
      } : {}),
    },
    route: {
      receiver: 'unrouted',
      ...ROUTE_DEFAULTS,
      routes: [
        { matchers: ['alertname=~"Watchdog|InfoInhibitor"'], receiver: 'null' },
        ...(platform ? [{ matchers: ['severity=~".+"'], receiver: 'platform', continue: true }] : []),
        ...severityRoutes(routing),
      ],
    },
    inhibit_rules: INHIBIT,
    receivers: [{ name: 'null' }, { name: 'unrouted' }, ...(platform ? [{ ...platform, name: 'platform' }] : []), ...receivers],
  };
}
