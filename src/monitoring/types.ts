import { IConstruct } from 'constructs';
import { Cloud } from '../core/cloud';
import { IGpuCluster } from '../core/cluster';
import type { CostProps } from './cost-prices';
import { AlertRule, GpuRuleOptions, Severity } from './rules';

/** Where metrics are stored and alerts evaluated. */
export type MonitoringBackend = 'self-managed' | 'managed';
export const MONITORING_BACKENDS: readonly MonitoringBackend[] = ['self-managed', 'managed'];

/**
 * A secret held in the cloud's secret manager. Only its name travels through synth (never the value in
 * `cdk.tf.json`). Self-managed backend: Alertmanager reads it at runtime (Secrets Store CSI); Terraform never
 * does. Managed backend: the cloud channel needs the value, so Terraform reads it at plan time (a data source;
 * it must exist first, and the value is kept in state, marked sensitive).
 */
export interface SecretReference {
  /** AWS Secrets Manager secret name or ARN; GCP Secret Manager secret id (in the cloud's project); Azure Key Vault secret name. */
  readonly secretName: string;
  /** Azure only: resource id of the Key Vault holding the secret. */
  readonly keyVaultId?: string;
}

/** One destination of alerts and budget notifications. */
export interface ReceiverProps {
  /** Receiver name, referenced by `routes`: lowercase letters, digits and '-'. */
  readonly name: string;
  /** E-mail addresses. @default - none */
  readonly emails?: readonly string[];
  /** Slack incoming-webhook URL (self-managed backend: Alertmanager `slack_configs`). @default - none */
  readonly slackWebhookUrl?: SecretReference;
  /** Generic webhook URL (Alertmanager webhook; SNS https subscription; Cloud Monitoring webhook; Action Group webhook). @default - none */
  readonly webhookUrl?: SecretReference;
  /** PagerDuty Events API v2 routing (integration) key. @default - none */
  readonly pagerDutyRoutingKey?: SecretReference;
}

/** Outgoing mail for e-mail receivers of the self-managed Alertmanager. */
export interface SmtpProps {
  /** `host:port`, e.g. `smtp.example.com:587`. */
  readonly smarthost: string;
  /** Sender address. */
  readonly from: string;
  /** SMTP user. @default - no authentication */
  readonly username?: string;
  /** SMTP password. @default - no authentication */
  readonly password?: SecretReference;
}

export interface RoutingProps {
  /** Receivers. @default - none: alerts go to the cloud-native channel only */
  readonly receivers?: readonly ReceiverProps[];
  /**
   * Severity -> receiver names.
   * @default - critical and warning to every receiver, info to none
   */
  readonly routes?: Partial<Record<Severity, readonly string[]>>;
  /** Mail server for e-mail receivers of the self-managed Alertmanager. @default - none (e-mail needs it) */
  readonly smtp?: SmtpProps;
}

export interface BudgetProps {
  /** Monthly budget, US dollars (> 0). */
  readonly monthlyUsd: number;
  /** Percentages of the budget (50 = half) that notify when actual spend crosses them (> 0, <= 1000; not fractions: a list all under 1.5 is an error). @default [50, 80, 100] */
  readonly thresholds?: readonly number[];
  /** Also notify when forecast spend exceeds 100%. @default true */
  readonly forecast?: boolean;
  /** GCP: the billing account id (e.g. `012345-6789AB-CDEF01`); required on GCP. */
  readonly billingAccountId?: string;
  /** Azure: budget the resource group or the whole subscription. @default 'resource-group' */
  readonly azureScope?: 'resource-group' | 'subscription';
  /** Azure: first month of the budget, `YYYY-MM-01`. @default '2026-01-01' */
  readonly startMonth?: string;
}

