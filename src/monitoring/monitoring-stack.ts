import { Construct, IConstruct } from 'constructs';
import type { ApiObjectProps } from 'cdk8s';
import { Annotations, ITerraformDependable } from 'cdktf';
import { targetFor } from '../clouds/registry';
import { Cloud } from '../core/cloud';
import { IGpuCluster } from '../core/cluster';
import { HOURS_PER_MONTH } from '../core/cost';
import { check, InvalidPropError } from '../core/errors';
import { checkUserTags } from '../core/tags';
import { KubernetesWorkload } from '../k8s/delivery';
import { FLAGGER_CHART, FLAGGER_METRICS_PORT, FLAGGER_POD_LABELS } from '../inference/progressive-delivery';
import { MANAGED_BY_LABELS } from '../k8s/namespace';
import { prometheusRule } from '../k8s/objects/prometheus-rule';
import { ResolvedRouting } from './alertmanager';
import type { MonitoringCloudImpl, MonitoringSpi } from './spi';
import { dashboardConfigMap, DASHBOARDS } from './dashboards';
import {
  backupRules, BUILTIN_SERVER_METRICS, checkBackupTarget, checkEndpointTarget, checkRuleGroups, checkTrainingTarget,
  EndpointMetricNames, endpointRules, GpuRuleOptions, EndpointRuleTarget, gpuRules, platformRules, prometheusGroups, RenderOptions, RuleGroup,
  TRAINING_JOB_LABEL, trainingRules, durationSeconds, isDuration, checkPipelineTarget, pipelineRules,
} from './rules';
import { checkCostProps, CostProps, gpuPriceTable, idleGpuHourPrice } from './cost-prices';
import { costRules, checkTenantTarget, tenantRules, TenantRuleTarget } from './rules/cost';
import { kueueServiceMonitor, podMonitor, ScrapeTarget } from './scrape';
import { prometheusOperatorCrds, receiverRuntimeSecrets, selfManagedPrometheus, SelfManagedResult } from './self-managed';
import {
  BudgetProps, IMonitoringStack, IWatchableBucket, IWatchableEndpoint, IWatchablePipeline, IWatchableRestoreDrill, IWatchableTenant, IWatchableTrainingJob, MONITORING_BACKENDS,
  MonitoringBackend, MonitoringStackProps, SelfManagedProps, Watchable, WatchOptions,
} from './types';
import { checkAlerts, checkBudget, checkSelfManaged, resolveRouting } from './validate';
import { checkStateLocation } from '../core/state-backend';
import { contributeSummary } from '../summary';

/** Metric names of the vLLM runtime (its /metrics); 429 is not separable there, so errors are 5xx. */
const VLLM_METRICS: EndpointMetricNames = {
  requests: 'http_requests_total',
  errorMatcher: 'status="5xx"',
  requestDuration: 'vllm:e2e_request_latency_seconds',
  timeToFirstToken: 'vllm:time_to_first_token_seconds',
  queueDepth: 'vllm:num_requests_waiting',
};

function isCluster(x: Watchable): x is IGpuCluster {
  const c = x as Partial<IGpuCluster>;
  return Array.isArray(c.gpuPools) && c.helmProvider !== undefined && typeof c.bindServiceAccount === 'function';
}
function isPipeline(x: Watchable): x is IWatchablePipeline {
  const p = x as Partial<IWatchablePipeline>;
  return typeof p.pipelineName === 'string' && typeof p.namespace === 'string' && p.cluster !== undefined && p.engine !== undefined;
}
function isTenant(x: Watchable): x is IWatchableTenant {
  const t = x as Partial<IWatchableTenant>;
  return typeof t.clusterQueueName === 'string' && typeof t.gpuQuota === 'number' && typeof t.namespace === 'string' && t.cluster !== undefined;
}
function isRestoreDrill(x: Watchable): x is IWatchableRestoreDrill {
  const d = x as Partial<IWatchableRestoreDrill>;
  return typeof d.jobName === 'string' && typeof d.namespace === 'string' && Array.isArray(d.roots);
}
function isTrainingJob(x: Watchable): x is IWatchableTrainingJob {
  const j = x as Partial<IWatchableTrainingJob>;
  return typeof j.jobName === 'string' && typeof j.namespace === 'string' && j.cluster !== undefined;
}
function isEndpoint(x: Watchable): x is IWatchableEndpoint {
  const e = x as Partial<IWatchableEndpoint>;
  return typeof e.name === 'string' && typeof e.namespace === 'string' && e.cluster !== undefined;
}
function isBucket(x: Watchable): x is IWatchableBucket {
  const b = x as Partial<IWatchableBucket>;
  return typeof b.bucketName === 'string' && b.cloud !== undefined;
}

