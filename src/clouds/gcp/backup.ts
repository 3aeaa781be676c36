// ModelBackupBucket on Google Cloud: a GCS bucket with uniform bucket-level access, public access
// prevention, versioning, a CMEK (key ring + rotating key, granted to the GCS service agent), lifecycle
// rules, soft delete, usage logs, an optional retention policy and dual-/multi-region replication;
// grants are bucket IAM members with an object-prefix IAM condition.
import { Construct, IConstruct } from 'constructs';
import { TerraformProvider } from 'cdktf';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { StorageBucket, StorageBucketLifecycleRule } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import type { ModelBackupBucketAttributes } from '../../backup/props';
import type { BackupImpl, BackupSpi, GrantRequest, ResolvedBackupProps, StoreShape } from '../../backup/spi';
import { checkReplicaRegion, GcpCloud } from '../../core/cloud';
import { ErrorScope, InvalidPropError, isLiteral } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { GCS_CLASSES, GCS_MULTI_REGIONS, gcsColdClass, gcsMultiRegionOf, GcsPlacement, gcsPlacement } from './gcs';
import { gcpKeyRingName } from './kms';
import { gcpProvider } from './provider';

/** The group that writes GCS usage and storage logs (https://cloud.google.com/storage/docs/access-logs). */
const ANALYTICS_WRITER = 'group:cloud-storage-analytics@google.com';
const DAY_SECONDS = 86400;
const GCS_NAME = /^(?!goog)(?!.*google)(?!.*g00gle)[a-z0-9][a-z0-9_-]*[a-z0-9]$/;
const CRYPTO_KEY_ID = /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

function checkGcsName(scope: ErrorScope, prop: string, name: string | undefined) {
  if (name === undefined || !isLiteral(name)) return;
  if (typeof name !== 'string' || name.length < 3 || name.length > 63 || !GCS_NAME.test(name)) {
    throw new InvalidPropError(scope, prop, name, 'a GCS bucket name: 3-63 characters; lowercase letters, digits, '
      + "hyphens and underscores; starting and ending with a letter or digit; no 'goog' prefix, no 'google'");
  }
}

/** A dual-region inside the bucket's multi-region, or that multi-region itself. */
function validateReplication(scope: IConstruct, cloud: GcpCloud, p: ResolvedBackupProps): void {
  const r = p.replication;
  if (!r) return;
  if (GCS_MULTI_REGIONS[r.region]) {
    const multi = gcsMultiRegionOf(cloud.region);
    if (multi !== r.region) {
      throw new InvalidPropError(scope, 'replication.region', r.region, `the multi-region that holds ${cloud.region} (${multi ?? 'none'}), or a second region`);
    }
    if (r.rpo === 'turbo') {
      throw new InvalidPropError(scope, 'replication.rpo', r.rpo, "'default' with a multi-region: GCS turbo replication is for dual-regions");
    }
  } else {
    checkReplicaRegion(scope, 'replication.region', cloud, r.region);
    const multi = gcsMultiRegionOf(cloud.region);
    if (!multi || gcsMultiRegionOf(r.region) !== multi) {
      throw new InvalidPropError(scope, 'replication.region', r.region, `a region that forms a configurable dual-region with ${cloud.region}: `
        + `both in one of ${Object.entries(GCS_MULTI_REGIONS).map(([m, rs]) => `${m} (${rs.join(', ')})`).join('; ')}`);
    }
  }
}

