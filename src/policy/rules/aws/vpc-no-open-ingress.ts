import { terraformRule } from '../../rule';
import { blocks, isAnywhere, strings } from '../../util';

/** AI-AWS-VPC-2: security groups accept no traffic from the whole internet. */
export const VpcNoOpenIngress = terraformRule({
  id: 'AI-AWS-VPC-2',
  severity: 'error',
  title: 'No security group ingress from 0.0.0.0/0',
  rationale: 'Nodes and control plane ENIs reachable from anywhere expose kubelet, SSH and NodePorts to the internet.',
  remediation: 'Limit ingress to VPC CIDRs or other security groups; expose endpoints through a load balancer.',
  checkov: ['CKV_AWS_24', 'CKV_AWS_25', 'CKV_AWS_260'],
  resourceTypes: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule'],
  check(r) {
    let cidrs: string[] = [];
    if (r.type === 'aws_security_group') cidrs = blocks(r.attrs.ingress).flatMap((i) => [...strings(i.cidr_blocks), ...strings(i.ipv6_cidr_blocks)]);
    else if (r.type === 'aws_security_group_rule') cidrs = r.attrs.type === 'ingress' ? [...strings(r.attrs.cidr_blocks), ...strings(r.attrs.ipv6_cidr_blocks)] : [];
    else cidrs = [...strings(r.attrs.cidr_ipv4), ...strings(r.attrs.cidr_ipv6)];
    const open = cidrs.filter(isAnywhere);
    return open.length ? `ingress from ${open.join(', ')}` : undefined;
  },
});
