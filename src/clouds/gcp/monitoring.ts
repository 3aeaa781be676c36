// Google Cloud part of MonitoringStack: Cloud Monitoring notification channels (the platform channel is a
// CMEK-encrypted Pub/Sub topic; receivers become e-mail, webhook and PagerDuty channels), a billing budget,
// secrets in Secret Manager, and for the managed backend Google Managed Service for Prometheus
// (PodMonitoring objects) with Cloud Monitoring alert policies on PromQL conditions.
import { Construct, IConstruct } from 'constructs';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { BillingBudget } from '@cdktf/provider-google/lib/billing-budget';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { DataGoogleSecretManagerSecretVersion } from '@cdktf/provider-google/lib/data-google-secret-manager-secret-version';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import type { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { GcpCloud } from '../../core/cloud';
import type { IGpuCluster } from '../../core/cluster';
import { InvalidPropError } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { WorkloadIdentity } from '../../core/workload-identity';
import type { MonitoringCloudImpl, MonitoringCloudInput, RuntimeSecret, SelfManagedAlertmanagerParts, SelfManagedGrafanaParts, MonitoringSpi } from '../../monitoring/spi';
import { prometheusRecords, RuleGroup, Severity } from '../../monitoring/rules';
import { ScrapeTarget } from '../../monitoring/scrape';
import { gcpPolicies } from './monitoring-rules';
import type { BudgetProps, ReceiverProps, SecretReference } from '../../monitoring/types';
import { gcpKeyRingName } from './kms';
import { gcpProvider } from './provider';
import { GcpAgentApi, gcpServiceAgent } from './service-agents';

/** Namespace of the managed Prometheus collector in the cluster (admitted by the add-on namespaces' NetworkPolicies). */
const GCP_COLLECTOR_NAMESPACE = 'gmp-system';

const DAY_SECONDS = 86400;

/** A string Terraform must not interpolate: `${` and `%{` escaped as `$${` and `%%{`. */
function terraformLiteral(text: string): string {
  return text.replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');
}

/** A Google Managed Service for Prometheus PodMonitoring (namespaced: it lives beside the pods). */
function gmpPodMonitoring(t: ScrapeTarget, labels: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.googleapis.com/v1',
    kind: 'PodMonitoring',
    metadata: { name: t.name, namespace: t.namespace, labels },
    spec: {
      selector: { matchLabels: { ...t.podSelector } },
      endpoints: [{ port: t.port, path: t.path ?? '/metrics', interval: t.interval ?? '30s', timeout: '10s' }],
      targetLabels: {
        metadata: ['pod', 'container', 'node'],
        ...(t.labelsFromPod ? { fromPod: Object.entries(t.labelsFromPod).map(([from, to]) => ({ from, to })) } : {}),
      },
    },
  };
}

export function gcpMonitoring(scope: Construct, cloud: GcpCloud, input: MonitoringCloudInput): MonitoringCloudImpl {
  return new GcpMonitoring(scope, cloud, input);
}

/**
 * The Google Cloud part of one MonitoringStack. The constructor renders, in this order (construct ids are
 * API): the platform channel (key, Pub/Sub topic), the receivers' channels, the budget; the Grafana admin
 * password and the self-managed Alertmanager's grants are rendered when the generic stack asks for them.
 */
class GcpMonitoring implements MonitoringCloudImpl {
  public readonly resources: Record<string, IConstruct> = {};
  public readonly clusterObjects: Record<string, unknown>[] = [];
  public readonly collectorNamespace = GCP_COLLECTOR_NAMESPACE;
  private readonly provider: GoogleProvider;
  private readonly project: string;
  private readonly labels: Record<string, string>;
  private readonly projectInfo: DataGoogleProject;
  private readonly managed: boolean;
  private readonly secrets = new Map<string, string>();
  private readonly key: KmsCryptoKey;
  private readonly topic: PubsubTopic;
  private readonly platform: MonitoringNotificationChannel;
  private readonly channelsOf: Record<string, string[]> = {};
  private grafanaSecret?: SecretManagerSecret;

  constructor(private readonly scope: Construct, private readonly cloud: GcpCloud, private readonly input: MonitoringCloudInput) {
    this.provider = gcpProvider(scope, cloud);
    this.project = cloud.project;
    this.labels = resourceTags(scope, cloud, input.tags);
    this.projectInfo = new DataGoogleProject(scope, 'Project', { provider: this.provider, projectId: this.project });
    this.managed = input.backend === 'managed';
    this.key = this.renderKey();
    this.topic = this.renderTopic();
    this.platform = this.renderPlatformChannel();
    for (const r of input.routing.receivers) this.channelsOf[r.name] = this.renderReceiverChannels(r);
    if (input.budget) this.renderBudget(input.budget);
  }