export interface AlertsProps {
  /** GPU rule thresholds. @default - the defaults of GpuRuleOptions */
  readonly gpu?: GpuRuleOptions;
  /** Alert names to leave out. @default - none */
  readonly disabled?: readonly string[];
  /** Your own alerts (group `aiinfra-custom`). @default - none */
  readonly custom?: readonly AlertRule[];
  /** Base URL of the runbooks (`runbook_url` = `<base>#<alertname>`). @default - none (the runbook text is an annotation) */
  readonly runbookBaseUrl?: string;
}

export interface SelfManagedProps {
  /** Namespace of Prometheus, Alertmanager and Grafana. @default 'monitoring' */
  readonly namespace?: string;
  /** How long Prometheus keeps samples (Prometheus duration). @default '15d' */
  readonly retention?: string;
  /** Prometheus volume size, GiB. @default 100 */
  readonly storageGiB?: number;
  /** Storage class of the volumes. @default - the cluster's default class */
  readonly storageClassName?: string;
  /** Grafana and Alertmanager volume size, GiB. @default 10 */
  readonly grafanaStorageGiB?: number;
  /**
   * Azure: public IP ranges (CIDR) of the machines that run Terraform. The Key Vault holding the Grafana
   * password then denies every other network (Azure services bypass).
   * @default - the vault accepts any network (Azure RBAC still guards it); the policy finding is suppressed with this reason
   */
  readonly azureKeyVaultAllowedIpRanges?: readonly string[];
}

export interface ManagedProps {
  /** AWS: also create an Amazon Managed Grafana workspace reading the Prometheus workspace. @default false */
  readonly grafana?: boolean;
}

export interface MonitoringStackProps {
  /** The cluster to monitor (watched at once); the self-managed backend runs in it. @default - none (managed backends, budgets) */
  readonly cluster?: IGpuCluster;
  /** The cloud. @default - the cluster's */
  readonly cloud?: Cloud;
  /** @default 'self-managed' */
  readonly backend?: MonitoringBackend;
  readonly alerts?: AlertsProps;
  readonly routing?: RoutingProps;
  /** Ship the bundled Grafana dashboards (GPU fleet, training run, endpoint). @default true */
  readonly dashboards?: boolean;
  /** Monthly cost budget with notifications. @default - none */
  readonly budget?: BudgetProps;
  /**
   * GPU prices of the cost-per-tenant rules (the catalog's on-demand list price, ratios for spot and reserved,
   * or your own prices per pool). @default - the catalog price, spot 0.4 and reserved 0.65 of it
   */
  readonly cost?: CostProps;
  readonly selfManaged?: SelfManagedProps;
  readonly managed?: ManagedProps;
  /** Extra tags/labels on cloud resources. @default - none */
  readonly tags?: Record<string, string>;
}

/** What `watch` needs from an inference endpoint (`InferenceEndpoint` fits). */
export interface IWatchableEndpoint extends IConstruct {
  readonly name: string;
  readonly namespace: string;
  readonly cluster: IGpuCluster;
  /** `builtin` or `vllm`. @default 'builtin' */
  readonly runtime?: string;
  /** Label matchers of the endpoint's series. */
  selector?(): string;
  /** The endpoint's objectives: defaults of `watch` options `latencyP95Seconds` and `availability`. */
  readonly slo?: { readonly latencyP95Seconds?: number; readonly availability?: number };
}

/** What `watch` needs from a training job (`TrainingJob` fits). */
export interface IWatchableTrainingJob extends IConstruct {
  readonly jobName: string;
  readonly namespace: string;
  readonly cluster: IGpuCluster;
}

/** What `watch` needs from a tenant (`Tenant` fits): its cost, budget and queue are watched. */
export interface IWatchableTenant extends IConstruct {
  readonly namespace: string;
  readonly cluster: IGpuCluster;
  /** The tenant's Kueue ClusterQueue. */
  readonly clusterQueueName: string;
  readonly gpuQuota: number;
  /** Monthly GPU budget, USD (budget alerts). @default - none */
  readonly monthlyBudgetUsd?: number;
  /** Told which monitoring stack watches it (a Tenant with a budget warns at synth when none does). */
  onWatched?(monitoring: IConstruct): void;
}

