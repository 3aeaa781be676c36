import { terraformRule } from '../../rule';
import { blocks, dig, isOn } from '../../util';

/** AI-AZ-ST-6: blobs are versioned and soft-deleted. */
export const StorageVersioning = terraformRule({
  id: 'AI-AZ-ST-6',
  severity: 'error',
  title: 'Blob versioning and soft delete enabled',
  rationale: 'Versioning and soft delete make an overwritten or deleted checkpoint recoverable.',
  remediation: 'Set blob_properties { versioning_enabled = true, delete_retention_policy { days = 7+ }, container_delete_retention_policy { days = 7+ } }.',
  constructFix: 'ModelBackupBucket versioned: true (the default) and softDeleteDays (7-90)',
  checkov: ['CKV2_AZURE_38'],
  resourceTypes: ['azurerm_storage_account'],
  check(account) {
    const props = account.attrs.blob_properties;
    const problems: string[] = [];
    if (!isOn(dig(props, 'versioning_enabled'))) problems.push('versioning_enabled is not true');
    if (blocks(dig(props, 'delete_retention_policy')).length === 0) problems.push('no delete_retention_policy');
    return problems.length ? problems.join('; ') : undefined;
  },
});
