import { terraformRule } from '../../rule';
import { blocks, dig, isSet, strings } from '../../util';

/** AI-AWS-EKS-1: Kubernetes secrets are envelope-encrypted with a KMS key. */
export const EksSecretsEncryption = terraformRule({
  id: 'AI-AWS-EKS-1',
  severity: 'error',
  title: 'EKS secrets encrypted with a customer-managed KMS key',
  rationale: 'Secrets in etcd (API keys of the inference endpoints, tokens) are otherwise protected by the AWS-owned key only.',
  remediation: 'Add encryption_config { resources = ["secrets"], provider { key_arn = <your key> } } to the aws_eks_cluster.',
  checkov: ['CKV_AWS_58'],
  resourceTypes: ['aws_eks_cluster'],
  check(cluster) {
    const ok = blocks(cluster.attrs.encryption_config).some((c) => strings(c.resources).includes('secrets') && isSet(dig(c, 'provider', 'key_arn')));
    return ok ? undefined : 'no encryption_config for secrets with a KMS key';
  },
});
