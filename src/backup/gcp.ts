// ModelBackupBucket on Google Cloud: a GCS bucket with uniform bucket-level access, public access
// prevention, versioning, a CMEK (key ring + rotating key, granted to the GCS service agent), lifecycle
// rules, soft delete, usage logs, an optional retention policy and dual-/multi-region replication;
// grants are bucket IAM members with an object-prefix IAM condition.
import { Construct } from 'constructs';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { StorageBucket, StorageBucketLifecycleRule } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { gcpKeyRingName } from '../clouds/gcp/kms';
import { gcpProvider } from '../clouds/gcp/provider';
import { GcpCloud } from '../core/cloud';
import { InvalidPropError } from '../core/errors';
import { IWorkloadIdentity } from '../core/identity';
import { physicalName } from '../core/naming';
import { resourceTags } from '../core/tags';
import { BackupImpl, gcsColdClass, gcsPlacement, GrantAccess, GrantTarget, ResolvedBackupProps } from './common';

/** The Google Cloud resources of a ModelBackupBucket (escape hatches). */
export interface GcpModelBackupResources {
  readonly bucket: StorageBucket;
  /** The key ring and key the bucket made; undefined when `encryptionKey` was given. */
  readonly keyRing?: KmsKeyRing;
  readonly key?: KmsCryptoKey;
  /** Id of the key objects are encrypted with (made or given). */
  readonly keyId: string;
  /** The GCS service agent's encrypter/decrypter grant on the key. */
  readonly keyAccess: KmsCryptoKeyIamMember;
  readonly logBucket?: StorageBucket;
  /** Bucket location: a region, or `US`/`EU`/`ASIA` for dual- and multi-regions. */
  readonly location: string;
}

/** The group that writes GCS usage and storage logs (https://cloud.google.com/storage/docs/access-logs). */
const ANALYTICS_WRITER = 'group:cloud-storage-analytics@google.com';
const DAY_SECONDS = 86400;

export function buildGcpBackup(scope: Construct, cloud: GcpCloud, p: ResolvedBackupProps): BackupImpl {
  const provider = gcpProvider(scope, cloud);
  const labels = resourceTags(scope, cloud, p.tags);
  const name = p.bucketName ?? physicalName(scope, cloud, { maxLength: 63 });
  const placement = gcsPlacement(cloud.region, p.replication?.region);

  const agent = new DataGoogleStorageProjectServiceAccount(scope, 'StorageServiceAgent', { provider, project: cloud.project });
  /** A key ring + key in `location` that the GCS service agent may use (Cloud KMS keys must sit in the bucket's location). */
  const makeKey = (idPrefix: string, location: string, purpose: string) => {
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
      labels,
      lifecycle: p.forceDestroy ? undefined : { preventDestroy: true },
    });
    return { ring, cryptoKey };
  };
  const agentAccess = (id: string, cryptoKeyId: string) => new KmsCryptoKeyIamMember(scope, id, {
    provider,
    cryptoKeyId,
    role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
    member: `serviceAccount:${agent.emailAddress}`,
  });

  let keyRing: KmsKeyRing | undefined;
  let key: KmsCryptoKey | undefined;
  if (p.encryptionKey?.kind !== 'gcp-kms') {
    ({ ring: keyRing, cryptoKey: key } = makeKey('', placement.kmsLocation, 'model-backup'));
  }
  const keyId = p.encryptionKey?.kind === 'gcp-kms' ? p.encryptionKey.cryptoKeyId : key!.id;
  const keyAccess = agentAccess('KeyAccess', keyId);

  let logBucket: StorageBucket | undefined;
  if (p.accessLogs) {
    // The log bucket stays in the primary region. A CMEK must sit in its bucket's location, so when the data
    // bucket's key lives in a multi-region (dual-region replication) the logs get their own regional key.
    let logKeyId = keyId;
    let logKeyAccess = keyAccess;
    if (placement.kmsLocation !== cloud.region) {
      logKeyId = makeKey('Logs', cloud.region, 'model-backup-logs').cryptoKey.id;
      logKeyAccess = agentAccess('LogsKeyAccess', logKeyId);
    }
    logBucket = new StorageBucket(scope, 'AccessLogs', {
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
      labels,
      dependsOn: [logKeyAccess],
    });
    new StorageBucketIamMember(scope, 'AccessLogsWriter', {
      provider,
      bucket: logBucket.name,
      role: 'roles/storage.objectCreator',
      member: ANALYTICS_WRITER,
    });
  }

  const lifecycleRule: StorageBucketLifecycleRule[] = [
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
  const dualRegion = placement.dataLocations !== undefined;
  const bucket = new StorageBucket(scope, 'Resource', {
    provider,
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
    lifecycleRule,
    softDeletePolicy: { retentionDurationSeconds: p.softDeleteDays * DAY_SECONDS },
    logging: logBucket ? { logBucket: logBucket.name, logObjectPrefix: name } : undefined,
    retentionPolicy: p.objectLock
      ? { retentionPeriod: p.objectLock.days * DAY_SECONDS, isLocked: p.objectLock.mode === 'compliance' }
      : undefined,
    forceDestroy: p.forceDestroy,
    labels,
    dependsOn: [keyAccess],
    lifecycle: p.forceDestroy ? undefined : { preventDestroy: true },
  });

  return {
    bucketName: name,
    uri: `gs://${name}`,
    clientEnvironment: { GOOGLE_CLOUD_PROJECT: cloud.project },
    // The reference (not the literal) orders grants after the bucket.
    grantTarget: { bucketName: bucket.name },
    gcp: { bucket, keyRing, key, keyId, keyAccess, logBucket, location: placement.location },
  };
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
export function gcpGrant(scope: Construct, id: string, cloud: GcpCloud, target: GrantTarget, identity: IWorkloadIdentity,
  access: GrantAccess, prefix: string | undefined): void {
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
