import { terraformRule } from '../../rule';
import { attached } from '../../util';

/** AI-AWS-VPC-1: VPC traffic is logged. */
export const VpcFlowLogs = terraformRule({
  id: 'AI-AWS-VPC-1',
  severity: 'warning',
  title: 'VPC flow logs enabled',
  rationale: 'Flow logs show exfiltration and unexpected egress from training nodes after the fact.',
  remediation: 'Add an aws_flow_log with vpc_id = the VPC, to CloudWatch Logs or S3.',
  checkov: ['CKV2_AWS_11'],
  resourceTypes: ['aws_vpc'],
  check(vpc, ctx) {
    return attached(ctx, 'aws_flow_log', vpc, 'vpc_id', 'id').length > 0 ? undefined : 'no aws_flow_log for the VPC';
  },
});