/** MonitoringStackProps checked (every prop, before any child) and resolved. */
interface ResolvedMonitoringStack {
  readonly cloud: Cloud;
  /** The cloud's half of the stack. */
  readonly spi: MonitoringSpi;
  readonly backend: MonitoringBackend;
  readonly routing: ResolvedRouting;
  readonly dashboards: boolean;
}

/** Where the stack's Kubernetes objects go, per backend. */
interface MonitoringDelivery {
  readonly selfManaged?: SelfManagedResult;
  readonly workload?: KubernetesWorkload;
  readonly monitorNamespace: string;
  readonly scraperNamespace?: string;
  readonly prometheusQueryUrl?: string;
  readonly grafanaAdminPasswordLocation?: string;
}

/** Validates every prop (throws InvalidPropError naming the first bad one) and applies the defaults. */
function resolveMonitoringStack(scope: IConstruct, props: MonitoringStackProps): ResolvedMonitoringStack {
  const cloud = props.cloud ?? props.cluster?.cloud;
  if (!cloud) throw new InvalidPropError(scope, 'cloud', props.cloud, 'a Cloud target, or a cluster (whose cloud is used)');
  if (props.cloud && props.cluster && (!props.cloud.sameCloudAs(props.cluster.cloud) || props.cloud.kind !== props.cluster.cloud.kind)) {
    throw new InvalidPropError(scope, 'cloud', props.cloud.toString(), `the cluster's cloud (${props.cluster.cloud.toString()})`);
  }
  check.oneOf(scope, 'backend', props.backend, MONITORING_BACKENDS);
  const backend = props.backend ?? 'self-managed';
  if (backend === 'self-managed' && !props.cluster) {
    throw new InvalidPropError(scope, 'cluster', undefined, 'a cluster to run kube-prometheus-stack in, or backend "managed"');
  }
  if (props.selfManaged && backend !== 'self-managed') throw new InvalidPropError(scope, 'selfManaged', props.selfManaged, 'only with backend "self-managed"');
  if (props.managed && backend !== 'managed') throw new InvalidPropError(scope, 'managed', props.managed, 'only with backend "managed"');
  const spi = targetFor(cloud).monitoring;
  if (props.managed?.grafana && spi.managedGrafanaUnsupported) {
    throw new InvalidPropError(scope, 'managed.grafana', true, spi.managedGrafanaUnsupported);
  }
  checkUserTags(scope, cloud, props.tags);
  checkAlerts(scope, props.alerts);
  checkSelfManaged(scope, props.selfManaged);
  checkBudget(scope, props.budget, spi);
  checkCostProps(scope, props.cost, props.cluster);
  if (props.dashboards !== undefined && typeof props.dashboards !== 'boolean') throw new InvalidPropError(scope, 'dashboards', props.dashboards, 'true or false');
  const routing = resolveRouting(scope, props.routing, spi, backend);
  const knownAlerts = new Set(catalog().flatMap((g) => g.rules.map((r) => r.name)).concat((props.alerts?.custom ?? []).map((r) => r.name)));
  for (const name of props.alerts?.disabled ?? []) {
    if (!knownAlerts.has(name)) throw new InvalidPropError(scope, 'alerts.disabled', name, `alert names: ${[...knownAlerts].sort().join(', ')}`);
  }
  return { cloud, spi, backend, routing, dashboards: props.dashboards ?? true };
}

