import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultKey } from '@cdktf/provider-azurerm/lib/key-vault-key';
import { DiskEncryptionSet } from '@cdktf/provider-azurerm/lib/disk-encryption-set';
import { KubernetesCluster, KubernetesClusterDefaultNodePool, KubernetesClusterNetworkProfile } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { AzureCloud } from '../../core/cloud';
import { Policy } from '../../policy/suppress';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { LABEL_POOL } from '../../k8s/node-labels';
import type { ClusterBuildSpec } from '../../training/spi';
import { AzureClusterNetwork } from './network';
import { aksUsesPriorityExpander, AZURE_DEFAULT_ZONES } from './node-pools';
import { AKS_RBAC_WAIT, KEY_VAULT_RBAC_WAIT, rbacPropagation } from './propagation';
import { azureProvider, azureResourceGroupName } from './provider';

/** Actions the cluster identity needs on the network: join the node subnet, no more. */
export const AKS_SUBNET_JOIN_ACTIONS = [
  'Microsoft.Network/virtualNetworks/read',
  'Microsoft.Network/virtualNetworks/subnets/read',
  'Microsoft.Network/virtualNetworks/subnets/join/action',
];

export interface AzureControlPlane {
  readonly cluster: KubernetesCluster;
  readonly identity: UserAssignedIdentity;
  readonly keyVault: KeyVault;
  readonly secretsKey: KeyVaultKey;
  readonly diskEncryptionSet: DiskEncryptionSet;
  readonly logs: LogAnalyticsWorkspace;
  /**
   * Created once the deployer's AKS RBAC Cluster Admin assignment has propagated: everything that calls the
   * Kubernetes API as the deployer (helm releases) depends on this, not on the cluster.
   */
  readonly apiAccess: ITerraformDependable;
}

/** Control-plane log categories exported to Log Analytics (audit included). */
export const AKS_LOG_CATEGORIES = ['kube-apiserver', 'kube-audit-admin', 'kube-controller-manager', 'kube-scheduler', 'cluster-autoscaler', 'guard'];

/** The Key Vault (RBAC, purge protection) with the etcd KMS key and the node-disk key behind a disk encryption set. */
function azureEncryption(scope: Construct, cloud: AzureCloud, name: string, client: DataAzurermClientConfig, tags: Record<string, string>) {
  const provider = azureProvider(scope, cloud);
  const resourceGroupName = azureResourceGroupName(scope, cloud);
  const keyVault = new KeyVault(scope, 'KeyVault', {
    provider,
    name: `kv${physicalName(scope, cloud, { maxLength: 22, separator: '' })}`.slice(0, 24),
    location: cloud.location,
    resourceGroupName,
    tenantId: client.tenantId,
    skuName: 'premium',
    rbacAuthorizationEnabled: true,
    purgeProtectionEnabled: true,
    softDeleteRetentionDays: 90,
    networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow' },
    tags,
  });
  Policy.suppress(keyVault, 'AI-AZ-KV-2',
    'AKS KMS with keyVaultNetworkAccess Public reaches the vault from the managed control plane, outside the VNet, and Terraform creates '
    + 'the keys from where it runs; a firewalled vault needs API server VNet integration. Data-plane access is Entra RBAC only (two role assignments).');
  const officer = new RoleAssignment(scope, 'DeployerKeyOfficer', {
    provider, scope: keyVault.id, roleDefinitionName: 'Key Vault Crypto Officer', principalId: client.objectId,
  });
  const officerReady = rbacPropagation(scope, 'DeployerKeyOfficerPropagation', [officer], KEY_VAULT_RBAC_WAIT);
  const secretsKey = new KeyVaultKey(scope, 'SecretsKey', {
    provider,
    name: 'aks-etcd',
    keyVaultId: keyVault.id,
    keyType: 'RSA-HSM',
    keySize: 2048,
    keyOpts: ['decrypt', 'encrypt', 'unwrapKey', 'wrapKey'],
    rotationPolicy: { automatic: { timeAfterCreation: 'P365D' }, expireAfter: 'P730D', notifyBeforeExpiry: 'P30D' },
    tags,
    dependsOn: [officerReady],
  });
  const diskKey = new KeyVaultKey(scope, 'DiskKey', {
    provider,
    name: 'aks-node-disks',
    keyVaultId: keyVault.id,
    keyType: 'RSA-HSM',
    keySize: 3072,
    keyOpts: ['decrypt', 'encrypt', 'unwrapKey', 'wrapKey'],
    rotationPolicy: { automatic: { timeAfterCreation: 'P365D' }, expireAfter: 'P730D', notifyBeforeExpiry: 'P30D' },
    tags,
    dependsOn: [officerReady],
  });
  const diskEncryptionSet = new DiskEncryptionSet(scope, 'DiskEncryptionSet', {
    provider,
    name: `des-${name}`,
    location: cloud.location,
    resourceGroupName,
    keyVaultKeyId: diskKey.versionlessId,
    autoKeyRotationEnabled: true,
    identity: { type: 'SystemAssigned' },
    tags,
  });
  const desKeyUser = new RoleAssignment(scope, 'DiskEncryptionSetKeyUser', {
    provider, scope: keyVault.id, roleDefinitionName: 'Key Vault Crypto Service Encryption User',
    principalId: diskEncryptionSet.identity.principalId, principalType: 'ServicePrincipal',
  });
  return { keyVault, secretsKey, diskEncryptionSet, desKeyUser };
}

