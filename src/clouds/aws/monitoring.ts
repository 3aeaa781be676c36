// AWS part of MonitoringStack: a KMS CMK, SNS topics (the platform channel + one per receiver) with
// least-privilege topic policies, AWS Budgets, secrets in Secrets Manager, and for the managed backend
// Amazon Managed Service for Prometheus (workspace, scraper, rule group namespaces, alert manager) with
// optional Amazon Managed Grafana.
import { Construct, IConstruct } from 'constructs';
import { Fn, Lazy, Token } from 'cdktf';
import { BudgetsBudget } from '@cdktf/provider-aws/lib/budgets-budget';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsEksCluster } from '@cdktf/provider-aws/lib/data-aws-eks-cluster';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password';
import { DataAwsSecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version';
import { GrafanaWorkspace } from '@cdktf/provider-aws/lib/grafana-workspace';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { PrometheusAlertManagerDefinition } from '@cdktf/provider-aws/lib/prometheus-alert-manager-definition';
import { PrometheusRuleGroupNamespace } from '@cdktf/provider-aws/lib/prometheus-rule-group-namespace';
import { PrometheusScraper } from '@cdktf/provider-aws/lib/prometheus-scraper';
import { PrometheusWorkspace } from '@cdktf/provider-aws/lib/prometheus-workspace';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { stringify } from '../../core/yaml';
import { AwsCloud } from '../../core/cloud';
import { WorkloadIdentity } from '../../core/identity';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { snsAlertmanagerConfig, snsReceiver } from '../../monitoring/alertmanager';
import { AlertmanagerSecretMount, MonitoringCloudImpl, MonitoringCloudInput, RuntimeSecret, SelfManagedAlertmanagerParts } from '../../monitoring/cloud-impl';
import { InferenceClusterAddons } from '../helm/inference-addons';
import { AWS_SECRETS_STORE_CHART } from './inference';
import { prometheusRulesYaml, RuleGroup } from '../../monitoring/rules';
import { KUBE_STATE_METRICS, ScrapeTarget, scrapeConfigYaml } from '../../monitoring/scrape';
import { SecretReference } from '../../monitoring/types';
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
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
      metadata: { name: 'aps-collector-role', labels },
      rules: [
        { apiGroups: [''], resources: ['nodes', 'nodes/proxy', 'nodes/metrics', 'services', 'endpoints', 'pods', 'ingresses', 'configmaps'], verbs: ['describe', 'get', 'list', 'watch'] },
        { apiGroups: ['extensions', 'networking.k8s.io'], resources: ['ingresses/status', 'ingresses'], verbs: ['describe', 'get', 'list', 'watch'] },
        { apiGroups: ['metrics.eks.amazonaws.com'], resources: ['kcm/metrics', 'ksh/metrics'], verbs: ['get'] },
        { nonResourceURLs: ['/metrics'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding',
      metadata: { name: 'aps-collector-user-role-binding', labels },
      subjects: [{ kind: 'User', name: 'aps-collector-user', apiGroup: 'rbac.authorization.k8s.io' }],
      roleRef: { kind: 'ClusterRole', name: 'aps-collector-role', apiGroup: 'rbac.authorization.k8s.io' },
    },
  ];
}

export function awsMonitoring(scope: Construct, cloud: AwsCloud, input: MonitoringCloudInput): MonitoringCloudImpl {
  const provider = awsProvider(scope, cloud.region);
  const partition = partitionOf(cloud.region);
  const tags = resourceTags(scope, cloud, input.tags);
  const account = cloud.accountId ?? new DataAwsCallerIdentity(scope, 'CallerIdentity', { provider }).accountId;
  const resources: Record<string, IConstruct> = {};
  const managed = input.backend === 'managed';

  const key = new KmsKey(scope, 'Key', {
    provider,
    description: `Monitoring notifications and secrets of ${scope.node.path} (cdktf-ai-infra)`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: monitoringKeyPolicy(partition, account, cloud.region),
    tags,
  });
  resources.key = key;

  let workspace: PrometheusWorkspace | undefined;
  if (managed) {
    workspace = new PrometheusWorkspace(scope, 'Workspace', {
      provider, alias: physicalName(scope, cloud, { maxLength: 100, lowercase: false }), kmsKeyArn: key.arn, tags,
    });
    resources.workspace = workspace;
  }

  // Managed backend only: the cloud channel's endpoint needs the value, so Terraform reads it (at plan, by a
  // data source; kept sensitive). The self-managed Alertmanager reads its credentials at runtime instead.
  const secrets = new Map<string, string>();
  const secretValue = (id: string, ref: SecretReference): string => {
    let value = secrets.get(id);
    if (value === undefined) {
      value = Token.asString(Fn.sensitive(new DataAwsSecretsmanagerSecretVersion(scope, `SecretValue-${id}`, { provider, secretId: ref.secretName }).secretString));
      secrets.set(id, value);
    }
    return value;
  };

  // ---- channels: the platform topic and one topic per receiver --------------------------------------------
  const topicArns: Record<string, string> = {};
  const makeTopic = (name: string): SnsTopic => {
    const topic = new SnsTopic(scope, `Topic-${name}`, {
      provider, name: physicalName(scope, cloud, { maxLength: 256, lowercase: false }, name), kmsMasterKeyId: key.arn, tags,
    });
    new SnsTopicPolicy(scope, `TopicPolicy-${name}`, { provider, arn: topic.arn, policy: topicPolicy(topic.arn, partition, account, workspace?.arn) });
    resources[`topic:${name}`] = topic;
    return topic;
  };
  const platform = makeTopic('platform');
  for (const r of input.routing.receivers) {
    const topic = makeTopic(r.name);
    topicArns[r.name] = topic.arn;
    (r.emails ?? []).forEach((email, i) => new SnsTopicSubscription(scope, `Subscription-${r.name}-email-${i}`, {
      provider, topicArn: topic.arn, protocol: 'email', endpoint: email,
    }));
    if (r.webhookUrl && managed) {
      new SnsTopicSubscription(scope, `Subscription-${r.name}-webhook`, {
        provider, topicArn: topic.arn, protocol: 'https', endpoint: secretValue(`${r.name}-webhook-url`, r.webhookUrl), endpointAutoConfirms: false,
      });
    }
    if (r.pagerDutyRoutingKey && managed) {
      new SnsTopicSubscription(scope, `Subscription-${r.name}-pagerduty`, {
        provider, topicArn: topic.arn, protocol: 'https', endpointAutoConfirms: true,
        endpoint: `https://events.pagerduty.com/integration/${secretValue(`${r.name}-pagerduty-key`, r.pagerDutyRoutingKey)}/enqueue`,
      });
    }
  }

  // ---- budget: notifications to the platform topic and the e-mails of warning receivers ----------------------
  if (input.budget) {
    const b = input.budget;
    const warningEmails = input.routing.receivers.filter((r) => input.routing.routes.warning.includes(r.name)).flatMap((r) => r.emails ?? []).slice(0, 10);
    const subscribers = { subscriberSnsTopicArns: [platform.arn], ...(warningEmails.length ? { subscriberEmailAddresses: warningEmails } : {}) };
    resources.budget = new BudgetsBudget(scope, 'Budget', {
      provider,
      name: physicalName(scope, cloud, { maxLength: 100, lowercase: false }),
      budgetType: 'COST',
      limitAmount: b.monthlyUsd.toFixed(2),
      limitUnit: 'USD',
      timeUnit: 'MONTHLY',
      notification: [
        ...(b.thresholds ?? [50, 80, 100]).map((t) => ({ comparisonOperator: 'GREATER_THAN', notificationType: 'ACTUAL', threshold: t, thresholdType: 'PERCENTAGE', ...subscribers })),
        ...((b.forecast ?? true) ? [{ comparisonOperator: 'GREATER_THAN', notificationType: 'FORECASTED', threshold: 100, thresholdType: 'PERCENTAGE', ...subscribers }] : []),
      ],
      tags,
    });
  }

  // ---- Grafana admin password (self-managed): generated by Secrets Manager, stored encrypted ----------------
  let grafanaSecret: SecretsmanagerSecret | undefined;
  let grafanaPassword: string | undefined;
  const grafanaAdminPassword = (): string => {
    if (grafanaPassword) return grafanaPassword;
    grafanaSecret = new SecretsmanagerSecret(scope, 'GrafanaAdminSecret', {
      provider, name: physicalName(scope, cloud, { maxLength: 512, lowercase: false }, 'grafana-admin'),
      description: `Grafana admin password of ${scope.node.path}`, kmsKeyId: key.arn, recoveryWindowInDays: 7, tags,
    });
    const generated = new DataAwsSecretsmanagerRandomPassword(scope, 'GrafanaAdminGenerated', { provider, passwordLength: 40, excludePunctuation: true });
    const version = new SecretsmanagerSecretVersion(scope, 'GrafanaAdminVersion', {
      provider, secretId: grafanaSecret.id, secretString: generated.randomPassword,
      // Generated once: later plans draw a new random value, which must not replace the stored one.
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
    grafanaPassword = Token.asString(Fn.sensitive(new DataAwsSecretsmanagerSecretVersion(scope, 'GrafanaAdminStored', {
      provider, secretId: grafanaSecret.id, dependsOn: [version],
    }).secretString));
    resources.grafanaAdminSecret = grafanaSecret;
    Policy.skipCheckov(grafanaSecret, ['CKV2_AWS_57'],
      'Grafana keeps its admin password in its own database after the first start: rotating the secret alone would not change it. Change it in Grafana, then update the secret.');
    return grafanaPassword;
  };

  // ---- managed Prometheus: rules, alert manager, scraper, Grafana -----------------------------------------------
  const targets: ScrapeTarget[] = [];
  const clusterObjects: Record<string, unknown>[] = [];
  if (workspace) {
    new PrometheusAlertManagerDefinition(scope, 'AlertManager', {
      provider, workspaceId: workspace.id,
      definition: stringify({ alertmanager_config: stringify(snsAlertmanagerConfig(input.routing, topicArns, platform.arn, cloud.region), { lineWidth: 0 }) }, { lineWidth: 0 }),
    });
    if (input.cluster) {
      const eks = new DataAwsEksCluster(scope, 'EksCluster', { provider, name: input.cluster.clusterName });
      resources.scraper = new PrometheusScraper(scope, 'Scraper', {
        provider,
        alias: physicalName(scope, cloud, { maxLength: 100, lowercase: false }, 'scraper'),
        source: [{ eks: [{ clusterArn: eks.arn, subnetIds: Fn.tolist(eks.vpcConfig.get(0).subnetIds) }] }],
        destination: [{ amp: [{ workspaceArn: workspace.arn }] }],
        scrapeConfiguration: Lazy.stringValue({ produce: () => scrapeConfigYaml(targets, 'kube-system') }),
        tags,
      });
      resources.kubeStateMetrics = pinnedRelease(scope, 'KubeStateMetrics', KUBE_STATE_METRICS, {
        provider: input.cluster.helmProvider, name: 'kube-state-metrics', namespace: 'kube-system',
        values: { fullnameOverride: 'kube-state-metrics', resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } } },
        dependsOn: input.cluster.addOnDependencies,
      });
      clusterObjects.push(...scraperRbac());
    }
    if (input.managed.grafana) {
      const role = new IamRole(scope, 'GrafanaRole', {
        provider,
        name: physicalName(scope, cloud, { maxLength: 64, lowercase: false }, 'grafana'),
        assumeRolePolicy: policyJson([{
          Effect: 'Allow', Principal: { Service: 'grafana.amazonaws.com' }, Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': account } },
        }]),
        tags,
      });
      new IamRolePolicy(scope, 'GrafanaRolePolicy', {
        provider, role: role.name, name: 'query-managed-prometheus',
        policy: policyJson([
          { Sid: 'QueryWorkspace', Effect: 'Allow', Action: ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata', 'aps:DescribeWorkspace'], Resource: workspace.arn },
          { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: platform.arn },
          { Sid: 'EncryptAlerts', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: key.arn },
        ]),
      });
      resources.grafana = new GrafanaWorkspace(scope, 'Grafana', {
        provider,
        name: physicalName(scope, cloud, { maxLength: 255, lowercase: false }, 'grafana'),
        accountAccessType: 'CURRENT_ACCOUNT',
        authenticationProviders: ['AWS_SSO'],
        permissionType: 'CUSTOMER_MANAGED',
        roleArn: role.arn,
        dataSources: ['PROMETHEUS'],
        notificationDestinations: ['SNS'],
        tags,
      });
    }
  }

  // ---- self-managed Alertmanager -> platform topic, as a workload identity allowed to publish there only ------
  // Receiver credentials: read at runtime from Secrets Manager through the Secrets Store CSI driver (EKS Pod
  // Identity), by name: Terraform grants access and never reads a value.
  const selfManagedAlertmanager = (namespace: string, serviceAccount: string, runtimeSecrets: readonly RuntimeSecret[]): SelfManagedAlertmanagerParts => {
    if (!input.cluster) return { serviceAccountAnnotations: {}, podLabels: {} };
    const identity = new WorkloadIdentity(scope, 'AlertmanagerIdentity', {
      cloud, description: `Alertmanager of ${scope.node.path}: publishes alerts to the platform SNS topic`, tags: input.tags,
    });
    new IamRolePolicy(scope, 'AlertmanagerPublish', {
      provider, role: identity.workloadRef, name: 'publish-alerts',
      policy: policyJson([
        { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: platform.arn },
        { Sid: 'EncryptAlerts', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: key.arn },
      ]),
    });
    resources.alertmanagerIdentity = identity;
    const serviceAccountAnnotations = input.cluster.bindServiceAccount(identity, namespace, serviceAccount);
    let secretMount: AlertmanagerSecretMount | undefined;
    if (runtimeSecrets.length) {
      // A secret named by name matches its ARN with Secrets Manager's 6-character suffix.
      const arnOf = (name: string) => (name.startsWith('arn:') ? name : `arn:${partition}:secretsmanager:${cloud.region}:${account}:secret:${name}-??????`);
      new IamRolePolicy(scope, 'AlertmanagerReadSecrets', {
        provider, role: identity.workloadRef, name: 'read-receiver-credentials',
        policy: policyJson([{
          Sid: 'ReadReceiverCredentials', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: [...new Set(runtimeSecrets.map((x) => arnOf(x.ref.secretName)))].sort(),
        }]),
      });
      const chart = AWS_SECRETS_STORE_CHART;
      secretMount = {
        provider: 'aws',
        csiDriver: 'secrets-store.csi.k8s.io',
        dependsOn: [InferenceClusterAddons.of(scope, input.cluster).chart(chart)],
        parameters: {
          region: cloud.region,
          usePodIdentity: 'true',
          objects: runtimeSecrets.map((x) => `- objectName: "${x.ref.secretName}"\n  objectType: "secretsmanager"\n  objectAlias: "${x.key}"\n`).join(''),
        },
      };
    }
    return { platformReceiver: snsReceiver(platform.arn, cloud.region), serviceAccountAnnotations, podLabels: input.cluster.workloadIdentityPodLabels ?? {}, secretMount };
  };

  return {
    grafanaAdminPassword,
    selfManagedAlertmanager,
    get grafanaAdminPasswordLocation() { return grafanaSecret?.arn; },
    addRuleGroup(group: RuleGroup): void {
      if (!workspace) throw new Error('rule groups go to the managed workspace only with backend "managed"');
      new PrometheusRuleGroupNamespace(scope, `Rules-${group.name}`, {
        provider, workspaceId: workspace.id, name: group.name, data: prometheusRulesYaml([group], input.render), tags,
      });
    },
    addScrapeTarget(target: ScrapeTarget): Record<string, unknown>[] {
      targets.push(target);
      return [];
    },
    clusterObjects,
    collectorNamespace: undefined,
    resources,
  };
}
