import { terraformRule } from '../../rule';
import { attached, blocks } from '../../util';

/** AI-AZ-ST-5: storage is encrypted with a customer-managed key. */
export const StorageCmk = terraformRule({
  id: 'AI-AZ-ST-5',
  severity: 'error',
  title: 'Storage account encrypted with a customer-managed key',
  rationale: 'A Key Vault key you control can be audited, rotated and revoked (crypto-shredding of checkpoints).',
  remediation: 'Add customer_managed_key { key_vault_key_id, user_assigned_identity_id } or an azurerm_storage_account_customer_managed_key.',
  checkov: ['CKV2_AZURE_1'],
  resourceTypes: ['azurerm_storage_account'],
  check(account, ctx) {
    if (blocks(account.attrs.customer_managed_key).length > 0) return undefined;
    return attached(ctx, 'azurerm_storage_account_customer_managed_key', account, 'storage_account_id', 'id').length > 0
      ? undefined : 'no customer-managed key';
  },
});
