// The per-cloud contract of MonitoringStack (types only): what the generic construct hands to a cloud, what
// the cloud hands back, and the cloud facts generic validation needs. Each cloud implements `MonitoringSpi`
// in src/clouds/<cloud>/monitoring.ts; src/clouds/registry.ts picks it by the cloud's kind.
import type { Construct, IConstruct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Cloud } from '../core/cloud';
import type { IGpuCluster } from '../core/cluster';
import type { ResolvedRouting } from './alertmanager';
import type { RenderOptions, RuleGroup } from './rules';
import type { ScrapeTarget } from './scrape';
import type { BudgetProps, ManagedProps, MonitoringBackend, SecretReference, SelfManagedProps } from './types';

/** What the generic MonitoringStack hands to its per-cloud part. */
export interface MonitoringCloudInput {
  readonly backend: MonitoringBackend;
  readonly routing: ResolvedRouting;
  readonly budget?: BudgetProps;
  readonly cluster?: IGpuCluster;
  readonly managed: ManagedProps;
  readonly selfManaged: SelfManagedProps;
  readonly render: RenderOptions;
  readonly tags?: Record<string, string>;
}

/** A receiver credential the self-managed Alertmanager reads at runtime, as the file `key` of its secret volume. */
export interface RuntimeSecret {
  readonly key: string;
  readonly ref: SecretReference;
}

/**
 * How the Alertmanager pod mounts receiver credentials straight from the cloud's secret manager (Secrets Store
 * CSI driver): Terraform handles names and grants only, never a value.
 */
export interface AlertmanagerSecretMount {
  /** SecretProviderClass `spec.provider`. */
  readonly provider: string;
  /** SecretProviderClass `spec.parameters` (references only). */
  readonly parameters: Record<string, string>;
  /** CSI driver of the pod volume. */
  readonly csiDriver: string;
  /** What must exist before the SecretProviderClass is applied (the CSI driver chart). */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** The per-cloud pieces of the self-managed Alertmanager. */
export interface SelfManagedAlertmanagerParts {
  /** A receiver for the cloud's platform channel, where Alertmanager can publish to it; none otherwise. */
  readonly platformReceiver?: Record<string, unknown>;
  /** Annotations of the Alertmanager ServiceAccount (workload identity binding). */
  readonly serviceAccountAnnotations: Record<string, string>;
  /** Labels the Alertmanager pod needs for its workload identity (where the cluster asks for them). */
  readonly podLabels: Record<string, string>;
  /** The receiver credentials' volume; undefined without credentials. */
  readonly secretMount?: AlertmanagerSecretMount;
}

/**
 * The per-cloud pieces of the self-managed Grafana: its admin password, generated into the cloud's secret
 * manager through a write-only argument (never in plan, state or Helm values), and read by Grafana's own
 * workload identity at runtime from a Secrets Store CSI volume (file `admin-password`).
 */
export interface SelfManagedGrafanaParts {
  /** Annotations of the Grafana ServiceAccount (workload identity binding). */
  readonly serviceAccountAnnotations: Record<string, string>;
  /** Labels the Grafana pod needs for its workload identity (where the cluster asks for them). */
  readonly podLabels: Record<string, string>;
  /** The admin password's volume (its object is aliased `admin-password`). */
  readonly secretMount: AlertmanagerSecretMount;
}

/** The per-cloud part of one MonitoringStack (what `MonitoringSpi.create` returns). */
export interface MonitoringCloudImpl {
  /** Self-managed: Grafana's generated admin password and the identity that reads it (`namespace/serviceAccount`). */
  selfManagedGrafana(namespace: string, serviceAccount: string): SelfManagedGrafanaParts;
  /**
   * Self-managed: Alertmanager's workload identity (bound to `namespace/serviceAccount`), allowed to read
   * `secrets` from the cloud's secret manager at runtime (and to publish to the platform channel where it can).
   */
  selfManagedAlertmanager(namespace: string, serviceAccount: string, secrets: readonly RuntimeSecret[]): SelfManagedAlertmanagerParts;
  /** Where the Grafana admin password is kept (the secret's id in the cloud's secret manager), for users. */
  readonly grafanaAdminPasswordLocation?: string;
  /**
   * Managed backend: evaluate a rule group (its recording rules and alerts) in the cloud's service. Returns the
   * Kubernetes objects that evaluate it in the cluster, if the cloud does that there (GMP's ClusterRules).
   */
  addRuleGroup(group: RuleGroup): Record<string, unknown>[] | void;
  /**
   * Managed backend: scrape a target. Returns the Kubernetes objects that make the cloud's collector scrape it;
   * none where the scraper is configured in the cloud.
   */
  addScrapeTarget(target: ScrapeTarget): Record<string, unknown>[];
  /** Managed backend: Kubernetes objects the collector needs once (e.g. RBAC for a scraper outside the cluster). */
  readonly clusterObjects: Record<string, unknown>[];
  /** Namespace the managed collector runs in (admitted by NetworkPolicies); undefined when it runs outside the cluster. */
  readonly collectorNamespace?: string;
  /** Cloud resources by role (escape hatches): `topic:<receiver>`, `workspace`, `budget`... */
  readonly resources: Record<string, IConstruct>;
}

/** What one cloud implements for MonitoringStack: its facts for validation, and the factory of its part. */
export interface MonitoringSpi {
  /** The secret names (`SecretReference.secretName`) the cloud's secret manager accepts. */
  readonly secretNamePattern: RegExp;
  /** What a valid SecretReference is on this cloud, for the error message. */
  readonly secretReferenceAllowed: string;
  /**
   * Namespace the managed backend's collector runs in inside the cluster (it scrapes add-on metrics ports);
   * undefined where it runs outside the cluster. @default - none
   */
  readonly managedCollectorNamespace?: string;
  /** Checks the rest of a SecretReference whose name is valid (where the cloud needs more than a name). */
  checkSecretLocation(scope: IConstruct, prop: string, ref: SecretReference): void;
  /** Checks what the cloud's budget needs beyond the generic BudgetProps checks. */
  checkBudget(scope: IConstruct, budget: BudgetProps): void;
  /** Where the cloud has no managed Grafana: what to use instead (the error message of `managed.grafana`). */
  readonly managedGrafanaUnsupported?: string;
  /** Creates the cloud's part of the MonitoringStack `scope` (its children are the stack's). */
  create(scope: Construct, cloud: Cloud, input: MonitoringCloudInput): MonitoringCloudImpl;
}
