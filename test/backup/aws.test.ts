import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Cloud } from '../../src/core/cloud';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { all, aws, bucketJson, Json, MAIN, newStack, one, synth } from './helpers';

const policyOf = (r: Json) => JSON.parse(r.policy);
const statement = (policy: Json, sid: string) => policy.Statement.find((s: Json) => s.Sid === sid);
const actions = (s: Json): string[] => [s.Action].flat();

describe('ModelBackupBucket on AWS: secure defaults with only cloud given', () => {
  const { json, bucket } = bucketJson({ cloud: aws() });

  test('an S3 bucket with a stable derived name, kept on destroy', () => {
    const b = one(json, 'aws_s3_bucket', MAIN);
    expect(b.bucket).toMatch(/^platform-models-[0-9a-f]{8}$/);
    expect(b.bucket.length).toBeLessThanOrEqual(63);
    expect(b.force_destroy).toBe(false);
    expect(b.lifecycle).toEqual({ prevent_destroy: true });
    expect(b.object_lock_enabled).toBeUndefined();
    expect(b.tags).toEqual({ 'managed-by': 'cdktf-ai-infra', 'cdktf-ai-infra-path': 'platform/models' });
    expect(bucket.bucketName).toBe(b.bucket);
  });

  test('versioning is enabled', () => {
    expect(one(json, 'aws_s3_bucket_versioning', 'models_Versioning').versioning_configuration).toEqual({ status: 'Enabled' });
  });

  test('SSE-KMS with the bucket key on and a customer-managed key that rotates', () => {
    const sse = one(json, 'aws_s3_bucket_server_side_encryption_configuration', 'models_Encryption');
    expect(sse.rule).toEqual([{
      apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: '${aws_kms_key.models_Key_F5140393.arn}' },
      bucket_key_enabled: true,
    }]);
    const key = one(json, 'aws_kms_key', 'models_Key');
    expect(key.enable_key_rotation).toBe(true);
    expect(key.rotation_period_in_days).toBe(90);
    expect(key.deletion_window_in_days).toBe(30);
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
    expect(one(json, 'aws_kms_alias', 'models_KeyAlias').name).toMatch(/^alias\/cdktf-ai-infra\/platform-models-[0-9a-f]{8}$/);
  });

  test('the key policy is least privilege: administration, and use only through S3 in the region', () => {
    const policy = policyOf(one(json, 'aws_kms_key', 'models_Key'));
    expect(policy.Statement.map((s: Json) => s.Sid)).toEqual(['KeyAdministration', 'UseOnlyThroughS3']);
    for (const s of policy.Statement) {
      for (const a of actions(s)) expect(a).not.toMatch(/\*/);
      expect(s.Effect).toBe('Allow');
    }
    const admin = statement(policy, 'KeyAdministration');
    expect(actions(admin)).not.toEqual(expect.arrayContaining(['kms:Decrypt']));
    expect(actions(admin)).not.toEqual(expect.arrayContaining(['kms:Encrypt']));
    const use = statement(policy, 'UseOnlyThroughS3');
    expect(use.Condition.StringEquals['kms:ViaService']).toBe('s3.us-east-1.amazonaws.com');
    expect(use.Principal.AWS).toBe('arn:aws:iam::${data.aws_caller_identity.models_CallerIdentity_2D9C8541.account_id}:root');
  });

  test('public access block: all four on; ownership BucketOwnerEnforced', () => {
    const pab = one(json, 'aws_s3_bucket_public_access_block', 'models_PublicAccessBlock');
    expect(pab).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(one(json, 'aws_s3_bucket_ownership_controls', 'models_OwnershipControls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  });

  test('the bucket policy denies requests without TLS and other encryption headers', () => {
    const r = one(json, 'aws_s3_bucket_policy', 'models_Policy');
    expect(r.depends_on).toEqual(['aws_s3_bucket_public_access_block.models_PublicAccessBlock_EC80CAA7']);
    const policy = policyOf(r);
    const tls = statement(policy, 'DenyInsecureTransport');
    expect(tls).toMatchObject({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(tls.Resource).toEqual(['${aws_s3_bucket.models_3A8DAD06.arn}', '${aws_s3_bucket.models_3A8DAD06.arn}/*']);
    const enc = statement(policy, 'DenyNonKmsEncryptionHeader');
    expect(enc.Effect).toBe('Deny');
    expect(enc.Condition.StringNotEquals['s3:x-amz-server-side-encryption']).toEqual(['aws:kms', 'aws:kms:dsse']);
    expect(statement(policy, 'DenyUploadsWithoutKmsHeader')).toBeUndefined();
    expect(policy.Statement.every((s: Json) => s.Effect === 'Deny')).toBe(true);
  });

  test('lifecycle: noncurrent versions expire after 30 days, incomplete uploads abort after 7, no transition', () => {
    const lc = one(json, 'aws_s3_bucket_lifecycle_configuration', 'models_Lifecycle');
    expect(lc.depends_on).toEqual(['aws_s3_bucket_versioning.models_Versioning_804F528E']);
    const byId = Object.fromEntries(lc.rule.map((r: Json) => [r.id, r]));
    expect(Object.keys(byId)).toEqual(['expire-noncurrent-versions', 'abort-incomplete-multipart-uploads']);
    expect(byId['expire-noncurrent-versions'].noncurrent_version_expiration).toEqual([{ noncurrent_days: 30 }]);
    expect(byId['expire-noncurrent-versions'].expiration).toEqual([{ expired_object_delete_marker: true }]);
    expect(byId['abort-incomplete-multipart-uploads'].abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 7 }]);
    for (const r of lc.rule) expect(r.status).toBe('Enabled');
  });

  test('server access logs go to an SSE-S3, blocked, TLS-only log bucket with a lifecycle', () => {
    const logBucket = one(json, 'aws_s3_bucket', 'AccessLogsBucket');
    expect(logBucket.bucket).toMatch(/^platform-models-logs-[0-9a-f]{8}$/);
    expect(one(json, 'aws_s3_bucket_server_side_encryption_configuration', 'AccessLogsEncryption').rule)
      .toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }]);
    expect(one(json, 'aws_s3_bucket_public_access_block', 'AccessLogs')).toMatchObject({
      block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true,
    });
    expect(one(json, 'aws_s3_bucket_ownership_controls', 'AccessLogs').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    const policy = policyOf(one(json, 'aws_s3_bucket_policy', 'AccessLogsPolicy'));
    expect(statement(policy, 'DenyInsecureTransport').Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    const allow = statement(policy, 'AllowS3ServerAccessLogs');
    expect(allow.Principal).toEqual({ Service: 'logging.s3.amazonaws.com' });
    expect(allow.Action).toBe('s3:PutObject');
    expect(allow.Resource).toBe('${aws_s3_bucket.models_AccessLogsBucket_2ABB1E56.arn}/s3-access/*');
    expect(allow.Condition.ArnLike['aws:SourceArn']).toBe('${aws_s3_bucket.models_3A8DAD06.arn}');
    const lc = one(json, 'aws_s3_bucket_lifecycle_configuration', 'AccessLogsLifecycle');
    expect(lc.rule[0].expiration).toEqual([{ days: 90 }]);
    const logging = one(json, 'aws_s3_bucket_logging', 'AccessLogging');
    expect(logging).toMatchObject({
      bucket: '${aws_s3_bucket.models_3A8DAD06.id}',
      target_bucket: '${aws_s3_bucket.models_AccessLogsBucket_2ABB1E56.id}',
      target_prefix: 's3-access/',
    });
  });

  test('no object lock and no replication unless asked', () => {
    expect(all(json, 'aws_s3_bucket_object_lock_configuration')).toHaveLength(0);
    expect(all(json, 'aws_s3_bucket_replication_configuration')).toHaveLength(0);
    expect(all(json, 'aws_s3_bucket')).toHaveLength(2);
    expect(json.provider.aws).toEqual([{ region: 'us-east-1' }]);
  });

  test('uri, prefixes and client environment for the compute core', () => {
    expect(bucket.uri).toBe(`s3://${bucket.bucketName}`);
    expect(bucket.checkpointsUri).toBe(`s3://${bucket.bucketName}/checkpoints`);
    expect(bucket.modelsUri).toBe(`s3://${bucket.bucketName}/models`);
    expect(bucket.clientEnvironment).toEqual({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' });
    expect(bucket.aws?.bucket).toBeDefined();
    expect(bucket.gcp).toBeUndefined();
    expect(bucket.azure).toBeUndefined();
  });
});

describe('ModelBackupBucket on AWS: options', () => {
  test('cold storage moves objects to STANDARD_IA or GLACIER_IR', () => {
    const ia = one(bucketJson({ cloud: aws(), coldStorageAfterDays: 45 }).json, 'aws_s3_bucket_lifecycle_configuration', 'models_Lifecycle');
    expect(ia.rule.find((r: Json) => r.id === 'move-to-colder-storage').transition).toEqual([{ days: 45, storage_class: 'STANDARD_IA' }]);
    const cold = one(bucketJson({ cloud: aws(), coldStorageAfterDays: 5, coldStorageClass: 'cold' }).json,
      'aws_s3_bucket_lifecycle_configuration', 'models_Lifecycle');
    expect(cold.rule.find((r: Json) => r.id === 'move-to-colder-storage').transition).toEqual([{ days: 5, storage_class: 'GLACIER_IR' }]);
  });

  test('noncurrent expiry and multipart abort days are configurable', () => {
    const lc = one(bucketJson({ cloud: aws(), noncurrentVersionExpirationDays: 5, abortIncompleteUploadsAfterDays: 2 }).json,
      'aws_s3_bucket_lifecycle_configuration', 'models_Lifecycle');
    expect(lc.rule[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 5 }]);
    expect(lc.rule[1].abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 2 }]);
  });

  test('denyUnencryptedUploads adds a deny for uploads without the SSE header', () => {
    const policy = policyOf(one(bucketJson({ cloud: aws(), aws: { denyUnencryptedUploads: true } }).json, 'aws_s3_bucket_policy', 'models_Policy'));
    expect(statement(policy, 'DenyUploadsWithoutKmsHeader')).toMatchObject({
      Effect: 'Deny', Action: 's3:PutObject', Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
    });
  });

  test('object lock: enabled on the bucket with a default retention', () => {
    const { json } = bucketJson({ cloud: aws(), objectLock: { mode: 'compliance', days: 30 } });
    expect(one(json, 'aws_s3_bucket', MAIN).object_lock_enabled).toBe(true);
    const lock = one(json, 'aws_s3_bucket_object_lock_configuration', 'ObjectLock');
    expect(lock.rule).toEqual({ default_retention: { mode: 'COMPLIANCE', days: 30 } });
    expect(lock.depends_on).toEqual(['aws_s3_bucket_versioning.models_Versioning_804F528E']);
    const gov = bucketJson({ cloud: aws(), objectLock: { mode: 'governance', days: 1 } }).json;
    expect(one(gov, 'aws_s3_bucket_object_lock_configuration', 'ObjectLock').rule.default_retention.mode).toBe('GOVERNANCE');
  });

  test('forceDestroy lets destroy remove the bucket and key', () => {
    const { json } = bucketJson({ cloud: aws(), forceDestroy: true });
    const b = one(json, 'aws_s3_bucket', MAIN);
    expect(b.force_destroy).toBe(true);
    expect(b.lifecycle).toBeUndefined();
    expect(one(json, 'aws_kms_key', 'models_Key').lifecycle).toBeUndefined();
  });

  test('a user key replaces the made key', () => {
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-1111-2222-3333-444455556666';
    const { json, bucket } = bucketJson({ cloud: aws(), encryptionKey: { kind: 'aws-kms', keyArn } });
    expect(all(json, 'aws_kms_key')).toHaveLength(0);
    expect(one(json, 'aws_s3_bucket_server_side_encryption_configuration', 'models_Encryption').rule[0]
      .apply_server_side_encryption_by_default.kms_master_key_id).toBe(keyArn);
    expect(bucket.aws?.keyArn).toBe(keyArn);
  });

  test('a multi-Region key is accepted', () => {
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';
    expect(bucketJson({ cloud: aws(), encryptionKey: { kind: 'aws-kms', keyArn } }).bucket.aws?.keyArn).toBe(keyArn);
  });

  test('accessLogs: false makes no log bucket', () => {
    const { json } = bucketJson({ cloud: aws(), accessLogs: false });
    expect(all(json, 'aws_s3_bucket')).toHaveLength(1);
    expect(all(json, 'aws_s3_bucket_logging')).toHaveLength(0);
  });

  test('a known account id is used directly (no caller identity lookup)', () => {
    const { json } = bucketJson({ cloud: Cloud.aws({ region: 'us-east-1', accountId: '123456789012' }) });
    expect(json.data).toBeUndefined();
    const policy = policyOf(one(json, 'aws_kms_key', 'models_Key'));
    expect(statement(policy, 'KeyAdministration').Principal.AWS).toBe('arn:aws:iam::123456789012:root');
  });

  test("the user's provider is reused", () => {
    const stack = newStack();
    new AwsProvider(stack, 'mine', { region: 'us-east-1' });
    new ModelBackupBucket(stack, 'models', { cloud: aws() });
    expect(synth(stack).provider.aws).toEqual([{ region: 'us-east-1' }]);
  });

  test('user tags are added to every taggable resource', () => {
    const { json } = bucketJson({ cloud: aws(), tags: { team: 'research' } });
    for (const b of all(json, 'aws_s3_bucket')) expect(b.tags.team).toBe('research');
    expect(one(json, 'aws_kms_key', 'models_Key').tags.team).toBe('research');
  });
});

describe('ModelBackupBucket on AWS: cross-region replication', () => {
  const { json, bucket } = bucketJson({ cloud: aws(), replication: { region: 'us-west-2' } });

  test('a replica bucket in the other region through an aliased provider, with its own key', () => {
    expect(json.provider.aws).toEqual([{ region: 'us-east-1' }, { alias: 'us-west-2', region: 'us-west-2' }]);
    const replica = one(json, 'aws_s3_bucket', 'ReplicaBucket');
    expect(replica.provider).toBe('aws.us-west-2');
    expect(replica.bucket).toMatch(/^platform-models-replica-[0-9a-f]{8}$/);
    const key = one(json, 'aws_kms_key', 'ReplicaKey');
    expect(key.provider).toBe('aws.us-west-2');
    expect(key.enable_key_rotation).toBe(true);
    expect(statement(policyOf(key), 'UseOnlyThroughS3').Condition.StringEquals['kms:ViaService']).toBe('s3.us-west-2.amazonaws.com');
    expect(one(json, 'aws_s3_bucket_server_side_encryption_configuration', 'ReplicaEncryption').rule[0]
      .apply_server_side_encryption_by_default.kms_master_key_id).toBe('${aws_kms_key.models_ReplicaKey_643E6DBB.arn}');
    expect(one(json, 'aws_s3_bucket_versioning', 'ReplicaVersioning').versioning_configuration.status).toBe('Enabled');
    expect(one(json, 'aws_s3_bucket_public_access_block', 'ReplicaPublicAccessBlock').restrict_public_buckets).toBe(true);
    expect(statement(policyOf(one(json, 'aws_s3_bucket_policy', 'ReplicaPolicy')), 'DenyInsecureTransport')).toBeDefined();
    expect(bucket.aws?.replicaBucket).toBeDefined();
  });

  test('the replica logs to its own log bucket in its region; adding replication keeps the bucket name', () => {
    const logs = one(json, 'aws_s3_bucket', 'ReplicaAccessLogsBucket');
    expect(logs.provider).toBe('aws.us-west-2');
    expect(logs.bucket).toMatch(/^platform-models-replica-logs-[0-9a-f]{8}$/);
    expect(one(json, 'aws_s3_bucket_logging', 'ReplicaAccessLogging')).toMatchObject({
      provider: 'aws.us-west-2', bucket: '${aws_s3_bucket.models_ReplicaBucket_C2018E2A.id}',
    });
    expect(one(bucketJson({ cloud: aws() }).json, 'aws_s3_bucket', MAIN).bucket).toBe(one(json, 'aws_s3_bucket', MAIN).bucket);
  });

  test('the replication role is assumable by S3 only and holds only replication actions on the two buckets', () => {
    const role = one(json, 'aws_iam_role', 'ReplicationRole');
    const trust = JSON.parse(role.assume_role_policy);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Principal).toEqual({ Service: 's3.amazonaws.com' });
    const policy = policyOf(one(json, 'aws_iam_role_policy', 'ReplicationPolicy'));
    const allActions = policy.Statement.flatMap(actions);
    expect(allActions.sort()).toEqual([
      'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey',
      's3:GetObjectVersionAcl', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionTagging', 's3:GetReplicationConfiguration',
      's3:ListBucket', 's3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags',
    ]);
    const resources = policy.Statement.flatMap((s: Json) => [s.Resource].flat());
    for (const r of resources) expect(r).toMatch(/^\$\{aws_(s3_bucket|kms_key)\.models_/);
    expect(statement(policy, 'EncryptReplica').Resource).toBe('${aws_kms_key.models_ReplicaKey_643E6DBB.arn}');
    expect(statement(policy, 'DecryptSource').Resource).toBe('${aws_kms_key.models_Key_F5140393.arn}');
  });

  test('the replication rule replicates KMS objects and delete markers into the replica key', () => {
    const rep = one(json, 'aws_s3_bucket_replication_configuration', 'Replication');
    expect(rep.role).toBe('${aws_iam_role.models_ReplicationRole_A0158F0D.arn}');
    expect(rep.depends_on.sort()).toEqual([
      'aws_s3_bucket_versioning.models_ReplicaVersioning_B0E2B6E0', 'aws_s3_bucket_versioning.models_Versioning_804F528E',
    ]);
    const rule = rep.rule[0];
    expect(rule).toMatchObject({
      status: 'Enabled',
      delete_marker_replication: { status: 'Enabled' },
      source_selection_criteria: { sse_kms_encrypted_objects: { status: 'Enabled' } },
    });
    expect(rule.destination).toEqual({
      bucket: '${aws_s3_bucket.models_ReplicaBucket_C2018E2A.arn}',
      storage_class: 'STANDARD',
      encryption_configuration: { replica_kms_key_id: '${aws_kms_key.models_ReplicaKey_643E6DBB.arn}' },
    });
  });

  test('turbo rpo turns on Replication Time Control', () => {
    const turbo = bucketJson({ cloud: aws(), replication: { region: 'us-west-2', rpo: 'turbo' } }).json;
    const dest = one(turbo, 'aws_s3_bucket_replication_configuration', 'Replication').rule[0].destination;
    expect(dest.replication_time).toEqual({ status: 'Enabled', time: { minutes: 15 } });
    expect(dest.metrics).toEqual({ status: 'Enabled', event_threshold: { minutes: 15 } });
  });

  test('object lock is replicated: the replica has it and the role may read retention', () => {
    const locked = bucketJson({ cloud: aws(), replication: { region: 'us-west-2' }, objectLock: { mode: 'governance', days: 7 } }).json;
    expect(one(locked, 'aws_s3_bucket', 'ReplicaBucket').object_lock_enabled).toBe(true);
    const policy = policyOf(one(locked, 'aws_iam_role_policy', 'ReplicationPolicy'));
    expect(actions(statement(policy, 'ReadSourceVersions'))).toEqual(expect.arrayContaining(['s3:GetObjectRetention', 's3:GetObjectLegalHold']));
  });

  test('a user bucket name gives the replica the same name plus -replica', () => {
    const named = bucketJson({ cloud: aws(), bucketName: 'acme-models', replication: { region: 'eu-west-1' } }).json;
    expect(one(named, 'aws_s3_bucket', 'ReplicaBucket').bucket).toBe('acme-models-replica');
    expect(one(named, 'aws_s3_bucket', MAIN).bucket).toBe('acme-models');
  });
});
