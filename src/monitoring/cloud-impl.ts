import { IConstruct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { IGpuCluster } from '../core/cluster';
import { ResolvedRouting } from './alertmanager';
import { RenderOptions, RuleGroup } from './rules';
import { ScrapeTarget } from './scrape';
import { BudgetProps, ManagedProps, MonitoringBackend, SecretReference, SelfManagedProps } from './types';

/** What the generic MonitoringStack hands to its per-cloud part (src/clouds/<cloud>/monitoring.ts). */
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
  /** AWS: an SNS receiver for the platform topic; other clouds: none (no Pub/Sub or Action Group receiver). */
  readonly platformReceiver?: Record<string, unknown>;
  /** Annotations of the Alertmanager ServiceAccount (workload identity binding). */
  readonly serviceAccountAnnotations: Record<string, string>;
  /** Labels the Alertmanager pod needs for its workload identity (AKS). */
  readonly podLabels: Record<string, string>;
  /** The receiver credentials' volume; undefined without credentials. */
  readonly secretMount?: AlertmanagerSecretMount;
}

/** The per-cloud part of a MonitoringStack. */
export interface MonitoringCloudImpl {
  /** Self-managed: a generated Grafana admin password stored in the cloud's secret manager (reference). */
  grafanaAdminPassword(): string;
  /**
   * Self-managed: Alertmanager's workload identity (bound to `namespace/serviceAccount`), allowed to read
   * `secrets` from the cloud's secret manager at runtime (and, on AWS, to publish to the platform topic).
   */
  selfManagedAlertmanager(namespace: string, serviceAccount: string, secrets: readonly RuntimeSecret[]): SelfManagedAlertmanagerParts;
  /** Where the Grafana admin password is kept (secret ARN / name / Key Vault secret id), for users. */
  readonly grafanaAdminPasswordLocation?: string;
  /** Managed backend: evaluate a rule group in the cloud's service. */
  addRuleGroup(group: RuleGroup): void;
  /**
   * Managed backend: scrape a target. Returns the Kubernetes objects that make the cloud's collector scrape it
   * (GMP PodMonitoring, Azure PodMonitor); none where the scraper is configured in the cloud (AWS).
   */
  addScrapeTarget(target: ScrapeTarget): Record<string, unknown>[];
  /** Managed backend: Kubernetes objects the collector needs once (RBAC for the AWS scraper). */
  readonly clusterObjects: Record<string, unknown>[];
  /** Namespace the managed collector runs in (admitted by NetworkPolicies); undefined when it runs outside the cluster. */
  readonly collectorNamespace?: string;
  /** Cloud resources by role (escape hatches): `topic:<receiver>`, `workspace`, `budget`... */
  readonly resources: Record<string, IConstruct>;
}
