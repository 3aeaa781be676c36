import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { Cloud } from '../../src/core/cloud';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { all, bucketJson, gcp, Json, MAIN, newStack, one, synth } from './helpers';

const rulesOf = (b: Json) => b.lifecycle_rule.map((r: Json) => ({ ...r.action, ...r.condition }));

describe('ModelBackupBucket on GCP: secure defaults with only cloud given', () => {
  const { json, bucket } = bucketJson({ cloud: gcp() });
  const b = one(json, 'google_storage_bucket', MAIN);

  test('a regional GCS bucket with a stable derived name, kept on destroy', () => {
    expect(b.name).toMatch(/^platform-models-[0-9a-f]{8}$/);
    expect(b.location).toBe('US-CENTRAL1');
    expect(b.project).toBe('acme-ml');
    expect(b.storage_class).toBe('STANDARD');
    expect(b.force_destroy).toBe(false);
    expect(b.lifecycle).toEqual({ prevent_destroy: true });
    expect(b.custom_placement_config).toBeUndefined();
    expect(b.rpo).toBeUndefined();
    expect(b.labels).toEqual({ 'managed-by': 'cdktf-ai-infra', 'cdktf-ai-infra-path': 'platform_models' });
  });

  test('uniform bucket-level access, public access prevention enforced, versioning', () => {
    expect(b.uniform_bucket_level_access).toBe(true);
    expect(b.public_access_prevention).toBe('enforced');
    expect(b.versioning).toEqual({ enabled: true });
    expect(b.retention_policy).toBeUndefined();
  });

  test('CMEK: a key ring in the region and a rotating key, granted to the GCS service agent before the bucket', () => {
    const ring = one(json, 'google_kms_key_ring', 'KeyRing');
    expect(ring).toMatchObject({ location: 'us-central1', project: 'acme-ml' });
    expect(ring.name).toMatch(/^platform-models-[0-9a-f]{8}$/);
    const key = one(json, 'google_kms_crypto_key', 'models_Key');
    expect(key).toMatchObject({
      purpose: 'ENCRYPT_DECRYPT', rotation_period: '7776000s', key_ring: '${google_kms_key_ring.models_KeyRing_E015233E.id}',
      version_template: { algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION', protection_level: 'SOFTWARE' },
      lifecycle: { prevent_destroy: true },
    });
    expect(b.encryption).toEqual({ default_kms_key_name: '${google_kms_crypto_key.models_Key_F5140393.id}' });
    const member = one(json, 'google_kms_crypto_key_iam_member', 'KeyAccess');
    expect(member).toMatchObject({
      crypto_key_id: '${google_kms_crypto_key.models_Key_F5140393.id}',
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: 'serviceAccount:${data.google_storage_project_service_account.models_StorageServiceAgent_BE702320.email_address}',
    });
    // (and, on a fresh project, after Cloud Storage's API is on: test/clouds/gcp-apis.test.ts)
    expect(all(json, 'google_storage_project_service_account', 'data')).toEqual([
      { project: 'acme-ml', provider: 'google', depends_on: ['google_project_service.GcpApi-acme-ml-storage'] },
    ]);
    expect(b.depends_on).toEqual(['google_kms_crypto_key_iam_member.models_KeyAccess_4AE119AF', 'google_project_service.GcpApi-acme-ml-storage']);
  });

  test('lifecycle: noncurrent versions deleted after 30 days, incomplete uploads aborted after 7; soft delete 7 days', () => {
    expect(rulesOf(b)).toEqual([
      { type: 'Delete', days_since_noncurrent_time: 30, with_state: 'ARCHIVED' },
      { type: 'AbortIncompleteMultipartUpload', age: 7 },
    ]);
    expect(b.soft_delete_policy).toEqual({ retention_duration_seconds: 7 * 86400 });
  });

  test('usage logs go to a private log bucket the analytics group may write', () => {
    const logs = one(json, 'google_storage_bucket', 'AccessLogs');
    expect(logs.name).toMatch(/^platform-models-logs-[0-9a-f]{8}$/);
    expect(logs).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: 'enforced', location: 'US-CENTRAL1' });
    // A regional bucket's key sits in the same region: the logs share it (no second key ring).
    expect(logs.encryption).toEqual({ default_kms_key_name: b.encryption.default_kms_key_name });
    expect(Object.keys(json.resource.google_kms_key_ring)).toHaveLength(1);
    expect(rulesOf(logs)).toContainEqual({ type: 'Delete', age: 90 });
    expect(b.logging).toEqual({ log_bucket: '${google_storage_bucket.models_AccessLogs_8E4455F7.name}', log_object_prefix: b.name });
    expect(one(json, 'google_storage_bucket_iam_member', 'AccessLogsWriter')).toMatchObject({
      role: 'roles/storage.objectCreator', member: 'group:cloud-storage-analytics@google.com',
    });
  });

  test('uri and client environment', () => {
    expect(bucket.uri).toBe(`gs://${b.name}`);
    expect(bucket.checkpointsUri).toBe(`gs://${b.name}/checkpoints`);
    expect(bucket.clientEnvironment).toEqual({ GOOGLE_CLOUD_PROJECT: 'acme-ml' });
    expect(bucket.gcp?.location).toBe('US-CENTRAL1');
  });

  test('one google provider for the project and region', () => {
    expect(json.provider.google).toEqual([{ project: 'acme-ml', region: 'us-central1', add_terraform_attribution_label: false }]);
  });
});

