import { terraformRule } from '../../rule';
import { isOn } from '../../util';

/** AI-AZ-KV-1: keys cannot be purged (deletion protection for the keys behind CMK). */
export const KeyVaultPurgeProtection = terraformRule({
  id: 'AI-AZ-KV-1',
  severity: 'error',
  title: 'Key Vault purge protection enabled',
  rationale: 'Purging the key behind a storage account makes every checkpoint unreadable; purge protection keeps it recoverable for the retention period.',
  remediation: 'Set purge_protection_enabled = true (and soft_delete_retention_days 7-90).',
  checkov: ['CKV_AZURE_110', 'CKV_AZURE_42'],
  resourceTypes: ['azurerm_key_vault'],
  check(vault) {
    return isOn(vault.attrs.purge_protection_enabled) ? undefined : 'purge_protection_enabled is not true';
  },
});
