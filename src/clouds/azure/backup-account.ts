// One storage account of a ModelBackupBucket on Azure (the primary, or the object-replication replica):
// StorageV2 (TLS 1.2, HTTPS only, Entra ID only, infrastructure encryption), a customer-managed key from an
// RBAC Key Vault read through a user-assigned identity, blob versioning, soft delete, change feed, a private
// container and a lifecycle management policy.
import { Construct } from 'constructs';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { DataAzurermKeyVaultKey } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault-key';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultKey } from '@cdktf/provider-azurerm/lib/key-vault-key';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { StorageManagementPolicy } from '@cdktf/provider-azurerm/lib/storage-management-policy';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import type { ResolvedBackupProps } from '../../backup/spi';
import { AzureCloud } from '../../core/cloud';
import { physicalName } from '../../core/naming';
import { Policy } from '../../policy/suppress';
import { resourceTags } from '../../core/tags';
import type { AzureBackupAccount } from './backup-resources';
import { KEY_VAULT_RBAC_WAIT, rbacPropagation } from './propagation';
import { azureResourceGroupName } from './provider';

export interface AccountOptions {
  readonly provider: AzurermProvider;
  readonly client: DataAzurermClientConfig;
  readonly accountName: string;
  readonly containerName: string;
  readonly replicationType: 'ZRS' | 'GZRS';
  readonly userKey?: { keyVaultId: string; keyName: string };
}

/** What every part of one account shares. */
interface AccountContext {
  readonly scope: Construct;
  readonly cloud: AzureCloud;
  readonly p: ResolvedBackupProps;
  readonly o: AccountOptions;
  readonly rg: string;
  readonly tags: Record<string, string>;
  readonly publicAccess: boolean;
  /** Firewall rules (azure.network), empty without one. */
  readonly ipRanges: string[];
  readonly subnetIds: string[];
  /** Public and unfirewalled (the default). */
  readonly open: boolean;
  readonly retain?: { preventDestroy: boolean };
}

/** The account's key: the user's (read through a data source), or a new vault and rotating key. */
interface AccountKey {
  readonly keyVault?: KeyVault;
  readonly key?: KeyVaultKey;
  /** Versionless key URL (the account follows rotations). */
  readonly keyUrl: string;
  /** Resource id the key-access role is assigned on. */
  readonly keyScope: string;
}

