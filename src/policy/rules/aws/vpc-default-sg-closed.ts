import { terraformRule } from '../../rule';
import { blocks } from '../../util';

/** AI-AWS-VPC-3: the VPC's default security group allows nothing. */
export const VpcDefaultSgClosed = terraformRule({
  id: 'AI-AWS-VPC-3',
  severity: 'error',
  title: 'Default security group has no rules',
  rationale: 'Anything launched without an explicit security group lands in the default one; open, it lets every such instance talk to every other.',
  remediation: 'Manage the default security group with aws_default_security_group and no ingress or egress blocks.',
  checkov: ['CKV2_AWS_12'],
  resourceTypes: ['aws_default_security_group'],
  check(sg) {
    const n = blocks(sg.attrs.ingress).length + blocks(sg.attrs.egress).length;
    return n > 0 ? `${n} rule(s) on the default security group` : undefined;
  },
});
