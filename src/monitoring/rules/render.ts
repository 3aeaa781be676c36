import { stringify } from '../../core/yaml';
import { AlertRule, RuleGroup } from './rule';

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

/** A recording rule as a Prometheus rules file holds it. */
export interface PrometheusRecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Record<string, string>;
}

export interface PrometheusRuleGroup {
  readonly name: string;
  readonly interval: string;
  /** Recording rules first: the group's alerts may read what they record in the same evaluation. */
  readonly rules: (PrometheusRecordingRule | PrometheusAlertRule)[];
}

/** The group's recording rules as a rules file holds them. */
export function prometheusRecords(group: RuleGroup): PrometheusRecordingRule[] {
  return (group.records ?? []).map((r) => ({ record: r.record, expr: r.expr, ...(r.labels && Object.keys(r.labels).length ? { labels: { ...r.labels } } : {}) }));
}

/** The labels every rendering gives an alert: the options', the rule's, its area and severity. */
export function labelsOf(rule: AlertRule, group: RuleGroup, options: RenderOptions): Record<string, string> {
  return { ...(options.labels ?? {}), ...(rule.labels ?? {}), area: group.area, severity: rule.severity };
}

/** The annotations every rendering gives an alert (summary, description, runbook, runbook_url). */
export function annotationsOf(rule: AlertRule, options: RenderOptions): Record<string, string> {
  const out: Record<string, string> = { summary: rule.summary, description: rule.description, runbook: rule.runbook };
  if (options.runbookBaseUrl) out.runbook_url = `${options.runbookBaseUrl}#${rule.name.toLowerCase()}`;
  return out;
}

/** The groups as a Prometheus rules file / PrometheusRule `spec.groups`. */
export function prometheusGroups(groups: readonly RuleGroup[], options: RenderOptions = {}): PrometheusRuleGroup[] {
  return groups.map((group) => ({
    name: group.name,
    interval: options.interval ?? '1m',
    rules: [...prometheusRecords(group), ...group.rules.map((rule) => ({
      alert: rule.name,
      expr: rule.expr,
      for: rule.for,
      labels: labelsOf(rule, group, options),
      annotations: annotationsOf(rule, options),
    }))],
  }));
}

/** A Prometheus rules file (YAML), as promtool and managed Prometheus services read it. */
export function prometheusRulesYaml(groups: readonly RuleGroup[], options: RenderOptions = {}): string {
  return stringify({ groups: prometheusGroups(groups, options) }, { lineWidth: 0, sortMapEntries: false });
}
