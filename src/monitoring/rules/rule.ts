import { ErrorScope, InvalidPropError } from '../../core/errors';

/** How urgent an alert is; routing maps each severity to receivers. */
export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/** The area an alert belongs to; each becomes one rule group. */
export type RuleArea = 'gpu' | 'training' | 'inference' | 'platform' | 'tenant';

/**
 * One alert, written once and rendered for every backend (a PrometheusRule for the self-managed Prometheus,
 * the cloud's own rule or alert-policy resource for the managed one).
 */
export interface AlertRule {
  /** Alert name, UpperCamelCase (`GpuXidError`). */
  readonly name: string;
  /** PromQL expression; every series it returns is a firing alert. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires (Prometheus duration: `5m`, `1h`, `0s`). */
  readonly for: string;
  readonly severity: Severity;
  /** One line: what is wrong (may use `{{ $labels.x }}`). */
  readonly summary: string;
  /** Why it matters and what the value means (may use `{{ $labels.x }}` and `{{ $value }}`). */
  readonly description: string;
  /** What to do, as short imperative steps. */
  readonly runbook: string;
  /** Extra labels on the alert. @default - none */
  readonly labels?: Record<string, string>;
}

/**
 * One recording rule: `expr` evaluated every interval and stored as `record` (with `labels` added). Dashboards and
 * the alerts of the same group read the recorded series (Prometheus evaluates a group's rules in order).
 */
export interface RecordingRule {
  /** Series name, `level:metric:operations` (`aiinfra:tenant_gpu_cost_usd_per_hour:sum`). */
  readonly record: string;
  readonly expr: string;
  /** Labels added to the recorded series. @default - none */
  readonly labels?: Record<string, string>;
}

/** Alerts of one area and scope, evaluated together. */
export interface RuleGroup {
  /** Group name, unique in a rule set (`aiinfra-gpu`, `aiinfra-endpoint-chat`). */
  readonly name: string;
  readonly area: RuleArea;
  readonly rules: readonly AlertRule[];
  /** Recording rules, evaluated before the group's alerts. @default - none */
  readonly records?: readonly RecordingRule[];
}

const DURATION = /^(?:0|(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?)$/;
const UNIT_SECONDS: Record<string, number> = { y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
const ALERT_NAME = /^[A-Z][A-Za-z0-9]{2,99}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RECORD_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** True for a Prometheus duration (`90s`, `5m`, `1h30m`, `0s`). */
export function isDuration(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && DURATION.test(value);
}

/** Seconds of a Prometheus duration. */
export function durationSeconds(value: string): number {
  if (!isDuration(value)) throw new Error(`not a Prometheus duration: ${value}`);
  if (value === '0') return 0;
  let total = 0;
  for (const m of value.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]];
  return total;
}

/** ISO 8601 duration of a Prometheus duration (`5m` -> `PT5M`, `1d` -> `P1D`), for services that take those. */
export function isoDuration(value: string): string {
  let s = Math.round(durationSeconds(value));
  const days = Math.floor(s / 86400); s -= days * 86400;
  const hours = Math.floor(s / 3600); s -= hours * 3600;
  const minutes = Math.floor(s / 60); s -= minutes * 60;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${s ? `${s}S` : ''}`;
  if (!days && !time) return 'PT0M';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

function balanced(expr: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) return false;
  }
  return stack.length === 0 && quote === undefined;
}

/**
 * Checks one rule; throws InvalidPropError naming the rule and the field. The PromQL is checked for
 * balanced brackets and quotes here; the full parse is promtool's (`scripts/test-promtool.sh`).
 */
export function checkAlertRule(scope: ErrorScope, prop: string, rule: AlertRule): void {
  if (typeof rule !== 'object' || rule === null) throw new InvalidPropError(scope, prop, rule, 'an AlertRule object');
  if (typeof rule.name !== 'string' || !ALERT_NAME.test(rule.name)) {
    throw new InvalidPropError(scope, `${prop}.name`, rule.name, 'an UpperCamelCase alert name of 3-100 letters and digits');
  }
  const at = `${prop}[${rule.name}]`;
  if (typeof rule.expr !== 'string' || rule.expr.trim() === '' || !balanced(rule.expr)) {
    throw new InvalidPropError(scope, `${at}.expr`, rule.expr, 'a PromQL expression with balanced brackets and quotes');
  }
  if (!isDuration(rule.for)) {
    throw new InvalidPropError(scope, `${at}.for`, rule.for, 'a Prometheus duration such as "0s", "5m", "1h30m"');
  }
  if (!SEVERITIES.includes(rule.severity)) {
    throw new InvalidPropError(scope, `${at}.severity`, rule.severity, `one of ${SEVERITIES.map((s) => JSON.stringify(s)).join(', ')}`);
  }
  for (const field of ['summary', 'description', 'runbook'] as const) {
    if (typeof rule[field] !== 'string' || rule[field].trim() === '') {
      throw new InvalidPropError(scope, `${at}.${field}`, rule[field], 'a non-empty string');
    }
  }
  for (const [key, value] of Object.entries(rule.labels ?? {})) {
    if (!LABEL_NAME.test(key) || key.startsWith('__') || key === 'alertname' || key === 'severity') {
      throw new InvalidPropError(scope, `${at}.labels`, key, 'a Prometheus label name (not alertname, severity or __*)');
    }
    if (typeof value !== 'string') throw new InvalidPropError(scope, `${at}.labels.${key}`, value, 'a string');
  }
}

/** Checks one recording rule; throws InvalidPropError naming it and the field. */
export function checkRecordingRule(scope: ErrorScope, prop: string, rule: RecordingRule): void {
  if (typeof rule !== 'object' || rule === null || typeof rule.record !== 'string' || !RECORD_NAME.test(rule.record)) {
    throw new InvalidPropError(scope, `${prop}.record`, (rule as { record?: unknown })?.record, 'a Prometheus metric name (letters, digits, _ and :)');
  }
  if (typeof rule.expr !== 'string' || rule.expr.trim() === '' || !balanced(rule.expr)) {
    throw new InvalidPropError(scope, `${prop}[${rule.record}].expr`, rule.expr, 'a PromQL expression with balanced brackets and quotes');
  }
  for (const key of Object.keys(rule.labels ?? {})) {
    if (!LABEL_NAME.test(key) || key.startsWith('__')) throw new InvalidPropError(scope, `${prop}[${rule.record}].labels`, key, 'a Prometheus label name (not __*)');
  }
}

/** Checks a rule set: every rule valid, alert names unique per group, group names unique. */
export function checkRuleGroups(scope: ErrorScope, prop: string, groups: readonly RuleGroup[]): void {
  const groupNames = new Set<string>();
  for (const group of groups) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(group.name) || groupNames.has(group.name)) {
      throw new InvalidPropError(scope, `${prop}.name`, group.name, 'a unique group name: lowercase letters, digits and hyphens, at most 63');
    }
    groupNames.add(group.name);
    const names = new Set<string>();
    for (const rule of group.rules) {
      checkAlertRule(scope, prop, rule);
      if (names.has(rule.name)) throw new InvalidPropError(scope, `${prop}.name`, rule.name, 'alert names unique within a group');
      names.add(rule.name);
    }
    for (const rule of group.records ?? []) checkRecordingRule(scope, `${prop}.records`, rule);
  }
}

/** A PromQL string literal (double-quoted, escaped). */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/** A PromQL regex literal matching exactly one of the values. */
export function promAnyOf(values: readonly string[]): string {
  return JSON.stringify(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
}
