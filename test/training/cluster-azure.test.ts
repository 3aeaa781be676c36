import { parse } from 'yaml';
import { Gpu } from '../../src/core/gpu';
import { WorkloadIdentity } from '../../src/core/workload-identity';
import { validateManifests } from '../k8s/validate';
import { all, azure, clusterJson, Json, one, release } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

const CRG = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/gpu/providers/Microsoft.Compute/capacityReservationGroups/h100';

describe('GpuTrainingCluster on Azure (AKS)', () => {
  const { json, cluster, stack } = clusterJson({
    cloud: azure(),
    gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['reserved', 'on-demand', 'spot'], reservation: { id: CRG } }],
    admins: ['11111111-2222-3333-4444-555555555555'],
  });
  const aks = one(json, 'azurerm_kubernetes_cluster', /^train_[0-9A-F]{8}$/);
  const gpuPools = (all(json, 'azurerm_kubernetes_cluster_node_pool') as Json[]).sort((a, b) => a.name.localeCompare(b.name));

  test('AKS: OIDC issuer + workload identity, Entra ID with Azure RBAC, local accounts disabled', () => {
    expect(aks).toMatchObject({ oidc_issuer_enabled: true, workload_identity_enabled: true, local_account_disabled: true, role_based_access_control_enabled: true });
    expect(aks.azure_active_directory_role_based_access_control).toMatchObject({
      azure_rbac_enabled: true, admin_group_object_ids: ['11111111-2222-3333-4444-555555555555'],
    });
    expect(aks.sku_tier).toBe('Standard');
    expect(aks.run_command_enabled).toBe(false);
  });

  test('Azure CNI overlay with Cilium, egress through a NAT gateway', () => {
    expect(aks.network_profile).toMatchObject({
      network_plugin: 'azure', network_plugin_mode: 'overlay', network_policy: 'cilium', network_data_plane: 'cilium', outbound_type: 'userAssignedNATGateway',
    });
    expect(all(json, 'azurerm_subnet_nat_gateway_association')).toHaveLength(1);
    expect(all(json, 'azurerm_subnet')[0].default_outbound_access_enabled).toBe(false);
  });

  test('etcd secrets with a Key Vault key (KMS), RBAC vault with purge protection, control-plane identity limited to the key and the subnet', () => {
    expect(aks.key_management_service.key_vault_key_id).toMatch(/azurerm_key_vault_key\.train_SecretsKey/);
    expect(one(json, 'azurerm_key_vault', 'KeyVault')).toMatchObject({ rbac_authorization_enabled: true, purge_protection_enabled: true });
    expect(aks.identity.type).toBe('UserAssigned');
    const roles = all(json, 'azurerm_role_assignment').map((r) => r.role_definition_name ?? 'custom').sort();
    expect(roles).toEqual([
      'Azure Kubernetes Service RBAC Cluster Admin', 'Key Vault Crypto Officer', 'Key Vault Crypto Service Encryption User', 'Key Vault Crypto User', 'custom',
    ]);
    expect(roles.some((r) => /Owner|Contributor/.test(r))).toBe(false);
    // The deployer's cluster-admin role is scoped to this cluster (it installs the add-ons).
    expect(one(json, 'azurerm_role_assignment', 'DeployerClusterAdmin').scope).toMatch(/azurerm_kubernetes_cluster\.train_[0-9A-F]+\.id/);
    const custom = one(json, 'azurerm_role_definition', 'SubnetJoin');
    expect(custom.permissions[0].actions).toEqual([
      'Microsoft.Network/virtualNetworks/read', 'Microsoft.Network/virtualNetworks/subnets/read', 'Microsoft.Network/virtualNetworks/subnets/join/action',
    ]);
    expect(custom.permissions[0].actions.some((a: string) => a.includes('*'))).toBe(false);
  });

  test('node disks encrypted through a disk encryption set on the vault; control-plane logs (audit) to Log Analytics', () => {
    expect(aks.disk_encryption_set_id).toMatch(/azurerm_disk_encryption_set\.train_DiskEncryptionSet_[0-9A-F]+\.id/);
    expect(one(json, 'azurerm_disk_encryption_set', 'DiskEncryptionSet')).toMatchObject({
      auto_key_rotation_enabled: true, identity: { type: 'SystemAssigned' }, key_vault_key_id: expect.stringMatching(/versionless_id/),
    });
    const diag = one(json, 'azurerm_monitor_diagnostic_setting', 'ControlPlaneLogs');
    expect(diag.enabled_log.map((l: Json) => l.category)).toContain('kube-audit-admin');
    expect(diag.target_resource_id).toMatch(/azurerm_kubernetes_cluster\.train_/);
    expect(one(json, 'azurerm_log_analytics_workspace', 'Logs')).toMatchObject({ retention_in_days: 90, local_authentication_enabled: false });
    expect(aks.private_cluster_enabled).toBe(true);
  });

  test('system pool across zones 1-3, autoscaled, critical add-ons only', () => {
    expect(aks.default_node_pool).toMatchObject({
      name: 'system', zones: ['1', '2', '3'], auto_scaling_enabled: true, min_count: 2, max_count: 4, only_critical_addons_enabled: true,
    });
  });

  test('GPU node pools: one per rung, driver installed, tainted, min 0; spot priority; reserved from the capacity reservation group', () => {
    // (names carry a hash of the settings that replace a pool: test/clouds/node-pool-rotation.test.ts)
    expect(gpuPools.map((p) => [p.name, p.priority])).toEqual([['g0od4b1d', 'Regular'], ['g0rsvf886', 'Regular'], ['g0spot88f8', 'Spot']]);
    for (const p of gpuPools) {
      expect(p).toMatchObject({ vm_size: 'Standard_ND96isr_H100_v5', gpu_driver: 'Install', auto_scaling_enabled: true, min_count: 0, max_count: 2, mode: 'User' });
      expect(p.node_taints[0]).toBe('nvidia.com/gpu=present:NoSchedule');
      expect(p.node_labels['cdktf-ai-infra/gpu']).toBe('h100-80gb');
    }
    const spot = gpuPools[2];
    expect(spot).toMatchObject({ eviction_policy: 'Delete', spot_max_price: -1 });
    expect(spot.node_taints).toContain('kubernetes.azure.com/scalesetpriority=spot:NoSchedule');
    expect(gpuPools[1].capacity_reservation_group_id).toBe(CRG);
    expect(gpuPools[0].capacity_reservation_group_id).toBeUndefined();
  });

  test('the ladder order: the autoscaler expands by priority from a ConfigMap (rsv > od > spot)', () => {
    expect(aks.auto_scaler_profile.expander).toBe('priority');
    const [cm] = cluster.clusterConfig!.render().objects as Json[];
    expect(cm).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'cluster-autoscaler-priority-expander', namespace: 'kube-system' } });
    expect(parse(cm.data.priorities)).toEqual({ 1: ['.*'], 10: ['^aks-g0spot88f8-.*'], 50: ['^aks-g0od4b1d-.*'], 100: ['^aks-g0rsvf886-.*'] });
    expect(() => validateManifests([cm])).not.toThrow();
    const single = clusterJson({ cloud: azure() });
    expect(one(single.json, 'azurerm_kubernetes_cluster', /^train_[0-9A-F]{8}$/).auto_scaler_profile.expander).toBe('least-waste');
    expect(single.cluster.clusterConfig).toBeUndefined();
  });

  test('add-ons: device plugin, DCGM exporter and Kueue tolerate the GPU and spot taints; kubelogin credentials', () => {
    expect(all(json, 'helm_release').filter((r) => r.repository).map((r) => r.chart).sort()).toEqual(['dcgm-exporter', 'kueue', 'kured', 'nvidia-device-plugin']);
    const tolerations = parse(release(json, 'nvidia-device-plugin').values[0]).tolerations;
    expect(tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'kubernetes.azure.com/scalesetpriority', operator: 'Equal', value: 'spot', effect: 'NoSchedule' },
    ]);
    const helm = json.provider.helm[0];
    expect(helm.kubernetes.exec).toMatchObject({ command: 'kubelogin', args: ['get-token', '--login', 'azurecli', '--server-id', '6dae42f8-4368-4678-94ff-3960e28e3630'] });
    expect(JSON.stringify(json)).not.toMatch(/kube_admin_config|client_key|password/);
  });

  test('pool info carries the AKS spot taint; pods need the workload identity label', () => {
    expect(cluster.gpuPools[0].taints).toEqual([
      { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
      { key: 'kubernetes.azure.com/scalesetpriority', value: 'spot', effect: 'NoSchedule' },
    ]);
    expect(cluster.workloadIdentityPodLabels).toEqual({ 'azure.workload.identity/use': 'true' });
    expect(cluster.gpuPools[0].interconnect).toBe('infiniband');
  });

  test('cost counts each rung\'s pool: 3 x 2 nodes x 98.32 $/h x 730 h + control plane', () => {
    expect(cluster.estimatedMonthlyCost).toBe(430714.6);
  });

  test('bindServiceAccount: a federated credential on the identity for the cluster issuer, and the client-id annotation', () => {
    const identity = new WorkloadIdentity(stack, 'job', { cloud: azure() });
    expect(cluster.bindServiceAccount(identity, 'research', 'trainer')).toEqual({ 'azure.workload.identity/client-id': identity.workloadRef, 'cdktf-ai-infra/federated-credential': expect.stringMatching(/TfToken/) });
    const fic = all(SynthQuery.fromStack(stack).json, 'azurerm_federated_identity_credential')[0];
    expect(fic).toMatchObject({
      subject: 'system:serviceaccount:research:trainer', audience: ['api://AzureADTokenExchange'],
      issuer: expect.stringMatching(/azurerm_kubernetes_cluster\.train_[0-9A-F]+\.oidc_issuer_url/),
    });
  });

  test('a regional (non-zonal) GPU pool with zones: []', () => {
    const j = clusterJson({ cloud: azure(), gpuPools: [{ gpu: Gpu.A100_80GB, maxNodes: 1, zones: [] }] }).json;
    const pool = all(j, 'azurerm_kubernetes_cluster_node_pool')[0];
    expect(pool.zones).toBeUndefined();
    expect(one(j, 'azurerm_kubernetes_cluster', /^train_[0-9A-F]{8}$/).default_node_pool.zones).toEqual(['1', '2', '3']);
  });

  test('authorized IP ranges on a public API server', () => {
    const pub = one(clusterJson({ cloud: azure(), authorizedNetworks: ['198.51.100.0/24'] }).json, 'azurerm_kubernetes_cluster', /^train_[0-9A-F]{8}$/);
    expect(pub.api_server_access_profile).toEqual({ authorized_ip_ranges: ['198.51.100.0/24'] });
    expect(pub.private_cluster_enabled).toBe(false);
  });
});
