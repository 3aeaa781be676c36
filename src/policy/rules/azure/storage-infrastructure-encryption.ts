import { terraformRule } from '../../rule';
import { isOn } from '../../util';

/** AI-AZ-ST-7: double encryption at the infrastructure layer. */
export const StorageInfrastructureEncryption = terraformRule({
  id: 'AI-AZ-ST-7',
  severity: 'warning',
  title: 'Storage account infrastructure encryption enabled',
  rationale: 'A second, independent encryption layer protects against a flaw in one algorithm or key.',
  remediation: 'Set infrastructure_encryption_enabled = true (only at creation).',
  resourceTypes: ['azurerm_storage_account'],
  check(account) {
    return isOn(account.attrs.infrastructure_encryption_enabled) ? undefined : 'infrastructure_encryption_enabled is not true';
  },
});
