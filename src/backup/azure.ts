// ModelBackupBucket on Azure: a StorageV2 account (TLS 1.2, HTTPS only, Entra ID only, infrastructure
// encryption, CMK from an RBAC Key Vault through a user-assigned identity), blob versioning, soft delete,
// change feed, a private container, a lifecycle management policy, diagnostic access logs, an optional
// immutability policy and geo or object replication; grants are container-scoped role assignments with an
// ABAC condition on the blob path.
import { Construct } from 'constructs';
import { Annotations } from 'cdktf';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { DataAzurermKeyVaultKey } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault-key';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultKey } from '@cdktf/provider-azurerm/lib/key-vault-key';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { StorageManagementPolicy } from '@cdktf/provider-azurerm/lib/storage-management-policy';
import { StorageObjectReplication } from '@cdktf/provider-azurerm/lib/storage-object-replication';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { KEY_VAULT_RBAC_WAIT, rbacPropagation } from '../clouds/azure/propagation';
import { azureProvider, azureResourceGroupName } from '../clouds/azure/provider';
import { AzureCloud } from '../core/cloud';
import { InvalidPropError } from '../core/errors';
import { IWorkloadIdentity } from '../core/identity';
import { physicalName } from '../core/naming';
import { Policy } from '../policy/suppress';
import { resourceTags } from '../core/tags';
import { BackupImpl, GrantAccess, GrantTarget, isAzurePair, ResolvedBackupProps } from './common';

/** One storage account with its key and container (the primary, or the object-replication replica). */
export interface AzureBackupAccount {
  readonly storageAccount: StorageAccount;
  readonly container: StorageContainer;
  /** The vault and key this account made; undefined when `encryptionKey` was given (primary only). */
  readonly keyVault?: KeyVault;
  readonly key?: KeyVaultKey;
  /** The identity the account reads its key with. */
  readonly keyIdentity: UserAssignedIdentity;
  readonly lifecycle?: StorageManagementPolicy;
}

/** The Azure resources of a ModelBackupBucket (escape hatches). */
export interface AzureModelBackupResources extends AzureBackupAccount {
  readonly logAnalyticsWorkspace?: LogAnalyticsWorkspace;
  readonly diagnosticSetting?: MonitorDiagnosticSetting;
  /** The second account of object replication (replication to a location that is not the pair). */
  readonly replica?: AzureBackupAccount;
  readonly objectReplication?: StorageObjectReplication;
}

const BLOB = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';
const DEFAULT_CONTAINER = 'models';

interface AccountOptions {
  readonly provider: AzurermProvider;
  readonly client: DataAzurermClientConfig;
  readonly accountName: string;
  readonly containerName: string;
  readonly replicationType: 'ZRS' | 'GZRS';
  readonly userKey?: { keyVaultId: string; keyName: string };
}

