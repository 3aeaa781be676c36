import { Cloud } from '../../src/core/cloud';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { all, azure, bucketJson, Json, MAIN, one } from './helpers';

describe('ModelBackupBucket on Azure: secure defaults with only cloud given', () => {
  const { json, bucket } = bucketJson({ cloud: azure() });
  const account = one(json, 'azurerm_storage_account', MAIN);

  test('a StorageV2 account with TLS 1.2, HTTPS only, no public items, no shared keys, infrastructure encryption', () => {
    expect(account.name).toMatch(/^[a-z0-9]{3,24}$/);
    expect(account.name).toMatch(/^platformmodels[0-9a-f]{8}$/);
    expect(account).toMatchObject({
      account_kind: 'StorageV2',
      account_tier: 'Standard',
      account_replication_type: 'ZRS',
      min_tls_version: 'TLS1_2',
      https_traffic_only_enabled: true,
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      infrastructure_encryption_enabled: true,
      public_network_access_enabled: true,
      cross_tenant_replication_enabled: false,
      local_user_enabled: false,
      sftp_enabled: false,
      location: 'eastus2',
      lifecycle: { prevent_destroy: true },
    });
    expect(account.immutability_policy).toBeUndefined();
    expect(account.resource_group_name).toBe('${azurerm_resource_group.ai-infra-rg-eastus2.name}');
  });

  test('blob properties: versioning, delete and container delete retention, change feed', () => {
    expect(account.blob_properties).toEqual({
      versioning_enabled: true,
      change_feed_enabled: true,
      change_feed_retention_in_days: 30,
      delete_retention_policy: { days: 7, permanent_delete_enabled: false },
      container_delete_retention_policy: { days: 7 },
    });
  });

  test('CMK from an RBAC Key Vault with purge protection, through a user-assigned identity', () => {
    const vault = one(json, 'azurerm_key_vault', 'KeyVault');
    expect(vault).toMatchObject({
      rbac_authorization_enabled: true, purge_protection_enabled: true, soft_delete_retention_days: 90, sku_name: 'standard',
      tenant_id: '${data.azurerm_client_config.models_ClientConfig_611DBB59.tenant_id}',
    });
    expect(vault.name).toMatch(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/);
    const key = one(json, 'azurerm_key_vault_key', 'models_Key');
    expect(key).toMatchObject({
      key_type: 'RSA', key_size: 3072, key_opts: ['wrapKey', 'unwrapKey'],
      rotation_policy: { automatic: { time_after_creation: 'P90D' }, expire_after: 'P180D', notify_before_expiry: 'P30D' },
    });
    // Through a propagation wait after the role assignment (test/clouds/azure-rbac-propagation.test.ts).
    expect(key.depends_on).toEqual(['time_sleep.models_DeployerKeyAccessPropagation_251315C1']);
    expect(json.resource.time_sleep.models_DeployerKeyAccessPropagation_251315C1.depends_on)
      .toEqual(['azurerm_role_assignment.models_DeployerKeyAccess_10F62007']);
    const access = one(json, 'azurerm_role_assignment', 'models_KeyAccess');
    expect(access).toMatchObject({
      role_definition_name: 'Key Vault Crypto Service Encryption User',
      scope: '${azurerm_key_vault_key.models_Key_F5140393.resource_versionless_id}',
      principal_id: '${azurerm_user_assigned_identity.models_KeyIdentity_FD7C184E.principal_id}',
    });
    expect(one(json, 'azurerm_role_assignment', 'DeployerKeyAccess')).toMatchObject({
      role_definition_name: 'Key Vault Crypto Officer', scope: '${azurerm_key_vault.models_KeyVault_A7C06DA2.id}',
    });
    expect(account.identity).toEqual({ type: 'UserAssigned', identity_ids: ['${azurerm_user_assigned_identity.models_KeyIdentity_FD7C184E.id}'] });
    expect(account.customer_managed_key).toEqual({
      key_vault_key_id: '${azurerm_key_vault_key.models_Key_F5140393.versionless_id}',
      user_assigned_identity_id: '${azurerm_user_assigned_identity.models_KeyIdentity_FD7C184E.id}',
    });
    expect(account.depends_on).toEqual(['time_sleep.models_KeyAccessPropagation_5A5E768E']);
    expect(json.resource.time_sleep.models_KeyAccessPropagation_5A5E768E.depends_on).toEqual(['azurerm_role_assignment.models_KeyAccess_4AE119AF']);
  });

  test('a private container and a lifecycle policy for old versions', () => {
    expect(one(json, 'azurerm_storage_container', 'Container')).toMatchObject({
      name: 'models', container_access_type: 'private', storage_account_id: '${azurerm_storage_account.models_3A8DAD06.id}',
    });
    expect(one(json, 'azurerm_storage_management_policy', 'Lifecycle').rule).toEqual([{
      name: 'model-backup-lifecycle', enabled: true, filters: { blob_types: ['blockBlob'] },
      actions: { version: { delete_after_days_since_creation: 30 } },
    }]);
  });

  test('blob access logs go to a Log Analytics workspace', () => {
    const law = one(json, 'azurerm_log_analytics_workspace', 'AccessLogs');
    expect(law).toMatchObject({ sku: 'PerGB2018', retention_in_days: 90 });
    const diag = one(json, 'azurerm_monitor_diagnostic_setting', 'AccessLogging');
    expect(diag.target_resource_id).toBe('${azurerm_storage_account.models_3A8DAD06.id}/blobServices/default');
    expect(diag.log_analytics_workspace_id).toBe('${azurerm_log_analytics_workspace.models_AccessLogs_8E4455F7.id}');
    expect(diag.enabled_log.map((l: Json) => l.category)).toEqual(['StorageRead', 'StorageWrite', 'StorageDelete']);
  });

  test('uri, bucket name and client environment', () => {
    expect(bucket.bucketName).toBe('models');
    expect(bucket.uri).toBe(`az://${account.name}/models`);
    expect(bucket.modelsUri).toBe(`az://${account.name}/models/models`);
    expect(bucket.clientEnvironment).toEqual({ AZURE_STORAGE_ACCOUNT_NAME: account.name, AZURE_STORAGE_ANON: 'false' });
  });

  test('the provider reaches storage with Entra ID', () => {
    expect(json.provider.azurerm).toEqual([{ features: [{}], storage_use_azuread: true }]);
  });
});

