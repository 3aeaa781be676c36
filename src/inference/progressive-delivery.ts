// Progressive delivery of an endpoint with Flagger (pinned chart, once per cluster): a change of the Deployment's
// pod template (model version annotation, image, model) becomes a canary that Flagger moves through the configured
// traffic steps on the endpoint's Gateway (Gateway API provider), checking the SLOs on the canary's own series in
// Prometheus at every interval; a breach rolls traffic back to the primary. Flagger, not Argo Rollouts: it
// drives plain Deployments and the Gateway API HTTPRoute we already render (Argo Rollouts replaces the Deployment
// with a Rollout object and needs a plugin for the Gateway API).
import { IConstruct } from 'constructs';
import { check, InvalidPropError } from '../core/errors';
import { CanaryAutoscalerRef, CanaryMetricCheck } from '../k8s/objects/canary';
import { prometheusMetricTemplate } from '../k8s/objects/metric-template';
import { K8sObject } from '../k8s/objects/object';
import { RUNTIME_METRICS, RuntimeMetricNames, seriesSelector } from './metrics';
import type { AddonChart } from './spi';
import { CanaryOptions, CanarySlo, InferenceRuntime } from './types';

/** Flagger, pinned (chart version = Flagger version). Its CRDs (Canary, MetricTemplate, AlertProvider) are templates. */
export const FLAGGER_CHART: AddonChart = {
  id: 'Flagger',
  releaseName: 'flagger',
  repository: 'https://flagger.app',
  chart: 'flagger',
  version: '1.44.0',
  namespace: 'flagger-system',
  // crd.create renders crds/ as templates (upgraded with the chart); the release skips Helm's crds/ install.
  crds: 'templates',
  skipCrds: true,
  values: {
    crd: { create: true },
    meshProvider: 'gatewayapi:v1',
    // Flagger picks the first of these labels in a Deployment's selector and suffixes it for the primary.
    // Endpoints select on their own label, so `app.kubernetes.io/name` (NetworkPolicies, the ServiceMonitor)
    // stays the same on primary and canary pods; the defaults follow for other workloads.
    selectorLabels: 'aiinfra.dev/deployment,app,name,app.kubernetes.io/name',
    // Each MetricTemplate names its Prometheus; the default address is never used by endpoints.
    metricsServer: 'http://prometheus-operated.monitoring.svc:9090',
    leaderElection: { enabled: true, replicaCount: 2 },
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
    securityContext: {
      enabled: true,
      context: {
        readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      },
    },
    // No mesh sidecar for Flagger itself: the chart's default pod annotations ask Linkerd to inject one (Helm merges
    // value maps, so the key is removed with null).
    podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'linkerd.io/inject': null, 'appmesh.k8s.aws/sidecarInjectorWebhook': null },
  },
};

/** Labels of Flagger's pods (chart flagger 1.44.0 templates/deployment.yaml: chart name and release). */
export const FLAGGER_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'flagger', 'app.kubernetes.io/instance': FLAGGER_CHART.releaseName };
/** Flagger's HTTP port (`http`: /metrics with flagger_canary_status{name,namespace}, /healthz probed by exec from inside the pod). */
export const FLAGGER_METRICS_PORT = { name: 'http', port: 8080 } as const;

/** The label the endpoint's Deployment selects on (Flagger suffixes it with `-primary` for the primary). */
export const DEPLOYMENT_SELECTOR_LABEL = 'aiinfra.dev/deployment';
/** Default pod template annotation with the registry version a pipeline rolls out. */
export const MODEL_VERSION_ANNOTATION = 'ai-infra.dev/model-version';

const DEFAULT_STEPS = [5, 25, 50];
const DEFAULT_INTERVAL = '10m';
const DEFAULT_ERROR_RATIO = 0.01;
const DEFAULT_FAILED_CHECKS = 2;
/** Old manual-canary fields: a synth error explains the migration. */
const MANUAL_FIELDS = ['weight', 'model', 'image', 'replicas', 'promote'] as const;
/** Go duration Flagger parses (`1h30m`, `10m`, `90s`). */
const DURATION = /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/;

/** Which series of a runtime each canary SLO reads (none: the runtime does not export it). */
export const SLO_METRICS: Record<keyof CanarySlo, readonly (keyof RuntimeMetricNames)[]> = {
  errorRatio: ['requests'],
  p95TtftMs: ['timeToFirstToken'],
  minTokensPerSecond: ['generationTokens', 'running'],
};

export interface ResolvedCanary {
  readonly steps: readonly number[];
  readonly interval: string;
  readonly intervalSeconds: number;
  readonly failedChecks: number;
  readonly errorRatio?: number;
  readonly p95TtftMs?: number;
  readonly minTokensPerSecond?: number;
}

