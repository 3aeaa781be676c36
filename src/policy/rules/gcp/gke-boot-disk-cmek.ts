import { terraformRule } from '../../rule';
import { blocks, dig, isOn, isSet } from '../../util';

/** AI-GCP-GKE-10: node boot disks are encrypted with a customer-managed key. */
export const GkeBootDiskCmek = terraformRule({
  id: 'AI-GCP-GKE-10',
  severity: 'error',
  title: 'GKE node boot disks encrypted with a customer-managed key',
  rationale: 'Boot disks cache images, datasets and local checkpoint shards.',
  remediation: 'Set node_config.boot_disk_kms_key to a Cloud KMS key the Compute service agent may use.',
  resourceTypes: ['google_container_node_pool', 'google_container_cluster'],
  check(r) {
    if (r.type === 'google_container_cluster' && (blocks(r.attrs.node_config).length === 0 || isOn(r.attrs.remove_default_node_pool))) return undefined;
    return isSet(dig(r.attrs, 'node_config', 'boot_disk_kms_key')) ? undefined : 'node_config.boot_disk_kms_key unset';
  },
});
