import { terraformRule } from '../../rule';
import { blocks, strings } from '../../util';

/** AI-AZ-IAM-2: custom roles list their actions. */
export const AzureRoleDefinitionNoWildcard = terraformRule({
  id: 'AI-AZ-IAM-2',
  severity: 'error',
  title: 'Custom role definitions grant no "*" actions',
  rationale: 'A custom role with "*" is an Owner in disguise: it escapes reviews that look for the built-in Owner role.',
  remediation: 'List the actions the role needs (e.g. Microsoft.Network/virtualNetworks/subnets/join/action).',
  checkov: ['CKV_AZURE_39'],
  resourceTypes: ['azurerm_role_definition'],
  check(role) {
    const wild = blocks(role.attrs.permissions).flatMap((p) => [...strings(p.actions), ...strings(p.data_actions)]).filter((a) => a === '*' || a.endsWith('/*'));
    return wild.length ? `actions ${wild.join(', ')}` : undefined;
  },
});