/** What validation needs from the endpoint beside the options. */
export interface CanaryContext {
  readonly runtime: InferenceRuntime;
  readonly prometheusUrl?: string;
  readonly scaleToZero: boolean;
  /** How replicas are managed: a fixed count has no autoscaler Flagger can pause. */
  readonly scalingKind?: 'keda' | 'hpa' | 'fixed';
  /** The endpoint's own SLO TTFT bound (seconds): the canary's default. */
  readonly ttftP95Seconds?: number;
  /** The metric names of each runtime (RUNTIME_METRICS; a parameter so the export check is testable). */
  readonly metrics?: Record<InferenceRuntime, Partial<RuntimeMetricNames>>;
}

/** Seconds of a Go duration such as `1h30m` (checked by DURATION first). */
export function durationSeconds(d: string): number {
  const part = (unit: string) => Number(new RegExp(`(\\d+)${unit}`).exec(d)?.[1] ?? 0);
  return part('h') * 3600 + part('m') * 60 + part('s');
}

/**
 * The manual canary (a second Deployment at a fixed weight, promoted by editing the stack) is gone: one canary
 * mechanism. Its fields get an error that says how to migrate, before any other check reads them.
 */
export function rejectManualCanary(scope: IConstruct, o: CanaryOptions): void {
  if (typeof o !== 'object' || o === null) throw new InvalidPropError(scope, 'canary', o, '{ steps, interval, slo }');
  const manual = MANUAL_FIELDS.filter((f) => (o as unknown as Record<string, unknown>)[f] !== undefined);
  if (manual.length > 0) {
    throw new InvalidPropError(scope, `canary.${manual[0]}`, (o as unknown as Record<string, unknown>)[manual[0]],
      'progressive delivery: the manual canary (weight, model, image, replicas, promote) is replaced by Flagger. Set the new model or image '
      + 'on the endpoint itself (`model`, `image`) and keep `canary: { steps, interval, slo }`: every change of the pod template then runs as '
      + 'a canary through the steps and is promoted or rolled back by the SLO checks, without a second deploy');
  }
}

/** Checks `canary` and fills in the defaults. */
export function resolveCanary(scope: IConstruct, o: CanaryOptions, ctx: CanaryContext): ResolvedCanary {
  rejectManualCanary(scope, o);
  const steps = o.steps ?? DEFAULT_STEPS;
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > 20) {
    throw new InvalidPropError(scope, 'canary.steps', steps, 'a list of 1 to 20 traffic percentages such as [5, 25, 50]');
  }
  steps.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isInteger(s) || s <= 0 || s > 100) {
      throw new InvalidPropError(scope, `canary.steps[${i}]`, s, 'an integer percent in (0, 100]');
    }
    if (i > 0 && s <= steps[i - 1]) {
      throw new InvalidPropError(scope, 'canary.steps', steps, `strictly increasing percentages (step ${i} is ${s}, after ${steps[i - 1]})`);
    }
  });
  const interval = o.interval ?? DEFAULT_INTERVAL;
  if (typeof interval !== 'string' || !DURATION.test(interval)) {
    throw new InvalidPropError(scope, 'canary.interval', interval, 'a duration such as "10m", "90s" or "1h30m"');
  }
  const intervalSeconds = durationSeconds(interval);
  if (intervalSeconds < 60 || intervalSeconds > 86_400) {
    throw new InvalidPropError(scope, 'canary.interval', interval,
      'from 1m to 24h: each check reads the canary\'s series over one interval, and a shorter window holds too few scrapes of a canary at a small share');
  }
  check.integerInRange(scope, 'canary.failedChecks', o.failedChecks, 1, 20);
  if (ctx.scaleToZero) {
    throw new InvalidPropError(scope, 'autoscaling.scaleToZero', true,
      'false with a canary: an endpoint at zero replicas has no traffic for the analysis to measure, and Flagger keeps the canary '
      + 'Deployment at zero between rollouts, so a wake-up would start neither track');
  }
  if (ctx.scalingKind === 'fixed') {
    throw new InvalidPropError(scope, 'autoscaling.metric', 'none',
      'an autoscaler with a canary ("queue", which KEDA runs with replicas.min = max too, or "cpu" with min < max): with a fixed count the '
      + 'Deployment Flagger watches carries `replicas`, so every later deploy starts the idle canary\'s GPU pods again (Flagger scales it '
      + 'to zero only after a rollout, and pauses an autoscaler instead)');
  }
  if (!ctx.prometheusUrl) {
    throw new InvalidPropError(scope, 'canary', o,
      'a Prometheus Flagger can query (autoscaling.prometheusUrl, or a monitoring stack with a prometheusQueryUrl): the SLO checks read the '
      + "canary's series there. Managed monitoring backends expose no query URL without cloud auth");
  }
  const slo = o.slo ?? {};
  check.numberInRange(scope, 'canary.slo.errorRatio', slo.errorRatio, 0, 1);
  check.numberInRange(scope, 'canary.slo.p95TtftMs', slo.p95TtftMs, 1, 600_000);
  check.numberInRange(scope, 'canary.slo.minTokensPerSecond', slo.minTokensPerSecond, 0.001, 1_000_000);
  const metrics = ctx.metrics ?? RUNTIME_METRICS;
  for (const key of Object.keys(slo) as (keyof CanarySlo)[]) {
    const needs = SLO_METRICS[key];
    if (!needs) throw new InvalidPropError(scope, `canary.slo.${key}`, slo[key], `one of ${Object.keys(SLO_METRICS).join(', ')}`);
    const missing = needs.filter((m) => !metrics[ctx.runtime][m]);
    if (slo[key] !== undefined && missing.length > 0) {
      throw new InvalidPropError(scope, `canary.slo.${key}`, slo[key],
        `an SLO on a metric runtime "${ctx.runtime}" exports: it has no ${missing.join(' / ')} series`);
    }
  }
  const ttftDefault = ctx.ttftP95Seconds !== undefined ? Math.round(ctx.ttftP95Seconds * 1000) : undefined;
  return {
    steps: [...steps], interval, intervalSeconds, failedChecks: o.failedChecks ?? DEFAULT_FAILED_CHECKS,
    errorRatio: slo.errorRatio ?? DEFAULT_ERROR_RATIO,
    ...(slo.p95TtftMs ?? ttftDefault) !== undefined ? { p95TtftMs: slo.p95TtftMs ?? ttftDefault } : {},
    ...(slo.minTokensPerSecond !== undefined ? { minTokensPerSecond: slo.minTokensPerSecond } : {}),
  };
}

