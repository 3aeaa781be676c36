// ModelBackupBucket on Azure: a storage account and private container (backup-account.ts), diagnostic
// access logs, an optional immutability policy and geo or object replication; grants are container-scoped
// role assignments with an ABAC condition on the blob path.
import { Construct, IConstruct } from 'constructs';
import { Annotations } from 'cdktf';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageObjectReplication } from '@cdktf/provider-azurerm/lib/storage-object-replication';
import type { ModelBackupBucketAttributes } from '../../backup/props';
import type { BackupImpl, BackupSpi, GrantAccess, GrantRequest, ResolvedBackupProps, StoreShape } from '../../backup/spi';
import { AzureCloud, checkReplicaRegion } from '../../core/cloud';
import { check, ErrorScope, InvalidPropError, isLiteral } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { renderAccount } from './backup-account';
import type { AzureBackupAccount } from './backup-resources';
import { AZURE_PAIRS, isAzurePair } from './pairs';
import { azureProvider, azureResourceGroupName } from './provider';

const BLOB = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';
const DEFAULT_CONTAINER = 'models';
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]*[a-z0-9]$/;
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

function checkContainerName(scope: ErrorScope, prop: string, name: string | undefined) {
  if (name === undefined || !isLiteral(name)) return;
  if (typeof name !== 'string' || name.length < 3 || name.length > 63 || !CONTAINER_NAME.test(name)) {
    throw new InvalidPropError(scope, prop, name, 'an Azure container name: 3-63 characters; lowercase letters, digits '
      + 'and single hyphens; starting and ending with a letter or digit');
  }
}

function checkAccountName(scope: ErrorScope, prop: string, name: string | undefined) {
  if (name === undefined || !isLiteral(name)) return;
  if (typeof name !== 'string' || !ACCOUNT_NAME.test(name)) {
    throw new InvalidPropError(scope, prop, name, 'an Azure storage account name: 3-24 lowercase letters and digits, globally unique');
  }
}

/** The firewall: only on a public account, at least one rule, subnet ids and IPv4 CIDRs up to /30. */
function validateNetwork(scope: IConstruct, p: ResolvedBackupProps): void {
  const net = p.azure.network;
  if (net === undefined) return;
  if (p.azure.publicNetworkAccess === false) {
    throw new InvalidPropError(scope, 'azure.network', net, 'unset with publicNetworkAccess false (a firewall filters the public endpoint)');
  }
  (net.allowedSubnetIds ?? []).forEach((id, i) => check.matches(scope, `azure.network.allowedSubnetIds[${i}]`, isLiteral(id) ? id : undefined,
    /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i,
    'a subnet resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>'));
  (net.allowedIpRanges ?? []).forEach((ip, i) => check.ipv4(scope, `azure.network.allowedIpRanges[${i}]`, ip,
    { prefix: 'optional', maxPrefix: 30, allowed: 'a public IPv4 address or a CIDR up to /30, e.g. 203.0.113.7 or 203.0.113.0/24' }));
  if (!net.allowedSubnetIds?.length && !net.allowedIpRanges?.length) {
    throw new InvalidPropError(scope, 'azure.network', net, 'at least one of allowedSubnetIds, allowedIpRanges (an empty firewall locks out the cluster and Terraform)');
  }
}

