import { TerraformStack } from 'cdktf';
import { describeRules, raw, ref } from './helpers';

const KEY_ID = 'https://acme-kv.vault.azure.net/keys/models/0123';

function account(s: TerraformStack, body: Record<string, unknown> = {}) {
  return raw(s, 'azurerm_storage_account', 'models', {
    name: 'acmemodels', resource_group_name: 'rg', location: 'eastus2', account_tier: 'Standard', account_replication_type: 'ZRS',
    min_tls_version: 'TLS1_2', https_traffic_only_enabled: true, allow_nested_items_to_be_public: false,
    public_network_access_enabled: false, shared_access_key_enabled: false, infrastructure_encryption_enabled: true,
    customer_managed_key: { key_vault_key_id: KEY_ID, user_assigned_identity_id: 'id' },
    blob_properties: { versioning_enabled: true, delete_retention_policy: { days: 30 }, container_delete_retention_policy: { days: 30 } },
    ...body,
  });
}

function aks(s: TerraformStack, body: Record<string, unknown> = {}, diagnostics = true) {
  const c = raw(s, 'azurerm_kubernetes_cluster', 'train', {
    name: 'train', location: 'eastus2', resource_group_name: 'rg', dns_prefix: 'train',
    private_cluster_enabled: true, oidc_issuer_enabled: true, workload_identity_enabled: true,
    local_account_disabled: true, azure_active_directory_role_based_access_control: { azure_rbac_enabled: true },
    disk_encryption_set_id: 'des-id', network_profile: { network_plugin: 'azure', network_policy: 'cilium' },
    default_node_pool: { name: 'system', vm_size: 'Standard_D4s_v5', host_encryption_enabled: true },
    key_management_service: { key_vault_key_id: KEY_ID, key_vault_network_access: 'Private' },
    ...body,
  });
  if (diagnostics) {
    raw(s, 'azurerm_monitor_diagnostic_setting', 'audit', { name: 'audit', target_resource_id: ref(c), log_analytics_workspace_id: 'law', enabled_log: [{ category: 'kube-audit-admin' }] });
  }
  return c;
}

function registry(s: TerraformStack, body: Record<string, unknown> = {}) {
  return raw(s, 'azurerm_container_registry', 'acr', {
    name: 'acmeacr', resource_group_name: 'rg', location: 'eastus2', sku: 'Premium', admin_enabled: false,
    public_network_access_enabled: false, encryption: { key_vault_key_id: KEY_ID, identity_client_id: 'client' },
    ...body,
  });
}

function vault(s: TerraformStack, body: Record<string, unknown> = {}) {
  return raw(s, 'azurerm_key_vault', 'kv', {
    name: 'acme-kv', resource_group_name: 'rg', location: 'eastus2', sku_name: 'premium', tenant_id: 't',
    purge_protection_enabled: true, rbac_authorization_enabled: true, network_acls: { default_action: 'Deny', bypass: 'AzureServices' },
    ...body,
  });
}

