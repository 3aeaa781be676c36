import { terraformRule } from '../../rule';
import { dig, isOff, isOn } from '../../util';

/** AI-GCP-GKE-8: node pools boot with Secure Boot and integrity monitoring. */
export const GkeShieldedNodes = terraformRule({
  id: 'AI-GCP-GKE-8',
  severity: 'warning',
  title: 'GKE node pool Secure Boot and integrity monitoring',
  rationale: 'Shielded nodes resist boot-level rootkits. Note: some third-party GPU driver installs need Secure Boot off; GKE-managed drivers work with it.',
  remediation: 'Set node_config { shielded_instance_config { enable_secure_boot = true, enable_integrity_monitoring = true } }.',
  checkov: ['CKV_GCP_68', 'CKV_GCP_72'],
  resourceTypes: ['google_container_node_pool'],
  check(pool) {
    const cfg = dig(pool.attrs, 'node_config', 'shielded_instance_config');
    const problems: string[] = [];
    if (!isOn(dig(cfg, 'enable_secure_boot'))) problems.push('enable_secure_boot is not true');
    if (isOff(dig(cfg, 'enable_integrity_monitoring'))) problems.push('enable_integrity_monitoring = false');
    return problems.length ? problems.join('; ') : undefined;
  },
});
