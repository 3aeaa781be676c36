import { terraformRule } from '../../rule';
import { isAnywhere, strings } from '../../util';

/** AI-GCP-NET-2: firewall rules admit nothing from the whole internet. */
export const FirewallNoOpenIngress = terraformRule({
  id: 'AI-GCP-NET-2',
  severity: 'error',
  title: 'No firewall ingress from 0.0.0.0/0',
  rationale: 'Open ingress exposes SSH, kubelet and NodePorts of GPU nodes.',
  remediation: 'Restrict source_ranges to your networks, or use IAP (35.235.240.0/20) for administrative access.',
  checkov: ['CKV_GCP_2', 'CKV_GCP_3', 'CKV2_GCP_12'],
  resourceTypes: ['google_compute_firewall'],
  check(fw) {
    if (fw.attrs.direction === 'EGRESS') return undefined;
    if (Array.isArray(fw.attrs.deny) && fw.attrs.deny.length > 0 && !fw.attrs.allow) return undefined;
    const open = strings(fw.attrs.source_ranges).filter(isAnywhere);
    return open.length ? `ingress from ${open.join(', ')}` : undefined;
  },
});
