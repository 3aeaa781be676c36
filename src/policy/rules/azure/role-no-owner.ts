import { terraformRule } from '../../rule';

const BROAD = ['Owner', 'Contributor', 'User Access Administrator', 'Role Based Access Control Administrator'];
const BROAD_IDS = ['8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'b24988ac-6180-42a0-ab88-20f7382dd24c', '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9'];

/** AI-AZ-IAM-1: no Owner, Contributor or User Access Administrator assignments. */
export const AzureRoleNoOwner = terraformRule({
  id: 'AI-AZ-IAM-1',
  severity: 'error',
  title: 'No Owner, Contributor or User Access Administrator role assignments',
  rationale: 'These roles let the identity change anything (or grant itself anything) in the scope.',
  remediation: 'Assign data-plane roles on the resource (Storage Blob Data Reader/Contributor on one container, AcrPull on one registry).',
  resourceTypes: ['azurerm_role_assignment'],
  check(assignment) {
    const name = assignment.attrs.role_definition_name;
    const id = assignment.attrs.role_definition_id;
    if (typeof name === 'string' && BROAD.includes(name)) return `assigns ${name}`;
    if (typeof id === 'string' && BROAD_IDS.some((g) => id.toLowerCase().endsWith(g))) return `assigns built-in role ${id}`;
    return undefined;
  },
});