/** The overlay range pods take IPs from (never routed in the VNet). */
export const AKS_POD_CIDR = '192.168.0.0/16';

/** Azure CNI overlay with Cilium (network policy), egress through the NAT gateway. */
const AKS_NETWORK_PROFILE: KubernetesClusterNetworkProfile = {
  networkPlugin: 'azure',
  networkPluginMode: 'overlay',
  networkPolicy: 'cilium',
  networkDataPlane: 'cilium',
  podCidr: AKS_POD_CIDR,
  serviceCidr: '172.16.0.0/16',
  dnsServiceIp: '172.16.0.10',
  outboundType: 'userAssignedNATGateway',
  loadBalancerSku: 'standard',
};

/** The system pool across zones, only critical add-ons. */
function aksSystemPool(spec: ClusterBuildSpec, network: AzureClusterNetwork): KubernetesClusterDefaultNodePool {
  return {
    name: 'system',
    vmSize: spec.systemPool.machineType,
    zones: spec.zones ? [...spec.zones] : AZURE_DEFAULT_ZONES,
    autoScalingEnabled: true,
    minCount: spec.systemPool.minNodes,
    maxCount: spec.systemPool.maxNodes,
    nodeCount: spec.systemPool.minNodes,
    vnetSubnetId: network.subnetId,
    onlyCriticalAddonsEnabled: true,
    osSku: 'AzureLinux',
    osDiskSizeGb: spec.systemPool.diskSizeGiB,
    maxPods: 110,
    nodeLabels: { [LABEL_POOL]: 'system' },
    temporaryNameForRotation: 'systemtmp',
    upgradeSettings: { maxSurge: '10%' },
  };
}

/** A custom role that may only join the node subnet (not Network Contributor), assigned to the control-plane identity. */
function azureSubnetJoin(scope: Construct, cloud: AzureCloud, name: string, network: AzureClusterNetwork, identity: UserAssignedIdentity): RoleAssignment {
  const provider = azureProvider(scope, cloud);
  const joinRole = new RoleDefinition(scope, 'SubnetJoinRole', {
    provider,
    name: `${name}-aks-subnet-join`,
    scope: network.vnetId,
    description: `Lets AKS cluster ${name} join its node subnet (cdktf-ai-infra)`,
    permissions: [{ actions: AKS_SUBNET_JOIN_ACTIONS, notActions: [] }],
    assignableScopes: [network.vnetId],
  });
  return new RoleAssignment(scope, 'ControlPlaneSubnetJoin', {
    provider, scope: network.subnetId, roleDefinitionId: joinRole.roleDefinitionResourceId, principalId: identity.principalId, principalType: 'ServicePrincipal',
  });
}

/**
 * An AKS cluster: OIDC issuer + workload identity, Entra ID authentication with Azure RBAC and local
 * accounts disabled, Azure CNI overlay with Cilium (network policy), egress through the NAT gateway,
 * etcd secrets encrypted with a Key Vault key (KMS v2, RBAC vault with purge protection, yearly
 * rotation), node OS disks encrypted with the same vault through a disk encryption set, control-plane
 * logs (audit included) to a Log Analytics workspace, a user-assigned control-plane identity limited to
 * joining the node subnet (a custom role, not Network Contributor), the system pool across zones with only
 * critical add-ons, autoscaler profile, automatic patch upgrades, the Standard (SLA) tier.
 */