  /** Grants name service agents that a fresh project does not have yet: each grant waits for its agent. */
  private agent(api: GcpAgentApi): { member: string; dependsOn: ITerraformDependable[] } {
    const a = gcpServiceAgent(this.scope, this.cloud, api, this.projectInfo.number);
    return { member: a.member, dependsOn: [a.ready] };
  }

  /**
   * Managed backend only: a notification channel needs the value, so Terraform reads it (at plan, by a data
   * source; kept sensitive). The self-managed Alertmanager reads its credentials at runtime instead.
   */
  private secretValue(id: string, ref: SecretReference): string {
    let value = this.secrets.get(id);
    if (value === undefined) {
      value = Token.asString(Fn.sensitive(new DataGoogleSecretManagerSecretVersion(this.scope, `SecretValue-${id}`, {
        provider: this.provider, project: this.project, secret: ref.secretName,
      }).secretData));
      this.secrets.set(id, value);
    }
    return value;
  }

  private renderKey(): KmsCryptoKey {
    const { scope, provider, project } = this;
    const keyRing = new KmsKeyRing(scope, 'KeyRing', { provider, project, name: gcpKeyRingName(scope, this.cloud, {}), location: this.cloud.region });
    return new KmsCryptoKey(scope, 'Key', {
      provider, name: 'monitoring-notifications', keyRing: keyRing.id, purpose: 'ENCRYPT_DECRYPT',
      rotationPeriod: `${90 * DAY_SECONDS}s`, destroyScheduledDuration: `${30 * DAY_SECONDS}s`, labels: this.labels,
      // Cloud KMS keys cannot be deleted, only their versions: keep Terraform from trying.
      lifecycle: { preventDestroy: true },
    });
  }

  /** The platform channel's Pub/Sub topic, encrypted with our key; Cloud Monitoring may publish to it. */
  private renderTopic(): PubsubTopic {
    const { scope, provider, project } = this;
    const keyAccess = new KmsCryptoKeyIamMember(scope, 'KeyAccessPubsub', {
      provider, cryptoKeyId: this.key.id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', ...this.agent('pubsub.googleapis.com'),
    });
    const topic = new PubsubTopic(scope, 'Topic', {
      provider, project, name: physicalName(scope, this.cloud, { maxLength: 255, startWithLetter: true }), kmsKeyName: this.key.id,
      messageRetentionDuration: `${7 * DAY_SECONDS}s`, labels: this.labels, dependsOn: [keyAccess],
    });
    new PubsubTopicIamMember(scope, 'TopicPublisherMonitoring', {
      provider, project, topic: topic.name, role: 'roles/pubsub.publisher', ...this.agent('monitoring.googleapis.com'),
    });
    this.resources.key = this.key;
    this.resources['topic:platform'] = topic;
    return topic;
  }

  private renderPlatformChannel(): MonitoringNotificationChannel {
    const platform = new MonitoringNotificationChannel(this.scope, 'Channel-platform', {
      provider: this.provider, project: this.project, type: 'pubsub', displayName: `${this.scope.node.path} platform (Pub/Sub)`.slice(0, 512),
      labels: { topic: this.topic.id }, userLabels: this.labels,
    });
    this.resources['channel:platform'] = platform;
    return platform;
  }

  /** A receiver's channels: its e-mails; managed: its webhook and PagerDuty too. Returns their ids. */
  private renderReceiverChannels(r: ReceiverProps): string[] {
    const { scope, provider, project, labels } = this;
    const ids: string[] = [];
    const display = (what: string) => `${scope.node.path} ${r.name} ${what}`.slice(0, 512);
    (r.emails ?? []).forEach((email, i) => {
      const c = new MonitoringNotificationChannel(scope, `Channel-${r.name}-email-${i}`, {
        provider, project, type: 'email', displayName: display(`e-mail ${i + 1}`), labels: { email_address: email }, userLabels: labels,
      });
      ids.push(c.id);
    });
    if (r.webhookUrl && this.managed) {
      const c = new MonitoringNotificationChannel(scope, `Channel-${r.name}-webhook`, {
        provider, project, type: 'webhook_tokenauth', displayName: display('webhook'),
        labels: { url: this.secretValue(`${r.name}-webhook-url`, r.webhookUrl) }, userLabels: labels,
      });
      ids.push(c.id);
    }
    if (r.pagerDutyRoutingKey && this.managed) {
      const c = new MonitoringNotificationChannel(scope, `Channel-${r.name}-pagerduty`, {
        provider, project, type: 'pagerduty', displayName: display('PagerDuty'),
        sensitiveLabels: { serviceKey: this.secretValue(`${r.name}-pagerduty-key`, r.pagerDutyRoutingKey) }, userLabels: labels,
      });
      ids.push(c.id);
    }
    return ids;
  }

