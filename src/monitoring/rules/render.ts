import { stringify } from '../../core/yaml';
import { AlertRule, durationSeconds, isoDuration, RuleGroup, Severity } from './rule';

/** Options shared by every rendering. */
export interface RenderOptions {
  /** Base URL of the runbooks; each alert gets `runbook_url: <base>#<alertname lowercased>`. @default - no runbook_url */
  readonly runbookBaseUrl?: string;
  /** Labels added to every alert (e.g. `cluster`). @default - none */
  readonly labels?: Record<string, string>;
  /** Rule evaluation interval (Prometheus duration). @default '1m' */
  readonly interval?: string;
}

/** A rule as a Prometheus rules file (and PrometheusRule spec) holds it. */
export interface PrometheusAlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface PrometheusRuleGroup {
  readonly name: string;
  readonly interval: string;
  readonly rules: PrometheusAlertRule[];
}

function labelsOf(rule: AlertRule, group: RuleGroup, options: RenderOptions): Record<string, string> {
  return { ...(options.labels ?? {}), ...(rule.labels ?? {}), area: group.area, severity: rule.severity };
}

function annotationsOf(rule: AlertRule, options: RenderOptions): Record<string, string> {
  const out: Record<string, string> = { summary: rule.summary, description: rule.description, runbook: rule.runbook };
  if (options.runbookBaseUrl) out.runbook_url = `${options.runbookBaseUrl}#${rule.name.toLowerCase()}`;
  return out;
}

/** The groups as a Prometheus rules file / PrometheusRule `spec.groups`. */
export function prometheusGroups(groups: readonly RuleGroup[], options: RenderOptions = {}): PrometheusRuleGroup[] {
  return groups.map((group) => ({
    name: group.name,
    interval: options.interval ?? '1m',
    rules: group.rules.map((rule) => ({
      alert: rule.name,
      expr: rule.expr,
      for: rule.for,
      labels: labelsOf(rule, group, options),
      annotations: annotationsOf(rule, options),
    })),
  }));
}

/** A Prometheus rules file (YAML), as promtool and Amazon Managed Service for Prometheus read it. */
export function prometheusRulesYaml(groups: readonly RuleGroup[], options: RenderOptions = {}): string {
  return stringify({ groups: prometheusGroups(groups, options) }, { lineWidth: 0, sortMapEntries: false });
}

/** Azure Monitor alert severities: 0 critical, 2 warning, 3 informational. */
export const AZURE_SEVERITY: Record<Severity, number> = { critical: 0, warning: 2, info: 3 };

/** A rule as `azurerm_monitor_alert_prometheus_rule_group.rule` holds it (ISO 8601 `for`, numeric severity). */
export interface AzurePrometheusRule {
  readonly alert: string;
  readonly expression: string;
  /** Absent when the alert fires at once (Azure takes no zero duration). */
  readonly for?: string;
  readonly severity: number;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export function azureRules(group: RuleGroup, options: RenderOptions = {}): AzurePrometheusRule[] {
  return group.rules.map((rule) => ({
    alert: rule.name,
    expression: rule.expr,
    for: durationSeconds(rule.for) > 0 ? isoDuration(rule.for) : undefined,
    severity: AZURE_SEVERITY[rule.severity],
    labels: labelsOf(rule, group, options),
    annotations: annotationsOf(rule, options),
  }));
}

/** Cloud Monitoring alert policy severities. */
export const GCP_SEVERITY: Record<Severity, 'CRITICAL' | 'WARNING' | 'ERROR'> = { critical: 'CRITICAL', warning: 'WARNING', info: 'WARNING' };

/** A rule as a Cloud Monitoring alert policy with a PromQL condition holds it. */
export interface GcpPromqlPolicy {
  readonly displayName: string;
  readonly alertRule: string;
  readonly ruleGroup: string;
  readonly query: string;
  /** Seconds, as the API wants them (`300s`). */
  readonly duration: string;
  readonly evaluationInterval: string;
  readonly severity: 'CRITICAL' | 'WARNING' | 'ERROR';
  readonly labels: Record<string, string>;
  /** Markdown; Prometheus label templates become Cloud Monitoring variables (`${metric.label.x}`). */
  readonly documentation: string;
  readonly subject: string;
}

/** Prometheus templates -> Cloud Monitoring documentation variables. */
export function gcpTemplate(text: string): string {
  return text
    .replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, '$${metric.label.$1}')
    .replace(/\{\{\s*\$value[^}]*\}\}/g, 'the value');
}

export function gcpPolicies(group: RuleGroup, options: RenderOptions = {}): GcpPromqlPolicy[] {
  return group.rules.map((rule) => {
    const a = annotationsOf(rule, options);
    const doc = [`**${a.summary}**`, '', a.description, '', `Runbook: ${a.runbook}`, ...(a.runbook_url ? ['', a.runbook_url] : [])]
      .map(gcpTemplate).join('\n');
    return {
      displayName: `${rule.name} (${group.name})`.slice(0, 512),
      alertRule: rule.name,
      ruleGroup: group.name,
      query: rule.expr,
      duration: `${Math.round(durationSeconds(rule.for))}s`,
      evaluationInterval: `${Math.round(durationSeconds(options.interval ?? '1m'))}s`,
      severity: GCP_SEVERITY[rule.severity],
      labels: labelsOf(rule, group, options),
      documentation: doc,
      subject: gcpTemplate(a.summary).slice(0, 255),
    };
  });
}