function account(scope: Construct, cloud: AzureCloud, p: ResolvedBackupProps, o: AccountOptions): AzureBackupAccount {
  const provider = o.provider;
  const rg = azureResourceGroupName(scope, cloud);
  const tags = resourceTags(scope, cloud, p.tags);
  const location = cloud.location;
  const publicAccess = p.azure.publicNetworkAccess ?? true;
  const net = p.azure.network;
  const ipRanges = [...(net?.allowedIpRanges ?? [])];
  const subnetIds = [...(net?.allowedSubnetIds ?? [])];
  // Open only when public and unfirewalled (the default): the cluster's pods and Terraform reach the endpoints
  // from networks the bucket does not know. Said once, on the bucket, with the props that close it.
  const open = publicAccess && !net;
  const retain = p.forceDestroy ? undefined : { preventDestroy: true };

  const keyIdentity = new UserAssignedIdentity(scope, 'KeyIdentity', {
    provider,
    name: `id-${physicalName(scope, cloud, { maxLength: 120 }, 'cmk')}`,
    location,
    resourceGroupName: rg,
    tags,
  });

  let keyVault: KeyVault | undefined;
  let key: KeyVaultKey | undefined;
  let keyUrl: string;
  let keyScope: string;
  if (o.userKey) {
    const existing = new DataAzurermKeyVaultKey(scope, 'UserKey', { provider, keyVaultId: o.userKey.keyVaultId, name: o.userKey.keyName });
    keyUrl = existing.versionlessId;
    keyScope = existing.resourceVersionlessId;
  } else {
    keyVault = new KeyVault(scope, 'KeyVault', {
      provider,
      name: physicalName(scope, cloud, { maxLength: 24, startWithLetter: true }, 'kv'),
      location,
      resourceGroupName: rg,
      tenantId: o.client.tenantId,
      skuName: 'standard',
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: true,
      softDeleteRetentionDays: 90,
      publicNetworkAccessEnabled: publicAccess,
      networkAcls: {
        bypass: 'AzureServices', defaultAction: open ? 'Allow' : 'Deny',
        ...(ipRanges.length ? { ipRules: ipRanges } : {}), ...(subnetIds.length ? { virtualNetworkSubnetIds: subnetIds } : {}),
      },
      tags,
      lifecycle: retain,
    });
    // Terraform's own principal creates and rotates the key: Crypto Officer on this vault only.
    const deployer = new RoleAssignment(scope, 'DeployerKeyAccess', {
      provider,
      scope: keyVault.id,
      roleDefinitionName: 'Key Vault Crypto Officer',
      principalId: o.client.objectId,
      description: 'Lets the deploying principal manage the model backup key (cdktf-ai-infra)',
    });
    const days = p.keyRotationDays;
    key = new KeyVaultKey(scope, 'Key', {
      provider,
      name: 'model-backup',
      keyVaultId: keyVault.id,
      keyType: 'RSA',
      keySize: 3072,
      keyOpts: ['wrapKey', 'unwrapKey'],
      rotationPolicy: {
        automatic: { timeAfterCreation: `P${days}D` },
        expireAfter: `P${days * 2}D`,
        notifyBeforeExpiry: 'P30D',
      },
      tags,
      dependsOn: [rbacPropagation(scope, 'DeployerKeyAccessPropagation', [deployer], KEY_VAULT_RBAC_WAIT)],
      lifecycle: retain,
    });
    keyUrl = key.versionlessId;
    keyScope = key.resourceVersionlessId;
  }
  const keyAccess = new RoleAssignment(scope, 'KeyAccess', {
    provider,
    scope: keyScope,
    roleDefinitionName: 'Key Vault Crypto Service Encryption User',
    principalId: keyIdentity.principalId,
    principalType: 'ServicePrincipal',
    description: 'Lets the storage account wrap and unwrap its encryption key (cdktf-ai-infra)',
  });

  const storageAccount = new StorageAccount(scope, 'Resource', {
    provider,
    name: o.accountName,
    resourceGroupName: rg,
    location,
    accountKind: 'StorageV2',
    accountTier: 'Standard',
    accountReplicationType: o.replicationType,
    accessTier: 'Hot',
    minTlsVersion: 'TLS1_2',
    httpsTrafficOnlyEnabled: true,
    allowNestedItemsToBePublic: false,
    sharedAccessKeyEnabled: false,
    defaultToOauthAuthentication: true,
    infrastructureEncryptionEnabled: true,
    publicNetworkAccessEnabled: publicAccess,
    networkRules: net ? {
      defaultAction: 'Deny', bypass: ['AzureServices'],
      ...(ipRanges.length ? { ipRules: ipRanges } : {}), ...(subnetIds.length ? { virtualNetworkSubnetIds: subnetIds } : {}),
    } : undefined,
    crossTenantReplicationEnabled: false,
    localUserEnabled: false,
    sftpEnabled: false,
    isHnsEnabled: false,
    identity: { type: 'UserAssigned', identityIds: [keyIdentity.id] },
    customerManagedKey: { keyVaultKeyId: keyUrl, userAssignedIdentityId: keyIdentity.id },
    blobProperties: {
      versioningEnabled: p.versioned,
      changeFeedEnabled: true,
      changeFeedRetentionInDays: Math.max(p.softDeleteDays, p.noncurrentVersionExpirationDays),
      deleteRetentionPolicy: { days: p.softDeleteDays, permanentDeleteEnabled: false },
      containerDeleteRetentionPolicy: { days: p.softDeleteDays },
    },
    immutabilityPolicy: p.objectLock ? {
      allowProtectedAppendWrites: false,
      periodSinceCreationInDays: p.objectLock.days,
      state: p.azure.lockImmutabilityPolicy ? 'Locked' : 'Unlocked',
    } : undefined,
    tags,
    // The account reads its key with the identity at creation: the grant must be effective by then.
    dependsOn: [rbacPropagation(scope, 'KeyAccessPropagation', [keyAccess], KEY_VAULT_RBAC_WAIT)],
    lifecycle: retain,
  });

  if (open) {
    const reason = 'Public endpoints by default: training, serving and restore-drill pods reach the account from the AKS egress, and '
      + 'Terraform creates the key through the vault data plane, from networks the bucket does not know. Access is Entra ID only '
      + '(no shared keys), TLS 1.2, CMK. Close it with ModelBackupBucket azure.network { allowedSubnetIds, allowedIpRanges } '
      + '(firewall) or azure.publicNetworkAccess: false (private endpoints).';
    if (keyVault) Policy.suppress(keyVault, 'AI-AZ-KV-2', reason);
    Policy.suppress(storageAccount, 'AI-AZ-ST-3', reason);
  }

  const container = new StorageContainer(scope, 'Container', {
    provider,
    name: o.containerName,
    storageAccountId: storageAccount.id,
    containerAccessType: 'private',
  });

  const cold = p.coldStorageAfterDays;
  const lifecycle = p.versioned || cold !== undefined ? new StorageManagementPolicy(scope, 'Lifecycle', {
    provider,
    storageAccountId: storageAccount.id,
    rule: [{
      name: 'model-backup-lifecycle',
      enabled: true,
      filters: { blobTypes: ['blockBlob'] },
      actions: {
        version: p.versioned ? { deleteAfterDaysSinceCreation: p.noncurrentVersionExpirationDays } : undefined,
        baseBlob: cold === undefined ? undefined : p.coldStorageClass === 'cold'
          ? { tierToColdAfterDaysSinceModificationGreaterThan: cold }
          : { tierToCoolAfterDaysSinceModificationGreaterThan: cold },
      },
    }],
  }) : undefined;

  return { storageAccount, container, keyVault, key, keyIdentity, lifecycle };
}