/**
 * Metrics, alerts, dashboards, routing and a cost budget for the AI platform.
 *
 * Backends: `'self-managed'` (default) runs kube-prometheus-stack in the cluster (Prometheus with a persistent
 * volume and retention, Alertmanager, Grafana with its admin password in the cloud's secret manager,
 * node-exporter, kube-state-metrics); `'managed'` uses the cloud's managed Prometheus service, its rules and
 * alerting (per cloud: README.md, the backend table).
 * Alert rules are typed (src/monitoring/rules) and rendered for the backend. `watch(...)` adds a cluster,
 * an endpoint, a training job or a bucket.
 *
 * @example
 * const monitoring = new MonitoringStack(this, 'obs', { cluster, budget: { monthlyUsd: 50_000 } });
 * monitoring.watch(endpoint, { latencyP95Seconds: 5 });
 */
export class MonitoringStack extends Construct implements IMonitoringStack {
  public readonly cloud: Cloud;
  public readonly backend: MonitoringBackend;
  public readonly cluster?: IGpuCluster;
  /** In-cluster Prometheus query URL (self-managed; KEDA and InferenceEndpoint use it). */
  public readonly prometheusQueryUrl?: string;
  /** Namespace of the scraper: NetworkPolicies of watched workloads admit it. */
  public readonly scraperNamespace?: string;
  /** Labels our Prometheus selects monitors and rules by (every object this library makes carries them). */
  public readonly serviceMonitorLabels: Record<string, string> = { ...MANAGED_BY_LABELS };
  /** The per-cloud resources (topics, channels, action groups, budget, managed workspace) by role. */
  public readonly resources: Record<string, IConstruct>;
  /** The self-managed parts (releases), when that backend is used. */
  public readonly selfManaged?: SelfManagedResult;
  /** Kubernetes objects of the monitoring stack (monitors, rules, dashboards), when delivered to a cluster. */
  public readonly workload?: KubernetesWorkload;
  /** Rule groups in effect, in order. */
  public readonly ruleGroups: RuleGroup[] = [];
  /** Where the Grafana admin password is kept (self-managed). */
  public readonly grafanaAdminPasswordLocation?: string;
  /**
   * What releases carrying ServiceMonitors/PodMonitors/PrometheusRules must be applied after: the
   * kube-prometheus-stack release (self-managed) or the prometheus-operator CRDs (managed, with a cluster).
   * `watch(endpoint)` adds it to the endpoint's release.
   */
  public readonly monitoringCrdDependencies: ITerraformDependable[] = [];

  private readonly impl: MonitoringCloudImpl;
  private readonly render: RenderOptions;
  private readonly disabled: ReadonlySet<string>;
  private readonly monitorNamespace: string;
  private readonly watched = new Set<IConstruct>();
  private argoScraped = false;
  private flaggerScraped = false;
  private readonly gpuOptions?: GpuRuleOptions;
  private readonly budget?: BudgetProps;
  private readonly cost?: CostProps;

