import { terraformRule } from '../../rule';
import { dig } from '../../util';

/** AI-AWS-EC2-1: instances require IMDSv2 with a hop limit of 1, so pods cannot borrow the node role. */
export const Ec2Imdsv2 = terraformRule({
  id: 'AI-AWS-EC2-1',
  severity: 'error',
  title: 'Launch template requires IMDSv2 with hop limit 1',
  rationale: 'IMDSv1, or a hop limit above 1, lets any pod read the node role credentials from the instance metadata service.',
  remediation: 'Set metadata_options { http_tokens = "required", http_put_response_hop_limit = 1 } on the aws_launch_template.',
  checkov: ['CKV_AWS_79'],
  resourceTypes: ['aws_launch_template'],
  check(template) {
    const tokens = dig(template.attrs, 'metadata_options', 'http_tokens');
    const hops = dig(template.attrs, 'metadata_options', 'http_put_response_hop_limit');
    const problems: string[] = [];
    if (tokens !== 'required') problems.push('http_tokens is not "required"');
    if (typeof hops === 'number' && hops > 1) problems.push(`http_put_response_hop_limit = ${hops}`);
    return problems.length ? problems.join('; ') : undefined;
  },
});