function diagnostics(scope: Construct, id: string, provider: AzurermProvider, storageAccount: StorageAccount, workspaceId: string) {
  return new MonitorDiagnosticSetting(scope, id, {
    provider,
    name: 'model-backup-access-logs',
    targetResourceId: `${storageAccount.id}/blobServices/default`,
    logAnalyticsWorkspaceId: workspaceId,
    enabledLog: [{ category: 'StorageRead' }, { category: 'StorageWrite' }, { category: 'StorageDelete' }],
    enabledMetric: [{ category: 'Transaction' }],
  });
}

export function buildAzureBackup(scope: Construct, cloud: AzureCloud, p: ResolvedBackupProps): BackupImpl {
  const provider = azureProvider(scope, cloud);
  const client = new DataAzurermClientConfig(scope, 'ClientConfig', { provider });
  const containerName = p.bucketName ?? DEFAULT_CONTAINER;
  const accountName = p.azure.storageAccountName ?? physicalName(scope, cloud, { maxLength: 24, separator: '' });
  const r = p.replication;
  const geo = r !== undefined && isAzurePair(cloud.location, r.region);
  const userKey = p.encryptionKey?.kind === 'azure-key-vault' ? p.encryptionKey : undefined;

  if (p.objectLock?.mode === 'compliance' && !p.azure.lockImmutabilityPolicy) {
    Annotations.of(scope).addWarning('Azure creates immutability policies unlocked: the compliance object lock is not locked yet. '
      + 'After the first deploy, set azure.lockImmutabilityPolicy: true and deploy again to lock it (irreversible).');
  }
  const primary = account(scope, cloud, p, {
    provider, client, accountName, containerName, replicationType: geo ? 'GZRS' : 'ZRS', userKey,
  });

  let logAnalyticsWorkspace: LogAnalyticsWorkspace | undefined;
  let diagnosticSetting: MonitorDiagnosticSetting | undefined;
  let workspaceId: string | undefined;
  if (p.accessLogs) {
    workspaceId = p.azure.logAnalyticsWorkspaceId;
    if (!workspaceId) {
      logAnalyticsWorkspace = new LogAnalyticsWorkspace(scope, 'AccessLogs', {
        provider,
        name: `log-${physicalName(scope, cloud, { maxLength: 59 }, 'logs')}`,
        location: cloud.location,
        resourceGroupName: azureResourceGroupName(scope, cloud),
        sku: 'PerGB2018',
        retentionInDays: p.accessLogRetentionDays,
        tags: resourceTags(scope, cloud, p.tags),
      });
      workspaceId = logAnalyticsWorkspace.id;
    }
    diagnosticSetting = diagnostics(scope, 'AccessLogging', provider, primary.storageAccount, workspaceId);
  }

  let replica: AzureBackupAccount | undefined;
  let objectReplication: StorageObjectReplication | undefined;
  if (r && !geo) {
    const replicaScope = new Construct(scope, 'Replica');
    const replicaCloud = cloud.inRegion(r.region);
    replica = account(replicaScope, replicaCloud, p, {
      provider,
      client,
      accountName: physicalName(replicaScope, cloud, { maxLength: 24, separator: '' }),
      containerName,
      replicationType: 'ZRS',
    });
    if (workspaceId) diagnostics(replicaScope, 'AccessLogging', provider, replica.storageAccount, workspaceId);
    objectReplication = new StorageObjectReplication(scope, 'ObjectReplication', {
      provider,
      sourceStorageAccountId: primary.storageAccount.id,
      destinationStorageAccountId: replica.storageAccount.id,
      rules: [{
        sourceContainerName: primary.container.name,
        destinationContainerName: replica.container.name,
        copyBlobsCreatedAfter: 'Everything',
      }],
    });
  }

  return {
    bucketName: containerName,
    uri: `az://${accountName}/${containerName}`,
    // adlfs tries anonymous access unless AZURE_STORAGE_ANON is false; the container is private (Entra ID only).
    clientEnvironment: { AZURE_STORAGE_ACCOUNT_NAME: accountName, AZURE_STORAGE_ANON: 'false' },
    // References (not literals) order grants after the account and the container.
    grantTarget: { bucketName: primary.container.name, storageAccountId: primary.storageAccount.id },
    azure: { ...primary, logAnalyticsWorkspace, diagnosticSetting, replica, objectReplication },
  };
}