describe('ModelBackupBucket on Azure: options', () => {
  test('replication to the paired location uses geo-zone-redundant storage', () => {
    const { json } = bucketJson({ cloud: azure(), replication: { region: 'centralus' } });
    expect(one(json, 'azurerm_storage_account', MAIN).account_replication_type).toBe('GZRS');
    expect(all(json, 'azurerm_storage_account')).toHaveLength(1);
    expect(all(json, 'azurerm_storage_object_replication')).toHaveLength(0);
  });

  test('replication to another location: a second secured account with its own key, and object replication', () => {
    const { json, bucket } = bucketJson({ cloud: azure(), replication: { region: 'westus3' } });
    const replica = one(json, 'azurerm_storage_account', 'models_Replica_');
    expect(replica).toMatchObject({
      location: 'westus3', shared_access_key_enabled: false, min_tls_version: 'TLS1_2', infrastructure_encryption_enabled: true,
      resource_group_name: '${azurerm_resource_group.ai-infra-rg-westus3.name}',
    });
    expect(replica.blob_properties.versioning_enabled).toBe(true);
    expect(replica.customer_managed_key.key_vault_key_id).toBe('${azurerm_key_vault_key.models_Replica_Key_7553F9F8.versionless_id}');
    expect(one(json, 'azurerm_key_vault', 'Replica_KeyVault').location).toBe('westus3');
    expect(one(json, 'azurerm_storage_object_replication', 'ObjectReplication')).toMatchObject({
      source_storage_account_id: '${azurerm_storage_account.models_3A8DAD06.id}',
      destination_storage_account_id: '${azurerm_storage_account.models_Replica_40349F0B.id}',
      rules: [{
        source_container_name: '${azurerm_storage_container.models_Container_575F510A.name}',
        destination_container_name: '${azurerm_storage_container.models_Replica_Container_8AD646FD.name}',
        copy_blobs_created_after: 'Everything',
      }],
    });
    expect(bucket.azure?.replica?.storageAccount).toBeDefined();
  });

  test('object lock: an unlocked immutability policy, locked on request for compliance', () => {
    const gov = one(bucketJson({ cloud: azure(), objectLock: { mode: 'governance', days: 14 } }).json, 'azurerm_storage_account', MAIN);
    expect(gov.immutability_policy).toEqual({ allow_protected_append_writes: false, period_since_creation_in_days: 14, state: 'Unlocked' });
    const locked = one(bucketJson({ cloud: azure(), objectLock: { mode: 'compliance', days: 14 }, azure: { lockImmutabilityPolicy: true } }).json,
      'azurerm_storage_account', MAIN);
    expect(locked.immutability_policy.state).toBe('Locked');
  });

  test('a compliance lock that is not locked yet is a synth warning', () => {
    const warnings = (b: ModelBackupBucket) => b.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    const pending = bucketJson({ cloud: azure(), objectLock: { mode: 'compliance', days: 14 } }).bucket;
    expect(warnings(pending)).toEqual([expect.stringMatching(/set azure.lockImmutabilityPolicy: true and deploy again/)]);
    const done = bucketJson({ cloud: azure(), objectLock: { mode: 'compliance', days: 14 }, azure: { lockImmutabilityPolicy: true } }).bucket;
    expect(warnings(done)).toEqual([]);
    expect(warnings(bucketJson({ cloud: azure() }).bucket)).toEqual([]);
  });

  test('cold storage tiers base blobs to Cool or Cold', () => {
    const cool = one(bucketJson({ cloud: azure(), coldStorageAfterDays: 20 }).json, 'azurerm_storage_management_policy', 'Lifecycle');
    expect(cool.rule[0].actions.base_blob).toEqual({ tier_to_cool_after_days_since_modification_greater_than: 20 });
    const cold = one(bucketJson({ cloud: azure(), coldStorageAfterDays: 20, coldStorageClass: 'cold' }).json,
      'azurerm_storage_management_policy', 'Lifecycle');
    expect(cold.rule[0].actions.base_blob).toEqual({ tier_to_cold_after_days_since_modification_greater_than: 20 });
  });

  test('no public network access: account and vault closed', () => {
    const { json } = bucketJson({ cloud: azure(), azure: { publicNetworkAccess: false } });
    expect(one(json, 'azurerm_storage_account', MAIN).public_network_access_enabled).toBe(false);
    const vault = one(json, 'azurerm_key_vault', 'KeyVault');
    expect(vault.public_network_access_enabled).toBe(false);
    expect(vault.network_acls).toEqual({ bypass: 'AzureServices', default_action: 'Deny' });
  });

  // Issue 16: the default passes the policy pack (a reasoned suppression on the bucket), and azure.network closes it without one.
  test('azure.network firewalls the account and the vault; the default is open with its reason recorded', () => {
    const { AiInfraPolicyPack } = require('../../src/policy') as typeof import('../../src/policy');
    const subnet = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes';
    const closed = bucketJson({ cloud: azure(), azure: { network: { allowedSubnetIds: [subnet], allowedIpRanges: ['203.0.113.7'] } } });
    expect(one(closed.json, 'azurerm_storage_account', MAIN).network_rules).toEqual({
      default_action: 'Deny', bypass: ['AzureServices'], ip_rules: ['203.0.113.7'], virtual_network_subnet_ids: [subnet],
    });
    expect(one(closed.json, 'azurerm_key_vault', 'KeyVault').network_acls).toEqual({
      bypass: 'AzureServices', default_action: 'Deny', ip_rules: ['203.0.113.7'], virtual_network_subnet_ids: [subnet],
    });
    const findings = (b: ModelBackupBucket) => new AiInfraPolicyPack().evaluate(b.node.scope!).filter((f) => ['AI-AZ-KV-2', 'AI-AZ-ST-3'].includes(f.ruleId));
    expect(findings(closed.bucket)).toEqual([]);
    const open = findings(bucketJson({ cloud: azure() }).bucket);
    expect(open.map((f) => f.ruleId).sort()).toEqual(['AI-AZ-KV-2', 'AI-AZ-ST-3']);
    for (const f of open) expect(f.suppressedReason).toMatch(/azure\.network \{ allowedSubnetIds, allowedIpRanges \}.*azure\.publicNetworkAccess: false/);
  });

  test('azure.network: bad entries, an empty firewall, or one without public access are errors', () => {
    const { expectInvalid } = require('../expect-invalid') as typeof import('../expect-invalid');
    expectInvalid(() => bucketJson({ cloud: azure(), azure: { network: { allowedIpRanges: ['203.0.113.7/32'] } } }), /azure\.network\.allowedIpRanges\[0\].*up to \/30/);
    expectInvalid(() => bucketJson({ cloud: azure(), azure: { network: { allowedSubnetIds: ['nodes'] } } }), /azure\.network\.allowedSubnetIds\[0\]/);
    expectInvalid(() => bucketJson({ cloud: azure(), azure: { network: {} } }), /azure\.network .*at least one of allowedSubnetIds, allowedIpRanges/);
    expectInvalid(() => bucketJson({ cloud: azure(), azure: { publicNetworkAccess: false, network: { allowedIpRanges: ['203.0.113.7'] } } }),
      /azure\.network .*unset with publicNetworkAccess false/);
  });

  test('a user key from an existing vault: no vault made, the identity gets the key', () => {
    const keyVaultId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/sec/providers/Microsoft.KeyVault/vaults/acme-kv';
    const { json } = bucketJson({ cloud: azure(), encryptionKey: { kind: 'azure-key-vault', keyVaultId, keyName: 'models' } });
    expect(all(json, 'azurerm_key_vault')).toHaveLength(0);
    expect(all(json, 'azurerm_key_vault_key', 'data')).toEqual([expect.objectContaining({ key_vault_id: keyVaultId, name: 'models' })]);
    expect(one(json, 'azurerm_role_assignment', 'models_KeyAccess').scope)
      .toBe('${data.azurerm_key_vault_key.models_UserKey_4CCEEB3A.resource_versionless_id}');
  });

  test('names, resource group, workspace and forceDestroy options', () => {
    const cloud = Cloud.azure({ location: 'westeurope', resourceGroupName: 'rg-ml' });
    const workspace = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.OperationalInsights/workspaces/ops';
    const { json, bucket } = bucketJson({
      cloud, bucketName: 'checkpoints', forceDestroy: true, azure: { storageAccountName: 'acmemodels', logAnalyticsWorkspaceId: workspace },
    });
    const account = one(json, 'azurerm_storage_account', MAIN);
    expect(account).toMatchObject({ name: 'acmemodels', resource_group_name: 'rg-ml' });
    expect(account.lifecycle).toBeUndefined();
    expect(all(json, 'azurerm_resource_group')).toHaveLength(0);
    expect(all(json, 'azurerm_log_analytics_workspace')).toHaveLength(0);
    expect(one(json, 'azurerm_monitor_diagnostic_setting', 'AccessLogging').log_analytics_workspace_id).toBe(workspace);
    expect(bucket.uri).toBe('az://acmemodels/checkpoints');
  });
});
