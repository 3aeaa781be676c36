import { terraformRule } from '../../rule';
import { isSet } from '../../util';

/** AI-AZ-AKS-5: node disks are encrypted with a customer-managed key. */
export const AksDiskEncryption = terraformRule({
  id: 'AI-AZ-AKS-5',
  severity: 'error',
  title: 'AKS node disks encrypted with a customer-managed key (disk encryption set)',
  rationale: 'Node OS and data disks cache images, datasets and local checkpoint shards.',
  remediation: 'Set disk_encryption_set_id to an azurerm_disk_encryption_set backed by your Key Vault key.',
  checkov: ['CKV_AZURE_117'],
  resourceTypes: ['azurerm_kubernetes_cluster'],
  check(cluster) {
    return isSet(cluster.attrs.disk_encryption_set_id) ? undefined : 'disk_encryption_set_id unset';
  },
});
