import { TerraformStack } from 'cdktf';
import { describeRules, raw, ref } from './helpers';

const KEY = 'projects/acme-ml/locations/us-central1/keyRings/ai/cryptoKeys/models';

function bucket(s: TerraformStack, body: Record<string, unknown> = {}) {
  return raw(s, 'google_storage_bucket', 'models', {
    name: 'acme-models', location: 'US-CENTRAL1',
    encryption: { default_kms_key_name: KEY },
    public_access_prevention: 'enforced', uniform_bucket_level_access: true,
    versioning: { enabled: true }, logging: { log_bucket: 'acme-logs' },
    ...body,
  });
}

function cluster(s: TerraformStack, body: Record<string, unknown> = {}) {
  return raw(s, 'google_container_cluster', 'train', {
    name: 'train', location: 'us-central1',
    private_cluster_config: { enable_private_nodes: true, enable_private_endpoint: false, master_ipv4_cidr_block: '172.16.0.0/28' },
    master_authorized_networks_config: { cidr_blocks: [{ cidr_block: '10.0.0.0/8', display_name: 'corp' }] },
    database_encryption: { state: 'ENCRYPTED', key_name: KEY },
    workload_identity_config: { workload_pool: 'acme-ml.svc.id.goog' },
    logging_config: { enable_components: ['SYSTEM_COMPONENTS', 'WORKLOADS', 'APISERVER'] },
    datapath_provider: 'ADVANCED_DATAPATH',
    ...body,
  });
}

const goodNodeConfig = {
  service_account: 'gke-nodes@acme-ml.iam.gserviceaccount.com',
  workload_metadata_config: { mode: 'GKE_METADATA' },
  shielded_instance_config: { enable_secure_boot: true, enable_integrity_monitoring: true },
  boot_disk_kms_key: KEY,
};

function pool(s: TerraformStack, nodeConfig: Record<string, unknown> = {}, body: Record<string, unknown> = {}) {
  return raw(s, 'google_container_node_pool', 'gpu', { cluster: 'train', node_config: { ...goodNodeConfig, ...nodeConfig }, management: { auto_repair: true, auto_upgrade: true }, ...body });
}