function renderKey(ctx: AccountContext): AccountKey {
  const { scope, cloud, p, o } = ctx;
  const provider = o.provider;
  if (o.userKey) {
    const existing = new DataAzurermKeyVaultKey(scope, 'UserKey', { provider, keyVaultId: o.userKey.keyVaultId, name: o.userKey.keyName });
    return { keyUrl: existing.versionlessId, keyScope: existing.resourceVersionlessId };
  }
  const keyVault = new KeyVault(scope, 'KeyVault', {
    provider,
    name: physicalName(scope, cloud, { maxLength: 24, startWithLetter: true }, 'kv'),
    location: cloud.location,
    resourceGroupName: ctx.rg,
    tenantId: o.client.tenantId,
    // HSM-backed keys need a Premium vault (azure.hsmKey)
    skuName: p.azure.hsmKey ? 'premium' : 'standard',
    rbacAuthorizationEnabled: true,
    purgeProtectionEnabled: true,
    softDeleteRetentionDays: 90,
    publicNetworkAccessEnabled: ctx.publicAccess,
    networkAcls: {
      bypass: 'AzureServices', defaultAction: ctx.open ? 'Allow' : 'Deny',
      ...(ctx.ipRanges.length ? { ipRules: ctx.ipRanges } : {}), ...(ctx.subnetIds.length ? { virtualNetworkSubnetIds: ctx.subnetIds } : {}),
    },
    tags: ctx.tags,
    lifecycle: ctx.retain,
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
  const key = new KeyVaultKey(scope, 'Key', {
    provider,
    name: 'model-backup',
    keyVaultId: keyVault.id,
    keyType: p.azure.hsmKey ? 'RSA-HSM' : 'RSA',
    keySize: 3072,
    keyOpts: ['wrapKey', 'unwrapKey'],
    rotationPolicy: {
      automatic: { timeAfterCreation: `P${days}D` },
      expireAfter: `P${days * 2}D`,
      notifyBeforeExpiry: 'P30D',
    },
    tags: ctx.tags,
    dependsOn: [rbacPropagation(scope, 'DeployerKeyAccessPropagation', [deployer], KEY_VAULT_RBAC_WAIT)],
    lifecycle: ctx.retain,
  });
  return { keyVault, key, keyUrl: key.versionlessId, keyScope: key.resourceVersionlessId };
}

/**
 * What every storage account of ours sets whatever it holds: TLS 1.2 over HTTPS only, Entra ID only (no shared keys,
 * no local users, no SFTP), no public blobs, double encryption at rest, no cross-tenant replication.
 */
export const HARDENED_STORAGE_ACCOUNT = {
  accountKind: 'StorageV2',
  accountTier: 'Standard',
  accessTier: 'Hot',
  minTlsVersion: 'TLS1_2',
  httpsTrafficOnlyEnabled: true,
  allowNestedItemsToBePublic: false,
  sharedAccessKeyEnabled: false,
  defaultToOauthAuthentication: true,
  infrastructureEncryptionEnabled: true,
  crossTenantReplicationEnabled: false,
  localUserEnabled: false,
  sftpEnabled: false,
  isHnsEnabled: false,
} as const;

function renderStorageAccount(ctx: AccountContext, keyIdentity: UserAssignedIdentity, keyUrl: string, keyAccess: RoleAssignment): StorageAccount {
  const { scope, p, o } = ctx;
  return new StorageAccount(scope, 'Resource', {
    provider: o.provider,
    name: o.accountName,
    resourceGroupName: ctx.rg,
    location: ctx.cloud.location,
    ...HARDENED_STORAGE_ACCOUNT,
    accountReplicationType: o.replicationType,
    publicNetworkAccessEnabled: ctx.publicAccess,
    networkRules: p.azure.network ? {
      defaultAction: 'Deny', bypass: ['AzureServices'],
      ...(ctx.ipRanges.length ? { ipRules: ctx.ipRanges } : {}), ...(ctx.subnetIds.length ? { virtualNetworkSubnetIds: ctx.subnetIds } : {}),
    } : undefined,

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
    tags: ctx.tags,
    // The account reads its key with the identity at creation: the grant must be effective by then.
    dependsOn: [rbacPropagation(scope, 'KeyAccessPropagation', [keyAccess], KEY_VAULT_RBAC_WAIT)],
    lifecycle: ctx.retain,
  });
}

/** Deletes replaced versions and moves old blobs to a colder tier (only when either applies). */
function renderLifecycle(ctx: AccountContext, storageAccount: StorageAccount): StorageManagementPolicy | undefined {
  const { p } = ctx;
  const cold = p.coldStorageAfterDays;
  if (!p.versioned && cold === undefined) return undefined;
  return new StorageManagementPolicy(ctx.scope, 'Lifecycle', {
    provider: ctx.o.provider,
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
  });
}

/** One storage account, its key, its private container and its lifecycle policy, in `scope`. */
export function renderAccount(scope: Construct, cloud: AzureCloud, p: ResolvedBackupProps, o: AccountOptions): AzureBackupAccount {
  const publicAccess = p.azure.publicNetworkAccess ?? true;
  const ctx: AccountContext = {
    scope, cloud, p, o,
    rg: azureResourceGroupName(scope, cloud),
    tags: resourceTags(scope, cloud, p.tags),
    publicAccess,
    ipRanges: [...(p.azure.network?.allowedIpRanges ?? [])],
    subnetIds: [...(p.azure.network?.allowedSubnetIds ?? [])],
    // Open only when public and unfirewalled (the default): the cluster's pods and Terraform reach the endpoints
    // from networks the bucket does not know. Said once, on the bucket, with the props that close it.
    open: publicAccess && !p.azure.network,
    retain: p.forceDestroy ? undefined : { preventDestroy: true },
  };
  const keyIdentity = new UserAssignedIdentity(scope, 'KeyIdentity', {
    provider: o.provider,
    name: `id-${physicalName(scope, cloud, { maxLength: 120 }, 'cmk')}`,
    location: cloud.location,
    resourceGroupName: ctx.rg,
    tags: ctx.tags,
  });
  const { keyVault, key, keyUrl, keyScope } = renderKey(ctx);
  const keyAccess = new RoleAssignment(scope, 'KeyAccess', {
    provider: o.provider,
    scope: keyScope,
    roleDefinitionName: 'Key Vault Crypto Service Encryption User',
    principalId: keyIdentity.principalId,
    principalType: 'ServicePrincipal',
    description: 'Lets the storage account wrap and unwrap its encryption key (cdktf-ai-infra)',
  });
  const storageAccount = renderStorageAccount(ctx, keyIdentity, keyUrl, keyAccess);
  if (ctx.open) {
    const reason = 'Public endpoints by default: training, serving and restore-drill pods reach the account from the AKS egress, and '
      + 'Terraform creates the key through the vault data plane, from networks the bucket does not know. Access is Entra ID only '
      + '(no shared keys), TLS 1.2, CMK. Close it with ModelBackupBucket azure.network { allowedSubnetIds, allowedIpRanges } '
      + '(firewall) or azure.publicNetworkAccess: false (private endpoints).';
    if (keyVault) Policy.suppress(keyVault, 'AI-AZ-KV-2', reason);
    Policy.suppress(storageAccount, 'AI-AZ-ST-3', reason);
  }
  const container = new StorageContainer(scope, 'Container', {
    provider: o.provider,
    name: o.containerName,
    storageAccountId: storageAccount.id,
    containerAccessType: 'private',
  });
  const lifecycle = renderLifecycle(ctx, storageAccount);
  return { storageAccount, container, keyVault, key, keyIdentity, lifecycle };
}