describeRules({
  'AI-AZ-ST-1': {
    fail: (s) => account(s, { min_tls_version: 'TLS1_0' }),
    pass: (s) => account(s),
  },
  'AI-AZ-ST-2': {
    fail: (s) => account(s, { allow_nested_items_to_be_public: undefined }),
    pass: (s) => account(s),
  },
  'AI-AZ-ST-3': {
    fail: (s) => account(s, { public_network_access_enabled: true }),
    pass: (s) => {
      const a = account(s, { public_network_access_enabled: true });
      raw(s, 'azurerm_storage_account_network_rules', 'rules', { storage_account_id: ref(a), default_action: 'Deny', bypass: ['AzureServices'] });
    },
  },
  'AI-AZ-ST-4': {
    fail: (s) => account(s, { shared_access_key_enabled: true }),
    pass: (s) => account(s),
  },
  'AI-AZ-ST-5': {
    fail: (s) => account(s, { customer_managed_key: undefined }),
    pass: (s) => {
      const a = account(s, { customer_managed_key: undefined });
      raw(s, 'azurerm_storage_account_customer_managed_key', 'cmk', { storage_account_id: ref(a), key_vault_key_id: KEY_ID });
    },
  },
  'AI-AZ-ST-6': {
    fail: (s) => account(s, { blob_properties: { versioning_enabled: false } }),
    pass: (s) => account(s),
  },
  'AI-AZ-ST-7': {
    fail: (s) => account(s, { infrastructure_encryption_enabled: false }),
    pass: (s) => account(s),
  },
  'AI-AZ-ST-8': {
    fail: (s) => raw(s, 'azurerm_storage_container', 'c', { name: 'models', container_access_type: 'blob' }),
    pass: (s) => raw(s, 'azurerm_storage_container', 'c', { name: 'models', container_access_type: 'private' }),
  },
  'AI-AZ-AKS-1': {
    fail: (s) => aks(s, { private_cluster_enabled: false }),
    pass: (s) => aks(s, { private_cluster_enabled: false, api_server_access_profile: { authorized_ip_ranges: ['203.0.113.0/24'] } }),
  },
  'AI-AZ-AKS-2': {
    fail: (s) => aks(s, { workload_identity_enabled: false }),
    pass: (s) => aks(s),
  },
  'AI-AZ-AKS-3': {
    fail: (s) => aks(s, { local_account_disabled: false }),
    pass: (s) => aks(s),
  },
  'AI-AZ-AKS-4': {
    fail: (s) => aks(s, {}, false),
    pass: (s) => aks(s),
  },
  'AI-AZ-AKS-5': {
    fail: (s) => aks(s, { disk_encryption_set_id: undefined }),
    pass: (s) => aks(s),
  },
  'AI-AZ-AKS-6': {
    fail: (s) => aks(s, { network_profile: { network_plugin: 'kubenet' } }),
    pass: (s) => aks(s),
  },
  'AI-AZ-AKS-7': {
    fail: (s) => raw(s, 'azurerm_kubernetes_cluster_node_pool', 'gpu', { name: 'gpu', vm_size: 'Standard_NC24ads_A100_v4', node_public_ip_enabled: true, host_encryption_enabled: true }),
    pass: (s) => raw(s, 'azurerm_kubernetes_cluster_node_pool', 'gpu', { name: 'gpu', vm_size: 'Standard_NC24ads_A100_v4', host_encryption_enabled: true }),
  },
  'AI-AZ-AKS-8': {
    fail: (s) => raw(s, 'azurerm_kubernetes_cluster_node_pool', 'gpu', { name: 'gpu', vm_size: 'Standard_NC24ads_A100_v4' }),
    pass: (s) => raw(s, 'azurerm_kubernetes_cluster_node_pool', 'gpu', { name: 'gpu', vm_size: 'Standard_NC24ads_A100_v4', host_encryption_enabled: true }),
  },
  'AI-AZ-AKS-9': {
    fail: (s) => aks(s, { key_management_service: undefined }),
    pass: (s) => aks(s),
  },
  'AI-AZ-ACR-1': {
    fail: (s) => registry(s, { admin_enabled: true }),
    pass: (s) => registry(s),
  },
  'AI-AZ-ACR-2': {
    fail: (s) => registry(s, { anonymous_pull_enabled: true }),
    pass: (s) => registry(s, { anonymous_pull_enabled: false }),
  },
  'AI-AZ-ACR-3': {
    fail: (s) => registry(s, { public_network_access_enabled: true }),
    pass: (s) => registry(s),
  },
  'AI-AZ-ACR-4': {
    fail: (s) => registry(s, { encryption: undefined }),
    pass: (s) => registry(s),
  },
  'AI-AZ-IAM-1': {
    fail: (s) => raw(s, 'azurerm_role_assignment', 'ra', { scope: 'sub', role_definition_name: 'Contributor', principal_id: 'p' }),
    pass: (s) => raw(s, 'azurerm_role_assignment', 'ra', { scope: 'container', role_definition_name: 'Storage Blob Data Reader', principal_id: 'p' }),
  },
  'AI-AZ-IAM-2': {
    fail: (s) => raw(s, 'azurerm_role_definition', 'r', { name: 'all', scope: 'sub', permissions: [{ actions: ['*'] }] }),
    pass: (s) => raw(s, 'azurerm_role_definition', 'r', { name: 'join', scope: 'sub', permissions: [{ actions: ['Microsoft.Network/virtualNetworks/subnets/join/action'] }] }),
  },
  'AI-AZ-LOG-1': {
    fail: (s) => raw(s, 'azurerm_log_analytics_workspace', 'w', { name: 'logs', sku: 'PerGB2018' }),
    pass: (s) => raw(s, 'azurerm_log_analytics_workspace', 'w', { name: 'logs', sku: 'PerGB2018', retention_in_days: 90 }),
  },
  'AI-AZ-KV-1': {
    fail: (s) => vault(s, { purge_protection_enabled: false }),
    pass: (s) => vault(s),
  },
  'AI-AZ-KV-2': {
    fail: (s) => vault(s, { rbac_authorization_enabled: undefined, network_acls: { default_action: 'Allow', bypass: 'AzureServices' } }),
    pass: (s) => vault(s),
  },
  'AI-AZ-NET-1': {
    fail: (s) => raw(s, 'azurerm_network_security_rule', 'ssh', { name: 'ssh', direction: 'Inbound', access: 'Allow', priority: 100, protocol: 'Tcp', source_address_prefix: 'Internet', destination_port_range: '22' }),
    pass: (s) => raw(s, 'azurerm_network_security_group', 'nsg', { name: 'nodes', security_rule: [{ name: 'lb', direction: 'Inbound', access: 'Allow', priority: 100, protocol: 'Tcp', source_address_prefix: 'AzureLoadBalancer', destination_port_range: '443' }] }),
  },
});
