// Alert rules as Cloud Monitoring alert policies with PromQL conditions hold them (the managed backend on GCP).
import { annotationsOf, durationSeconds, labelsOf, RenderOptions, RuleGroup, Severity } from '../../monitoring/rules';

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
