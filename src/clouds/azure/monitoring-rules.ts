// Alert rules as Azure Monitor's Prometheus rule groups hold them (the managed backend on Azure).
import { annotationsOf, durationSeconds, isoDuration, labelsOf, RenderOptions, RuleGroup, Severity } from '../../monitoring/rules';

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
