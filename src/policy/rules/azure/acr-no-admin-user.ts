import { terraformRule } from '../../rule';
import { isTrue } from '../../util';

/** AI-AZ-ACR-1: the registry admin user (static credentials) is off. */
export const AcrNoAdminUser = terraformRule({
  id: 'AI-AZ-ACR-1',
  severity: 'error',
  title: 'Container registry admin user disabled',
  rationale: 'The admin user is a shared static password with push rights; AKS pulls with its kubelet identity, CI pushes with OIDC.',
  remediation: 'Set admin_enabled = false (the default) and grant AcrPull/AcrPush roles.',
  checkov: ['CKV_AZURE_137'],
  resourceTypes: ['azurerm_container_registry'],
  check(registry) {
    return isTrue(registry.attrs.admin_enabled) ? 'admin_enabled = true' : undefined;
  },
});
