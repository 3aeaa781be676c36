// Google Cloud part of MonitoringStack: Cloud Monitoring notification channels (the platform channel is a
// CMEK-encrypted Pub/Sub topic; receivers become e-mail, webhook and PagerDuty channels), a billing budget,
// secrets in Secret Manager, and for the managed backend Google Managed Service for Prometheus
// (PodMonitoring objects) with Cloud Monitoring alert policies on PromQL conditions.
import { Construct, IConstruct } from 'constructs';
import { Fn, Token } from 'cdktf';
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
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { GcpCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { WorkloadIdentity } from '../../core/identity';
import type { MonitoringCloudImpl, MonitoringCloudInput, RuntimeSecret, SelfManagedAlertmanagerParts, MonitoringSpi } from '../../monitoring/spi';
import { RuleGroup, Severity } from '../../monitoring/rules';
import { ScrapeTarget } from '../../monitoring/scrape';
import { gcpPolicies } from './monitoring-rules';
import { SecretReference } from '../../monitoring/types';
import { gcpKeyRingName } from './kms';
import { gcpProvider } from './provider';
import { GcpAgentApi, gcpServiceAgent } from './service-agents';

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
  const provider = gcpProvider(scope, cloud);
  const project = cloud.project;
  const labels = resourceTags(scope, cloud, input.tags);
  const resources: Record<string, IConstruct> = {};
  const projectInfo = new DataGoogleProject(scope, 'Project', { provider, projectId: project });
  // Grants name service agents that a fresh project does not have yet: each grant waits for its agent.
  const agent = (api: GcpAgentApi) => {
    const a = gcpServiceAgent(scope, cloud, api, projectInfo.number);
    return { member: a.member, dependsOn: [a.ready] };
  };

  // Managed backend only: a notification channel needs the value, so Terraform reads it (at plan, by a data
  // source; kept sensitive). The self-managed Alertmanager reads its credentials at runtime instead.
  const managed = input.backend === 'managed';
  const secrets = new Map<string, string>();
  const secretValue = (id: string, ref: SecretReference): string => {
    let value = secrets.get(id);
    if (value === undefined) {
      value = Token.asString(Fn.sensitive(new DataGoogleSecretManagerSecretVersion(scope, `SecretValue-${id}`, { provider, project, secret: ref.secretName }).secretData));
      secrets.set(id, value);
    }
    return value;
  };

  // ---- platform channel: a Pub/Sub topic encrypted with our key --------------------------------------------
  const keyRing = new KmsKeyRing(scope, 'KeyRing', { provider, project, name: gcpKeyRingName(scope, cloud, {}), location: cloud.region });
  const key = new KmsCryptoKey(scope, 'Key', {
    provider, name: 'monitoring-notifications', keyRing: keyRing.id, purpose: 'ENCRYPT_DECRYPT',
    rotationPeriod: `${90 * DAY_SECONDS}s`, destroyScheduledDuration: `${30 * DAY_SECONDS}s`, labels,
    // Cloud KMS keys cannot be deleted, only their versions: keep Terraform from trying.
    lifecycle: { preventDestroy: true },
  });
  const keyAccess = new KmsCryptoKeyIamMember(scope, 'KeyAccessPubsub', {
    provider, cryptoKeyId: key.id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', ...agent('pubsub.googleapis.com'),
  });
  const topic = new PubsubTopic(scope, 'Topic', {
    provider, project, name: physicalName(scope, cloud, { maxLength: 255, startWithLetter: true }), kmsKeyName: key.id,
    messageRetentionDuration: `${7 * DAY_SECONDS}s`, labels, dependsOn: [keyAccess],
  });
  new PubsubTopicIamMember(scope, 'TopicPublisherMonitoring', {
    provider, project, topic: topic.name, role: 'roles/pubsub.publisher', ...agent('monitoring.googleapis.com'),
  });
  resources.key = key;
  resources['topic:platform'] = topic;
  const platform = new MonitoringNotificationChannel(scope, 'Channel-platform', {
    provider, project, type: 'pubsub', displayName: `${scope.node.path} platform (Pub/Sub)`.slice(0, 512),
    labels: { topic: topic.id }, userLabels: labels,
  });
  resources['channel:platform'] = platform;

  // ---- receivers -------------------------------------------------------------------------------------------
  const channelsOf: Record<string, string[]> = {};
  for (const r of input.routing.receivers) {
    const ids: string[] = [];
    const display = (what: string) => `${scope.node.path} ${r.name} ${what}`.slice(0, 512);
    (r.emails ?? []).forEach((email, i) => {
      const c = new MonitoringNotificationChannel(scope, `Channel-${r.name}-email-${i}`, {
        provider, project, type: 'email', displayName: display(`e-mail ${i + 1}`), labels: { email_address: email }, userLabels: labels,
      });
      ids.push(c.id);
    });
    if (r.webhookUrl && managed) {
      const c = new MonitoringNotificationChannel(scope, `Channel-${r.name}-webhook`, {
        provider, project, type: 'webhook_tokenauth', displayName: display('webhook'),
        labels: { url: secretValue(`${r.name}-webhook-url`, r.webhookUrl) }, userLabels: labels,
      });
      ids.push(c.id);
    }
    if (r.pagerDutyRoutingKey && managed) {
      const c = new MonitoringNotificationChannel(scope, `Channel-${r.name}-pagerduty`, {
        provider, project, type: 'pagerduty', displayName: display('PagerDuty'),
        sensitiveLabels: { serviceKey: secretValue(`${r.name}-pagerduty-key`, r.pagerDutyRoutingKey) }, userLabels: labels,
      });
      ids.push(c.id);
    }
    channelsOf[r.name] = ids;
  }
  const channelsFor = (severity: Severity): string[] => [platform.id, ...input.routing.routes[severity].flatMap((n) => channelsOf[n] ?? [])];

  // ---- budget ------------------------------------------------------------------------------------------------
  if (input.budget) {
    const b = input.budget;
    resources.budget = new BillingBudget(scope, 'Budget', {
      provider,
      billingAccount: b.billingAccountId!,
      displayName: physicalName(scope, cloud, { maxLength: 60 }),
      amount: { specifiedAmount: { currencyCode: 'USD', units: String(Math.floor(b.monthlyUsd)), nanos: Math.round((b.monthlyUsd % 1) * 1e9) } },
      budgetFilter: { projects: [`projects/${projectInfo.number}`], calendarPeriod: 'MONTH' },
      thresholdRules: [
        ...(b.thresholds ?? [50, 80, 100]).map((t) => ({ thresholdPercent: t / 100, spendBasis: 'CURRENT_SPEND' })),
        ...((b.forecast ?? true) ? [{ thresholdPercent: 1, spendBasis: 'FORECASTED_SPEND' }] : []),
      ],
      allUpdatesRule: {
        pubsubTopic: topic.id,
        // The topic already gets every update (pubsubTopic); Cloud Billing accepts at most 5 channels.
        monitoringNotificationChannels: input.routing.routes.warning.flatMap((n) => channelsOf[n] ?? []).slice(0, 5),
        disableDefaultIamRecipients: false,
      },
    });
  }

  // ---- Grafana admin password (self-managed) -------------------------------------------------------------------
  let grafanaSecret: SecretManagerSecret | undefined;
  let grafanaPassword: string | undefined;
  const grafanaAdminPassword = (): string => {
    if (grafanaPassword) return grafanaPassword;
    // Encrypted with the stack's regional monitoring key: one user-managed replica in the cluster's region
    // (a CMEK must sit in its replica's location; automatic replication would need a global key).
    const secretKeyAccess = new KmsCryptoKeyIamMember(scope, 'KeyAccessSecretManager', {
      provider, cryptoKeyId: key.id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', ...agent('secretmanager.googleapis.com'),
    });
    grafanaSecret = new SecretManagerSecret(scope, 'GrafanaAdminSecret', {
      provider, project, secretId: physicalName(scope, cloud, { maxLength: 255 }, 'grafana-admin'),
      replication: { userManaged: { replicas: [{ location: cloud.region, customerManagedEncryption: { kmsKeyName: key.id } }] } },
      labels, deletionProtection: false, dependsOn: [secretKeyAccess],
    });
    const version = new SecretManagerSecretVersion(scope, 'GrafanaAdminVersion', {
      provider, secret: grafanaSecret.id,
      // 64 hex characters from two random (v4) UUIDs drawn by Terraform at apply: never in the synth output.
      secretData: Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', ''),
      lifecycle: { ignoreChanges: ['secret_data'] },
    });
    grafanaPassword = Token.asString(Fn.sensitive(new DataGoogleSecretManagerSecretVersion(scope, 'GrafanaAdminStored', {
      provider, project, secret: grafanaSecret.secretId, dependsOn: [version],
    }).secretData));
    resources.grafanaAdminSecret = grafanaSecret;
    return grafanaPassword;
  };

  // ---- self-managed Alertmanager: receiver credentials read at runtime (GKE Secret Manager add-on) -----------
  const selfManagedAlertmanager = (namespace: string, serviceAccount: string, runtimeSecrets: readonly RuntimeSecret[]): SelfManagedAlertmanagerParts => {
    const cluster = input.cluster;
    if (!cluster || runtimeSecrets.length === 0) return { serviceAccountAnnotations: {}, podLabels: {} };
    const identity = new WorkloadIdentity(scope, 'AlertmanagerIdentity', {
      cloud, description: `Alertmanager of ${scope.node.path}: reads receiver credentials`, tags: input.tags,
    });
    resources.alertmanagerIdentity = identity;
    for (const name of [...new Set(runtimeSecrets.map((x) => x.ref.secretName))].sort()) {
      new SecretManagerSecretIamMember(scope, `AlertmanagerReads-${name}`, {
        provider, project, secretId: name, role: 'roles/secretmanager.secretAccessor', member: identity.principal,
      });
    }
    cluster.enableSecretStore?.();
    return {
      serviceAccountAnnotations: cluster.bindServiceAccount(identity, namespace, serviceAccount),
      podLabels: cluster.workloadIdentityPodLabels ?? {},
      secretMount: {
        provider: 'gke',
        csiDriver: 'secrets-store-gke.csi.k8s.io',
        dependsOn: [],
        parameters: {
          secrets: runtimeSecrets.map((x) => `- resourceName: "projects/${project}/secrets/${x.ref.secretName}/versions/latest"\n  path: "${x.key}"\n`).join(''),
        },
      },
    };
  };

  return {
    grafanaAdminPassword,
    selfManagedAlertmanager,
    get grafanaAdminPasswordLocation() { return grafanaSecret?.id; },
    addRuleGroup(group: RuleGroup): void {
      if (!managed) throw new Error('alert policies are made only with backend "managed"');
      gcpPolicies(group, input.render).forEach((p, i) => {
        const severity = group.rules[i].severity;
        resources[`policy:${p.alertRule}:${group.name}`] = new MonitoringAlertPolicy(scope, `Policy-${group.name}-${p.alertRule}`, {
          provider, project,
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
          notificationChannels: channelsFor(severity),
          // `$${` keeps Terraform from reading Cloud Monitoring's `${metric.label.x}` variables as interpolations.
          documentation: { content: terraformLiteral(p.documentation), mimeType: 'text/markdown', subject: terraformLiteral(p.subject) },
          alertStrategy: { autoClose: `${7 * DAY_SECONDS}s` },
          userLabels: { ...labels, severity },
        });
      });
    },
    addScrapeTarget(target: ScrapeTarget): Record<string, unknown>[] {
      return managed ? [gmpPodMonitoring(target, { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' })] : [];
    },
    clusterObjects: [],
    collectorNamespace: 'gmp-system',
    resources,
  };
}

/** MonitoringStack on Google Cloud (src/monitoring/spi.ts). */
export const monitoring: MonitoringSpi = {
  secretNamePattern: /^[A-Za-z0-9_-]{1,255}$/,
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