function validate(scope: IConstruct, cloud: AzureCloud, p: ResolvedBackupProps): void {
  checkContainerName(scope, 'bucketName', p.bucketName);
  checkAccountName(scope, 'azure.storageAccountName', p.azure.storageAccountName);
  const key = p.encryptionKey;
  if (key) {
    if (key.kind !== 'azure-key-vault') throw new InvalidPropError(scope, 'encryptionKey.kind', key.kind, "'azure-key-vault' on an Azure bucket");
    check.matches(scope, 'encryptionKey.keyVaultId', isLiteral(key.keyVaultId) ? key.keyVaultId : undefined,
      /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i,
      'a Key Vault resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>');
    check.matches(scope, 'encryptionKey.keyName', isLiteral(key.keyName) ? key.keyName : undefined, /^[A-Za-z0-9-]{1,127}$/,
      'a key name: 1-127 letters, digits and hyphens');
  }
  if (p.objectLock && !p.versioned) {
    throw new InvalidPropError(scope, 'objectLock', p.objectLock, 'an account-level immutability policy only with versioning: leave versioned unset or true');
  }
  validateNetwork(scope, p);
  if (p.azure.lockImmutabilityPolicy && p.objectLock?.mode !== 'compliance') {
    throw new InvalidPropError(scope, 'azure.lockImmutabilityPolicy', true, "true only with objectLock.mode 'compliance'");
  }
  if (p.accessLogs && !p.azure.logAnalyticsWorkspaceId) {
    // The retention of the Log Analytics workspace the bucket makes.
    check.numberInRange(scope, 'accessLogRetentionDays', p.accessLogRetentionDays, 30, 730);
  }
  const r = p.replication;
  if (r) {
    checkReplicaRegion(scope, 'replication.region', cloud, r.region);
    if (r.rpo === 'turbo') {
      throw new InvalidPropError(scope, 'replication.rpo', r.rpo, "'default' on Azure: neither geo-redundant storage nor object replication offers a replication-time target");
    }
    if (!isAzurePair(cloud.location, r.region) && !p.versioned) {
      throw new InvalidPropError(scope, 'replication', r,
        `versioned: true for object replication to ${r.region} (or replicate to the pair ${AZURE_PAIRS[cloud.location] ?? '(none)'} with geo-redundant storage)`);
    }
  }
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

/** Blob access logs of the primary account, into the user's Log Analytics workspace or a new one. */
function renderAccessLogs(scope: Construct, cloud: AzureCloud, p: ResolvedBackupProps, provider: AzurermProvider, primary: AzureBackupAccount) {
  let logAnalyticsWorkspace: LogAnalyticsWorkspace | undefined;
  let workspaceId = p.azure.logAnalyticsWorkspaceId;
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
  const diagnosticSetting = diagnostics(scope, 'AccessLogging', provider, primary.storageAccount, workspaceId);
  return { logAnalyticsWorkspace, diagnosticSetting, workspaceId };
}

/** Object replication to a second account in a location that is not the pair (the pair gets GZRS instead). */
function renderObjectReplication(scope: Construct, cloud: AzureCloud, p: ResolvedBackupProps, region: string,
  base: { provider: AzurermProvider; client: DataAzurermClientConfig; containerName: string; primary: AzureBackupAccount; workspaceId?: string }) {
  const replicaScope = new Construct(scope, 'Replica');
  const replica = renderAccount(replicaScope, cloud.inRegion(region), p, {
    provider: base.provider,
    client: base.client,
    accountName: physicalName(replicaScope, cloud, { maxLength: 24, separator: '' }),
    containerName: base.containerName,
    replicationType: 'ZRS',
  });
  if (base.workspaceId) diagnostics(replicaScope, 'AccessLogging', base.provider, replica.storageAccount, base.workspaceId);
  const objectReplication = new StorageObjectReplication(scope, 'ObjectReplication', {
    provider: base.provider,
    sourceStorageAccountId: base.primary.storageAccount.id,
    destinationStorageAccountId: replica.storageAccount.id,
    rules: [{
      sourceContainerName: base.primary.container.name,
      destinationContainerName: replica.container.name,
      copyBlobsCreatedAfter: 'Everything',
    }],
  });
  return { replica, objectReplication };
}

function build(scope: Construct, cloud: AzureCloud, p: ResolvedBackupProps): BackupImpl {
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
  const primary = renderAccount(scope, cloud, p, {
    provider, client, accountName, containerName, replicationType: geo ? 'GZRS' : 'ZRS', userKey,
  });
  const logs = p.accessLogs ? renderAccessLogs(scope, cloud, p, provider, primary) : undefined;
  const replicated = r && !geo
    ? renderObjectReplication(scope, cloud, p, r.region, { provider, client, containerName, primary, workspaceId: logs?.workspaceId })
    : undefined;

  return {
    bucketName: containerName,
    uri: `az://${accountName}/${containerName}`,
    // adlfs tries anonymous access unless AZURE_STORAGE_ANON is false; the container is private (Entra ID only).
    clientEnvironment: { AZURE_STORAGE_ACCOUNT_NAME: accountName, AZURE_STORAGE_ANON: 'false' },
    // References (not literals) order grants after the account and the container.
    grantTarget: { bucketName: primary.container.name, storageAccountId: primary.storageAccount.id },
    azure: {
      ...primary,
      logAnalyticsWorkspace: logs?.logAnalyticsWorkspace,
      diagnosticSetting: logs?.diagnosticSetting,
      replica: replicated?.replica,
      objectReplication: replicated?.objectReplication,
    },
  };
}

function importStore(scope: IConstruct, cloud: AzureCloud, attrs: ModelBackupBucketAttributes): StoreShape {
  const name = attrs.bucketName;
  checkContainerName(scope, 'bucketName', name);
  const account = attrs.storageAccountName;
  if (account === undefined) {
    throw new InvalidPropError(scope, 'storageAccountName', account, 'the storage account that holds the container (required on Azure)');
  }
  checkAccountName(scope, 'storageAccountName', account);
  let accountId = attrs.storageAccountId;
  if (accountId === undefined) {
    if (!cloud.subscriptionId || !cloud.resourceGroupName) {
      throw new InvalidPropError(scope, 'storageAccountId', accountId,
        'the storage account resource id, or a cloud target with subscriptionId and resourceGroupName to build it from');
    }
    accountId = `/subscriptions/${cloud.subscriptionId}/resourceGroups/${cloud.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${account}`;
  }
  check.matches(scope, 'storageAccountId', isLiteral(accountId) ? accountId : undefined,
    /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[a-z0-9]{3,24}$/i,
    'a storage account resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>');
  return {
    uri: `az://${account}/${name}`,
    clientEnvironment: { AZURE_STORAGE_ACCOUNT_NAME: account, AZURE_STORAGE_ANON: 'false' },
    grantTarget: { bucketName: name, storageAccountId: accountId },
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
function grant(scope: Construct, cloud: AzureCloud, { id, target, identity, access, prefix }: GrantRequest): void {
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

/** ModelBackupBucket's Azure half (src/backup/spi.ts). */
export const backup: BackupSpi<AzureCloud> = {
  versionedByDefault: () => true,
  validate,
  build,
  importStore,
  grant,
};
