import { terraformRule } from '../../rule';
import { isSet } from '../../util';

/** AI-AWS-AMP-1: managed Prometheus workspaces are encrypted with a customer-managed key. */
export const AmpKmsEncryption = terraformRule({
  id: 'AI-AWS-AMP-1',
  severity: 'warning',
  title: 'Managed Prometheus workspace encrypted with a customer-managed KMS key',
  rationale: 'Metrics reveal model names, traffic and capacity; a customer key keeps them under the same key policy as the rest of the platform.',
  remediation: 'Set kms_key_arn on the aws_prometheus_workspace.',
  resourceTypes: ['aws_prometheus_workspace'],
  check(ws) {
    return isSet(ws.attrs.kms_key_arn) ? undefined : 'kms_key_arn unset';
  },
});
