// AWS part of MonitoringStack: a KMS CMK, SNS topics (the platform channel + one per receiver) with
// least-privilege topic policies, AWS Budgets, secrets in Secrets Manager, and for the managed backend
// Amazon Managed Service for Prometheus (workspace, scraper, rule group namespaces, alert manager) with
// optional Amazon Managed Grafana.
import { Construct, IConstruct } from 'constructs';
import { Fn, Lazy, Token } from 'cdktf';
import { BudgetsBudget } from '@cdktf/provider-aws/lib/budgets-budget';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsEksCluster } from '@cdktf/provider-aws/lib/data-aws-eks-cluster';
import { DataAwsSecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version';
import { GrafanaWorkspace } from '@cdktf/provider-aws/lib/grafana-workspace';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { PrometheusAlertManagerDefinition } from '@cdktf/provider-aws/lib/prometheus-alert-manager-definition';
import { PrometheusRuleGroupNamespace } from '@cdktf/provider-aws/lib/prometheus-rule-group-namespace';
import { PrometheusScraper } from '@cdktf/provider-aws/lib/prometheus-scraper';
import { PrometheusWorkspace } from '@cdktf/provider-aws/lib/prometheus-workspace';
import type { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { stringify } from '../../core/yaml';
import { AwsCloud } from '../../core/cloud';
import type { IGpuCluster } from '../../core/cluster';
import { WorkloadIdentity } from '../../core/workload-identity';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { clusterRole } from '../../k8s/objects/cluster-role';
import { clusterRoleBinding } from '../../k8s/objects/cluster-role-binding';
import { containerResources } from '../../k8s/objects/container';
import { snsAlertmanagerConfig, snsReceiver } from './monitoring-alertmanager';
import type { AlertmanagerSecretMount, MonitoringCloudImpl, MonitoringCloudInput, RuntimeSecret, SelfManagedAlertmanagerParts, SelfManagedGrafanaParts, MonitoringSpi } from '../../monitoring/spi';
import { EphemeralResource } from '../../core/ephemeral';
import { InferenceClusterAddons } from '../helm/inference-addons';
import { AWS_SECRETS_STORE_CHART } from './inference';
import { prometheusRulesYaml, RuleGroup } from '../../monitoring/rules';
import { KUBE_STATE_METRICS, kubeStateMetricsCostValues, ScrapeTarget, scrapeConfigYaml } from '../../monitoring/scrape';
import type { BudgetProps, SecretReference } from '../../monitoring/types';
import { Policy } from '../../policy/suppress';
import { pinnedRelease } from '../helm/add-ons';
import { keyPolicy } from './keys';
import { awsProvider } from './provider';

type Statement = Record<string, unknown>;

function policyJson(statements: Statement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

function partitionOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

/**
 * The key policy: the account administers the key; principals of the account use it only through SNS,
 * Secrets Manager and Amazon Managed Service for Prometheus in this region; AWS Budgets and the managed
 * Prometheus alert manager may encrypt messages they publish to our topics (same account only).
 */
function monitoringKeyPolicy(partition: string, account: string, region: string): string {
  const root = `arn:${partition}:iam::${account}:root`;
  return keyPolicy(root, [
    {
      sid: 'UseThroughMonitoringServices',
      principal: { AWS: root },
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:CreateGrant'],
      condition: {
        StringEquals: { 'kms:CallerAccount': account },
        'ForAnyValue:StringEquals': { 'kms:ViaService': [`sns.${region}.amazonaws.com`, `secretsmanager.${region}.amazonaws.com`, `aps.${region}.amazonaws.com`] },
      },
    },
    {
      sid: 'PublishersEncryptMessages',
      principal: { Service: ['budgets.amazonaws.com', 'aps.amazonaws.com'] },
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      condition: { StringEquals: { 'aws:SourceAccount': account } },
    },
  ]);
}

/** Least privilege on a topic: the account manages it; Budgets (and the managed alert manager) publish; TLS only. */
function topicPolicy(topicArn: string, partition: string, account: string, workspaceArn?: string): string {
  const statements: Statement[] = [
    {
      Sid: 'AccountManages',
      Effect: 'Allow',
      Principal: { AWS: `arn:${partition}:iam::${account}:root` },
      Action: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:AddPermission', 'sns:RemovePermission', 'sns:DeleteTopic',
        'sns:Subscribe', 'sns:ListSubscriptionsByTopic', 'sns:Publish'],
      Resource: topicArn,
    },
    {
      Sid: 'BudgetsPublish',
      Effect: 'Allow',
      Principal: { Service: 'budgets.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topicArn,
      Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': `arn:${partition}:budgets::${account}:*` } },
    },
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: topicArn,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ];
  if (workspaceArn) {
    statements.splice(2, 0, {
      Sid: 'ManagedPrometheusPublishes',
      Effect: 'Allow',
      Principal: { Service: 'aps.amazonaws.com' },
      Action: ['sns:Publish', 'sns:GetTopicAttributes'],
      Resource: topicArn,
      Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnEquals: { 'aws:SourceArn': workspaceArn } },
    });
  }
  return policyJson(statements);
}

/** Kubernetes RBAC the managed scraper's user needs (it reaches the API server as `aps-collector-user`). */
function scraperRbac(): Record<string, unknown>[] {
  const labels = { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' };
  return [
    clusterRole('aps-collector-role', labels, [
      { apiGroups: [''], resources: ['nodes', 'nodes/proxy', 'nodes/metrics', 'services', 'endpoints', 'pods', 'ingresses', 'configmaps'], verbs: ['describe', 'get', 'list', 'watch'] },
      { apiGroups: ['extensions', 'networking.k8s.io'], resources: ['ingresses/status', 'ingresses'], verbs: ['describe', 'get', 'list', 'watch'] },
      { apiGroups: ['metrics.eks.amazonaws.com'], resources: ['kcm/metrics', 'ksh/metrics'], verbs: ['get'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]),
    clusterRoleBinding('aps-collector-user-role-binding', labels, 'aps-collector-role', [{ kind: 'User', name: 'aps-collector-user' }]),
  ];
}

export function awsMonitoring(scope: Construct, cloud: AwsCloud, input: MonitoringCloudInput): MonitoringCloudImpl {
  return new AwsMonitoring(scope, cloud, input);
}

/**
 * The AWS part of one MonitoringStack. The constructor renders, in this order (construct ids are API): the
 * key, the managed workspace, the SNS channels, the budget, the managed Prometheus pieces; the Grafana admin
 * password and the self-managed Alertmanager's identity are rendered when the generic stack asks for them.
 */
class AwsMonitoring implements MonitoringCloudImpl {
  public readonly resources: Record<string, IConstruct> = {};
  public readonly clusterObjects: Record<string, unknown>[] = [];
  public readonly collectorNamespace = undefined;
  private readonly provider: AwsProvider;
  private readonly partition: string;
  private readonly tags: Record<string, string>;
  private readonly account: string;
  private readonly managed: boolean;
  private readonly key: KmsKey;
  private readonly workspace?: PrometheusWorkspace;
  private readonly platform: SnsTopic;
  private readonly topicArns: Record<string, string> = {};
  private readonly secrets = new Map<string, string>();
  private readonly targets: ScrapeTarget[] = [];
  private grafanaSecret?: SecretsmanagerSecret;

  constructor(private readonly scope: Construct, private readonly cloud: AwsCloud, private readonly input: MonitoringCloudInput) {
    this.provider = awsProvider(scope, cloud.region);
    this.partition = partitionOf(cloud.region);
    this.tags = resourceTags(scope, cloud, input.tags);
    this.account = cloud.accountId ?? new DataAwsCallerIdentity(scope, 'CallerIdentity', { provider: this.provider }).accountId;
    this.managed = input.backend === 'managed';
    this.key = this.renderKey();
    this.workspace = this.managed ? this.renderWorkspace() : undefined;
    this.platform = this.renderChannels();
    if (input.budget) this.renderBudget(input.budget);
    if (this.workspace) this.renderManagedPrometheus(this.workspace);
  }

  private renderKey(): KmsKey {
    const key = new KmsKey(this.scope, 'Key', {
      provider: this.provider,
      description: `Monitoring notifications and secrets of ${this.scope.node.path} (cdktf-ai-infra)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: monitoringKeyPolicy(this.partition, this.account, this.cloud.region),
      tags: this.tags,
    });
    this.resources.key = key;
    return key;
  }

  private renderWorkspace(): PrometheusWorkspace {
    const workspace = new PrometheusWorkspace(this.scope, 'Workspace', {
      provider: this.provider, alias: physicalName(this.scope, this.cloud, { maxLength: 100, lowercase: false }), kmsKeyArn: this.key.arn, tags: this.tags,
    });
    this.resources.workspace = workspace;
    return workspace;
  }

  /**
   * Managed backend only: the cloud channel's endpoint needs the value, so Terraform reads it (at plan, by a
   * data source; kept sensitive). The self-managed Alertmanager reads its credentials at runtime instead.
   */
  private secretValue(id: string, ref: SecretReference): string {
    let value = this.secrets.get(id);
    if (value === undefined) {
      value = Token.asString(Fn.sensitive(new DataAwsSecretsmanagerSecretVersion(this.scope, `SecretValue-${id}`, { provider: this.provider, secretId: ref.secretName }).secretString));
      this.secrets.set(id, value);
    }
    return value;
  }

  private renderTopic(name: string): SnsTopic {
    const { scope, provider } = this;
    const topic = new SnsTopic(scope, `Topic-${name}`, {
      provider, name: physicalName(scope, this.cloud, { maxLength: 256, lowercase: false }, name), kmsMasterKeyId: this.key.arn, tags: this.tags,
    });
    new SnsTopicPolicy(scope, `TopicPolicy-${name}`, { provider, arn: topic.arn, policy: topicPolicy(topic.arn, this.partition, this.account, this.workspace?.arn) });
    this.resources[`topic:${name}`] = topic;
    return topic;
  }

  /** The platform topic and one topic per receiver (e-mail subscriptions; managed: webhook and PagerDuty too). */
  private renderChannels(): SnsTopic {
    const { scope, provider } = this;
    const platform = this.renderTopic('platform');
    for (const r of this.input.routing.receivers) {
      const topic = this.renderTopic(r.name);
      this.topicArns[r.name] = topic.arn;
      (r.emails ?? []).forEach((email, i) => new SnsTopicSubscription(scope, `Subscription-${r.name}-email-${i}`, {
        provider, topicArn: topic.arn, protocol: 'email', endpoint: email,
      }));
      if (r.webhookUrl && this.managed) {
        new SnsTopicSubscription(scope, `Subscription-${r.name}-webhook`, {
          provider, topicArn: topic.arn, protocol: 'https', endpoint: this.secretValue(`${r.name}-webhook-url`, r.webhookUrl), endpointAutoConfirms: false,
        });
      }
      if (r.pagerDutyRoutingKey && this.managed) {
        new SnsTopicSubscription(scope, `Subscription-${r.name}-pagerduty`, {
          provider, topicArn: topic.arn, protocol: 'https', endpointAutoConfirms: true,
          endpoint: `https://events.pagerduty.com/integration/${this.secretValue(`${r.name}-pagerduty-key`, r.pagerDutyRoutingKey)}/enqueue`,
        });
      }
    }
    return platform;
  }

  /** Notifications to the platform topic and the e-mails of warning receivers. */
  private renderBudget(b: BudgetProps): void {
    const routing = this.input.routing;
    const warningEmails = routing.receivers.filter((r) => routing.routes.warning.includes(r.name)).flatMap((r) => r.emails ?? []).slice(0, 10);
    const subscribers = { subscriberSnsTopicArns: [this.platform.arn], ...(warningEmails.length ? { subscriberEmailAddresses: warningEmails } : {}) };
    this.resources.budget = new BudgetsBudget(this.scope, 'Budget', {
      provider: this.provider,
      name: physicalName(this.scope, this.cloud, { maxLength: 100, lowercase: false }),
      budgetType: 'COST',
      limitAmount: b.monthlyUsd.toFixed(2),
      limitUnit: 'USD',
      timeUnit: 'MONTHLY',
      notification: [
        ...(b.thresholds ?? [50, 80, 100]).map((t) => ({ comparisonOperator: 'GREATER_THAN', notificationType: 'ACTUAL', threshold: t, thresholdType: 'PERCENTAGE', ...subscribers })),
        ...((b.forecast ?? true) ? [{ comparisonOperator: 'GREATER_THAN', notificationType: 'FORECASTED', threshold: 100, thresholdType: 'PERCENTAGE', ...subscribers }] : []),
      ],
      tags: this.tags,
    });
  }

  /**
   * Self-managed: the Grafana admin password, drawn by Secrets Manager (`GetRandomPassword`) through an ephemeral
   * resource and written by the write-only `secret_string_wo`: it is in no plan, state or Helm value. Grafana's
   * own identity reads it at runtime through the Secrets Store CSI driver (EKS Pod Identity).
   */
  public selfManagedGrafana(namespace: string, serviceAccount: string): SelfManagedGrafanaParts {
    const cluster = this.input.cluster;
    if (!cluster) throw new Error('the self-managed Grafana runs in a cluster: MonitoringStack checks one is given');
    const { scope, provider } = this;
    const grafanaSecret = new SecretsmanagerSecret(scope, 'GrafanaAdminSecret', {
      provider, name: physicalName(scope, this.cloud, { maxLength: 512, lowercase: false }, 'grafana-admin'),
      description: `Grafana admin password of ${scope.node.path}`, kmsKeyId: this.key.arn, recoveryWindowInDays: 7, tags: this.tags,
    });
    this.grafanaSecret = grafanaSecret;
    const generated = new EphemeralResource(scope, 'GrafanaAdminGenerated', 'aws_secretsmanager_random_password', {
      provider, args: { password_length: 40, exclude_punctuation: true },
    });
    // Version 1 is written once; bump the version (a new construct) to store a new value.
    new SecretsmanagerSecretVersion(scope, 'GrafanaAdminVersion', {
      provider, secretId: grafanaSecret.id, secretStringWo: generated.attribute('random_password'), secretStringWoVersion: 1,
    });
    this.resources.grafanaAdminSecret = grafanaSecret;
    Policy.skipCheckov(grafanaSecret, ['CKV2_AWS_57'],
      'Grafana keeps its admin password in its own database after the first start: rotating the secret alone would not change it. Change it in Grafana, then update the secret.');
    const identity = new WorkloadIdentity(scope, 'GrafanaIdentity', {
      cloud: this.cloud, description: `Grafana of ${scope.node.path}: reads its admin password`, tags: this.input.tags,
    });
    this.resources.grafanaIdentity = identity;
    new IamRolePolicy(scope, 'GrafanaReadsAdminSecret', {
      provider, role: identity.workloadRef, name: 'read-grafana-admin',
      policy: policyJson([
        { Sid: 'ReadAdminPassword', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: grafanaSecret.arn },
        { Sid: 'DecryptAdminPassword', Effect: 'Allow', Action: 'kms:Decrypt', Resource: this.key.arn,
          Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.cloud.region}.amazonaws.com` } } },
      ]),
    });
    return {
      serviceAccountAnnotations: cluster.bindServiceAccount(identity, namespace, serviceAccount),
      podLabels: cluster.workloadIdentityPodLabels ?? {},
      secretMount: {
        provider: 'aws',
        csiDriver: 'secrets-store.csi.k8s.io',
        dependsOn: [InferenceClusterAddons.of(scope, cluster).chart(AWS_SECRETS_STORE_CHART)],
        parameters: {
          region: this.cloud.region,
          usePodIdentity: 'true',
          objects: `- objectName: "${grafanaSecret.arn}"\n  objectType: "secretsmanager"\n  objectAlias: "admin-password"\n`,
        },
      },
    };
  }

  public get grafanaAdminPasswordLocation(): string | undefined {
    return this.grafanaSecret?.arn;
  }

  /** Managed Prometheus: the alert manager, the scraper of the cluster (with kube-state-metrics), Grafana. */
  private renderManagedPrometheus(workspace: PrometheusWorkspace): void {
    const { scope, provider, input } = this;
    new PrometheusAlertManagerDefinition(scope, 'AlertManager', {
      provider, workspaceId: workspace.id,
      definition: stringify({ alertmanager_config: stringify(snsAlertmanagerConfig(input.routing, this.topicArns, this.platform.arn, this.cloud.region), { lineWidth: 0 }) }, { lineWidth: 0 }),
    });
    if (input.cluster) this.renderScraper(workspace, input.cluster);
    if (input.managed.grafana) this.renderGrafana(workspace);
  }

  private renderScraper(workspace: PrometheusWorkspace, cluster: IGpuCluster): void {
    const { scope, provider } = this;
    const eks = new DataAwsEksCluster(scope, 'EksCluster', { provider, name: cluster.clusterName });
    this.resources.scraper = new PrometheusScraper(scope, 'Scraper', {
      provider,
      alias: physicalName(scope, this.cloud, { maxLength: 100, lowercase: false }, 'scraper'),
      source: [{ eks: [{ clusterArn: eks.arn, subnetIds: Fn.tolist(eks.vpcConfig.get(0).subnetIds) }] }],
      destination: [{ amp: [{ workspaceArn: workspace.arn }] }],
      scrapeConfiguration: Lazy.stringValue({ produce: () => scrapeConfigYaml(this.targets, 'kube-system') }),
      tags: this.tags,
    });
    this.resources.kubeStateMetrics = pinnedRelease(scope, 'KubeStateMetrics', KUBE_STATE_METRICS, {
      provider: cluster.helmProvider, name: 'kube-state-metrics', namespace: 'kube-system',
      values: {
        fullnameOverride: 'kube-state-metrics', resources: containerResources('50m', '128Mi', '512Mi'),
        ...kubeStateMetricsCostValues(),
      },
      dependsOn: cluster.addOnDependencies,
    });
    this.clusterObjects.push(...scraperRbac());
  }

  /** Amazon Managed Grafana reading the workspace, allowed to publish alerts to the platform topic. */
  private renderGrafana(workspace: PrometheusWorkspace): void {
    const { scope, provider } = this;
    const role = new IamRole(scope, 'GrafanaRole', {
      provider,
      name: physicalName(scope, this.cloud, { maxLength: 64, lowercase: false }, 'grafana'),
      assumeRolePolicy: policyJson([{
        Effect: 'Allow', Principal: { Service: 'grafana.amazonaws.com' }, Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': this.account } },
      }]),
      tags: this.tags,
    });
    new IamRolePolicy(scope, 'GrafanaRolePolicy', {
      provider, role: role.name, name: 'query-managed-prometheus',
      policy: policyJson([
        { Sid: 'QueryWorkspace', Effect: 'Allow', Action: ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata', 'aps:DescribeWorkspace'], Resource: workspace.arn },
        { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: this.platform.arn },
        { Sid: 'EncryptAlerts', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: this.key.arn },
      ]),
    });
    this.resources.grafana = new GrafanaWorkspace(scope, 'Grafana', {
      provider,
      name: physicalName(scope, this.cloud, { maxLength: 255, lowercase: false }, 'grafana'),
      accountAccessType: 'CURRENT_ACCOUNT',
      authenticationProviders: ['AWS_SSO'],
      permissionType: 'CUSTOMER_MANAGED',
      roleArn: role.arn,
      dataSources: ['PROMETHEUS'],
      notificationDestinations: ['SNS'],
      tags: this.tags,
    });
  }

  /**
   * Self-managed Alertmanager -> platform topic, as a workload identity allowed to publish there only.
   * Receiver credentials: read at runtime from Secrets Manager through the Secrets Store CSI driver (EKS Pod
   * Identity), by name: Terraform grants access and never reads a value.
   */
  public selfManagedAlertmanager(namespace: string, serviceAccount: string, runtimeSecrets: readonly RuntimeSecret[]): SelfManagedAlertmanagerParts {
    const cluster = this.input.cluster;
    if (!cluster) return { serviceAccountAnnotations: {}, podLabels: {} };
    const { scope, provider } = this;
    const identity = new WorkloadIdentity(scope, 'AlertmanagerIdentity', {
      cloud: this.cloud, description: `Alertmanager of ${scope.node.path}: publishes alerts to the platform SNS topic`, tags: this.input.tags,
    });
    new IamRolePolicy(scope, 'AlertmanagerPublish', {
      provider, role: identity.workloadRef, name: 'publish-alerts',
      policy: policyJson([
        { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: this.platform.arn },
        { Sid: 'EncryptAlerts', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: this.key.arn },
      ]),
    });
    this.resources.alertmanagerIdentity = identity;
    const serviceAccountAnnotations = cluster.bindServiceAccount(identity, namespace, serviceAccount);
    const secretMount = runtimeSecrets.length ? this.renderSecretMount(identity, cluster, runtimeSecrets) : undefined;
    return { platformReceiver: snsReceiver(this.platform.arn, this.cloud.region), serviceAccountAnnotations, podLabels: cluster.workloadIdentityPodLabels ?? {}, secretMount };
  }

  /** Lets Alertmanager's identity read the receiver credentials, and mounts them (Secrets Store CSI, AWS provider). */
  private renderSecretMount(identity: WorkloadIdentity, cluster: IGpuCluster, runtimeSecrets: readonly RuntimeSecret[]): AlertmanagerSecretMount {
    const { scope, provider, cloud } = this;
    // A secret named by name matches its ARN with Secrets Manager's 6-character suffix.
    const arnOf = (name: string) => (name.startsWith('arn:') ? name : `arn:${this.partition}:secretsmanager:${cloud.region}:${this.account}:secret:${name}-??????`);
    new IamRolePolicy(scope, 'AlertmanagerReadSecrets', {
      provider, role: identity.workloadRef, name: 'read-receiver-credentials',
      policy: policyJson([{
        Sid: 'ReadReceiverCredentials', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: [...new Set(runtimeSecrets.map((x) => arnOf(x.ref.secretName)))].sort(),
      }]),
    });
    const chart = AWS_SECRETS_STORE_CHART;
    return {
      provider: 'aws',
      csiDriver: 'secrets-store.csi.k8s.io',
      dependsOn: [InferenceClusterAddons.of(scope, cluster).chart(chart)],
      parameters: {
        region: cloud.region,
        usePodIdentity: 'true',
        objects: runtimeSecrets.map((x) => `- objectName: "${x.ref.secretName}"\n  objectType: "secretsmanager"\n  objectAlias: "${x.key}"\n`).join(''),
      },
    };
  }

  public addRuleGroup(group: RuleGroup): void {
    if (!this.workspace) throw new Error('rule groups go to the managed workspace only with backend "managed"');
    new PrometheusRuleGroupNamespace(this.scope, `Rules-${group.name}`, {
      provider: this.provider, workspaceId: this.workspace.id, name: group.name, data: prometheusRulesYaml([group], this.input.render), tags: this.tags,
    });
  }

  /** The managed scraper is configured in AWS (its scrape configuration): no Kubernetes objects. */
  public addScrapeTarget(target: ScrapeTarget): Record<string, unknown>[] {
    this.targets.push(target);
    return [];
  }
}

/** MonitoringStack on AWS (src/monitoring/spi.ts). */
export const monitoring: MonitoringSpi = {
  secretNamePattern: /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/,
  secretReferenceAllowed: 'a SecretReference { secretName } naming an AWS Secrets Manager secret (name or ARN)',
  // A name or ARN says it all: Secrets Manager is regional and the stack's region is known.
  checkSecretLocation: () => {},
  // AWS Budgets needs nothing beyond the amount and thresholds.
  checkBudget: () => {},
  // targetFor picks this implementation by the cloud's kind: the cloud is an AwsCloud.
  create: (scope, cloud, input) => awsMonitoring(scope, cloud as AwsCloud, input),
};