  constructor(scope: Construct, id: string, props: MonitoringStackProps = {}) {
    super(scope, id);
    checkStateLocation(this);
    const r = resolveMonitoringStack(this, props);
    this.cloud = r.cloud;
    this.backend = r.backend;
    this.cluster = props.cluster;
    this.disabled = new Set(props.alerts?.disabled ?? []);
    this.render = { runbookBaseUrl: props.alerts?.runbookBaseUrl };
    this.impl = r.spi.create(this, r.cloud, {
      backend: r.backend, routing: r.routing, budget: props.budget, cluster: props.cluster, managed: props.managed ?? {}, selfManaged: props.selfManaged ?? {}, render: this.render, tags: props.tags,
    });
    this.resources = this.impl.resources;

    const delivery = r.backend === 'self-managed' && props.cluster
      ? this.renderSelfManaged(props.cluster, props.selfManaged ?? {}, r)
      : this.renderCollectors(props.cluster);
    this.selfManaged = delivery.selfManaged;
    this.workload = delivery.workload;
    this.monitorNamespace = delivery.monitorNamespace;
    this.prometheusQueryUrl = delivery.prometheusQueryUrl;
    this.scraperNamespace = delivery.scraperNamespace;
    this.grafanaAdminPasswordLocation = delivery.grafanaAdminPasswordLocation;
    this.annotateRouting(r.routing, r.backend);

    this.addRuleGroup(platformRules());
    if (props.alerts?.custom?.length) this.addRuleGroup({ name: 'aiinfra-custom', area: 'platform', rules: [...props.alerts.custom] });
    this.gpuOptions = props.alerts?.gpu;
    this.budget = props.budget;
    this.cost = props.cost;
    if (props.cluster) this.watch(props.cluster);
    contributeSummary(this, () => ({
      kind: 'monitoring', path: this.node.path, cloud: this.cloud.toString(), cluster: this.cluster?.node.path, backend: this.backend,
      receivers: r.routing.receivers.map((x) => x.name), routes: r.routing.routes,
    }));
  }

  /** kube-prometheus-stack in the cluster; monitors, rules and dashboards go to its config release. */
  private renderSelfManaged(cluster: IGpuCluster, o: SelfManagedProps, r: ResolvedMonitoringStack): MonitoringDelivery {
    const selfManaged = selfManagedPrometheus(this, cluster, this.impl, o, r.routing);
    this.monitoringCrdDependencies.push(selfManaged.release);
    if (r.dashboards) DASHBOARDS.forEach((d) => addK8s(selfManaged.config, `Dashboard-${d.name}`, dashboardConfigMap(d, selfManaged.namespace, MANAGED_BY_LABELS)));
    return {
      selfManaged, workload: selfManaged.config, monitorNamespace: selfManaged.namespace, prometheusQueryUrl: selfManaged.prometheusQueryUrl,
      scraperNamespace: selfManaged.namespace, grafanaAdminPasswordLocation: this.impl.grafanaAdminPasswordLocation,
    };
  }

  /** Managed backend: with a cluster, the prometheus-operator CRDs and the objects the cloud's collector needs. */
  private renderCollectors(cluster: IGpuCluster | undefined): MonitoringDelivery {
    const delivery = { monitorNamespace: 'kube-system', scraperNamespace: this.impl.collectorNamespace };
    if (!cluster) return delivery;
    this.monitoringCrdDependencies.push(prometheusOperatorCrds(this, cluster));
    const workload = new KubernetesWorkload(this, 'Collectors', { cluster, namespace: 'kube-system' });
    this.impl.clusterObjects.forEach((o, i) => addK8s(workload, `Cluster${i}`, o));
    return { ...delivery, workload };
  }

  /** Where receiver credentials are read (issue 15 item 6): said at synth, since it decides what the plan needs. */
  private annotateRouting(routing: ResolvedRouting, backend: MonitoringBackend): void {
    const credentials = receiverRuntimeSecrets(routing).map((x) => x.ref.secretName);
    if (credentials.length && backend === 'managed') {
      Annotations.of(this).addInfo(`${this.node.path}: the managed backend's cloud channels (webhooks, PagerDuty) hold receiver credentials as values: Terraform reads ${
        [...new Set(credentials)].join(', ')} with data sources at plan time. They must exist before the first plan, the plan identity needs read access to them, and the values are stored in state (marked sensitive): keep state encrypted and access-controlled.`);
    } else if (credentials.length) {
      Annotations.of(this).addInfo(`${this.node.path}: Alertmanager reads receiver credentials (${[...new Set(credentials)].join(', ')}) from the cloud's secret manager at runtime; Terraform never reads them. Budget notifications reach e-mail receivers and the platform channel.`);
    }
    if (routing.receivers.length === 0) {
      Annotations.of(this).addWarning(`${this.node.path}: no routing.receivers: alerts reach only the cloud-native channel${backend === 'self-managed' ? ' for budgets, and Alertmanager/Grafana for alerts' : ''}; add receivers (e-mail, webhook, PagerDuty)`);
    }
  }