/**
 * The ABAC condition (version 2.0) that limits a blob data role to blobs under `prefix`: reads, writes and
 * deletes by blob path; listings by the requested prefix.
 */
export function blobPrefixCondition(access: GrantAccess, prefix: string): string {
  const objectActions = [
    `ActionMatches{'${BLOB}/read'} AND NOT SubOperationMatches{'Blob.List'}`,
    ...(access === 'write' ? ['write', 'add/action', 'delete', 'move/action'].map((a) => `ActionMatches{'${BLOB}/${a}'}`) : []),
  ];
  const quoted = prefix.replace(/'/g, "\\'");
  return [
    `((${objectActions.map((a) => `!(${a})`).join(' AND ')})`,
    ` OR (@Resource[${BLOB}:path] StringStartsWith '${quoted}'))`,
    ` AND ((!(ActionMatches{'${BLOB}/read'} AND SubOperationMatches{'Blob.List'}))`,
    ` OR (@Request[${BLOB}:prefix] StringStartsWith '${quoted}'))`,
  ].join('');
}

/**
 * A role assignment at container scope for the identity's managed identity: Storage Blob Data Reader
 * (read) or Storage Blob Data Contributor (write), with an ABAC condition on the blob path prefix.
 * The CMK needs no grant: the storage account unwraps its key with its own identity.
 */
export function azureGrant(scope: Construct, id: string, cloud: AzureCloud, target: GrantTarget, identity: IWorkloadIdentity,
  access: GrantAccess, prefix: string | undefined): void {
  if (identity.identityKind !== 'azure-user-assigned-identity') {
    throw new InvalidPropError(scope, 'identity', `${identity.node.path} (${identity.identityKind}, ${identity.cloud})`,
      `an Azure managed identity (azure-user-assigned-identity) for a blob container in ${cloud}`);
  }
  new RoleAssignment(scope, id, {
    provider: azureProvider(scope, cloud),
    scope: `${target.storageAccountId}/blobServices/default/containers/${target.bucketName}`,
    roleDefinitionName: access === 'write' ? 'Storage Blob Data Contributor' : 'Storage Blob Data Reader',
    principalId: identity.principal,
    principalType: 'ServicePrincipal',
    description: `${access} ${prefix ? `blobs under ${prefix}` : 'all blobs'} (cdktf-ai-infra)`,
    condition: prefix ? blobPrefixCondition(access, prefix) : undefined,
    conditionVersion: prefix ? '2.0' : undefined,
  });
}
