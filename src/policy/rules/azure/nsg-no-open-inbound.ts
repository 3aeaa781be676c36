import { terraformRule } from '../../rule';
import { blocks, isAnywhere, strings } from '../../util';

/** AI-AZ-NET-1: network security groups allow nothing inbound from the internet. */
export const NsgNoOpenInbound = terraformRule({
  id: 'AI-AZ-NET-1',
  severity: 'error',
  title: 'No NSG inbound allow from the internet',
  rationale: 'Inbound from * or Internet exposes SSH, kubelet and NodePorts of GPU nodes.',
  remediation: 'Restrict source_address_prefix(es) to your networks or service tags such as AzureLoadBalancer.',
  checkov: ['CKV_AZURE_9', 'CKV_AZURE_10', 'CKV_AZURE_77', 'CKV_AZURE_160'],
  resourceTypes: ['azurerm_network_security_group', 'azurerm_network_security_rule'],
  check(r) {
    const rules = r.type === 'azurerm_network_security_rule' ? [r.attrs] : blocks(r.attrs.security_rule);
    const open = rules.filter((x) => x.direction === 'Inbound' && x.access === 'Allow'
      && [...strings(x.source_address_prefix), ...strings(x.source_address_prefixes)].some(isAnywhere));
    return open.length ? `inbound allow from the internet: ${open.map((x) => String(x.name)).join(', ')}` : undefined;
  },
});