describeRules({
  'AI-GCP-GCS-1': {
    fail: (s) => bucket(s, { encryption: undefined }),
    pass: (s) => {
      const key = raw(s, 'google_kms_crypto_key', 'k', { name: 'models', key_ring: 'ring', rotation_period: '7776000s' });
      bucket(s, { encryption: { default_kms_key_name: ref(key) } });
    },
  },
  'AI-GCP-GCS-2': {
    fail: (s) => bucket(s, { public_access_prevention: 'inherited' }),
    pass: (s) => bucket(s),
  },
  'AI-GCP-GCS-3': {
    fail: (s) => bucket(s, { uniform_bucket_level_access: false }),
    pass: (s) => bucket(s),
  },
  'AI-GCP-GCS-4': {
    fail: (s) => bucket(s, { versioning: { enabled: false } }),
    pass: (s) => bucket(s),
  },
  'AI-GCP-GCS-5': {
    fail: (s) => bucket(s, { logging: undefined }),
    pass: (s) => {
      const logs = raw(s, 'google_storage_bucket', 'logs', { name: 'acme-logs', location: 'US' });
      bucket(s, { logging: { log_bucket: ref(logs, 'name') } });
    },
  },
  'AI-GCP-IAM-3': {
    fail: (s) => raw(s, 'google_storage_bucket_iam_member', 'pub', { bucket: 'acme-models', role: 'roles/storage.objectViewer', member: 'allUsers' }),
    pass: (s) => raw(s, 'google_storage_bucket_iam_member', 'sa', { bucket: 'acme-models', role: 'roles/storage.objectViewer', member: 'serviceAccount:server@acme-ml.iam.gserviceaccount.com' }),
  },
  'AI-GCP-GKE-1': {
    fail: (s) => cluster(s, { private_cluster_config: undefined }),
    pass: (s) => cluster(s),
  },
  'AI-GCP-GKE-2': {
    fail: (s) => cluster(s, { master_authorized_networks_config: { cidr_blocks: [{ cidr_block: '0.0.0.0/0' }] } }),
    pass: (s) => cluster(s),
  },
  'AI-GCP-GKE-3': {
    fail: (s) => cluster(s, { database_encryption: { state: 'DECRYPTED' } }),
    pass: (s) => cluster(s),
  },
  'AI-GCP-GKE-4': {
    fail: (s) => cluster(s, { workload_identity_config: undefined }),
    pass: (s) => cluster(s),
  },
  'AI-GCP-GKE-5': {
    fail: (s) => cluster(s, { logging_config: { enable_components: ['SYSTEM_COMPONENTS'] } }),
    pass: (s) => cluster(s),
  },
  'AI-GCP-GKE-6': {
    fail: (s) => pool(s, { workload_metadata_config: { mode: 'GCE_METADATA' } }),
    pass: (s) => pool(s),
  },
  'AI-GCP-GKE-7': {
    fail: (s) => pool(s, { service_account: 'default' }),
    pass: (s) => pool(s),
  },
  'AI-GCP-GKE-8': {
    fail: (s) => pool(s, { shielded_instance_config: { enable_integrity_monitoring: true } }),
    pass: (s) => pool(s),
  },
  'AI-GCP-GKE-9': {
    fail: (s) => pool(s, {}, { management: { auto_repair: false, auto_upgrade: true } }),
    pass: (s) => pool(s),
  },
  'AI-GCP-GKE-10': {
    fail: (s) => pool(s, { boot_disk_kms_key: undefined }),
    pass: (s) => pool(s),
  },
  'AI-GCP-GKE-11': {
    fail: (s) => cluster(s, { enable_legacy_abac: true }),
    pass: (s) => cluster(s, { master_auth: { client_certificate_config: { issue_client_certificate: false } } }),
  },
  'AI-GCP-GKE-12': {
    fail: (s) => cluster(s, { datapath_provider: 'LEGACY_DATAPATH' }),
    pass: (s) => cluster(s),
  },
  'AI-GCP-GKE-13': {
    fail: (s) => cluster(s, { deletion_protection: false }),
    pass: (s) => cluster(s, { deletion_protection: true }),
  },
  'AI-GCP-IAM-1': {
    fail: (s) => raw(s, 'google_project_iam_member', 'm', { project: 'acme-ml', role: 'roles/editor', member: 'serviceAccount:x@acme-ml.iam.gserviceaccount.com' }),
    pass: (s) => raw(s, 'google_project_iam_member', 'm', { project: 'acme-ml', role: 'roles/monitoring.metricWriter', member: 'serviceAccount:x@acme-ml.iam.gserviceaccount.com' }),
  },
  'AI-GCP-IAM-2': {
    fail: (s) => raw(s, 'google_service_account_key', 'k', { service_account_id: 'x' }),
    pass: (s) => raw(s, 'google_service_account_iam_member', 'wi', { service_account_id: 'x', role: 'roles/iam.workloadIdentityUser', member: 'serviceAccount:acme-ml.svc.id.goog[research/trainer]' }),
  },
  'AI-GCP-AR-1': {
    fail: (s) => raw(s, 'google_artifact_registry_repository', 'r', { repository_id: 'images', format: 'DOCKER', docker_config: { immutable_tags: true } }),
    pass: (s) => raw(s, 'google_artifact_registry_repository', 'r', { repository_id: 'images', format: 'DOCKER', kms_key_name: KEY, docker_config: { immutable_tags: true } }),
  },
  'AI-GCP-AR-2': {
    fail: (s) => raw(s, 'google_artifact_registry_repository', 'r', { repository_id: 'images', format: 'DOCKER', kms_key_name: KEY }),
    pass: (s) => raw(s, 'google_artifact_registry_repository', 'r', { repository_id: 'images', format: 'DOCKER', kms_key_name: KEY, docker_config: { immutable_tags: true } }),
  },
  'AI-GCP-PUBSUB-1': {
    fail: (s) => raw(s, 'google_pubsub_topic', 't', { name: 'alerts' }),
    pass: (s) => raw(s, 'google_pubsub_topic', 't', { name: 'alerts', kms_key_name: KEY }),
  },
  'AI-GCP-NET-1': {
    fail: (s) => raw(s, 'google_compute_subnetwork', 'n', { name: 'nodes', ip_cidr_range: '10.0.0.0/20', network: 'net' }),
    pass: (s) => raw(s, 'google_compute_subnetwork', 'n', { name: 'nodes', ip_cidr_range: '10.0.0.0/20', network: 'net', private_ip_google_access: true, log_config: { aggregation_interval: 'INTERVAL_5_SEC' } }),
  },
  'AI-GCP-NET-2': {
    fail: (s) => raw(s, 'google_compute_firewall', 'f', { name: 'ssh', network: 'net', allow: [{ protocol: 'tcp', ports: ['22'] }], source_ranges: ['0.0.0.0/0'] }),
    pass: (s) => raw(s, 'google_compute_firewall', 'f', { name: 'iap', network: 'net', allow: [{ protocol: 'tcp', ports: ['22'] }], source_ranges: ['35.235.240.0/20'] }),
  },
  'AI-GCP-SM-1': {
    fail: (s) => raw(s, 'google_secret_manager_secret', 's', { secret_id: 'grafana', replication: { auto: {} } }),
    pass: (s) => raw(s, 'google_secret_manager_secret', 's', { secret_id: 'grafana', replication: { auto: { customer_managed_encryption: { kms_key_name: KEY } } } }),
  },
  'AI-GCP-KMS-2': {
    fail: (s) => raw(s, 'google_kms_crypto_key', 'k', { name: 'models', key_ring: 'ring', rotation_period: '7776000s' }),
    pass: (s) => {
      raw(s, 'google_kms_crypto_key', 'k', { name: 'models', key_ring: 'ring', rotation_period: '7776000s' }).lifecycle = { preventDestroy: true };
    },
  },
  'AI-GCP-KMS-1': {
    fail: (s) => raw(s, 'google_kms_crypto_key', 'k', { name: 'models', key_ring: 'ring', rotation_period: '31536000s' }),
    pass: (s) => raw(s, 'google_kms_crypto_key', 'k', { name: 'models', key_ring: 'ring', rotation_period: '7776000s' }),
  },
});
