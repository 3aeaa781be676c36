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
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { AzureCloud } from '../../core/cloud';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { WorkloadIdentity } from '../../core/identity';
import { InferenceClusterAddons } from '../helm/inference-addons';
import { MonitoringCloudImpl, MonitoringCloudInput, RuntimeSecret, SelfManagedAlertmanagerParts } from '../../monitoring/cloud-impl';
import { AZURE_SECRETS_STORE_CHART } from './inference';
import { azureRules, RuleGroup, Severity } from '../../monitoring/rules';
import { podMonitor, ScrapeTarget } from '../../monitoring/scrape';
import { Policy } from '../../policy/suppress';
import { SecretReference } from '../../monitoring/types';
import { KEY_VAULT_RBAC_WAIT, rbacPropagation } from './propagation';
import { azureProvider, azureResourceGroupName } from './provider';

export function azureMonitoring(scope: Construct, cloud: AzureCloud, input: MonitoringCloudInput): MonitoringCloudImpl {
  const provider = azureProvider(scope, cloud);
  const rg = azureResourceGroupName(scope, cloud);
  const location = cloud.location;
  const tags = resourceTags(scope, cloud, input.tags);
  const resources: Record<string, IConstruct> = {};
  const managed = input.backend === 'managed';

  // Managed backend only: an Action Group's webhook needs the value, so Terraform reads it (at plan, by a data
  // source; kept sensitive). The self-managed Alertmanager reads its credentials at runtime instead.
  const secrets = new Map<string, string>();
  const secretValue = (id: string, ref: SecretReference): string => {
    let value = secrets.get(id);
    if (value === undefined) {
      value = Token.asString(Fn.sensitive(new DataAzurermKeyVaultSecret(scope, `SecretValue-${id}`, { provider, keyVaultId: ref.keyVaultId!, name: ref.secretName }).value));
      secrets.set(id, value);
    }
    return value;
  };
  let clientConfig: DataAzurermClientConfig | undefined;
  const client = (): DataAzurermClientConfig => (clientConfig ??= new DataAzurermClientConfig(scope, 'ClientConfig', { provider }));

  // ---- Action Groups ----------------------------------------------------------------------------------------
  const actionGroup = (name: string, emails: readonly string[], webhooks: { name: string; uri: string }[]): MonitorActionGroup => {
    const group = new MonitorActionGroup(scope, `ActionGroup-${name}`, {
      provider,
      name: physicalName(scope, cloud, { maxLength: 260 }, name),
      resourceGroupName: rg,
      location: 'global',
      shortName: name.replace(/-/g, '').slice(0, 12),
      emailReceiver: emails.map((emailAddress, i) => ({ name: `email-${i + 1}`, emailAddress, useCommonAlertSchema: true })),
      webhookReceiver: webhooks.map((w) => ({ name: w.name, serviceUri: w.uri, useCommonAlertSchema: true })),
      tags,
    });
    resources[`actionGroup:${name}`] = group;
    return group;
  };
  const platform = actionGroup('platform', [], []);
  const groupsOf: Record<string, string> = {};
  for (const r of input.routing.receivers) {
    const webhooks: { name: string; uri: string }[] = [];
    if (r.webhookUrl && managed) webhooks.push({ name: 'webhook', uri: secretValue(`${r.name}-webhook-url`, r.webhookUrl) });
    if (r.pagerDutyRoutingKey && managed) {
      // PagerDuty's Azure Monitor integration takes the common alert schema at its integration URL.
      webhooks.push({ name: 'pagerduty', uri: `https://events.pagerduty.com/integration/${secretValue(`${r.name}-pagerduty-key`, r.pagerDutyRoutingKey)}/enqueue` });
    }
    groupsOf[r.name] = actionGroup(r.name, r.emails ?? [], webhooks).id;
  }
  const groupsFor = (severity: Severity): string[] => [platform.id, ...input.routing.routes[severity].map((n) => groupsOf[n])];

  // ---- budget -----------------------------------------------------------------------------------------------
  if (input.budget) {
    const b = input.budget;
    const notification = [
      ...(b.thresholds ?? [50, 80, 100]).map((t) => ({ enabled: true, threshold: t, operator: 'GreaterThan', thresholdType: 'Actual', contactGroups: groupsFor('warning') })),
      ...((b.forecast ?? true) ? [{ enabled: true, threshold: 100, operator: 'GreaterThan', thresholdType: 'Forecasted', contactGroups: groupsFor('warning') }] : []),
    ];
    const common = {
      provider,
      name: physicalName(scope, cloud, { maxLength: 63 }),
      amount: b.monthlyUsd,
      timeGrain: 'Monthly',
      timePeriod: { startDate: `${b.startMonth ?? '2026-01-01'}T00:00:00Z` },
      notification,
    };
    if ((b.azureScope ?? 'resource-group') === 'subscription') {
      const sub = new DataAzurermSubscription(scope, 'Subscription', { provider });
      resources.budget = new ConsumptionBudgetSubscription(scope, 'Budget', { ...common, subscriptionId: sub.id });
    } else {
      const group = new DataAzurermResourceGroup(scope, 'ResourceGroup', { provider, name: rg });
      resources.budget = new ConsumptionBudgetResourceGroup(scope, 'Budget', { ...common, resourceGroupId: group.id });
    }
  }

  // ---- Grafana admin password (self-managed): a Key Vault of its own ---------------------------------------------
  let grafanaSecret: KeyVaultSecret | undefined;
  let grafanaPassword: string | undefined;
  const grafanaAdminPassword = (): string => {
    if (grafanaPassword) return grafanaPassword;
    const allowedIps = input.selfManaged.azureKeyVaultAllowedIpRanges ?? [];
    const vault = new KeyVault(scope, 'KeyVault', {
      provider,
      name: physicalName(scope, cloud, { maxLength: 24, startWithLetter: true }, 'kv'),
      location, resourceGroupName: rg, tenantId: client().tenantId, skuName: 'standard',
      rbacAuthorizationEnabled: true, purgeProtectionEnabled: true, softDeleteRetentionDays: 90,
      networkAcls: allowedIps.length
        ? { bypass: 'AzureServices', defaultAction: 'Deny', ipRules: [...allowedIps] }
        : { bypass: 'AzureServices', defaultAction: 'Allow' },
      tags,
    });
    const networkReason = 'Terraform writes the generated Grafana admin password through the vault data plane from the deployer\'s network '
      + '(no private endpoint); pass selfManaged.azureKeyVaultAllowedIpRanges to deny other networks. Azure RBAC guards the vault.';
    if (!allowedIps.length) {
      Policy.suppress(vault, 'AI-AZ-KV-2', networkReason);
      Policy.skipCheckov(vault, ['CKV_AZURE_109'], networkReason);
    }
    Policy.skipCheckov(vault, ['CKV_AZURE_189', 'CKV2_AZURE_32'], networkReason);
    // The deploying principal writes the secret: Secrets Officer on this vault only.
    const deployer = new RoleAssignment(scope, 'DeployerSecretAccess', {
      provider, scope: vault.id, roleDefinitionName: 'Key Vault Secrets Officer', principalId: client().objectId,
      description: 'Lets the deploying principal store the Grafana admin password (cdktf-ai-infra)',
    });
    grafanaSecret = new KeyVaultSecret(scope, 'GrafanaAdminSecret', {
      provider, keyVaultId: vault.id, name: 'grafana-admin-password', contentType: 'password',
      // 64 hex characters from two random (v4) UUIDs drawn by Terraform at apply: never in the synth output.
      value: Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', ''),
      lifecycle: { ignoreChanges: ['value'] },
      dependsOn: [rbacPropagation(scope, 'DeployerSecretAccessPropagation', [deployer], KEY_VAULT_RBAC_WAIT)],
      tags,
    });
    grafanaPassword = Token.asString(Fn.sensitive(new DataAzurermKeyVaultSecret(scope, 'GrafanaAdminStored', {
      provider, keyVaultId: vault.id, name: grafanaSecret.name, dependsOn: [grafanaSecret],
    }).value));
    resources.keyVault = vault;
    Policy.skipCheckov(grafanaSecret, ['CKV_AZURE_41'],
      'The Grafana admin password has no expiry: Grafana keeps it in its database after the first start, and an expired Key Vault secret can no longer be read by Terraform.');
    resources.grafanaAdminSecret = grafanaSecret;
    return grafanaPassword;
  };

  // ---- managed Prometheus -------------------------------------------------------------------------------------------
  let workspace: MonitorWorkspace | undefined;
  let aksId: string | undefined;
  let clusterName: string | undefined;
  if (managed) {
    workspace = new MonitorWorkspace(scope, 'Workspace', { provider, name: physicalName(scope, cloud, { maxLength: 44 }), resourceGroupName: rg, location, tags });
    resources.workspace = workspace;
    if (input.cluster) {
      clusterName = input.cluster.clusterName;
      const aks = new DataAzurermKubernetesCluster(scope, 'AksCluster', { provider, name: clusterName, resourceGroupName: rg });
      aksId = aks.id;
      const endpoint = new MonitorDataCollectionEndpoint(scope, 'CollectionEndpoint', {
        provider, name: physicalName(scope, cloud, { maxLength: 44 }, 'dce'), resourceGroupName: rg, location, kind: 'Linux', tags,
      });
      const rule = new MonitorDataCollectionRule(scope, 'CollectionRule', {
        provider, name: physicalName(scope, cloud, { maxLength: 64 }, 'dcr'), resourceGroupName: rg, location, kind: 'Linux',
        dataCollectionEndpointId: endpoint.id,
        destinations: { monitorAccount: [{ monitorAccountId: workspace.id, name: 'workspace' }] },
        dataFlow: [{ streams: ['Microsoft-PrometheusMetrics'], destinations: ['workspace'] }],
        dataSources: { prometheusForwarder: [{ name: 'prometheus', streams: ['Microsoft-PrometheusMetrics'] }] },
        description: `Managed Prometheus of ${scope.node.path}`.slice(0, 256),
        tags,
      });
      new MonitorDataCollectionRuleAssociation(scope, 'CollectionRuleAssociation', {
        provider, name: physicalName(scope, cloud, { maxLength: 64 }, 'dcra'), targetResourceId: aks.id, dataCollectionRuleId: rule.id,
      });
      // The cluster's metrics agent fetches its configuration through the endpoint (the name is fixed by Azure).
      new MonitorDataCollectionRuleAssociation(scope, 'CollectionEndpointAssociation', {
        provider, name: 'configurationAccessEndpoint', targetResourceId: aks.id, dataCollectionEndpointId: endpoint.id,
      });
      resources.collectionRule = rule;
    }
  }

  // ---- self-managed Alertmanager: receiver credentials read at runtime (Key Vault CSI provider) ------------------
  const selfManagedAlertmanager = (namespace: string, serviceAccount: string, runtimeSecrets: readonly RuntimeSecret[]): SelfManagedAlertmanagerParts => {
    const cluster = input.cluster;
    if (!cluster || runtimeSecrets.length === 0) return { serviceAccountAnnotations: {}, podLabels: {} };
    const identity = new WorkloadIdentity(scope, 'AlertmanagerIdentity', {
      cloud, description: `Alertmanager of ${scope.node.path}: reads receiver credentials`, tags: input.tags,
    });
    resources.alertmanagerIdentity = identity;
    // validate.ts admits one vault for the self-managed backend: a SecretProviderClass names one.
    const vaultId = runtimeSecrets[0].ref.keyVaultId!;
    new RoleAssignment(scope, 'AlertmanagerReadsSecrets', {
      provider, scope: vaultId, roleDefinitionName: 'Key Vault Secrets User', principalId: identity.principal,
      description: 'Lets the self-managed Alertmanager read its receiver credentials (cdktf-ai-infra)',
    });
    const chart = AZURE_SECRETS_STORE_CHART;
    return {
      serviceAccountAnnotations: cluster.bindServiceAccount(identity, namespace, serviceAccount),
      podLabels: cluster.workloadIdentityPodLabels ?? {},
      secretMount: {
        provider: 'azure',
        csiDriver: 'secrets-store.csi.k8s.io',
        dependsOn: [InferenceClusterAddons.of(scope, cluster).chart(chart)],
        parameters: {
          usePodIdentity: 'false',
          clientID: identity.workloadRef,
          keyvaultName: vaultId.split('/').pop()!,
          tenantId: client().tenantId,
          objects: `array:\n${runtimeSecrets.map((x) => `  - |\n    objectName: ${x.ref.secretName}\n    objectType: secret\n    objectAlias: ${x.key}\n`).join('')}`,
        },
      },
    };
  };

  return {
    grafanaAdminPassword,
    selfManagedAlertmanager,
    get grafanaAdminPasswordLocation() { return grafanaSecret?.versionlessId; },
    addRuleGroup(group: RuleGroup): void {
      if (!workspace) throw new Error('rule groups go to the Monitor workspace only with backend "managed"');
      resources[`rules:${group.name}`] = new MonitorAlertPrometheusRuleGroup(scope, `Rules-${group.name}`, {
        provider,
        // Unique in the resource group even with one stack per cluster in it.
        name: physicalName(scope, cloud, { maxLength: 260 }, group.name),
        resourceGroupName: rg,
        location,
        clusterName,
        description: `${group.area} alerts of ${scope.node.path} (cdktf-ai-infra)`.slice(0, 256),
        ruleGroupEnabled: true,
        interval: 'PT1M',
        scopes: aksId ? [workspace.id, aksId] : [workspace.id],
        rule: azureRules(group, input.render).map((r, i) => ({
          alert: r.alert,
          expression: r.expression,
          for: r.for,
          severity: r.severity,
          enabled: true,
          labels: r.labels,
          annotations: r.annotations,
          action: groupsFor(group.rules[i].severity).map((actionGroupId) => ({ actionGroupId })),
          alertResolution: { autoResolved: true, timeToResolve: 'PT10M' },
        })),
        tags,
      });
    },
    addScrapeTarget(target: ScrapeTarget): Record<string, unknown>[] {
      // Azure's metrics agent (ama-metrics) reads PodMonitors of its own API group.
      return managed ? [podMonitor(target, 'kube-system', { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' }, 'azmonitoring.coreos.com/v1')] : [];
    },
    clusterObjects: [],
    collectorNamespace: 'kube-system',
    resources,
  };
}
