// The Azure resources of a ModelBackupBucket (types only: the construct exposes them as `bucket.azure`).
import type { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import type { KeyVaultKey } from '@cdktf/provider-azurerm/lib/key-vault-key';
import type { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import type { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import type { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import type { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import type { StorageManagementPolicy } from '@cdktf/provider-azurerm/lib/storage-management-policy';
import type { StorageObjectReplication } from '@cdktf/provider-azurerm/lib/storage-object-replication';
import type { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';

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