function validate(scope: IConstruct, cloud: GcpCloud, p: ResolvedBackupProps, versionedGiven: boolean | undefined): void {
  checkGcsName(scope, 'bucketName', p.bucketName);
  if (p.objectLock && versionedGiven === true) {
    throw new InvalidPropError(scope, 'versioned', true,
      'false or unset with objectLock on GCP: a GCS retention policy and Object Versioning exclude each other (the retention policy already prevents overwrites and deletes)');
  }
  validateReplication(scope, cloud, p);
  const base = p.gcp.storageClass ?? 'STANDARD';
  if (p.coldStorageAfterDays !== undefined && GCS_CLASSES.indexOf(gcsColdClass(p.coldStorageClass)) <= GCS_CLASSES.indexOf(base)) {
    throw new InvalidPropError(scope, 'coldStorageClass', p.coldStorageClass,
      `a tier colder than gcp.storageClass ${base}: 'infrequent' (NEARLINE) or 'cold' (COLDLINE) after STANDARD, 'cold' after NEARLINE`);
  }
  const key = p.encryptionKey;
  if (key) {
    if (key.kind !== 'gcp-kms') throw new InvalidPropError(scope, 'encryptionKey.kind', key.kind, "'gcp-kms' on a GCP bucket");
    if (isLiteral(key.cryptoKeyId)) {
      const want = gcsPlacement(cloud.region, p.replication?.region).kmsLocation;
      const m = CRYPTO_KEY_ID.exec(key.cryptoKeyId);
      if (!m || m[1] !== want) {
        throw new InvalidPropError(scope, 'encryptionKey.cryptoKeyId', key.cryptoKeyId,
          `projects/<project>/locations/${want}/keyRings/<ring>/cryptoKeys/<key>: a key in the bucket's location ${want}`);
      }
    }
  }
}

/** What every part of one GCS bucket build shares. */
interface GcpBackupContext {
  readonly scope: Construct;
  readonly cloud: GcpCloud;
  readonly p: ResolvedBackupProps;
  readonly provider: TerraformProvider;
  readonly labels: Record<string, string>;
  readonly agent: DataGoogleStorageProjectServiceAccount;
}

/** A key ring + key in `location` that the GCS service agent may use (Cloud KMS keys must sit in the bucket's location). */
function makeKey(ctx: GcpBackupContext, idPrefix: string, location: string, purpose: string): { ring: KmsKeyRing; cryptoKey: KmsCryptoKey } {
  const { scope, cloud, p, provider } = ctx;
  // Key rings cannot be deleted in Cloud KMS: stable per construct path and key-ring generation (a
  // deployment after a destroy bumps the generation, or imports the ring).
  const ring = new KmsKeyRing(scope, `${idPrefix}KeyRing`, {
    provider,
    project: cloud.project,
    name: gcpKeyRingName(scope, cloud, {}, ...(idPrefix ? [idPrefix.toLowerCase()] : [])),
    location,
  });
  const cryptoKey = new KmsCryptoKey(scope, `${idPrefix}Key`, {
    provider,
    name: purpose,
    keyRing: ring.id,
    purpose: 'ENCRYPT_DECRYPT',
    rotationPeriod: `${p.keyRotationDays * DAY_SECONDS}s`,
    destroyScheduledDuration: `${30 * DAY_SECONDS}s`,
    versionTemplate: { algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION', protectionLevel: 'SOFTWARE' },
    labels: ctx.labels,
    lifecycle: p.forceDestroy ? undefined : { preventDestroy: true },
  });
  return { ring, cryptoKey };
}

function agentAccess(ctx: GcpBackupContext, id: string, cryptoKeyId: string): KmsCryptoKeyIamMember {
  return new KmsCryptoKeyIamMember(ctx.scope, id, {
    provider: ctx.provider,
    cryptoKeyId,
    role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
    member: `serviceAccount:${ctx.agent.emailAddress}`,
  });
}

/**
 * The usage-log bucket, in the primary region. A CMEK must sit in its bucket's location, so when the data
 * bucket's key lives in a multi-region (dual-region replication) the logs get their own regional key.
 */
function renderLogBucket(ctx: GcpBackupContext, placement: GcsPlacement, keyId: string, keyAccess: KmsCryptoKeyIamMember): StorageBucket {
  const { scope, cloud, p, provider } = ctx;
  let logKeyId = keyId;
  let logKeyAccess = keyAccess;
  if (placement.kmsLocation !== cloud.region) {
    logKeyId = makeKey(ctx, 'Logs', cloud.region, 'model-backup-logs').cryptoKey.id;
    logKeyAccess = agentAccess(ctx, 'LogsKeyAccess', logKeyId);
  }
  const logBucket = new StorageBucket(scope, 'AccessLogs', {
    provider,
    project: cloud.project,
    name: physicalName(scope, cloud, { maxLength: 63 }, 'logs'),
    location: cloud.region.toUpperCase(),
    storageClass: 'STANDARD',
    uniformBucketLevelAccess: true,
    publicAccessPrevention: 'enforced',
    versioning: { enabled: false },
    encryption: { defaultKmsKeyName: logKeyId },
    lifecycleRule: [
      { action: { type: 'Delete' }, condition: { age: p.accessLogRetentionDays } },
      { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } },
    ],
    softDeletePolicy: { retentionDurationSeconds: 7 * DAY_SECONDS },
    forceDestroy: p.forceDestroy,
    labels: ctx.labels,
    dependsOn: [logKeyAccess],
  });
  new StorageBucketIamMember(scope, 'AccessLogsWriter', {
    provider,
    bucket: logBucket.name,
    role: 'roles/storage.objectCreator',
    member: ANALYTICS_WRITER,
  });
  return logBucket;
}

