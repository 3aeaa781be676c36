import { parse } from 'yaml';
import { Gpu } from '../../src/core/gpu';
import { WorkloadIdentity } from '../../src/core/workload-identity';
import { all, byId, clusterJson, gcp, Json, one, release } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

describe('GpuTrainingCluster on Google Cloud (GKE)', () => {
  const { json, cluster, stack } = clusterJson({
    cloud: gcp(),
    gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 4, capacity: ['reserved', 'on-demand', 'spot'], reservation: { id: 'h100-block' } }],
  });
  const gke = one(json, 'google_container_cluster', /^train_[0-9A-F]{8}$/);
  const pools = byId(json, 'google_container_node_pool');
  const gpuPools = (Object.values(pools).filter((p: Json) => p.node_config.guest_accelerator) as Json[]).sort((a, b) => a.name.localeCompare(b.name));

  test('regional GKE with private nodes, workload identity, shielded nodes, a release channel', () => {
    expect(gke.location).toBe('us-central1');
    expect(gke.private_cluster_config).toMatchObject({ enable_private_nodes: true, enable_private_endpoint: true });
    expect(gke.master_authorized_networks_config).toEqual({ gcp_public_cidrs_access_enabled: false, cidr_blocks: [] });
    expect(gke.workload_identity_config).toEqual({ workload_pool: 'acme-ml.svc.id.goog' });
    expect(gke.enable_shielded_nodes).toBe(true);
    expect(gke.release_channel).toEqual({ channel: 'REGULAR' });
    expect(gke.remove_default_node_pool).toBe(true);
    expect(gke.networking_mode).toBe('VPC_NATIVE');
    expect(gke.deletion_protection).toBe(true);
    expect(gke.enable_legacy_abac).toBe(false);
  });

  test('etcd secrets encrypted with a rotated Cloud KMS key the GKE agent may use', () => {
    expect(gke.database_encryption).toEqual({ state: 'ENCRYPTED', key_name: expect.stringMatching(/google_kms_crypto_key\.train_SecretsKey_[0-9A-F]+\.id/) });
    expect(one(json, 'google_kms_crypto_key', 'SecretsKey').rotation_period).toBe('7776000s');
    expect(one(json, 'google_kms_crypto_key_iam_member', 'SecretsKeyAgent')).toMatchObject({
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: expect.stringMatching(/^serviceAccount:service-\$\{data\.google_project\.[^}]+\.number\}@container-engine-robot\.iam\.gserviceaccount\.com$/),
    });
  });

  test('network: custom VPC, private Google access, secondary ranges, Cloud NAT', () => {
    const subnet = all(json, 'google_compute_subnetwork')[0];
    expect(subnet.private_ip_google_access).toBe(true);
    expect(subnet.secondary_ip_range.map((r: Json) => r.range_name)).toEqual(['pods', 'services']);
    expect(all(json, 'google_compute_network')[0].auto_create_subnetworks).toBe(false);
    expect(all(json, 'google_compute_router_nat')[0].source_subnetwork_ip_ranges_to_nat).toBe('ALL_SUBNETWORKS_ALL_IP_RANGES');
  });

  test('node service account: GKE\'s minimal node role and Artifact Registry reader, nothing broad', () => {
    const roles = all(json, 'google_project_iam_member').map((m) => m.role).sort();
    expect(roles).toEqual(['roles/artifactregistry.reader', 'roles/container.defaultNodeServiceAccount']);
    expect(roles.some((r) => /owner|editor/.test(r))).toBe(false);
  });

  test('system pool: on-demand, 2..4 nodes in total, balanced across zones', () => {
    const sys = pools[Object.keys(pools).find((k) => k.includes('SystemNodes'))!];
    expect(sys.autoscaling).toEqual({ total_min_node_count: 2, total_max_node_count: 4, location_policy: 'BALANCED' });
    expect(sys.node_config.spot).toBeUndefined();
    expect(sys.node_config.workload_metadata_config).toEqual({ mode: 'GKE_METADATA' });
  });

  test('GPU pools: guest accelerator with GKE driver install, taint, autoscaling 0..N, reserved+on-demand and spot pools', () => {
    // (names carry a hash of the settings that replace a pool: test/clouds/node-pool-rotation.test.ts)
    expect(gpuPools.map((p) => [p.name, p.node_config.spot])).toEqual([['h100-80gb-od-a3c4', false], ['h100-80gb-spot-da09', true]]);
    for (const p of gpuPools) {
      expect(p.node_config.guest_accelerator).toEqual([{ type: 'nvidia-h100-80gb', count: 8, gpu_driver_installation_config: { gpu_driver_version: 'LATEST' } }]);
      expect(p.node_config.machine_type).toBe('a3-highgpu-8g');
      expect(p.node_config.taint).toEqual([
        { key: 'nvidia.com/gpu', value: 'present', effect: 'NO_SCHEDULE' },
        { key: 'cloud.google.com/compute-class', value: 'h100-80gb', effect: 'NO_SCHEDULE' },
      ]);
      expect(p.node_config.labels['cloud.google.com/compute-class']).toBe('h100-80gb');
      expect(p.autoscaling).toEqual({ total_min_node_count: 0, total_max_node_count: 4, location_policy: 'ANY' });
      expect(p.node_config.shielded_instance_config).toEqual({ enable_secure_boot: true, enable_integrity_monitoring: true });
      expect(p.node_config.boot_disk_kms_key).toMatch(/DiskKey/);
      expect(p.node_config.labels['cdktf-ai-infra/pool']).toBe('h100-80gb');
    }
    expect(gpuPools[0].node_config.reservation_affinity).toEqual({
      consume_reservation_type: 'SPECIFIC_RESERVATION', key: 'compute.googleapis.com/reservation-name', values: ['h100-block'],
    });
    expect(gpuPools[1].node_config.reservation_affinity).toEqual({ consume_reservation_type: 'NO_RESERVATION' });
  });

  test('the ladder order: a ComputeClass lists the reserved/on-demand pool before the spot pool; pods select it', () => {
    const objects = cluster.clusterConfig!.render().objects as Json[];
    expect(objects).toEqual([{
      apiVersion: 'cloud.google.com/v1', kind: 'ComputeClass',
      metadata: { name: 'h100-80gb', labels: { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' } },
      spec: {
        priorities: [{ nodepools: ['h100-80gb-od-a3c4'] }, { nodepools: ['h100-80gb-spot-da09'] }],
        nodePoolAutoCreation: { enabled: false }, whenUnsatisfiable: 'DoNotScaleUp',
      },
    }]);
    expect(cluster.gpuPools[0].nodeSelector).toEqual({ 'cdktf-ai-infra/pool': 'h100-80gb', 'cloud.google.com/compute-class': 'h100-80gb' });
    expect(cluster.gpuPools[0].taints).toContainEqual({ key: 'cloud.google.com/compute-class', value: 'h100-80gb', effect: 'NoSchedule' });
    const config = all(json, 'helm_release').find((r) => r.name === 'cdktf-ai-infra-cluster-config');
    expect(config).toMatchObject({ namespace: 'kube-system', provider: `helm.${json.provider.helm[0].alias}` });
    expect(cluster.addOnDependencies).toContain(cluster.clusterConfig!.release);
  });

  test('queued provisioning (DWS) and compact placement', () => {
    const j = clusterJson({
      cloud: gcp(), zones: ['us-central1-a', 'us-central1-b'],
      gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 8, queuedProvisioning: true, compactPlacement: true }],
    }).json;
    const p = all(j, 'google_container_node_pool').find((n) => n.node_config.guest_accelerator);
    expect(p.queued_provisioning).toEqual({ enabled: true });
    expect(p.management.auto_repair).toBe(false);
    expect(p.node_config.reservation_affinity).toEqual({ consume_reservation_type: 'NO_RESERVATION' });
    expect(p.placement_policy).toEqual({ type: 'COMPACT' });
    expect(p.node_locations).toEqual(['us-central1-a']);
    expect(p.node_config.taint).toHaveLength(1);
    expect(all(j, 'helm_release').some((r) => r.name === 'cdktf-ai-infra-cluster-config')).toBe(false);
  });

  test('add-ons: GKE runs the device plugin; DCGM exporter mounts the GKE driver path; Kueue; gke-gcloud-auth-plugin', () => {
    expect(all(json, 'helm_release').filter((r) => r.repository).map((r) => r.chart).sort()).toEqual(['dcgm-exporter', 'kueue', 'kured']);
    const dcgm = parse(release(json, 'dcgm-exporter').values[0]);
    expect(dcgm.extraHostVolumes).toEqual([{ name: 'nvidia-driver', hostPath: '/home/kubernetes/bin/nvidia' }]);
    expect(dcgm.extraVolumeMounts).toHaveLength(2);
    const helm = json.provider.helm[0];
    expect(helm.kubernetes.exec.command).toBe('gke-gcloud-auth-plugin');
    expect(helm.kubernetes.host).toMatch(/^https:\/\/\$\{google_container_cluster\./);
    expect(helm.kubernetes.cluster_ca_certificate).toMatch(/^\$\{base64decode\(google_container_cluster\.[^.]+\.master_auth\[0\]\.cluster_ca_certificate\)\}$/);
  });

  test('cost counts the spot pool separately (its own max): 2 x 4 nodes x 88.49 $/h x 730 h + control plane', () => {
    expect(cluster.estimatedMonthlyCost).toBe(516854.6);
  });

  test('bindServiceAccount: workloadIdentityUser on the GSA for the KSA, and the annotation', () => {
    const identity = new WorkloadIdentity(stack, 'job', { cloud: gcp() });
    expect(cluster.bindServiceAccount(identity, 'research', 'trainer')).toEqual({ 'iam.gke.io/gcp-service-account': identity.workloadRef, 'cdktf-ai-infra/workload-identity-binding': expect.stringMatching(/TfToken/) });
    const j = SynthQuery.fromStack(stack).json;
    const binding = all(j, 'google_service_account_iam_member')[0];
    expect(binding).toMatchObject({ role: 'roles/iam.workloadIdentityUser', member: 'serviceAccount:acme-ml.svc.id.goog[research/trainer]' });
  });

  test('a public endpoint limited to the authorized networks', () => {
    const j = clusterJson({ cloud: gcp(), authorizedNetworks: ['203.0.113.0/24'], releaseChannel: 'STABLE' }).json;
    const c = one(j, 'google_container_cluster', /^train_[0-9A-F]{8}$/);
    expect(c.private_cluster_config.enable_private_endpoint).toBe(false);
    expect(c.master_authorized_networks_config).toEqual({
      gcp_public_cidrs_access_enabled: false, cidr_blocks: [{ cidr_block: '203.0.113.0/24', display_name: 'authorized-0' }],
    });
    expect(c.release_channel.channel).toBe('STABLE');
  });
});
