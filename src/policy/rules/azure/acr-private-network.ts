import { terraformRule } from '../../rule';
import { isOff } from '../../util';

/** AI-AZ-ACR-3: the registry is not on the public internet. */
export const AcrPrivateNetwork = terraformRule({
  id: 'AI-AZ-ACR-3',
  severity: 'warning',
  title: 'Container registry public network access disabled (Premium, private endpoint)',
  rationale: 'A public registry endpoint accepts pushes from anywhere a credential leaks to.',
  remediation: 'Use sku "Premium" with public_network_access_enabled = false and a private endpoint in the cluster VNet.',
  checkov: ['CKV_AZURE_139'],
  resourceTypes: ['azurerm_container_registry'],
  check(registry) {
    return isOff(registry.attrs.public_network_access_enabled) ? undefined : 'public_network_access_enabled is not false';
  },
});
