// Azure part of MonitoringStack: Action Groups (the platform group + one per receiver), a consumption budget
// (resource group or subscription), secrets in Key Vault, and for the managed backend Azure Monitor managed
// Prometheus (Monitor workspace, data collection endpoint and rule associated with the AKS cluster,
// azmonitoring PodMonitors, Prometheus rule groups routed to the Action Groups).
import { Construct, IConstruct } from 'constructs';
import { Fn, Token } from 'cdktf';
import { ConsumptionBudgetResourceGroup } from '@cdktf/provider-azurerm/lib/consumption-budget-resource-group';
import { ConsumptionBudgetSubscription } from '@cdktf/provider-azurerm/lib/consumption-budget-subscription';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { DataAzurermKeyVaultSecret } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault-secret';
import { DataAzurermKubernetesCluster } from '@cdktf/provider-azurerm/lib/data-azurerm-kubernetes-cluster';
import { DataAzurermResourceGroup } from '@cdktf/provider-azurerm/lib/data-azurerm-resource-group';
import { DataAzurermSubscription } from '@cdktf/provider-azurerm/lib/data-azurerm-subscription';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultSecret } from '@cdktf/provider-azurerm/lib/key-vault-secret';
import { MonitorActionGroup } from '@cdktf/provider-azurerm/lib/monitor-action-group';
import { MonitorAlertPrometheusRuleGroup } from '@cdktf/provider-azurerm/lib/monitor-alert-prometheus-rule-group';
import { MonitorDataCollectionEndpoint } from '@cdktf/provider-azurerm/lib/monitor-data-collection-endpoint';
import { MonitorDataCollectionRule } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule';
import { MonitorDataCollectionRuleAssociation } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule-association';
import { MonitorWorkspace } from '@cdktf/provider-azurerm/lib/monitor-workspace';
import type { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { AzureCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { WorkloadIdentity } from '../../core/workload-identity';
import type { IGpuCluster } from '../../core/cluster';
import { InferenceClusterAddons } from '../helm/inference-addons';
import type { MonitoringCloudImpl, MonitoringCloudInput, RuntimeSecret, SelfManagedAlertmanagerParts, SelfManagedGrafanaParts, MonitoringSpi } from '../../monitoring/spi';
import { AZURE_SECRETS_STORE_CHART } from './inference';
import { RuleGroup, Severity } from '../../monitoring/rules';
import { azureRules } from './monitoring-rules';
import { podMonitor, ScrapeTarget } from '../../monitoring/scrape';
import { Policy } from '../../policy/suppress';
import type { BudgetProps, ReceiverProps, SecretReference } from '../../monitoring/types';
import { KEY_VAULT_RBAC_WAIT, rbacPropagation } from './propagation';
import { azureProvider, azureResourceGroupName } from './provider';

/** Namespace of the managed Prometheus collector in the cluster (admitted by the add-on namespaces' NetworkPolicies). */
const AZURE_COLLECTOR_NAMESPACE = 'kube-system';

export function azureMonitoring(scope: Construct, cloud: AzureCloud, input: MonitoringCloudInput): MonitoringCloudImpl {
  return new AzureMonitoring(scope, cloud, input);
}

/**
 * The Azure part of one MonitoringStack. The constructor renders, in this order (construct ids are API): the
 * Action Groups, the budget, the managed workspace and its data collection; the Grafana admin password's Key
 * Vault and the self-managed Alertmanager's identity are rendered when the generic stack asks for them.
 */
class AzureMonitoring implements MonitoringCloudImpl {
  public readonly resources: Record<string, IConstruct> = {};
  public readonly clusterObjects: Record<string, unknown>[] = [];
  public readonly collectorNamespace = AZURE_COLLECTOR_NAMESPACE;
  private readonly provider: AzurermProvider;
  private readonly rg: string;
  private readonly location: string;
  private readonly tags: Record<string, string>;
  private readonly managed: boolean;
  private readonly secrets = new Map<string, string>();
  private clientConfig?: DataAzurermClientConfig;
  private readonly platform: MonitorActionGroup;
  private readonly groupsOf: Record<string, string> = {};
  private workspace?: MonitorWorkspace;
  private aksId?: string;
  private clusterName?: string;
  private grafanaSecret?: KeyVaultSecret;

  constructor(private readonly scope: Construct, private readonly cloud: AzureCloud, private readonly input: MonitoringCloudInput) {
    this.provider = azureProvider(scope, cloud);
    this.rg = azureResourceGroupName(scope, cloud);
    this.location = cloud.location;
    this.tags = resourceTags(scope, cloud, input.tags);
    this.managed = input.backend === 'managed';
    this.platform = this.renderActionGroup('platform', [], []);
    for (const r of input.routing.receivers) this.groupsOf[r.name] = this.renderReceiverActionGroup(r).id;
    if (input.budget) this.renderBudget(input.budget);
    if (this.managed) this.renderManagedPrometheus();
  }

  /**
   * Managed backend only: an Action Group's webhook needs the value, so Terraform reads it (at plan, by a data
   * source; kept sensitive). The self-managed Alertmanager reads its credentials at runtime instead.
   */
  private secretValue(id: string, ref: SecretReference): string {
    let value = this.secrets.get(id);
    if (value === undefined) {
      value = Token.asString(Fn.sensitive(new DataAzurermKeyVaultSecret(this.scope, `SecretValue-${id}`, {
        provider: this.provider, keyVaultId: ref.keyVaultId!, name: ref.secretName,
      }).value));
      this.secrets.set(id, value);
    }
    return value;
  }

  private client(): DataAzurermClientConfig {
    return (this.clientConfig ??= new DataAzurermClientConfig(this.scope, 'ClientConfig', { provider: this.provider }));
  }

  private renderActionGroup(name: string, emails: readonly string[], webhooks: { name: string; uri: string }[]): MonitorActionGroup {
    const group = new MonitorActionGroup(this.scope, `ActionGroup-${name}`, {
      provider: this.provider,
      name: physicalName(this.scope, this.cloud, { maxLength: 260 }, name),
      resourceGroupName: this.rg,
      location: 'global',
      shortName: name.replace(/-/g, '').slice(0, 12),
      emailReceiver: emails.map((emailAddress, i) => ({ name: `email-${i + 1}`, emailAddress, useCommonAlertSchema: true })),
      webhookReceiver: webhooks.map((w) => ({ name: w.name, serviceUri: w.uri, useCommonAlertSchema: true })),
      tags: this.tags,
    });
    this.resources[`actionGroup:${name}`] = group;
    return group;
  }

  /** A receiver's Action Group: its e-mails; managed: its webhook and PagerDuty too. */
  private renderReceiverActionGroup(r: ReceiverProps): MonitorActionGroup {
    const webhooks: { name: string; uri: string }[] = [];
    if (r.webhookUrl && this.managed) webhooks.push({ name: 'webhook', uri: this.secretValue(`${r.name}-webhook-url`, r.webhookUrl) });
    if (r.pagerDutyRoutingKey && this.managed) {
      // PagerDuty's Azure Monitor integration takes the common alert schema at its integration URL.
      webhooks.push({ name: 'pagerduty', uri: `https://events.pagerduty.com/integration/${this.secretValue(`${r.name}-pagerduty-key`, r.pagerDutyRoutingKey)}/enqueue` });
    }
    return this.renderActionGroup(r.name, r.emails ?? [], webhooks);
  }

  private groupsFor(severity: Severity): string[] {
    return [this.platform.id, ...this.input.routing.routes[severity].map((n) => this.groupsOf[n])];
  }

  private renderBudget(b: BudgetProps): void {
    const { scope, provider } = this;
    const notification = [
      ...(b.thresholds ?? [50, 80, 100]).map((t) => ({ enabled: true, threshold: t, operator: 'GreaterThan', thresholdType: 'Actual', contactGroups: this.groupsFor('warning') })),
      ...((b.forecast ?? true) ? [{ enabled: true, threshold: 100, operator: 'GreaterThan', thresholdType: 'Forecasted', contactGroups: this.groupsFor('warning') }] : []),
    ];
    const common = {
      provider,
      name: physicalName(scope, this.cloud, { maxLength: 63 }),
      amount: b.monthlyUsd,
      timeGrain: 'Monthly',
      timePeriod: { startDate: `${b.startMonth ?? '2026-01-01'}T00:00:00Z` },
      notification,
    };
    if ((b.azureScope ?? 'resource-group') === 'subscription') {
      const sub = new DataAzurermSubscription(scope, 'Subscription', { provider });
      this.resources.budget = new ConsumptionBudgetSubscription(scope, 'Budget', { ...common, subscriptionId: sub.id });
    } else {
      const group = new DataAzurermResourceGroup(scope, 'ResourceGroup', { provider, name: this.rg });
      this.resources.budget = new ConsumptionBudgetResourceGroup(scope, 'Budget', { ...common, resourceGroupId: group.id });
    }
  }

  /**
   * Self-managed: the Grafana admin password in a Key Vault of its own, written by the write-only `value_wo` (in
   * no plan, state or Helm value) and read at runtime by Grafana's own identity (Key Vault CSI provider).
   */
  public selfManagedGrafana(namespace: string, serviceAccount: string): SelfManagedGrafanaParts {
    const cluster = this.input.cluster;
    if (!cluster) throw new Error('the self-managed Grafana runs in a cluster: MonitoringStack checks one is given');
    const { scope, provider } = this;
    const vault = this.renderKeyVault();
    // The deploying principal writes the secret: Secrets Officer on this vault only.
    const deployer = new RoleAssignment(scope, 'DeployerSecretAccess', {
      provider, scope: vault.id, roleDefinitionName: 'Key Vault Secrets Officer', principalId: this.client().objectId,
      description: 'Lets the deploying principal store the Grafana admin password (cdktf-ai-infra)',
    });
    const grafanaSecret = new KeyVaultSecret(scope, 'GrafanaAdminSecret', {
      provider, keyVaultId: vault.id, name: 'grafana-admin-password', contentType: 'password',
      // 64 hex characters from two random (v4) UUIDs drawn by Terraform at apply, written once (version 1).
      valueWo: Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', ''),
      valueWoVersion: 1,
      dependsOn: [rbacPropagation(scope, 'DeployerSecretAccessPropagation', [deployer], KEY_VAULT_RBAC_WAIT)],
      tags: this.tags,
    });
    this.grafanaSecret = grafanaSecret;
    this.resources.keyVault = vault;
    Policy.skipCheckov(grafanaSecret, ['CKV_AZURE_41'],
      'The Grafana admin password has no expiry: Grafana keeps it in its database after the first start, and the CSI driver cannot mount an expired Key Vault secret (Grafana would not start).');
    this.resources.grafanaAdminSecret = grafanaSecret;
    const identity = new WorkloadIdentity(scope, 'GrafanaIdentity', {
      cloud: this.cloud, description: `Grafana of ${scope.node.path}: reads its admin password`, tags: this.input.tags,
    });
    this.resources.grafanaIdentity = identity;
    new RoleAssignment(scope, 'GrafanaReadsAdminSecret', {
      provider, scope: grafanaSecret.resourceVersionlessId, roleDefinitionName: 'Key Vault Secrets User', principalId: identity.principal,
      description: 'Lets the self-managed Grafana read its admin password (cdktf-ai-infra)',
    });
    return this.secretStoreParts(cluster, identity, namespace, serviceAccount, vault.name, [{ name: grafanaSecret.name, file: 'admin-password' }]);
  }

  /** The Key Vault of the Grafana admin password (RBAC, purge protection; network rules when given). */
  private renderKeyVault(): KeyVault {
    const allowedIps = this.input.selfManaged.azureKeyVaultAllowedIpRanges ?? [];
    const vault = new KeyVault(this.scope, 'KeyVault', {
      provider: this.provider,
      name: physicalName(this.scope, this.cloud, { maxLength: 24, startWithLetter: true }, 'kv'),
      location: this.location, resourceGroupName: this.rg, tenantId: this.client().tenantId, skuName: 'standard',
      rbacAuthorizationEnabled: true, purgeProtectionEnabled: true, softDeleteRetentionDays: 90,
      networkAcls: allowedIps.length
        ? { bypass: 'AzureServices', defaultAction: 'Deny', ipRules: [...allowedIps] }
        : { bypass: 'AzureServices', defaultAction: 'Allow' },
      tags: this.tags,
    });
    const networkReason = 'Terraform writes the generated Grafana admin password through the vault data plane from the deployer\'s network '
      + '(no private endpoint); pass selfManaged.azureKeyVaultAllowedIpRanges to deny other networks. Azure RBAC guards the vault.';
    if (!allowedIps.length) {
      Policy.suppress(vault, 'AI-AZ-KV-2', networkReason);
      Policy.skipCheckov(vault, ['CKV_AZURE_109'], networkReason);
    }
    Policy.skipCheckov(vault, ['CKV_AZURE_189', 'CKV2_AZURE_32'], networkReason);
    return vault;
  }

  public get grafanaAdminPasswordLocation(): string | undefined {
    return this.grafanaSecret?.versionlessId;
  }

  /** Managed backend: the Monitor workspace and, with a cluster, the data collection that feeds it. */
  private renderManagedPrometheus(): void {
    const { scope, provider, rg, location } = this;
    const workspace = new MonitorWorkspace(scope, 'Workspace', { provider, name: physicalName(scope, this.cloud, { maxLength: 44 }), resourceGroupName: rg, location, tags: this.tags });
    this.workspace = workspace;
    this.resources.workspace = workspace;
    if (this.input.cluster) this.renderDataCollection(workspace, this.input.cluster.clusterName);
  }

  private renderDataCollection(workspace: MonitorWorkspace, clusterName: string): void {
    const { scope, provider, rg, location, tags } = this;
    this.clusterName = clusterName;
    const aks = new DataAzurermKubernetesCluster(scope, 'AksCluster', { provider, name: clusterName, resourceGroupName: rg });
    this.aksId = aks.id;
    const endpoint = new MonitorDataCollectionEndpoint(scope, 'CollectionEndpoint', {
      provider, name: physicalName(scope, this.cloud, { maxLength: 44 }, 'dce'), resourceGroupName: rg, location, kind: 'Linux', tags,
    });
    const rule = new MonitorDataCollectionRule(scope, 'CollectionRule', {
      provider, name: physicalName(scope, this.cloud, { maxLength: 64 }, 'dcr'), resourceGroupName: rg, location, kind: 'Linux',
      dataCollectionEndpointId: endpoint.id,
      destinations: { monitorAccount: [{ monitorAccountId: workspace.id, name: 'workspace' }] },
      dataFlow: [{ streams: ['Microsoft-PrometheusMetrics'], destinations: ['workspace'] }],
      dataSources: { prometheusForwarder: [{ name: 'prometheus', streams: ['Microsoft-PrometheusMetrics'] }] },
      description: `Managed Prometheus of ${scope.node.path}`.slice(0, 256),
      tags,
    });
    new MonitorDataCollectionRuleAssociation(scope, 'CollectionRuleAssociation', {
      provider, name: physicalName(scope, this.cloud, { maxLength: 64 }, 'dcra'), targetResourceId: aks.id, dataCollectionRuleId: rule.id,
    });
    // The cluster's metrics agent fetches its configuration through the endpoint (the name is fixed by Azure).
    new MonitorDataCollectionRuleAssociation(scope, 'CollectionEndpointAssociation', {
      provider, name: 'configurationAccessEndpoint', targetResourceId: aks.id, dataCollectionEndpointId: endpoint.id,
    });
    this.resources.collectionRule = rule;
  }

  /** Self-managed Alertmanager: receiver credentials read at runtime (Key Vault CSI provider). */
  public selfManagedAlertmanager(namespace: string, serviceAccount: string, runtimeSecrets: readonly RuntimeSecret[]): SelfManagedAlertmanagerParts {
    const cluster = this.input.cluster;
    if (!cluster || runtimeSecrets.length === 0) return { serviceAccountAnnotations: {}, podLabels: {} };
    const { scope, provider } = this;
    const identity = new WorkloadIdentity(scope, 'AlertmanagerIdentity', {
      cloud: this.cloud, description: `Alertmanager of ${scope.node.path}: reads receiver credentials`, tags: this.input.tags,
    });
    this.resources.alertmanagerIdentity = identity;
    // validate.ts admits one vault for the self-managed backend: a SecretProviderClass names one.
    const vaultId = runtimeSecrets[0].ref.keyVaultId!;
    new RoleAssignment(scope, 'AlertmanagerReadsSecrets', {
      provider, scope: vaultId, roleDefinitionName: 'Key Vault Secrets User', principalId: identity.principal,
      description: 'Lets the self-managed Alertmanager read its receiver credentials (cdktf-ai-infra)',
    });
    return this.secretStoreParts(cluster, identity, namespace, serviceAccount, vaultId.split('/').pop()!,
      runtimeSecrets.map((x) => ({ name: x.ref.secretName, file: x.key })));
  }

  /** The identity bound to the workload's ServiceAccount, and a Key Vault CSI volume of `secrets` (one file each). */
  private secretStoreParts(
    cluster: IGpuCluster, identity: WorkloadIdentity, namespace: string, serviceAccount: string, vaultName: string,
    secrets: readonly { name: string; file: string }[],
  ): SelfManagedGrafanaParts {
    return {
      serviceAccountAnnotations: cluster.bindServiceAccount(identity, namespace, serviceAccount),
      podLabels: cluster.workloadIdentityPodLabels ?? {},
      secretMount: {
        provider: 'azure',
        csiDriver: 'secrets-store.csi.k8s.io',
        dependsOn: [InferenceClusterAddons.of(this.scope, cluster).chart(AZURE_SECRETS_STORE_CHART)],
        parameters: {
          usePodIdentity: 'false',
          clientID: identity.workloadRef,
          keyvaultName: vaultName,
          tenantId: this.client().tenantId,
          objects: `array:\n${secrets.map((x) => `  - |\n    objectName: ${x.name}\n    objectType: secret\n    objectAlias: ${x.file}\n`).join('')}`,
        },
      },
    };
  }


  /** Managed backend: one Prometheus rule group in the Monitor workspace (scoped to the cluster too). */
  public addRuleGroup(group: RuleGroup): void {
    const workspace = this.workspace;
    if (!workspace) throw new Error('rule groups go to the Monitor workspace only with backend "managed"');
    const { scope } = this;
    if (group.records?.length) {
      // Recording rules in a group of their own: the alert group's rules map one to one onto group.rules.
      this.resources[`records:${group.name}`] = new MonitorAlertPrometheusRuleGroup(scope, `Records-${group.name}`, {
        provider: this.provider,
        name: physicalName(scope, this.cloud, { maxLength: 260 }, `${group.name}-records`),
        resourceGroupName: this.rg,
        location: this.location,
        clusterName: this.clusterName,
        description: `${group.area} recording rules of ${scope.node.path} (cdktf-ai-infra)`.slice(0, 256),
        ruleGroupEnabled: true,
        interval: 'PT1M',
        scopes: this.aksId ? [workspace.id, this.aksId] : [workspace.id],
        rule: group.records.map((r) => ({ record: r.record, expression: r.expr, enabled: true, ...(r.labels ? { labels: { ...r.labels } } : {}) })),
        tags: this.tags,
      });
    }
    if (group.rules.length === 0) return;
    this.resources[`rules:${group.name}`] = new MonitorAlertPrometheusRuleGroup(scope, `Rules-${group.name}`, {
      provider: this.provider,
      // Unique in the resource group even with one stack per cluster in it.
      name: physicalName(scope, this.cloud, { maxLength: 260 }, group.name),
      resourceGroupName: this.rg,
      location: this.location,
      clusterName: this.clusterName,
      description: `${group.area} alerts of ${scope.node.path} (cdktf-ai-infra)`.slice(0, 256),
      ruleGroupEnabled: true,
      interval: 'PT1M',
      scopes: this.aksId ? [workspace.id, this.aksId] : [workspace.id],
      rule: azureRules(group, this.input.render).map((r, i) => ({
        alert: r.alert,
        expression: r.expression,
        for: r.for,
        severity: r.severity,
        enabled: true,
        labels: r.labels,
        annotations: r.annotations,
        action: this.groupsFor(group.rules[i].severity).map((actionGroupId) => ({ actionGroupId })),
        alertResolution: { autoResolved: true, timeToResolve: 'PT10M' },
      })),
      tags: this.tags,
    });
  }

  /** Managed backend: Azure's metrics agent (ama-metrics) reads PodMonitors of its own API group. */
  public addScrapeTarget(target: ScrapeTarget): Record<string, unknown>[] {
    return this.managed ? [podMonitor(target, 'kube-system', { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' }, 'azmonitoring.coreos.com/v1')] : [];
  }
}

const KEY_VAULT_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[a-zA-Z0-9-]{3,24}$/;

/** MonitoringStack on Azure (src/monitoring/spi.ts). */
export const monitoring: MonitoringSpi = {
  secretNamePattern: /^[A-Za-z0-9-]{1,127}$/,
  managedCollectorNamespace: AZURE_COLLECTOR_NAMESPACE,
  secretReferenceAllowed: 'a SecretReference { secretName, keyVaultId } naming a Key Vault secret',
  checkSecretLocation(scope, prop, ref) {
    // A secret name is unique only within its vault.
    if (typeof ref.keyVaultId !== 'string' || !KEY_VAULT_ID.test(ref.keyVaultId)) {
      throw new InvalidPropError(scope, `${prop}.keyVaultId`, ref.keyVaultId, 'the resource id of the Key Vault holding the secret (/subscriptions/.../vaults/<name>)');
    }
  },
  // Consumption budgets need nothing beyond the generic props (azureScope and startMonth are checked there).
  checkBudget: () => {},
  // Amazon Managed Grafana is the only managed Grafana this library wires.
  managedGrafanaUnsupported: 'AWS only (Amazon Managed Grafana); on GCP and Azure use the self-managed Grafana or your own',
  // targetFor picks this implementation by the cloud's kind: the cloud is an AzureCloud.
  create: (scope, cloud, input) => azureMonitoring(scope, cloud as AzureCloud, input),
};
