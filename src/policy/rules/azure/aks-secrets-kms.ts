import { terraformRule } from '../../rule';
import { dig, isSet } from '../../util';

/** AI-AZ-AKS-9: etcd secrets are encrypted with a Key Vault key (KMS plugin). */
export const AksSecretsKms = terraformRule({
  id: 'AI-AZ-AKS-9',
  severity: 'error',
  title: 'AKS secrets encrypted with a Key Vault key (KMS etcd encryption)',
  rationale: 'Secrets in etcd (endpoint API keys, tokens) are then encrypted with a key you control.',
  remediation: 'Add key_management_service { key_vault_key_id = <key id>, key_vault_network_access = "Private" }.',
  resourceTypes: ['azurerm_kubernetes_cluster'],
  check(cluster) {
    return isSet(dig(cluster.attrs, 'key_management_service', 'key_vault_key_id')) ? undefined : 'no key_management_service';
  },
});