function lifecycleRules(p: ResolvedBackupProps): StorageBucketLifecycleRule[] {
  return [
    ...(p.versioned ? [{
      action: { type: 'Delete' },
      condition: { daysSinceNoncurrentTime: p.noncurrentVersionExpirationDays, withState: 'ARCHIVED' },
    }] : []),
    { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: p.abortIncompleteUploadsAfterDays } },
    ...(p.coldStorageAfterDays !== undefined ? [{
      action: { type: 'SetStorageClass', storageClass: gcsColdClass(p.coldStorageClass) },
      condition: { age: p.coldStorageAfterDays, matchesStorageClass: [p.gcp.storageClass ?? 'STANDARD'] },
    }] : []),
  ];
}

/** The bucket the models live in. */
function renderBucket(ctx: GcpBackupContext, name: string, placement: GcsPlacement, keyId: string, keyAccess: KmsCryptoKeyIamMember,
  logBucket: StorageBucket | undefined): StorageBucket {
  const { scope, cloud, p } = ctx;
  const dualRegion = placement.dataLocations !== undefined;
  return new StorageBucket(scope, 'Resource', {
    provider: ctx.provider,
    project: cloud.project,
    name,
    location: placement.location,
    customPlacementConfig: dualRegion ? { dataLocations: [...placement.dataLocations!] } : undefined,
    rpo: dualRegion ? (p.replication?.rpo === 'turbo' ? 'ASYNC_TURBO' : 'DEFAULT') : undefined,
    storageClass: p.gcp.storageClass ?? 'STANDARD',
    uniformBucketLevelAccess: true,
    publicAccessPrevention: 'enforced',
    versioning: { enabled: p.versioned },
    encryption: { defaultKmsKeyName: keyId },
    lifecycleRule: lifecycleRules(p),
    softDeletePolicy: { retentionDurationSeconds: p.softDeleteDays * DAY_SECONDS },
    logging: logBucket ? { logBucket: logBucket.name, logObjectPrefix: name } : undefined,
    retentionPolicy: p.objectLock
      ? { retentionPeriod: p.objectLock.days * DAY_SECONDS, isLocked: p.objectLock.mode === 'compliance' }
      : undefined,
    forceDestroy: p.forceDestroy,
    labels: ctx.labels,
    dependsOn: [keyAccess],
    lifecycle: p.forceDestroy ? undefined : { preventDestroy: true },
  });
}

