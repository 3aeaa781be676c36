import { IConstruct } from 'constructs';
import { Annotations } from 'cdktf';
import { check, InvalidPropError } from '../core/errors';
import { ResolvedRouting } from './alertmanager';
import type { MonitoringSpi } from './spi';
import { checkAlertRule, checkGpuRuleOptions, isDuration, Severity, SEVERITIES } from './rules';
import { BudgetProps, MonitoringBackend, RoutingProps, SecretReference, SelfManagedProps, AlertsProps } from './types';

const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+\.[a-zA-Z]{2,}$/;
const RECEIVER_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const RESERVED_RECEIVERS = ['null', 'unrouted', 'platform'];

/** A SecretReference as the cloud's secret manager names secrets (`spi` holds the cloud's rules). */
export function checkSecretReference(scope: IConstruct, prop: string, ref: SecretReference | undefined, spi: MonitoringSpi): void {
  if (ref === undefined) return;
  if (typeof ref !== 'object' || ref === null || typeof ref.secretName !== 'string' || !spi.secretNamePattern.test(ref.secretName)) {
    throw new InvalidPropError(scope, prop, ref, spi.secretReferenceAllowed);
  }
  spi.checkSecretLocation(scope, prop, ref);
}

/** Validates routing and applies defaults (critical and warning to every receiver). */
export function resolveRouting(scope: IConstruct, routing: RoutingProps | undefined, spi: MonitoringSpi, backend: MonitoringBackend): ResolvedRouting {
  const receivers = routing?.receivers ?? [];
  if (!Array.isArray(receivers)) throw new InvalidPropError(scope, 'routing.receivers', receivers, 'a list of receivers');
  const names = new Set<string>();
  receivers.forEach((r, i) => {
    const at = `routing.receivers[${i}]`;
    if (typeof r?.name !== 'string' || !RECEIVER_NAME.test(r.name) || RESERVED_RECEIVERS.includes(r.name) || names.has(r.name)) {
      throw new InvalidPropError(scope, `${at}.name`, r?.name,
        `a unique name of 2-32 lowercase letters, digits and '-' (not ${RESERVED_RECEIVERS.join(', ')})`);
    }
    names.add(r.name);
    for (const email of r.emails ?? []) {
      if (typeof email !== 'string' || !EMAIL.test(email)) throw new InvalidPropError(scope, `${at}.emails`, email, 'e-mail addresses');
    }
    checkSecretReference(scope, `${at}.slackWebhookUrl`, r.slackWebhookUrl, spi);
    checkSecretReference(scope, `${at}.webhookUrl`, r.webhookUrl, spi);
    checkSecretReference(scope, `${at}.pagerDutyRoutingKey`, r.pagerDutyRoutingKey, spi);
    if (!r.emails?.length && !r.slackWebhookUrl && !r.webhookUrl && !r.pagerDutyRoutingKey) {
      throw new InvalidPropError(scope, at, r.name, 'a receiver with at least one of emails, slackWebhookUrl, webhookUrl, pagerDutyRoutingKey');
    }
    if (r.slackWebhookUrl && backend === 'managed') {
      throw new InvalidPropError(scope, `${at}.slackWebhookUrl`, r.slackWebhookUrl.secretName,
        'Slack receivers with the self-managed backend (Alertmanager); managed backends deliver to webhooks, PagerDuty and e-mail (use webhookUrl with a Slack relay or the cloud\'s chat integration)');
    }
  });
  const routes = {} as Record<Severity, readonly string[]>;
  for (const [sev, list] of Object.entries(routing?.routes ?? {})) {
    if (!SEVERITIES.includes(sev as Severity)) {
      throw new InvalidPropError(scope, 'routing.routes', sev, `severities ${SEVERITIES.map((s) => JSON.stringify(s)).join(', ')}`);
    }
    for (const name of list ?? []) {
      if (!names.has(name)) throw new InvalidPropError(scope, `routing.routes.${sev}`, name, `receiver names: ${[...names].join(', ') || '(no receivers defined)'}`);
    }
  }
  const all = receivers.map((r) => r.name);
  for (const sev of SEVERITIES) routes[sev] = [...(routing?.routes?.[sev] ?? (sev === 'info' ? [] : all))];
  const smtp = routing?.smtp;
  if (smtp) {
    check.matches(scope, 'routing.smtp.smarthost', smtp.smarthost, /^[A-Za-z0-9.-]+:\d{2,5}$/, 'host:port, e.g. smtp.example.com:587');
    check.matches(scope, 'routing.smtp.from', smtp.from, EMAIL, 'an e-mail address');
    checkSecretReference(scope, 'routing.smtp.password', smtp.password, spi);
  }
  if (backend === 'self-managed') {
    // Alertmanager mounts its credentials through one SecretProviderClass, which names one vault (`keyVaultId`).
    const refs = [...receivers.flatMap((r) => [r.slackWebhookUrl, r.webhookUrl, r.pagerDutyRoutingKey]), smtp?.password]
      .filter((x): x is SecretReference => x !== undefined);
    const vaults = [...new Set(refs.map((x) => x.keyVaultId).filter((x): x is string => x !== undefined))];
    if (vaults.length > 1) {
      throw new InvalidPropError(scope, 'routing', vaults, 'receiver secrets in one Key Vault with the self-managed backend (Alertmanager reads them through one SecretProviderClass)');
    }
  }
  const emailed = receivers.find((r) => r.emails?.length);
  if (backend === 'self-managed' && emailed && !smtp) {
    throw new InvalidPropError(scope, 'routing.smtp', undefined, `an SMTP server (smarthost, from) for the e-mail addresses of receiver "${emailed.name}" (self-managed Alertmanager sends mail itself)`);
  }
  return { receivers, routes, smtp };
}

