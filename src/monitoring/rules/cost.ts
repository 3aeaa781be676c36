// GPU cost per tenant (showback): recording rules that price every running pod's GPUs by the node's pool and
// capacity type, roll them up per workload and tenant namespace, price each tenant's idle quota, and alert on a
// tenant's spend pace against its monthly budget. Inputs are kube-state-metrics series (GPU requests, pod phase,
// node and pod labels allowlisted by KUBE_STATE_METRICS_LABELS) and the price table fixed at synth.
import { check, ErrorScope, InvalidPropError } from '../../core/errors';
import { HOURS_PER_MONTH } from '../../core/cost';
import { AlertRule, durationSeconds, isDuration, promString, RecordingRule, RuleGroup } from './rule';

/** Capacity types a node can have (the value of the node's `cdktf-ai-infra/capacity` label). */
export type CapacityType = 'reserved' | 'on-demand' | 'spot';
export const CAPACITY_TYPES: readonly CapacityType[] = ['reserved', 'on-demand', 'spot'];

/** kube-state-metrics `kube_node_labels` label names of the node labels (src/k8s/node-labels.ts), once allowlisted. */
export const KSM_NODE_POOL_LABEL = 'label_cdktf_ai_infra_pool';
export const KSM_NODE_CAPACITY_LABEL = 'label_cdktf_ai_infra_capacity';
/** kube-state-metrics `kube_pod_labels` label names of the workload labels (training job, endpoint). */
export const KSM_POD_TRAINING_JOB_LABEL = 'label_ai_infra_training_job';
export const KSM_POD_APP_LABEL = 'label_app_kubernetes_io_name';

/** Rule evaluation interval, seconds (render.ts' default `1m`): a recorded rate summed over a range is divided by this per hour. */
export const RULE_INTERVAL_SECONDS = 60;

/** One price of the table: a GPU-hour on one pool at one capacity type. */
export interface GpuPrice {
  /** The pool (value of the node label `cdktf-ai-infra/pool`). */
  readonly pool: string;
  readonly capacity: CapacityType;
  /** Machine type, for the dashboard. */
  readonly machine: string;
  /** USD per GPU-hour (node price / GPUs per node). */
  readonly usdPerGpuHour: number;
}

/** A tenant as the cost and queue rules need it. */
export interface TenantRuleTarget {
  /** The tenant's namespace. */
  readonly namespace: string;
  /** The tenant's Kueue ClusterQueue. */
  readonly clusterQueue: string;
  /** GPUs of the tenant's quota. */
  readonly gpuQuota: number;
  /** Price of one idle quota GPU-hour, USD (the on-demand GPU-hour of the tenant's first Kueue flavor's pool). */
  readonly idleUsdPerGpuHour: number;
  /** Monthly GPU budget, USD: budget alerts when set. @default - no budget alerts */
  readonly monthlyBudgetUsd?: number;
  /** A job pending in the queue longer than this alerts. @default '2h' */
  readonly pendingLimit?: string;
}