  /**
   * Monitors a cluster (GPU rules, DCGM exporter scraping), an inference endpoint (latency, TTFT, error-budget
   * burn, queue depth, max replicas), a training job (stalled, stale checkpoints, failed, restarting), a
   * restore drill or a bucket with one (drill failed or overdue). A plain second watch of a target is a no-op.
   */
  public watch(target: Watchable, options: WatchOptions = {}): void {
    if (this.watched.has(target)) {
      // An InferenceEndpoint given `monitoring` registers itself: a plain second watch is a no-op.
      if (Object.values(options).every((v) => v === undefined)) return;
      throw new InvalidPropError(this, 'watch', target.node.path,
        'each target once (an InferenceEndpoint given `monitoring` watches itself with its `slo`: set the objectives there)');
    }
    if (isCluster(target)) this.watchCluster(target);
    else if (isPipeline(target)) this.watchPipeline(target, options);
    else if (isTenant(target)) this.watchTenant(target, options);
    else if (isRestoreDrill(target)) this.watchDrill(target.roots.join(', ') || target.node.path, target, options);
    else if (isTrainingJob(target)) this.watchTrainingJob(target, options);
    else if (isEndpoint(target)) this.watchEndpoint(target, options);
    else if (isBucket(target)) this.watchBucket(target, options);
    else throw new InvalidPropError(this, 'watch', (target as IConstruct)?.node?.path ?? target, 'a GPU cluster, a tenant, an inference endpoint, a training job, a model pipeline or a bucket');
    this.watched.add(target);
  }

  private sameCluster(prop: string, target: IConstruct, cluster: IGpuCluster): void {
    if (!this.cluster) {
      throw new InvalidPropError(this, 'cluster', undefined, `a cluster (props.cluster) whose workloads are scraped, to watch ${target.node.path}`);
    }
    if (cluster !== this.cluster) {
      throw new InvalidPropError(this, prop, target.node.path, `a workload on the monitored cluster (${this.cluster.node.path})`);
    }
    if (!cluster.cloud.sameCloudAs(this.cloud) || cluster.cloud.kind !== this.cloud.kind) {
      throw new InvalidPropError(this, prop, target.node.path, `a workload on ${this.cloud.toString()}`);
    }
  }

  private watchCluster(cluster: IGpuCluster): void {
    if (this.cluster && cluster !== this.cluster) {
      throw new InvalidPropError(this, 'watch', cluster.node.path, `the stack's cluster (${this.cluster.node.path}); make one MonitoringStack per cluster`);
    }
    if (!cluster.cloud.sameCloudAs(this.cloud)) throw new InvalidPropError(this, 'watch', cluster.node.path, `a cluster on ${this.cloud.toString()}`);
    this.checkBudgetAgainstCost(cluster);
    this.addScrapeTarget({
      name: 'aiinfra-dcgm-exporter', namespace: cluster.addOnNamespace ?? 'gpu-system',
      podSelector: { 'app.kubernetes.io/name': 'dcgm-exporter' }, port: 'metrics', interval: '30s',
    });
    this.addRuleGroup(gpuRules(this.gpuOptions ?? {}));
    this.watchCost(cluster);
  }