/** One SLO check of the analysis: its MetricTemplate query over the canary's series and the range it must stay in. */
export interface CanaryQuery {
  readonly name: string;
  readonly query: string;
  readonly min?: number;
  readonly max?: number;
}

/**
 * The analysis queries over one track's series (`<app>-canary`: the Service Flagger puts in front of the canary
 * pods, so the ServiceMonitor labels its series `service="<app>-canary"`). Window = the step interval.
 */
export function canaryQueries(c: ResolvedCanary, names: RuntimeMetricNames, namespace: string, service: string): CanaryQuery[] {
  const sel = seriesSelector(namespace, [service]);
  const w = c.interval;
  const out: CanaryQuery[] = [];
  if (c.errorRatio !== undefined) {
    // No error series at all means no errors (`or vector(0)`); no request series means no data, which Flagger
    // counts as a failed check: a canary that gets no traffic is not promoted.
    out.push({
      name: 'error-ratio', max: c.errorRatio,
      query: `(sum(rate(${names.requests}{${sel},${names.serverErrorMatcher}}[${w}])) or vector(0)) / sum(rate(${names.requests}{${sel}}[${w}]))`,
    });
  }
  if (c.p95TtftMs !== undefined) {
    out.push({ name: 'ttft-p95-ms', max: c.p95TtftMs, query: `histogram_quantile(0.95, sum by (le) (rate(${names.timeToFirstToken}_bucket{${sel}}[${w}]))) * 1000` });
  }
  if (c.minTokensPerSecond !== undefined) {
    // Decode speed one stream sees: generated tokens per second per running request (a share of traffic does not change it).
    out.push({
      name: 'tokens-per-second', min: c.minTokensPerSecond,
      query: `sum(rate(${names.generationTokens}{${sel}}[${w}])) / sum(avg_over_time(${names.running}{${sel}}[${w}]))`,
    });
  }
  return out;
}

/** The MetricTemplates (one per SLO) and the checks of the Canary that run them. */
export function analysisObjects(
  app: string, namespace: string, labels: Record<string, string>, c: ResolvedCanary, runtime: InferenceRuntime, prometheusUrl: string,
): { templates: K8sObject[]; checks: CanaryMetricCheck[] } {
  const queries = canaryQueries(c, RUNTIME_METRICS[runtime], namespace, `${app}-canary`);
  return {
    templates: queries.map((q) => prometheusMetricTemplate(`${app}-${q.name}`, namespace, labels, prometheusUrl, q.query)),
    checks: queries.map((q) => ({ name: q.name, templateRef: `${app}-${q.name}`, interval: c.interval, min: q.min, max: q.max })),
  };
}

/**
 * Flagger's copy of the target's autoscaler for the primary: an HPA as is; a KEDA ScaledObject with each
 * Prometheus trigger's query rewritten from the canary's series to the primary's.
 */
export function autoscalerRef(kind: 'keda' | 'hpa', app: string, primaryQueries: Record<string, string>): CanaryAutoscalerRef {
  if (kind === 'hpa') return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: app };
  return { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: app, primaryScalerQueries: primaryQueries };
}