describe('ModelBackupBucket on GCP: options', () => {
  test('replication to a second region makes a configurable dual-region with the key in the multi-region', () => {
    const { json, bucket } = bucketJson({ cloud: gcp(), replication: { region: 'us-east1' } });
    const b = one(json, 'google_storage_bucket', MAIN);
    expect(b.location).toBe('US');
    expect(b.custom_placement_config).toEqual({ data_locations: ['US-CENTRAL1', 'US-EAST1'] });
    expect(b.rpo).toBe('DEFAULT');
    expect(one(json, 'google_kms_key_ring', /_KeyRing_/).location).toBe('us');
    expect(bucket.gcp?.location).toBe('US');
    // The log bucket stays regional, so its CMEK is a second key in the primary region.
    expect(one(json, 'google_kms_key_ring', 'LogsKeyRing').location).toBe('us-central1');
    const logs = one(json, 'google_storage_bucket', 'AccessLogs');
    expect(logs.encryption).toEqual({ default_kms_key_name: '${google_kms_crypto_key.models_LogsKey_A00E020F.id}' });
    expect(one(json, 'google_kms_crypto_key_iam_member', 'LogsKeyAccess')).toMatchObject({
      crypto_key_id: '${google_kms_crypto_key.models_LogsKey_A00E020F.id}', role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
    });
  });

  test('turbo rpo turns on turbo replication', () => {
    const b = one(bucketJson({ cloud: gcp(), replication: { region: 'us-east4', rpo: 'turbo' } }).json, 'google_storage_bucket', MAIN);
    expect(b.rpo).toBe('ASYNC_TURBO');
  });

  test('replication to a multi-region', () => {
    const { json } = bucketJson({ cloud: Cloud.gcp({ project: 'acme-ml', region: 'europe-west4' }), replication: { region: 'EU' } });
    const b = one(json, 'google_storage_bucket', MAIN);
    expect(b.location).toBe('EU');
    expect(b.custom_placement_config).toBeUndefined();
    expect(b.rpo).toBeUndefined();
    expect(one(json, 'google_kms_key_ring', /_KeyRing_/).location).toBe('eu');
    expect(one(json, 'google_kms_key_ring', 'LogsKeyRing').location).toBe('europe-west4');
  });

  test('object lock: a retention policy (locked for compliance) and no versioning', () => {
    const gov = one(bucketJson({ cloud: gcp(), objectLock: { mode: 'governance', days: 10 } }).json, 'google_storage_bucket', MAIN);
    expect(gov.retention_policy).toEqual({ retention_period: 10 * 86400, is_locked: false });
    expect(gov.versioning).toEqual({ enabled: false });
    expect(rulesOf(gov).map((r: Json) => r.type)).toEqual(['AbortIncompleteMultipartUpload']);
    const comp = one(bucketJson({ cloud: gcp(), objectLock: { mode: 'compliance', days: 365 } }).json, 'google_storage_bucket', MAIN);
    expect(comp.retention_policy).toEqual({ retention_period: 365 * 86400, is_locked: true });
  });

  test('cold storage sets NEARLINE or COLDLINE on standard objects', () => {
    const near = one(bucketJson({ cloud: gcp(), coldStorageAfterDays: 14 }).json, 'google_storage_bucket', MAIN);
    expect(rulesOf(near)).toContainEqual({ type: 'SetStorageClass', storage_class: 'NEARLINE', age: 14, matches_storage_class: ['STANDARD'] });
    const cold = one(bucketJson({ cloud: gcp(), coldStorageAfterDays: 3, coldStorageClass: 'cold' }).json, 'google_storage_bucket', MAIN);
    expect(rulesOf(cold)).toContainEqual({ type: 'SetStorageClass', storage_class: 'COLDLINE', age: 3, matches_storage_class: ['STANDARD'] });
  });

  test('soft delete, rotation and noncurrent expiry are configurable', () => {
    const { json } = bucketJson({ cloud: gcp(), softDeleteDays: 30, keyRotationDays: 180, noncurrentVersionExpirationDays: 3 });
    const b = one(json, 'google_storage_bucket', MAIN);
    expect(b.soft_delete_policy).toEqual({ retention_duration_seconds: 30 * 86400 });
    expect(rulesOf(b)[0]).toEqual({ type: 'Delete', days_since_noncurrent_time: 3, with_state: 'ARCHIVED' });
    expect(one(json, 'google_kms_crypto_key', 'models_Key').rotation_period).toBe(`${180 * 86400}s`);
  });

  test('a user key: no key ring made, the service agent is granted on the given key', () => {
    const cryptoKeyId = 'projects/sec/locations/us-central1/keyRings/r/cryptoKeys/k';
    const { json } = bucketJson({ cloud: gcp(), encryptionKey: { kind: 'gcp-kms', cryptoKeyId } });
    expect(all(json, 'google_kms_key_ring')).toHaveLength(0);
    expect(all(json, 'google_kms_crypto_key')).toHaveLength(0);
    expect(one(json, 'google_kms_crypto_key_iam_member', 'KeyAccess').crypto_key_id).toBe(cryptoKeyId);
    expect(one(json, 'google_storage_bucket', MAIN).encryption).toEqual({ default_kms_key_name: cryptoKeyId });
  });

  test('user labels, forceDestroy, no access logs', () => {
    const { json } = bucketJson({ cloud: gcp(), tags: { team: 'research' }, forceDestroy: true, accessLogs: false });
    const b = one(json, 'google_storage_bucket', MAIN);
    expect(b.labels.team).toBe('research');
    expect(b.force_destroy).toBe(true);
    expect(b.lifecycle).toBeUndefined();
    expect(b.logging).toBeUndefined();
    expect(all(json, 'google_storage_bucket')).toHaveLength(1);
  });

  test("the user's provider is reused", () => {
    const stack = newStack();
    new GoogleProvider(stack, 'mine', { project: 'acme-ml', region: 'us-central1' });
    new ModelBackupBucket(stack, 'models', { cloud: gcp() });
    expect(synth(stack).provider.google).toEqual([{ project: 'acme-ml', region: 'us-central1' }]);
  });
});