  /** GPU cost recording rules priced from the pools' machines; Kueue's metrics scraped. */
  private watchCost(cluster: IGpuCluster): void {
    const { prices, unpriced } = gpuPriceTable(cluster, this.cost);
    if (unpriced.length) {
      Annotations.of(this).addWarning(`${this.node.path}: no price for ${unpriced.join(', ')} (machine type not in the GPU catalog): their GPUs are left `
        + 'out of the cost-per-tenant series. Give their prices with cost.nodeHourPricesUsd.');
    }
    if (prices.length) this.addRuleGroup(costRules(prices));
    if (this.selfManaged) {
      addK8s(this.selfManaged.config, 'Monitor-kueue', kueueServiceMonitor(this.monitorNamespace, { ...MANAGED_BY_LABELS }));
    } else {
      Annotations.of(this).addInfo(`${this.node.path}: the managed backend does not scrape Kueue's controller (HTTPS with a token it cannot present): `
        + 'the queue dashboard\'s per-ClusterQueue panels stay empty; per-job pending alerts (kube-state-metrics) still work where kube-state-metrics '
        + 'runs with the values of kubeStateMetricsCostValues() (README: "Cost per tenant", per backend).');
    }
  }

  /** A tenant: its quota, idle-quota cost, budget alerts and queue alert. */
  private watchTenant(tenant: IWatchableTenant, o: WatchOptions): void {
    this.sameCluster('watch', tenant, tenant.cluster);
    const limit = o.queuePendingLimit;
    if (limit !== undefined && (!isDuration(limit) || durationSeconds(limit) < 300 || durationSeconds(limit) > 30 * 86400)) {
      throw new InvalidPropError(this, 'watch options.queuePendingLimit', limit, 'a Prometheus duration from 5m to 30d, such as "30m" or "4h"');
    }
    const target: TenantRuleTarget = {
      namespace: tenant.namespace, clusterQueue: tenant.clusterQueueName, gpuQuota: tenant.gpuQuota,
      idleUsdPerGpuHour: idleGpuHourPrice(tenant.cluster, this.cost), monthlyBudgetUsd: tenant.monthlyBudgetUsd, pendingLimit: o.queuePendingLimit,
    };
    checkTenantTarget(this, 'watch options', target);
    this.addRuleGroup(tenantRules(target));
    tenant.onWatched?.(this);
  }

  /**
   * A budget far below the cluster's synth-time estimate is likely a typo (a missing zero) or a surprise; but
   * the estimate is an upper bound (every pool at maxNodes all month), so a small budget can be deliberate:
   * a warning with both figures, when the budget buys under a tenth of that month.
   */
  private checkBudgetAgainstCost(cluster: IGpuCluster): void {
    const estimate = (cluster as { estimatedMonthlyCost?: unknown }).estimatedMonthlyCost;
    const budget = this.budget?.monthlyUsd;
    if (budget === undefined || typeof estimate !== 'number' || !(budget < estimate / 10)) return;
    const hours = Math.floor((budget / estimate) * HOURS_PER_MONTH);
    Annotations.of(this).addWarning(`${this.node.path}: budget.monthlyUsd ${budget} USD is far below the cost estimate of ${cluster.node.path}, `
      + `${estimate} USD/month (upper bound: GPU pools at maxNodes for ${HOURS_PER_MONTH} h at on-demand list price): the budget buys about ${hours} h `
      + 'of the cluster at full size. Raise the budget or lower maxNodes, unless the pools stay mostly scaled to zero.');
  }

  private watchTrainingJob(job: IWatchableTrainingJob, o: WatchOptions): void {
    const target = {
      name: job.jobName, namespace: job.namespace,
      stalledAfter: o.stalledAfter, checkpointStaleAfter: o.checkpointStaleAfter, maxRestartsPerHour: o.maxRestartsPerHour,
    };
    checkTrainingTarget(this, 'watch options', target);
    this.sameCluster('watch', job, job.cluster);
    this.addScrapeTarget({
      name: `aiinfra-train-${job.jobName}`.slice(0, 63).replace(/-+$/, ''), namespace: job.namespace,
      podSelector: { 'ai-infra/training-job': job.jobName }, port: 'metrics', interval: '30s',
      labelsFromPod: { 'ai-infra/training-job': TRAINING_JOB_LABEL },
    });
    this.addRuleGroup(trainingRules(target));
  }