  private channelsFor(severity: Severity): string[] {
    return [this.platform.id, ...this.input.routing.routes[severity].flatMap((n) => this.channelsOf[n] ?? [])];
  }

  private renderBudget(b: BudgetProps): void {
    this.resources.budget = new BillingBudget(this.scope, 'Budget', {
      provider: this.provider,
      billingAccount: b.billingAccountId!,
      displayName: physicalName(this.scope, this.cloud, { maxLength: 60 }),
      amount: { specifiedAmount: { currencyCode: 'USD', units: String(Math.floor(b.monthlyUsd)), nanos: Math.round((b.monthlyUsd % 1) * 1e9) } },
      budgetFilter: { projects: [`projects/${this.projectInfo.number}`], calendarPeriod: 'MONTH' },
      thresholdRules: [
        ...(b.thresholds ?? [50, 80, 100]).map((t) => ({ thresholdPercent: t / 100, spendBasis: 'CURRENT_SPEND' })),
        ...((b.forecast ?? true) ? [{ thresholdPercent: 1, spendBasis: 'FORECASTED_SPEND' }] : []),
      ],
      allUpdatesRule: {
        pubsubTopic: this.topic.id,
        // The topic already gets every update (pubsubTopic); Cloud Billing accepts at most 5 channels.
        monitoringNotificationChannels: this.input.routing.routes.warning.flatMap((n) => this.channelsOf[n] ?? []).slice(0, 5),
        disableDefaultIamRecipients: false,
      },
    });
  }

  /**
   * Self-managed: the Grafana admin password in Secret Manager, written by the write-only `secret_data_wo` (in no
   * plan, state or Helm value) and read at runtime by Grafana's own identity (GKE Secret Manager add-on).
   */
  public selfManagedGrafana(namespace: string, serviceAccount: string): SelfManagedGrafanaParts {
    const cluster = this.input.cluster;
    if (!cluster) throw new Error('the self-managed Grafana runs in a cluster: MonitoringStack checks one is given');
    const { scope, provider, project } = this;
    // Encrypted with the stack's regional monitoring key: one user-managed replica in the cluster's region
    // (a CMEK must sit in its replica's location; automatic replication would need a global key).
    const secretKeyAccess = new KmsCryptoKeyIamMember(scope, 'KeyAccessSecretManager', {
      provider, cryptoKeyId: this.key.id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', ...this.agent('secretmanager.googleapis.com'),
    });
    const grafanaSecret = new SecretManagerSecret(scope, 'GrafanaAdminSecret', {
      provider, project, secretId: physicalName(scope, this.cloud, { maxLength: 255 }, 'grafana-admin'),
      replication: { userManaged: { replicas: [{ location: this.cloud.region, customerManagedEncryption: { kmsKeyName: this.key.id } }] } },
      labels: this.labels, deletionProtection: false, dependsOn: [secretKeyAccess],
    });
    this.grafanaSecret = grafanaSecret;
    new SecretManagerSecretVersion(scope, 'GrafanaAdminVersion', {
      provider, secret: grafanaSecret.id,
      // 64 hex characters from two random (v4) UUIDs drawn by Terraform at apply, written once (version 1).
      secretDataWo: Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', ''),
      secretDataWoVersion: 1,
    });
    this.resources.grafanaAdminSecret = grafanaSecret;
    const identity = new WorkloadIdentity(scope, 'GrafanaIdentity', {
      cloud: this.cloud, description: `Grafana of ${scope.node.path}: reads its admin password`, tags: this.input.tags,
    });
    this.resources.grafanaIdentity = identity;
    new SecretManagerSecretIamMember(scope, 'GrafanaReadsAdminSecret', {
      provider, project, secretId: grafanaSecret.secretId, role: 'roles/secretmanager.secretAccessor', member: identity.principal,
    });
    return this.secretStoreParts(cluster, identity, namespace, serviceAccount, [{ name: grafanaSecret.secretId, file: 'admin-password' }]);
  }

  /** The identity bound to the workload's ServiceAccount, and a GKE Secret Manager CSI volume of `secrets` (one file each). */
  private secretStoreParts(
    cluster: IGpuCluster, identity: WorkloadIdentity, namespace: string, serviceAccount: string, secrets: readonly { name: string; file: string }[],
  ): SelfManagedGrafanaParts {
    cluster.enableSecretStore?.();
    return {
      serviceAccountAnnotations: cluster.bindServiceAccount(identity, namespace, serviceAccount),
      podLabels: cluster.workloadIdentityPodLabels ?? {},
      secretMount: {
        provider: 'gke',
        csiDriver: 'secrets-store-gke.csi.k8s.io',
        dependsOn: [],
        parameters: {
          secrets: secrets.map((x) => `- resourceName: "projects/${this.project}/secrets/${x.name}/versions/latest"\n  path: "${x.file}"\n`).join(''),
        },
      },
    };
  }

