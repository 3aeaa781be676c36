import { terraformRule } from '../../rule';
import { attached, dig, isOff } from '../../util';

/** AI-AZ-ST-3: the storage endpoint is private or denies by default. */
export const StorageNetworkRestricted = terraformRule({
  id: 'AI-AZ-ST-3',
  severity: 'error',
  title: 'Storage account network access denied by default (private endpoint or firewall)',
  rationale: 'A storage account open to all networks can be reached with any leaked token from anywhere.',
  remediation: 'Set public_network_access_enabled = false with a private endpoint, or network_rules { default_action = "Deny", bypass = ["AzureServices"], virtual_network_subnet_ids = [...] }.',
  constructFix: 'ModelBackupBucket azure.network { allowedSubnetIds, allowedIpRanges } (firewall), or azure.publicNetworkAccess: false with private endpoints',
  checkov: ['CKV_AZURE_59', 'CKV_AZURE_35', 'CKV2_AZURE_33'],
  resourceTypes: ['azurerm_storage_account'],
  check(account, ctx) {
    if (isOff(account.attrs.public_network_access_enabled)) return undefined;
    if (dig(account.attrs, 'network_rules', 'default_action') === 'Deny') return undefined;
    const rules = attached(ctx, 'azurerm_storage_account_network_rules', account, 'storage_account_id', 'id');
    return rules.some((r) => r.attrs.default_action === 'Deny') ? undefined : 'public network access with default action Allow';
  },
});