  /**
   * A model pipeline: its Argo controller's metrics scraped (once per stack), alerts on failed runs, gate rejections in
   * a row, canary rollbacks (Flagger's `flagger_canary_status`, scraped where Flagger is installed) and staleness.
   */
  private watchPipeline(p: IWatchablePipeline, o: WatchOptions): void {
    const target = {
      name: p.pipelineName, namespace: p.namespace, scheduleIntervalSeconds: p.scheduleIntervalSeconds, maxGateRejections: o.maxGateRejections,
      canary: p.deployTarget ? { name: p.deployTarget.canaryName, namespace: p.deployTarget.namespace } : undefined,
    };
    checkPipelineTarget(this, 'watch options', target);
    this.sameCluster('watch', p, p.cluster);
    if (!this.argoScraped) {
      this.argoScraped = true;
      this.addScrapeTarget({
        name: 'aiinfra-argo-workflows', namespace: p.engine.namespace, podSelector: { ...p.engine.controllerPodLabels }, port: p.engine.metricsPortName, interval: '30s',
      });
    }
    // The rollback alert reads Flagger's flagger_canary_status{name,namespace}: its controller is scraped once.
    if (target.canary && !this.flaggerScraped) {
      this.flaggerScraped = true;
      this.addScrapeTarget({
        name: 'aiinfra-flagger', namespace: FLAGGER_CHART.namespace, podSelector: { ...FLAGGER_POD_LABELS }, port: FLAGGER_METRICS_PORT.name, interval: '30s',
      });
    }
    this.addRuleGroup(pipelineRules(target));
  }

  private watchEndpoint(endpoint: IWatchableEndpoint, o: WatchOptions): void {
    const runtime = endpoint.runtime ?? 'builtin';
    if (runtime !== 'builtin' && runtime !== 'vllm') throw new InvalidPropError(this, 'watch', endpoint.runtime, 'an endpoint with runtime "builtin" or "vllm"');
    const target: EndpointRuleTarget = {
      name: endpoint.name, namespace: endpoint.namespace,
      latencyP95Seconds: o.latencyP95Seconds ?? endpoint.slo?.latencyP95Seconds, ttftP95Seconds: o.ttftP95Seconds,
      availability: o.availability ?? endpoint.slo?.availability, queueDepth: o.queueDepth,
      selector: typeof endpoint.selector === 'function' ? endpoint.selector() : undefined,
      metrics: runtime === 'vllm' ? VLLM_METRICS : BUILTIN_SERVER_METRICS,
    };
    checkEndpointTarget(this, 'watch options', target);
    this.sameCluster('watch', endpoint, endpoint.cluster);
    this.addScrapeTarget({
      name: `aiinfra-endpoint-${endpoint.name}`.slice(0, 63).replace(/-+$/, ''), namespace: endpoint.namespace,
      podSelector: { 'app.kubernetes.io/name': endpoint.name }, port: 'http', interval: '15s',
      labelsFromPod: { 'app.kubernetes.io/name': 'service' },
      // An endpoint given a self-managed `monitoring` ships its own ServiceMonitor; otherwise we scrape its pods.
      hasServiceMonitor: ((endpoint as { objects?: readonly { kind?: string }[] }).objects ?? []).some((o) => o.kind === 'ServiceMonitor'),
    });
    this.addRuleGroup(endpointRules(target));
    // The endpoint's ServiceMonitor needs the CRD: its release goes after ours.
    const workload = (endpoint as { workload?: unknown }).workload;
    if (KubernetesWorkload.isKubernetesWorkload(workload)) workload.addDependency(...this.monitoringCrdDependencies);
  }

