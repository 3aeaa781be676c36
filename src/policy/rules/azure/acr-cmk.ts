import { terraformRule } from '../../rule';
import { blocks, dig, isSet } from '../../util';

/** AI-AZ-ACR-4: images are encrypted with a customer-managed key. */
export const AcrCmk = terraformRule({
  id: 'AI-AZ-ACR-4',
  severity: 'warning',
  title: 'Container registry encrypted with a customer-managed key (Premium)',
  rationale: 'Images carry the compute core and sometimes baked-in weights.',
  remediation: 'Use sku "Premium" with encryption { key_vault_key_id, identity_client_id }.',
  constructFix: 'no construct prop: the stack\'s registry (AiInfraRegistry-<location>) takes a customer-managed key through an escape hatch, from a Key Vault the deploying machine can reach',
  resourceTypes: ['azurerm_container_registry'],
  check(registry) {
    return blocks(registry.attrs.encryption).length > 0 && isSet(dig(registry.attrs, 'encryption', 'key_vault_key_id')) ? undefined : 'no customer-managed key';
  },
});
