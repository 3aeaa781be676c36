import { terraformRule } from '../../rule';
import { isOff } from '../../util';

/** AI-AZ-ST-4: no account keys or SAS signed with them. */
export const StorageNoSharedKeys = terraformRule({
  id: 'AI-AZ-ST-4',
  severity: 'error',
  title: 'Storage account shared key access disabled',
  rationale: 'Account keys are static full-access credentials; workloads use Entra ID through workload identity.',
  remediation: 'Set shared_access_key_enabled = false (and storage_use_azuread = true on the provider).',
  checkov: ['CKV2_AZURE_40'],
  resourceTypes: ['azurerm_storage_account'],
  check(account) {
    return isOff(account.attrs.shared_access_key_enabled) ? undefined : 'shared_access_key_enabled is not false';
  },
});
