import { terraformRule } from '../../rule';
import { dig, isOff } from '../../util';

/** AI-GCP-GKE-9: node pools repair and upgrade themselves. */
export const GkeNodeAutoRepair = terraformRule({
  id: 'AI-GCP-GKE-9',
  severity: 'warning',
  title: 'GKE node pool auto-repair and auto-upgrade',
  rationale: 'GPU nodes fail (XID errors, ECC); auto-repair replaces them, auto-upgrade keeps kubelet patched.',
  remediation: 'Set management { auto_repair = true, auto_upgrade = true } (the defaults; do not turn them off).',
  checkov: ['CKV_GCP_9', 'CKV_GCP_10'],
  resourceTypes: ['google_container_node_pool'],
  check(pool) {
    const off = ['auto_repair', 'auto_upgrade'].filter((k) => isOff(dig(pool.attrs, 'management', k)));
    return off.length ? `${off.join(', ')} = false` : undefined;
  },
});