  public get grafanaAdminPasswordLocation(): string | undefined {
    return this.grafanaSecret?.id;
  }

  /** Self-managed Alertmanager: receiver credentials read at runtime (GKE Secret Manager add-on). */
  public selfManagedAlertmanager(namespace: string, serviceAccount: string, runtimeSecrets: readonly RuntimeSecret[]): SelfManagedAlertmanagerParts {
    const cluster = this.input.cluster;
    if (!cluster || runtimeSecrets.length === 0) return { serviceAccountAnnotations: {}, podLabels: {} };
    const { scope, provider, project } = this;
    const identity = new WorkloadIdentity(scope, 'AlertmanagerIdentity', {
      cloud: this.cloud, description: `Alertmanager of ${scope.node.path}: reads receiver credentials`, tags: this.input.tags,
    });
    this.resources.alertmanagerIdentity = identity;
    for (const name of [...new Set(runtimeSecrets.map((x) => x.ref.secretName))].sort()) {
      new SecretManagerSecretIamMember(scope, `AlertmanagerReads-${name}`, {
        provider, project, secretId: name, role: 'roles/secretmanager.secretAccessor', member: identity.principal,
      });
    }
    return this.secretStoreParts(cluster, identity, namespace, serviceAccount, runtimeSecrets.map((x) => ({ name: x.ref.secretName, file: x.key })));
  }

  /** Managed backend: one Cloud Monitoring alert policy (PromQL condition) per rule. */
  public addRuleGroup(group: RuleGroup): Record<string, unknown>[] {
    if (!this.managed) throw new Error('alert policies are made only with backend "managed"');
    gcpPolicies(group, this.input.render).forEach((p, i) => {
      const severity = group.rules[i].severity;
      this.resources[`policy:${p.alertRule}:${group.name}`] = new MonitoringAlertPolicy(this.scope, `Policy-${group.name}-${p.alertRule}`, {
        provider: this.provider, project: this.project,
        displayName: p.displayName,
        combiner: 'OR',
        severity: p.severity,
        conditions: [{
          displayName: p.alertRule,
          conditionPrometheusQueryLanguage: {
            query: p.query, duration: p.duration, evaluationInterval: p.evaluationInterval,
            alertRule: p.alertRule, ruleGroup: p.ruleGroup, labels: p.labels,
          },
        }],
        notificationChannels: this.channelsFor(severity),
        // `$${` keeps Terraform from reading Cloud Monitoring's `${metric.label.x}` variables as interpolations.
        documentation: { content: terraformLiteral(p.documentation), mimeType: 'text/markdown', subject: terraformLiteral(p.subject) },
        alertStrategy: { autoClose: `${7 * DAY_SECONDS}s` },
        userLabels: { ...this.labels, severity },
      });
    });
    // Recording rules run in the cluster's managed rule evaluator (GMP ClusterRules, scoped to this cluster); the
    // alert policies read what it records.
    return group.records?.length ? [{
      apiVersion: 'monitoring.googleapis.com/v1', kind: 'ClusterRules',
      metadata: { name: group.name, labels: { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' } },
      spec: { groups: [{ name: group.name, interval: '60s', rules: prometheusRecords(group) }] },
    }] : [];
  }

  /** Managed backend: a PodMonitoring beside the pods (Managed Service for Prometheus collects it). */
  public addScrapeTarget(target: ScrapeTarget): Record<string, unknown>[] {
    return this.managed ? [gmpPodMonitoring(target, { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' })] : [];
  }
}

/** MonitoringStack on Google Cloud (src/monitoring/spi.ts). */
export const monitoring: MonitoringSpi = {
  secretNamePattern: /^[A-Za-z0-9_-]{1,255}$/,
  managedCollectorNamespace: GCP_COLLECTOR_NAMESPACE,
  secretReferenceAllowed: 'a SecretReference { secretName } naming a Secret Manager secret id of the project',
  // Secret ids are looked up in the cloud's project.
  checkSecretLocation: () => {},
  checkBudget(scope, budget) {
    // A billing budget belongs to a billing account, which the project does not tell Terraform.
    if (typeof budget.billingAccountId !== 'string' || !/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/.test(budget.billingAccountId)) {
      throw new InvalidPropError(scope, 'budget.billingAccountId', budget.billingAccountId,
        'the billing account id the project is billed to: three groups of six uppercase hex digits, e.g. 012345-6789AB-CDEF01 (required on GCP)');
    }
  },
  // Amazon Managed Grafana is the only managed Grafana this library wires.
  managedGrafanaUnsupported: 'AWS only (Amazon Managed Grafana); on GCP and Azure use the self-managed Grafana or your own',
  // targetFor picks this implementation by the cloud's kind: the cloud is a GcpCloud.
  create: (scope, cloud, input) => gcpMonitoring(scope, cloud as GcpCloud, input),
};
