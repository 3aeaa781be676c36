import { terraformRule } from '../../rule';
import { blocks, isTrue as isPublic } from '../../util';

/** AI-AWS-EC2-3: nodes get no public IP addresses. */
export const Ec2NoPublicIp = terraformRule({
  id: 'AI-AWS-EC2-3',
  severity: 'error',
  title: 'No public IPs on nodes (subnets and launch templates)',
  rationale: 'GPU nodes with public IPs are scanned and attacked within minutes; egress goes through NAT, ingress through a load balancer.',
  remediation: 'Set map_public_ip_on_launch = false on node subnets and associate_public_ip_address = false in launch templates; use private subnets with NAT.',
  checkov: ['CKV_AWS_130', 'CKV_AWS_88'],
  resourceTypes: ['aws_subnet', 'aws_launch_template', 'aws_instance'],
  check(r) {
    if (r.type === 'aws_subnet') return isPublic(r.attrs.map_public_ip_on_launch) ? 'map_public_ip_on_launch = true' : undefined;
    if (r.type === 'aws_instance') return isPublic(r.attrs.associate_public_ip_address) ? 'associate_public_ip_address = true' : undefined;
    return blocks(r.attrs.network_interfaces).some((n) => isPublic(n.associate_public_ip_address))
      ? 'a network interface associates a public IP' : undefined;
  },
});
