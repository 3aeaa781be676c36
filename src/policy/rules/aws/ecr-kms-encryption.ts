import { terraformRule } from '../../rule';
import { dig, isSet } from '../../util';

/** AI-AWS-ECR-3: images are encrypted with a customer-managed key. */
export const EcrKmsEncryption = terraformRule({
  id: 'AI-AWS-ECR-3',
  severity: 'error',
  title: 'ECR repository encrypted with a customer-managed KMS key',
  rationale: 'Images carry the compute core and sometimes baked-in model weights.',
  remediation: 'Set encryption_configuration { encryption_type = "KMS", kms_key = <your key ARN> }.',
  checkov: ['CKV_AWS_136'],
  resourceTypes: ['aws_ecr_repository'],
  check(repo) {
    const type = dig(repo.attrs, 'encryption_configuration', 'encryption_type');
    const key = dig(repo.attrs, 'encryption_configuration', 'kms_key');
    return (type === 'KMS' || type === 'KMS_DSSE') && isSet(key) ? undefined : 'not encrypted with a customer-managed KMS key';
  },
});