/** What `watch` needs from a bucket (`ModelBackupBucket` fits); the restore drill is watched when it has one. */
export interface IWatchableBucket extends IConstruct {
  readonly bucketName: string;
  readonly cloud: Cloud;
  /** The bucket's restore-drill Job/CronJob, when it has one. */
  readonly restoreDrill?: { readonly namespace: string; readonly jobName: string };
}

/** What `watch` needs from a restore drill (`RestoreDrill` fits). */
export interface IWatchableRestoreDrill extends IConstruct {
  /** CronJob name; its Jobs are `<jobName>-<time>`. */
  readonly jobName: string;
  readonly namespace: string;
  /** Checkpoint roots the drill restores (for messages). */
  readonly roots: readonly string[];
}

/** What `watch` needs from a model pipeline (`ModelPipeline` fits). */
export interface IWatchablePipeline extends IConstruct {
  /** The WorkflowTemplate's name. */
  readonly pipelineName: string;
  readonly namespace: string;
  readonly cluster: IGpuCluster;
  /** Shortest time between scheduled runs, seconds. @default - no schedule */
  readonly scheduleIntervalSeconds?: number;
  /** The endpoint whose Flagger Canary the pipeline deploys through. @default - none */
  readonly deployTarget?: { readonly namespace: string; readonly canaryName: string };
  /** The Argo Workflows controller: its namespace and pod labels (scraped for the pipeline metrics). */
  readonly engine: { readonly namespace: string; readonly controllerPodLabels: Readonly<Record<string, string>>; readonly metricsPortName: string };
}

export type Watchable = IGpuCluster | IWatchableTenant | IWatchableEndpoint | IWatchableTrainingJob | IWatchableBucket | IWatchableRestoreDrill
  | IWatchablePipeline;

/** Options of `watch` (each applies to the kind of target it names). */
export interface WatchOptions {
  /** Endpoint: p95 latency objective, seconds. @default - the endpoint's `slo.latencyP95Seconds`, else 10 */
  readonly latencyP95Seconds?: number;
  /** Endpoint: p95 time-to-first-token objective, seconds. @default 1 */
  readonly ttftP95Seconds?: number;
  /** Endpoint: availability objective. @default - the endpoint's `slo.availability`, else 0.999 */
  readonly availability?: number;
  /** Endpoint: waiting requests per replica that count as a deep queue. @default 32 */
  readonly queueDepth?: number;
  /** Training job: no step progress for this long is a stall. @default '15m' */
  readonly stalledAfter?: string;
  /** Training job: no checkpoint for this long is stale. @default '2h' */
  readonly checkpointStaleAfter?: string;
  /** Training job: restarts per hour that alert. @default 3 */
  readonly maxRestartsPerHour?: number;
  /** Bucket: restore drill (when the bucket does not expose one). @default - the bucket's `restoreDrill` */
  readonly restoreDrill?: { readonly namespace: string; readonly jobName: string };
  /** Bucket: days without a successful drill that alert. @default 8 */
  readonly maxDrillAgeDays?: number;
  /** Tenant: a job waiting in the tenant's Kueue queue longer than this alerts, with Kueue's reason. @default '2h' */
  readonly queuePendingLimit?: string;
  /** Model pipeline: consecutive gate rejections that alert. @default 3 */
  readonly maxGateRejections?: number;
}

/** The Prometheus side of a MonitoringStack, as an InferenceEndpoint needs it (`IEndpointMonitoring`). */
export interface IMonitoringStack extends IConstruct {
  readonly backend: MonitoringBackend;
  /** In-cluster Prometheus query URL (self-managed); undefined for managed backends. */
  readonly prometheusQueryUrl?: string;
  /** Namespace of the scraper (NetworkPolicies admit it). */
  readonly scraperNamespace?: string;
  /** Labels our Prometheus selects ServiceMonitors/PodMonitors/PrometheusRules by. */
  readonly serviceMonitorLabels?: Record<string, string>;
  watch(target: Watchable, options?: WatchOptions): void;
}
