import { terraformRule } from '../../rule';
import { blocks, dig, isOn, isSet } from '../../util';

/** AI-AWS-EC2-2: node disks are encrypted with a customer-managed key. */
export const Ec2EbsEncryption = terraformRule({
  id: 'AI-AWS-EC2-2',
  severity: 'error',
  title: 'EBS volumes encrypted with a customer-managed KMS key',
  rationale: 'Node disks hold container images, local checkpoint shards and datasets staged for training.',
  remediation: 'In each block_device_mappings.ebs (or aws_ebs_volume) set encrypted = true and kms_key_id to your key.',
  checkov: ['CKV_AWS_3'],
  resourceTypes: ['aws_launch_template', 'aws_ebs_volume'],
  check(r) {
    const volumes = r.type === 'aws_ebs_volume' ? [r.attrs] : blocks(r.attrs.block_device_mappings).map((m) => dig(m, 'ebs') as Record<string, unknown>).filter(Boolean);
    const bad = volumes.filter((v) => !isOn(v.encrypted) || !isSet(v.kms_key_id));
    return bad.length ? `${bad.length} volume(s) without encryption by a customer-managed key` : undefined;
  },
});
