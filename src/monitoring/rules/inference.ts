import { check, ErrorScope } from '../../core/errors';
import { AlertRule, promString, RuleGroup } from './rule';

/** The label the endpoint alerts carry (a static rule label: the endpoint's name). */
export const ENDPOINT_LABEL = 'aiinfra_endpoint';

/** Metric names of a model server (the builtin server's, per compute/CONTRACT.md, by default). */
export interface EndpointMetricNames {
  readonly requests: string;
  /** Label matcher selecting failed requests (server errors and rejections). */
  readonly errorMatcher: string;
  readonly requestDuration: string;
  readonly timeToFirstToken: string;
  readonly queueDepth: string;
}

/** The builtin server (compute/CONTRACT.md): 5xx and 429 (queue full) count against availability. */
export const BUILTIN_SERVER_METRICS: EndpointMetricNames = {
  requests: 'aiinfra_server_requests_total',
  errorMatcher: 'code=~"5..|429"',
  requestDuration: 'aiinfra_server_request_duration_seconds',
  timeToFirstToken: 'aiinfra_server_time_to_first_token_seconds',
  queueDepth: 'aiinfra_server_queue_depth',
};

/** What the endpoint rules need to know about one inference endpoint and its SLOs. */
export interface EndpointRuleTarget {
  /** Endpoint name (the value of the `aiinfra_endpoint` label). */
  readonly name: string;
  /** Kubernetes namespace of the endpoint's pods. */
  readonly namespace: string;
  /** p95 request latency (to the last byte) over this many seconds breaks the SLO. @default 10 */
  readonly latencyP95Seconds?: number;
  /** p95 time to first token over this many seconds breaks the SLO. @default 1 */
  readonly ttftP95Seconds?: number;
  /** Availability objective (fraction of requests that are not 5xx/429) over 30 days. @default 0.999 */
  readonly availability?: number;
  /** Average waiting requests per replica above which the queue is too deep. @default 32 */
  readonly queueDepth?: number;
  /**
   * Name (anchored regex) of the endpoint's HorizontalPodAutoscaler (KEDA names it `keda-hpa-<name>`).
   * @default - `<name>` or `keda-hpa-<name>`
   */
  readonly hpaNamePattern?: string;
  /**
   * Label matchers selecting the endpoint's series (every track).
   * @default - `namespace="<namespace>",service=~"<name>(-canary)?"` (the ServiceMonitor's labels)
   */
  readonly selector?: string;
  /** Metric names of the runtime. @default BUILTIN_SERVER_METRICS */
  readonly metrics?: EndpointMetricNames;
}