export function checkGpuPrices(scope: ErrorScope, prop: string, prices: readonly GpuPrice[]): void {
  const seen = new Set<string>();
  prices.forEach((p, i) => {
    check.matches(scope, `${prop}[${i}].pool`, p.pool, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a pool name (DNS label)');
    check.oneOf(scope, `${prop}[${i}].capacity`, p.capacity, CAPACITY_TYPES);
    check.numberInRange(scope, `${prop}[${i}].usdPerGpuHour`, p.usdPerGpuHour, 0, 1000);
    const key = `${p.pool}/${p.capacity}`;
    if (seen.has(key)) throw new InvalidPropError(scope, `${prop}[${i}]`, key, 'one price per pool and capacity type');
    seen.add(key);
  });
}

export function checkTenantTarget(scope: ErrorScope, prop: string, t: TenantRuleTarget): void {
  check.matches(scope, `${prop}.namespace`, t.namespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace');
  check.matches(scope, `${prop}.clusterQueue`, t.clusterQueue, /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a ClusterQueue name');
  check.integerInRange(scope, `${prop}.gpuQuota`, t.gpuQuota, 0, 100_000);
  check.numberInRange(scope, `${prop}.idleUsdPerGpuHour`, t.idleUsdPerGpuHour, 0, 1000);
  check.numberInRange(scope, `${prop}.monthlyBudgetUsd`, t.monthlyBudgetUsd, 1, 1e9);
  const limit = t.pendingLimit;
  if (limit !== undefined && (!isDuration(limit) || durationSeconds(limit) < 300 || durationSeconds(limit) > 30 * 86400)) {
    throw new InvalidPropError(scope, `${prop}.pendingLimit`, limit, 'a Prometheus duration from 5m to 30d, such as "30m" or "4h"');
  }
}

function num(n: number): string {
  return Number(n.toPrecision(8)).toString();
}

/**
 * The cluster's cost recording rules (group `aiinfra-cost`), each series documented in README.md:
 * - `aiinfra:gpu_price_usd_per_gpu_hour{pool,capacity,machine}`: the price table;
 * - `aiinfra:pod_gpus:allocated{namespace,pod,node,pool,capacity}`: GPUs requested by each Running pod;
 * - `aiinfra:pod_workload{namespace,pod,workload}`: the pod's training job, else its app, else the pod name;
 * - `aiinfra:workload_gpus:allocated` and `aiinfra:workload_gpu_cost_usd_per_hour` `{namespace,workload,pool,capacity}`;
 * - `aiinfra:namespace_gpus:allocated` and `aiinfra:namespace_gpu_cost_usd_per_hour` `{namespace}`.
 * GPU-hours and USD over a range are `sum_over_time(<rate>[range]) / 60` (one sample per minute).
 */
export function costRules(prices: readonly GpuPrice[]): RuleGroup {
  const records: RecordingRule[] = prices.map((p) => ({
    record: 'aiinfra:gpu_price_usd_per_gpu_hour', expr: `vector(${num(p.usdPerGpuHour)})`,
    labels: { pool: p.pool, capacity: p.capacity, machine: p.machine },
  }));
  const nodePools = `max by (node, pool, capacity) (label_replace(label_replace(kube_node_labels{${KSM_NODE_POOL_LABEL}!=""}, `
    + `"pool", "$1", "${KSM_NODE_POOL_LABEL}", "(.+)"), "capacity", "$1", "${KSM_NODE_CAPACITY_LABEL}", "(.+)"))`;
  const workload = (label: string) => `max by (namespace, pod, workload) (label_replace(kube_pod_labels{${label}!=""}, "workload", "$1", "${label}", "(.+)"))`;
  records.push(
    {
      record: 'aiinfra:pod_gpus:allocated',
      // Requests of Running pods only: a Pending pod holds no node; a finished one none either.
      expr: 'sum by (namespace, pod, node) (kube_pod_container_resource_requests{resource="nvidia_com_gpu"} '
        + '* on (namespace, pod) group_left () (max by (namespace, pod) (kube_pod_status_phase{phase="Running"}) == 1)) '
        + `* on (node) group_left (pool, capacity) ${nodePools}`,
    },
    {
      record: 'aiinfra:pod_workload',
      expr: `${workload(KSM_POD_TRAINING_JOB_LABEL)} or on (namespace, pod) ${workload(KSM_POD_APP_LABEL)} `
        + 'or on (namespace, pod) max by (namespace, pod, workload) (label_replace(kube_pod_labels, "workload", "$1", "pod", "(.+)"))',
    },
    {
      record: 'aiinfra:workload_gpus:allocated',
      expr: 'sum by (namespace, workload, pool, capacity) (aiinfra:pod_gpus:allocated * on (namespace, pod) group_left (workload) aiinfra:pod_workload)',
    },
    {
      record: 'aiinfra:workload_gpu_cost_usd_per_hour',
      expr: 'aiinfra:workload_gpus:allocated * on (pool, capacity) group_left () aiinfra:gpu_price_usd_per_gpu_hour',
    },
    { record: 'aiinfra:namespace_gpus:allocated', expr: 'sum by (namespace) (aiinfra:workload_gpus:allocated)' },
    { record: 'aiinfra:namespace_gpu_cost_usd_per_hour', expr: 'sum by (namespace) (aiinfra:workload_gpu_cost_usd_per_hour)' },
  );
  return { name: 'aiinfra-cost', area: 'tenant', rules: [], records };
}

/** The tenant label every tenant alert carries. */
export const TENANT_RULE_LABEL = 'aiinfra_tenant';

/**
 * One tenant's rules (group `aiinfra-tenant-<namespace>`): its quota and idle-quota cost as series, budget
 * alerts when it has a budget, and the alert for a job pending in its queue longer than `pendingLimit`.
 */
export function tenantRules(t: TenantRuleTarget): RuleGroup {
  const ns = promString(t.namespace);
  const used = `(sum(aiinfra:namespace_gpus:allocated{namespace=${ns}}) or vector(0))`;
  const idle = `clamp_min(vector(${t.gpuQuota}) - ${used}, 0)`;
  const records: RecordingRule[] = [
    { record: 'aiinfra:tenant_gpu_quota', expr: `vector(${t.gpuQuota})`, labels: { namespace: t.namespace } },
    { record: 'aiinfra:tenant_idle_gpu_quota', expr: idle, labels: { namespace: t.namespace } },
    { record: 'aiinfra:tenant_idle_quota_cost_usd_per_hour', expr: `${idle} * ${num(t.idleUsdPerGpuHour)}`, labels: { namespace: t.namespace } },
  ];
  const rules: AlertRule[] = [];
  const tenant = `tenant ${t.namespace}`;
  if (t.monthlyBudgetUsd !== undefined) {
    const budget = t.monthlyBudgetUsd;
    const perHour = `aiinfra:namespace_gpu_cost_usd_per_hour{namespace=${ns}}`;
    // A week at the budget's pace: budget x 168 h / 730 h.
    const week = budget * 168 / HOURS_PER_MONTH;
    rules.push(
      {
        name: 'TenantGpuBudgetBurn',
        expr: `sum by (namespace) (sum_over_time(${perHour}[1d])) / ${3600 / RULE_INTERVAL_SECONDS} * ${num(HOURS_PER_MONTH / 24)} > ${num(budget)}`,
        for: '1h',
        severity: 'warning',
        summary: `${tenant}: GPU spend of the last 24 h is on pace for {{ $value | humanize }} USD a month, over its ${num(budget)} USD budget`,
        description: `The tenant's GPUs (priced by pool and capacity type) cost more in the last 24 hours than its monthly budget allows `
          + `(${num(budget)} USD / ${HOURS_PER_MONTH} h). Kept up for a month, that spend is the value above.`,
        runbook: 'Open the tenant cost dashboard: find the top jobs and endpoints, stop forgotten ones, move checkpointed training to spot '
          + 'capacity, lower endpoints\' minimum replicas; or raise the tenant\'s monthlyBudgetUsd.',
        labels: { category: 'cost', [TENANT_RULE_LABEL]: t.namespace },
      },
      {
        name: 'TenantGpuBudgetOverrun',
        expr: `sum by (namespace) (sum_over_time(${perHour}[7d])) / ${3600 / RULE_INTERVAL_SECONDS} > ${num(week)}`,
        for: '0s',
        severity: 'critical',
        summary: `${tenant}: GPU spend of the last 7 days is {{ $value | humanize }} USD, over a week of its ${num(budget)} USD monthly budget`,
        description: `Over the last 7 days the tenant's GPUs cost more than ${num(Math.round(week * 100) / 100)} USD, the budget's share of a week: `
          + 'at this pace the month\'s budget is spent before the month ends.',
        runbook: 'Decide with the tenant: stop or shrink workloads (tenant cost dashboard, top jobs and endpoints), lower its gpuQuota, or '
          + 'raise its monthlyBudgetUsd. The cloud budget (MonitoringStack budget) counts the whole bill.',
        labels: { category: 'cost', [TENANT_RULE_LABEL]: t.namespace },
      },
    );
  }
  rules.push(pendingRule(t));
  return { name: `aiinfra-tenant-${t.namespace}`.slice(0, 63).replace(/-+$/, ''), area: 'tenant', rules, records };
}

/** Series of Kueue Workloads from kube-state-metrics' custom resource state (KUEUE_WORKLOAD_CUSTOM_RESOURCE_STATE). */
export const KUEUE_WORKLOAD_CONDITION = 'aiinfra_kueue_workload_condition';
export const KUEUE_WORKLOAD_CONDITION_SINCE = 'aiinfra_kueue_workload_condition_transition_timestamp_seconds';

/**
 * A Workload of the tenant whose QuotaReserved condition has been False for longer than the limit (and is not
 * Finished): the Job waits in the queue. The alert carries Kueue's reason and message as labels.
 */
function pendingRule(t: TenantRuleTarget): AlertRule {
  const ns = promString(t.namespace);
  const limit = t.pendingLimit ?? '2h';
  const since = `max by (namespace, workload) (${KUEUE_WORKLOAD_CONDITION_SINCE}{namespace=${ns},type="QuotaReserved"})`;
  const waiting = `max by (namespace, workload, reason, message) (${KUEUE_WORKLOAD_CONDITION}{namespace=${ns},type="QuotaReserved"} == 0)`;
  const finished = `(${KUEUE_WORKLOAD_CONDITION}{namespace=${ns},type="Finished"} == 1)`;
  return {
    name: 'TenantJobPendingTooLong',
    expr: `((time() - ${since}) + on (namespace, workload) group_left (reason, message) (0 * ${waiting}) `
      + `unless on (namespace, workload) ${finished}) > ${durationSeconds(limit)}`,
    for: '0s',
    severity: 'warning',
    summary: `tenant ${t.namespace}: workload {{ $labels.workload }} has waited in queue ${t.clusterQueue} for {{ $value | humanizeDuration }} (Kueue: {{ $labels.reason }})`,
    description: `Kueue has not admitted the workload for longer than ${limit}. Kueue says: {{ $labels.reason }}: {{ $labels.message }}`,
    runbook: 'See the queue with `kubectl get --raw /apis/visibility.kueue.x-k8s.io/v1beta1/namespaces/<ns>/localqueues/<queue>/pendingworkloads` '
      + '(position, priority) and the tenant queue dashboard (who holds the cohort\'s quota). Quota: wait, shrink the job, or raise gpuQuota; '
      + '"couldn\'t assign flavors": no pool fits the request.',
    labels: { [TENANT_RULE_LABEL]: t.namespace },
  };
}

/**
 * kube-state-metrics custom resource state for Kueue Workloads: each condition (value 1 True, 0 False, with
 * its reason and message) and the time it last changed. Kueue's own metrics count workloads per queue; these
 * name each waiting job and why it waits.
 */
export const KUEUE_WORKLOAD_CUSTOM_RESOURCE_STATE = {
  kind: 'CustomResourceStateMetrics',
  spec: {
    resources: [{
      groupVersionKind: { group: 'kueue.x-k8s.io', version: 'v1beta1', kind: 'Workload' },
      metricNamePrefix: 'aiinfra_kueue_workload',
      labelsFromPath: { namespace: ['metadata', 'namespace'], workload: ['metadata', 'name'], queue_name: ['spec', 'queueName'] },
      metrics: [
        {
          name: 'condition', help: 'Kueue Workload condition (1 True, 0 False), with its reason and message.',
          each: { type: 'Gauge', gauge: { path: ['status', 'conditions'], labelsFromPath: { type: ['type'], reason: ['reason'], message: ['message'] }, valueFrom: ['status'] } },
        },
        {
          name: 'condition_transition_timestamp_seconds', help: 'When the Kueue Workload condition last changed (Unix seconds).',
          each: { type: 'Gauge', gauge: { path: ['status', 'conditions'], labelsFromPath: { type: ['type'] }, valueFrom: ['lastTransitionTime'] } },
        },
      ],
    }],
  },
} as const;
