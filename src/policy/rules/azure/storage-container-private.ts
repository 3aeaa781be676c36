import { terraformRule } from '../../rule';

/** AI-AZ-ST-8: containers are private. */
export const StorageContainerPrivate = terraformRule({
  id: 'AI-AZ-ST-8',
  severity: 'error',
  title: 'Storage container access type private',
  rationale: 'A blob or container access type lets anyone list or read the model files.',
  remediation: 'Set container_access_type = "private" (the default).',
  checkov: ['CKV_AZURE_34'],
  resourceTypes: ['azurerm_storage_container'],
  check(container) {
    const type = container.attrs.container_access_type;
    return type === undefined || type === 'private' ? undefined : `container_access_type = ${JSON.stringify(type)}`;
  },
});
