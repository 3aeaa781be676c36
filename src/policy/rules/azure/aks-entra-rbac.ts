import { terraformRule } from '../../rule';
import { blocks, dig, isOn } from '../../util';

/** AI-AZ-AKS-3: no local admin account; access by Entra ID and Azure RBAC. */
export const AksEntraRbac = terraformRule({
  id: 'AI-AZ-AKS-3',
  severity: 'error',
  title: 'AKS local accounts disabled, Entra ID with Azure RBAC',
  rationale: 'The local cluster-admin kubeconfig is a static credential outside Entra ID audit and conditional access.',
  remediation: 'Set local_account_disabled = true and azure_active_directory_role_based_access_control { azure_rbac_enabled = true }.',
  checkov: ['CKV_AZURE_141', 'CKV_AZURE_5'],
  resourceTypes: ['azurerm_kubernetes_cluster'],
  check(cluster) {
    const problems: string[] = [];
    if (!isOn(cluster.attrs.local_account_disabled)) problems.push('local_account_disabled is not true');
    const aad = blocks(cluster.attrs.azure_active_directory_role_based_access_control);
    if (aad.length === 0 || !isOn(dig(aad, 'azure_rbac_enabled'))) problems.push('Entra ID integration with Azure RBAC is off');
    return problems.length ? problems.join('; ') : undefined;
  },
});