export function checkEndpointTarget(scope: ErrorScope, prop: string, t: EndpointRuleTarget): void {
  check.matches(scope, `${prop}.name`, t.name, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes name (DNS-1123 label)');
  check.matches(scope, `${prop}.namespace`, t.namespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace');
  check.numberInRange(scope, `${prop}.latencyP95Seconds`, t.latencyP95Seconds, 0.001, 3600);
  check.numberInRange(scope, `${prop}.ttftP95Seconds`, t.ttftP95Seconds, 0.001, 600);
  check.numberInRange(scope, `${prop}.availability`, t.availability, 0.9, 0.99999);
  check.numberInRange(scope, `${prop}.queueDepth`, t.queueDepth, 1, 100000);
}

/**
 * Multi-window, multi-burn-rate error budget alerts (Google SRE workbook, "Alerting on SLOs", table 5-8):
 * page on 2% of a 30-day budget in 1h or 5% in 6h, ticket on 10% in 3d or 1d.
 */
export const BURN_RATE_WINDOWS = [
  { severity: 'critical', long: '1h', short: '5m', factor: 14.4 },
  { severity: 'critical', long: '6h', short: '30m', factor: 6 },
  { severity: 'warning', long: '1d', short: '2h', factor: 3 },
  { severity: 'warning', long: '3d', short: '6h', factor: 1 },
] as const;

function num(n: number): string {
  return Number(n.toPrecision(6)).toString();
}

/** Alerts for one endpoint: latency and TTFT over SLO, error-budget burn, queue depth, at max replicas. */
export function endpointRules(t: EndpointRuleTarget): RuleGroup {
  const r = resolveEndpointTarget(t);
  const rules = [...endpointLatencyRules(r), ...endpointErrorBudgetRules(r), ...endpointCapacityRules(r)];
  const labelled = rules.map((rule) => ({ ...rule, labels: { ...(rule.labels ?? {}), [ENDPOINT_LABEL]: t.name } }));
  return { name: `aiinfra-endpoint-${t.namespace}-${t.name}`.slice(0, 63).replace(/-+$/, ''), area: 'inference', rules: labelled };
}

/** An endpoint target with its defaults applied and its PromQL pieces. */
interface ResolvedEndpointTarget {
  /** The namespace as a PromQL string. */
  readonly ns: string;
  /** Label matchers of the endpoint's series. */
  readonly sel: string;
  readonly m: EndpointMetricNames;
  readonly by: string;
  readonly latency: number;
  readonly ttft: number;
  readonly availability: number;
  readonly budget: number;
  readonly queue: number;
  readonly hpa: string;
  /** The endpoint as alert texts name it. */
  readonly ep: string;
}

function resolveEndpointTarget(t: EndpointRuleTarget): ResolvedEndpointTarget {
  const ns = promString(t.namespace);
  const availability = t.availability ?? 0.999;
  return {
    ns,
    sel: t.selector ?? `namespace=${ns},service=~${promString(`${t.name}(-canary)?`)}`,
    m: t.metrics ?? BUILTIN_SERVER_METRICS,
    by: 'by (namespace)',
    latency: t.latencyP95Seconds ?? 10,
    ttft: t.ttftP95Seconds ?? 1,
    availability,
    budget: 1 - availability,
    queue: t.queueDepth ?? 32,
    hpa: t.hpaNamePattern ?? `(keda-hpa-)?${t.name}`,
    ep: `endpoint ${t.namespace}/${t.name}`,
  };
}

/** p95 request latency and time to first token over their objectives. */
function endpointLatencyRules({ sel, m, latency, ttft, ep }: ResolvedEndpointTarget): AlertRule[] {
  return [
    {
      name: 'EndpointLatencyP95OverSlo',
      expr: `histogram_quantile(0.95, sum by (le, namespace) `
        + `(rate(${m.requestDuration}_bucket{${sel}}[5m]))) > ${num(latency)}`,
      for: '10m',
      severity: 'warning',
      summary: `${ep}: p95 request latency over ${num(latency)}s`,
      description: `95th percentile request duration is {{ $value | humanizeDuration }}, above the ${num(latency)}s objective, for 10 minutes.`,
      runbook: 'Check the endpoint dashboard: queue depth, batch size and KV-cache usage. If the queue is deep, raise max replicas '
        + 'or GPU size; if single requests are slow, look at prompt lengths and max_tokens.',
    },
    {
      name: 'EndpointTtftP95OverSlo',
      expr: `histogram_quantile(0.95, sum by (le, namespace) `
        + `(rate(${m.timeToFirstToken}_bucket{${sel}}[5m]))) > ${num(ttft)}`,
      for: '10m',
      severity: 'warning',
      summary: `${ep}: p95 time to first token over ${num(ttft)}s`,
      description: `95th percentile time to first token is {{ $value | humanizeDuration }}, above the ${num(ttft)}s objective: `
        + 'requests wait in the queue or prefill is slow.',
      runbook: 'Scale out (max replicas), shorten prompts, or give prefill priority; check GPU throttling alerts on the endpoint nodes.',
    },
  ];
}

/** Multi-window, multi-burn-rate alerts on the errors (BURN_RATE_WINDOWS). */
function endpointErrorBudgetRules({ sel, m, by, availability, budget, ep }: ResolvedEndpointTarget): AlertRule[] {
  const errorRatio = (w: string) =>
    `(sum ${by} (rate(${m.requests}{${sel},${m.errorMatcher}}[${w}])) `
    + `/ sum ${by} (rate(${m.requests}{${sel}}[${w}])))`;
  const burn = (severity: string) => BURN_RATE_WINDOWS.filter((w) => w.severity === severity)
    .map((w) => `(${errorRatio(w.long)} > ${num(w.factor * budget)} and ${errorRatio(w.short)} > ${num(w.factor * budget)})`)
    .join(' or ');
  return [
    {
      name: 'EndpointErrorBudgetBurnFast',
      expr: burn('critical'),
      for: '2m',
      severity: 'critical',
      summary: `${ep} is burning its error budget fast`,
      description: `Errors (5xx and 429) burn the ${num(availability * 100)}% availability budget at 14.4x (1h and 5m windows) or 6x `
        + '(6h and 30m windows): at this rate the 30-day budget is gone in 2-5 days.',
      runbook: 'Check recent deploys and canary, server logs (5xx), and 429s (queue full: scale out). Roll back a bad release first, '
        + 'investigate second.',
    },
    {
      name: 'EndpointErrorBudgetBurnSlow',
      expr: burn('warning'),
      for: '15m',
      severity: 'warning',
      summary: `${ep} is burning its error budget`,
      description: `Errors burn the ${num(availability * 100)}% availability budget at 3x (1d and 2h windows) or 1x (3d and 6h windows).`,
      runbook: 'Open a ticket: find the error sources on the endpoint dashboard (status codes over time) and fix them within days.',
    },
  ];
}

/** Capacity: a deep queue per replica, the autoscaler at its maximum. */
function endpointCapacityRules({ ns, sel, m, by, queue, hpa, ep }: ResolvedEndpointTarget): AlertRule[] {
  return [
    {
      name: 'EndpointQueueDepthHigh',
      expr: `avg ${by} (${m.queueDepth}{${sel}}) > ${num(queue)}`,
      for: '10m',
      severity: 'warning',
      summary: `${ep}: {{ $value }} requests waiting per replica`,
      description: `More than ${num(queue)} requests per replica wait for a batch slot: latency grows and the server soon answers 429.`,
      runbook: 'Raise max replicas or use a larger GPU; check the autoscaler targets queue depth (KEDA) and that new replicas become Ready.',
    },
    {
      name: 'EndpointAtMaxReplicas',
      expr: `kube_horizontalpodautoscaler_status_current_replicas{namespace=${ns},horizontalpodautoscaler=~${promString(hpa)}} `
        + `>= on (namespace, horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_max_replicas{namespace=${ns},`
        + `horizontalpodautoscaler=~${promString(hpa)}}`,
      for: '15m',
      severity: 'warning',
      summary: `${ep} has run at its maximum replicas for 15 minutes`,
      description: 'The autoscaler cannot add replicas: more load will raise latency and errors.',
      runbook: 'Raise replicas.max (and the GPU pool maxNodes / quota behind it), or shed load. Check the GPU idle alert '
        + 'elsewhere to free capacity.',
    },
  ];
}
