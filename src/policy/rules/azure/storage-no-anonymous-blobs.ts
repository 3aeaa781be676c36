import { terraformRule } from '../../rule';
import { isOff } from '../../util';

/** AI-AZ-ST-2: no container may be made public. */
export const StorageNoAnonymousBlobs = terraformRule({
  id: 'AI-AZ-ST-2',
  severity: 'error',
  title: 'Storage account forbids anonymous blob access',
  rationale: 'With nested public access allowed, one container setting exposes models to the internet.',
  remediation: 'Set allow_nested_items_to_be_public = false (the azurerm default is true).',
  checkov: ['CKV_AZURE_190', 'CKV2_AZURE_47'],
  resourceTypes: ['azurerm_storage_account'],
  check(account) {
    return isOff(account.attrs.allow_nested_items_to_be_public) ? undefined : 'allow_nested_items_to_be_public is not false';
  },
});
