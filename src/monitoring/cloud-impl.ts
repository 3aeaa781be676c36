import { IConstruct } from 'constructs';
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

/** The per-cloud part of a MonitoringStack. */
export interface MonitoringCloudImpl {
  /** A Terraform reference to a secret's value (read at apply time; never in synth output). */
  secretValue(id: string, ref: SecretReference): string;
  /** Self-managed: a generated Grafana admin password stored in the cloud's secret manager (reference). */
  grafanaAdminPassword(): string;
  /**
   * Self-managed: how the in-cluster Alertmanager reaches the cloud-native channel. AWS: an SNS receiver for the
   * platform topic and a workload identity allowed to publish (bound to `namespace/serviceAccount`); other
   * clouds: none (Alertmanager has no Pub/Sub or Action Group receiver).
   */
  selfManagedAlertmanager(namespace: string, serviceAccount: string): { platformReceiver?: Record<string, unknown>; serviceAccountAnnotations: Record<string, string> };
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