  private watchBucket(bucket: IWatchableBucket, o: WatchOptions): void {
    if (!bucket.cloud.sameCloudAs(this.cloud) || bucket.cloud.kind !== this.cloud.kind) {
      throw new InvalidPropError(this, 'watch', bucket.node.path, `a bucket on ${this.cloud.toString()}`);
    }
    const drill = o.restoreDrill ?? bucket.restoreDrill;
    if (!drill) {
      Annotations.of(this).addInfo(`${this.node.path}: bucket ${bucket.node.path} has no restore drill; only its cost is covered (budget). Watch its RestoreDrill, or pass watch(bucket, { restoreDrill }), to alert on drills.`);
      return;
    }
    this.watchDrill(bucket.bucketName, drill, o);
  }

  private watchDrill(what: string, drill: { readonly namespace: string; readonly jobName: string }, o: WatchOptions): void {
    const target = { bucketName: what, namespace: drill.namespace, drillJobName: drill.jobName, maxDrillAgeDays: o.maxDrillAgeDays };
    checkBackupTarget(this, 'watch options', target);
    this.addRuleGroup(backupRules(target));
  }

  /** Adds a rule group (alerts named in `alerts.disabled` are left out), rendered for the backend. */
  public addRuleGroup(group: RuleGroup): void {
    const rules = group.rules.filter((r) => !this.disabled.has(r.name));
    if (rules.length === 0 && !(group.records ?? []).length) return;
    const filtered: RuleGroup = { ...group, rules };
    checkRuleGroups(this, 'ruleGroups', [...this.ruleGroups, filtered]);
    this.ruleGroups.push(filtered);
    if (this.selfManaged) {
      this.selfManaged.config.addObject(`Rules-${group.name}`,
        prometheusRule(group.name, this.monitorNamespace, { ...MANAGED_BY_LABELS }, prometheusGroups([filtered], this.render)));
    } else {
      const objects = this.impl.addRuleGroup(filtered) ?? [];
      if (objects.length > 0 && !this.workload) throw new InvalidPropError(this, 'cluster', undefined, 'a cluster, for the managed rule evaluator\'s objects');
      objects.forEach((o, i) => addK8s(this.workload!, `Rules-${group.name}-${i}`, o));
    }
  }

  private addScrapeTarget(t: ScrapeTarget): void {
    if (this.selfManaged) {
      if (!t.hasServiceMonitor) addK8s(this.selfManaged.config, `Monitor-${t.name}`, podMonitor(t, this.monitorNamespace, { ...MANAGED_BY_LABELS }));
      return;
    }
    const objects = this.impl.addScrapeTarget(t);
    if (objects.length > 0 && !this.workload) {
      throw new InvalidPropError(this, 'cluster', undefined, 'a cluster, for the managed collector\'s scrape objects');
    }
    objects.forEach((o, i) => addK8s(this.workload!, `Monitor-${t.name}-${i}`, o));
  }
}

/** Adds a plain Kubernetes object (apiVersion, kind, metadata, ...) to a workload's chart. */
function addK8s(workload: KubernetesWorkload, id: string, obj: Record<string, unknown>): void {
  workload.addObject(id, obj as unknown as ApiObjectProps);
}

/** Every alert the library can produce (with placeholder targets): for validating `alerts.disabled`. */
function catalog(): RuleGroup[] {
  return [
    platformRules(), gpuRules(),
    trainingRules({ name: 'x', namespace: 'x' }),
    pipelineRules({ name: 'x', namespace: 'x', scheduleIntervalSeconds: 3600, canary: { name: 'x', namespace: 'x' } }),
    endpointRules({ name: 'x', namespace: 'x' }),
    backupRules({ bucketName: 'x', namespace: 'x', drillJobName: 'x' }),
    tenantRules({ namespace: 'x', clusterQueue: 'x', gpuQuota: 1, idleUsdPerGpuHour: 1, monthlyBudgetUsd: 1 }),
  ];
}