export function checkBudget(scope: IConstruct, budget: BudgetProps | undefined, spi: MonitoringSpi): void {
  if (budget === undefined) return;
  if (typeof budget.monthlyUsd !== 'number' || !Number.isFinite(budget.monthlyUsd) || budget.monthlyUsd <= 0 || budget.monthlyUsd > 1e9) {
    throw new InvalidPropError(scope, 'budget.monthlyUsd', budget.monthlyUsd, 'a number of US dollars > 0 and <= 1e9');
  }
  const thresholds = budget.thresholds ?? [50, 80, 100];
  if (!Array.isArray(thresholds) || thresholds.length === 0 || thresholds.length > 5
    || thresholds.some((t) => typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 1000) || new Set(thresholds).size !== thresholds.length) {
    throw new InvalidPropError(scope, 'budget.thresholds', budget.thresholds, '1-5 distinct percentages, each > 0 and <= 1000');
  }
  // Fractions ([0.5, 0.8, 1]) would notify at 0.5 % of the budget: an error, not a warning, because a list whose
  // every threshold is under 1.5 % alerts on the first day of every month and cannot be meant.
  if (thresholds.every((t) => t < 1.5)) {
    throw new InvalidPropError(scope, 'budget.thresholds', budget.thresholds,
      `percentages of the budget, not fractions: [${thresholds.map((t) => Math.round(t * 100)).join(', ')}] for ${thresholds.map((t) => `${Math.round(t * 100)} %`).join(', ')}`);
  }
  check.oneOf(scope, 'budget.azureScope', budget.azureScope, ['resource-group', 'subscription']);
  check.matches(scope, 'budget.startMonth', budget.startMonth, /^20\d\d-(0[1-9]|1[0-2])-01$/, 'the first day of a month, YYYY-MM-01');
  spi.checkBudget(scope, budget);
}

export function checkAlerts(scope: IConstruct, alerts: AlertsProps | undefined): void {
  if (!alerts) return;
  checkGpuRuleOptions(scope, 'alerts.gpu', alerts.gpu);
  // A percent under 1 may be a fraction (0.1 for 10 %), but an alert on GPUs below 0.5 % is a real choice: a warning.
  const idle = alerts.gpu?.idleUtilizationPercent;
  if (idle !== undefined && idle < 1) {
    Annotations.of(scope).addWarning(`${scope.node.path}: alerts.gpu.idleUtilizationPercent ${idle} means ${idle} % utilization, not ${Math.round(idle * 100)} %; `
      + `write ${Math.round(idle * 100)} if a fraction was meant`);
  }
  (alerts.custom ?? []).forEach((r, i) => checkAlertRule(scope, `alerts.custom[${i}]`, r));
  check.matches(scope, 'alerts.runbookBaseUrl', alerts.runbookBaseUrl, /^https:\/\/[^\s#]+$/, 'an https URL without a fragment');
}

export function checkSelfManaged(scope: IConstruct, o: SelfManagedProps | undefined): void {
  if (!o) return;
  check.matches(scope, 'selfManaged.namespace', o.namespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name');
  if (['default', 'kube-system', 'kube-public', 'kube-node-lease'].includes(o.namespace ?? '')) {
    throw new InvalidPropError(scope, 'selfManaged.namespace', o.namespace, 'a namespace of its own (not default or kube-*)');
  }
  if (o.retention !== undefined && (!isDuration(o.retention) || !/^\d+[hdwy]$/.test(o.retention))) {
    throw new InvalidPropError(scope, 'selfManaged.retention', o.retention, 'a Prometheus retention such as "15d", "720h" or "4w"');
  }
  check.integerInRange(scope, 'selfManaged.storageGiB', o.storageGiB, 10, 65536);
  check.integerInRange(scope, 'selfManaged.grafanaStorageGiB', o.grafanaStorageGiB, 1, 1024);
  for (const cidr of o.azureKeyVaultAllowedIpRanges ?? []) {
    check.ipv4(scope, 'selfManaged.azureKeyVaultAllowedIpRanges', cidr, { prefix: 'optional', allowed: 'public IPv4 addresses or CIDR ranges' });
  }
  check.matches(scope, 'selfManaged.storageClassName', o.storageClassName, /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a StorageClass name');
}
