import { terraformRule } from '../../rule';
import { dig, isOff, isOn } from '../../util';

/** AI-AZ-KV-2: vaults use Azure RBAC and deny network access by default. */
export const KeyVaultNetwork = terraformRule({
  id: 'AI-AZ-KV-2',
  severity: 'error',
  title: 'Key Vault uses Azure RBAC and denies network access by default',
  rationale: 'Access policies bypass Azure RBAC review; an open vault endpoint accepts requests from anywhere.',
  remediation: 'Set rbac_authorization_enabled (enable_rbac_authorization) = true and network_acls { default_action = "Deny", bypass = "AzureServices" } or public_network_access_enabled = false.',
  constructFix: 'ModelBackupBucket azure.network { allowedSubnetIds, allowedIpRanges } or azure.publicNetworkAccess: false; MonitoringStack selfManaged.azureKeyVaultAllowedIpRanges; InferenceEndpoint auth.keyVaultNetwork',
  checkov: ['CKV_AZURE_109', 'CKV_AZURE_189', 'CKV2_AZURE_32'],
  resourceTypes: ['azurerm_key_vault'],
  check(vault) {
    const problems: string[] = [];
    if (!isOn(vault.attrs.rbac_authorization_enabled) && !isOn(vault.attrs.enable_rbac_authorization)) problems.push('Azure RBAC authorization is off');
    if (!isOff(vault.attrs.public_network_access_enabled) && dig(vault.attrs, 'network_acls', 'default_action') !== 'Deny') problems.push('network default action is not Deny');
    return problems.length ? problems.join('; ') : undefined;
  },
});
