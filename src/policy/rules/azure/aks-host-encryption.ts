import { terraformRule } from '../../rule';
import { dig, isOn } from '../../util';

/** AI-AZ-AKS-8: temp disks and caches are encrypted at the host. */
export const AksHostEncryption = terraformRule({
  id: 'AI-AZ-AKS-8',
  severity: 'warning',
  title: 'AKS node pools use encryption at host',
  rationale: 'Encryption at host also covers temp disks and disk caches, where datasets are staged.',
  remediation: 'Set host_encryption_enabled = true on every node pool (the subscription feature EncryptionAtHost must be registered).',
  constructFix: 'no construct prop: once the subscription feature EncryptionAtHost is registered, set hostEncryptionEnabled on the AKS cluster and node pools in GpuTrainingCluster.resources (escape hatch)',
  checkov: ['CKV_AZURE_227'],
  resourceTypes: ['azurerm_kubernetes_cluster', 'azurerm_kubernetes_cluster_node_pool'],
  check(r) {
    const value = r.type === 'azurerm_kubernetes_cluster' ? dig(r.attrs, 'default_node_pool', 'host_encryption_enabled') : r.attrs.host_encryption_enabled;
    return isOn(value) ? undefined : 'host_encryption_enabled is not true';
  },
});