function build(scope: Construct, cloud: GcpCloud, p: ResolvedBackupProps): BackupImpl {
  const provider = gcpProvider(scope, cloud);
  const labels = resourceTags(scope, cloud, p.tags);
  const name = p.bucketName ?? physicalName(scope, cloud, { maxLength: 63 });
  const placement = gcsPlacement(cloud.region, p.replication?.region);
  const agent = new DataGoogleStorageProjectServiceAccount(scope, 'StorageServiceAgent', { provider, project: cloud.project });
  const ctx: GcpBackupContext = { scope, cloud, p, provider, labels, agent };

  const made = p.encryptionKey?.kind !== 'gcp-kms' ? makeKey(ctx, '', placement.kmsLocation, 'model-backup') : undefined;
  const keyId = p.encryptionKey?.kind === 'gcp-kms' ? p.encryptionKey.cryptoKeyId : made!.cryptoKey.id;
  const keyAccess = agentAccess(ctx, 'KeyAccess', keyId);
  const logBucket = p.accessLogs ? renderLogBucket(ctx, placement, keyId, keyAccess) : undefined;
  const bucket = renderBucket(ctx, name, placement, keyId, keyAccess, logBucket);
  return {
    bucketName: name,
    uri: `gs://${name}`,
    clientEnvironment: { GOOGLE_CLOUD_PROJECT: cloud.project },
    // The reference (not the literal) orders grants after the bucket.
    grantTarget: { bucketName: bucket.name },
    gcp: { bucket, keyRing: made?.ring, key: made?.cryptoKey, keyId, keyAccess, logBucket, location: placement.location },
  };
}

function importStore(scope: IConstruct, cloud: GcpCloud, attrs: ModelBackupBucketAttributes): StoreShape {
  const name = attrs.bucketName;
  checkGcsName(scope, 'bucketName', name);
  return { uri: `gs://${name}`, clientEnvironment: { GOOGLE_CLOUD_PROJECT: cloud.project }, grantTarget: { bucketName: name } };
}

/** The CEL condition that limits a bucket role to objects (and listings) under `prefix`. */
export function gcsPrefixCondition(bucketName: string, prefix: string): string {
  return `(resource.type == "storage.googleapis.com/Object" && resource.name.startsWith("projects/_/buckets/${bucketName}/objects/${prefix}"))`
    + ` || (resource.type == "storage.googleapis.com/Bucket" && api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("${prefix}"))`;
}

/**
 * A bucket IAM member for the identity's service account: Storage Object Viewer (read) or Storage Object
 * User (write), limited by an IAM condition to objects and listings under the prefix. The CMEK needs no
 * grant: the GCS service agent encrypts and decrypts.
 */
function grant(scope: Construct, cloud: GcpCloud, { id, target, identity, access, prefix }: GrantRequest): void {
  if (identity.identityKind !== 'gcp-service-account') {
    throw new InvalidPropError(scope, 'identity', `${identity.node.path} (${identity.identityKind}, ${identity.cloud})`,
      `a Google service account identity (gcp-service-account) for a GCS bucket in ${cloud}`);
  }
  const role = access === 'write' ? 'roles/storage.objectUser' : 'roles/storage.objectViewer';
  new StorageBucketIamMember(scope, id, {
    provider: gcpProvider(scope, cloud),
    bucket: target.bucketName,
    role,
    member: identity.principal,
    condition: prefix ? {
      title: `${access}-${prefix}`.slice(0, 100),
      description: `${access} objects under ${prefix} (cdktf-ai-infra)`,
      expression: gcsPrefixCondition(target.bucketName, prefix),
    } : undefined,
  });
}

/** ModelBackupBucket's Google Cloud half (src/backup/spi.ts). */
export const backup: BackupSpi<GcpCloud> = {
  // A GCS retention policy (objectLock) and Object Versioning exclude each other.
  versionedByDefault: ({ objectLock }) => objectLock === undefined,
  validate,
  build,
  importStore,
  grant,
};