export function azureControlPlane(scope: Construct, cloud: AzureCloud, spec: ClusterBuildSpec, name: string, network: AzureClusterNetwork): AzureControlPlane {
  const provider = azureProvider(scope, cloud);
  const resourceGroupName = azureResourceGroupName(scope, cloud);
  const tags = resourceTags(scope, cloud, spec.tags);
  const client = new DataAzurermClientConfig(scope, 'Client', { provider });

  const identity = new UserAssignedIdentity(scope, 'ControlPlaneIdentity', {
    provider, name: `id-${name}-aks`, location: cloud.location, resourceGroupName, tags,
  });

  const { keyVault, secretsKey, diskEncryptionSet, desKeyUser } = azureEncryption(scope, cloud, name, client, tags);
  const logs = new LogAnalyticsWorkspace(scope, 'Logs', {
    provider, name: `log-${name}`, location: cloud.location, resourceGroupName, sku: 'PerGB2018', retentionInDays: 90,
    localAuthenticationEnabled: false, tags,
  });
  const keyUser = new RoleAssignment(scope, 'ControlPlaneKeyUser', {
    provider, scope: keyVault.id, roleDefinitionName: 'Key Vault Crypto User', principalId: identity.principalId, principalType: 'ServicePrincipal',
  });
  const join = azureSubnetJoin(scope, cloud, name, network, identity);

  const cluster = new KubernetesCluster(scope, 'Resource', {
    provider,
    name: `aks-${name}`,
    location: cloud.location,
    resourceGroupName,
    dnsPrefix: name.slice(0, 40).replace(/-+$/, ''),
    kubernetesVersion: spec.kubernetesVersion,
    skuTier: 'Standard',
    automaticUpgradeChannel: 'patch',
    nodeOsUpgradeChannel: 'NodeImage',
    oidcIssuerEnabled: true,
    workloadIdentityEnabled: true,
    localAccountDisabled: true,
    roleBasedAccessControlEnabled: true,
    azureActiveDirectoryRoleBasedAccessControl: {
      azureRbacEnabled: true, tenantId: client.tenantId, adminGroupObjectIds: spec.admins.length ? [...spec.admins] : undefined,
    },
    privateClusterEnabled: spec.endpointAccess === 'private',
    apiServerAccessProfile: spec.endpointAccess === 'public' && spec.authorizedNetworks.length > 0
      ? { authorizedIpRanges: [...spec.authorizedNetworks] } : undefined,
    identity: { type: 'UserAssigned', identityIds: [identity.id] },
    keyManagementService: { keyVaultKeyId: secretsKey.id, keyVaultNetworkAccess: 'Public' },
    diskEncryptionSetId: diskEncryptionSet.id,
    networkProfile: AKS_NETWORK_PROFILE,
    defaultNodePool: aksSystemPool(spec, network),
    autoScalerProfile: {
      // Priority (rsv > od > spot, from the priority-expander ConfigMap) when a pool has a ladder.
      expander: aksUsesPriorityExpander(spec) ? 'priority' : 'least-waste',
      balanceSimilarNodeGroups: true,
      scaleDownUnneeded: '10m',
      skipNodesWithSystemPods: false,
    },
    imageCleanerEnabled: true,
    imageCleanerIntervalHours: 48,
    azurePolicyEnabled: true,
    runCommandEnabled: false,
    tags,
    // AKS has no deletion protection of its own: `deletionProtection` makes `cdktf destroy` refuse at plan.
    lifecycle: { ignoreChanges: ['default_node_pool[0].node_count'], preventDestroy: spec.deletionProtection || undefined },
    // AKS checks at creation that its identity can use the KMS key and join the subnet, and the disk
    // encryption set must unwrap its key when the first node disk is made: all three must be effective.
    dependsOn: [rbacPropagation(scope, 'ControlPlaneRolesPropagation', [keyUser, join, desKeyUser], KEY_VAULT_RBAC_WAIT), ...network.ready],
  });
  // The identity running Terraform installs the add-ons (CRDs, cluster roles) through Entra ID: the AKS
  // counterpart of EKS's cluster-creator admin access entry, scoped to this cluster only.
  const clusterAdmin = new RoleAssignment(scope, 'DeployerClusterAdmin', {
    provider, scope: cluster.id, roleDefinitionName: 'Azure Kubernetes Service RBAC Cluster Admin', principalId: client.objectId,
  });
  const apiAccess = rbacPropagation(scope, 'DeployerClusterAdminPropagation', [clusterAdmin], AKS_RBAC_WAIT);
  new MonitorDiagnosticSetting(scope, 'ControlPlaneLogs', {
    provider,
    name: 'control-plane-logs',
    targetResourceId: cluster.id,
    logAnalyticsWorkspaceId: logs.id,
    logAnalyticsDestinationType: 'Dedicated',
    enabledLog: AKS_LOG_CATEGORIES.map((category) => ({ category })),
  });
  return { cluster, identity, keyVault, secretsKey, diskEncryptionSet, logs, apiAccess };
}
