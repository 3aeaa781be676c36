import { terraformRule } from '../../rule';
import { blocks, isOn } from '../../util';

/** AI-GCP-NET-1: subnets reach Google APIs privately and log flows. */
export const SubnetPrivateAccess = terraformRule({
  id: 'AI-GCP-NET-1',
  severity: 'error',
  title: 'Subnet has Private Google Access and flow logs',
  rationale: 'Private nodes need Private Google Access to pull images and write checkpoints without public IPs; flow logs record egress.',
  remediation: 'Set private_ip_google_access = true and a log_config block on the google_compute_subnetwork.',
  checkov: ['CKV_GCP_74', 'CKV_GCP_26'],
  resourceTypes: ['google_compute_subnetwork'],
  check(subnet) {
    if (subnet.attrs.purpose !== undefined && subnet.attrs.purpose !== 'PRIVATE') return undefined;
    const problems: string[] = [];
    if (!isOn(subnet.attrs.private_ip_google_access)) problems.push('private_ip_google_access is not true');
    if (blocks(subnet.attrs.log_config).length === 0) problems.push('no log_config (flow logs)');
    return problems.length ? problems.join('; ') : undefined;
  },
});
