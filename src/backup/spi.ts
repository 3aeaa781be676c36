// The per-cloud contract of ModelBackupBucket (types only): what the generic construct hands a cloud
// (resolved props, grant requests), what the cloud hands back (names, URIs, resources), and the cloud
// facts generic validation needs (name rules, key checks, defaults), as members of the contract.
// Implemented once per cloud in src/clouds/<cloud>/backup.ts and found through src/clouds/registry.ts.
import type { Construct, IConstruct } from 'constructs';
import type { AwsModelBackupResources } from '../clouds/aws/backup-resources';
import type { AzureModelBackupResources } from '../clouds/azure/backup-resources';
import type { GcpModelBackupResources } from '../clouds/gcp/backup-resources';
import type { Cloud } from '../core/cloud';
import type { IWorkloadIdentity } from '../core/identity';
import type {
  AwsModelBackupOptions, AzureModelBackupOptions, BucketEncryptionKey, ColdStorageClass, GcpModelBackupOptions,
  ModelBackupBucketAttributes, ObjectLockOptions, ReplicationOptions,
} from './props';

/** Read = list + get (+ decrypt); write = read + put + delete (+ encrypt). */
export type GrantAccess = 'read' | 'write';

/** ModelBackupBucketProps after defaults: what the per-cloud builders receive. */
export interface ResolvedBackupProps {
  readonly bucketName?: string;
  readonly versioned: boolean;
  readonly encryptionKey?: BucketEncryptionKey;
  readonly keyRotationDays: number;
  readonly noncurrentVersionExpirationDays: number;
  readonly coldStorageAfterDays?: number;
  readonly coldStorageClass: ColdStorageClass;
  readonly abortIncompleteUploadsAfterDays: number;
  readonly softDeleteDays: number;
  readonly accessLogs: boolean;
  readonly accessLogRetentionDays: number;
  readonly objectLock?: ObjectLockOptions;
  readonly replication?: ReplicationOptions;
  readonly forceDestroy: boolean;
  readonly tags?: Record<string, string>;
  readonly aws: AwsModelBackupOptions;
  readonly gcp: GcpModelBackupOptions;
  readonly azure: AzureModelBackupOptions;
}

/** What a grant needs to know about a store (own or imported). */
export interface GrantTarget {
  /** Bucket (S3, GCS) or container (Azure) name. */
  readonly bucketName: string;
  /** AWS: the bucket ARN. */
  readonly bucketArn?: string;
  /** AWS: the KMS key objects are encrypted with; grants add kms:Decrypt (+ GenerateDataKey) on it. */
  readonly kmsKeyArn?: string;
  /** Azure: the storage account resource id. */
  readonly storageAccountId?: string;
}

/** What any store (own or imported) offers its users: where it is and how grants reach it. */
export interface StoreShape {
  readonly uri: string;
  readonly clientEnvironment: Record<string, string>;
  readonly grantTarget: GrantTarget;
}

/** What a per-cloud builder returns to the construct: the store and its resources (escape hatches). */
export interface BackupImpl extends StoreShape {
  readonly bucketName: string;
  readonly aws?: AwsModelBackupResources;
  readonly gcp?: GcpModelBackupResources;
  readonly azure?: AzureModelBackupResources;
}

/** A grant request: `identity` gets `access` to the objects under `prefix` (all objects when undefined). */
export interface GrantRequest {
  /** Construct id of the grant's resource. */
  readonly id: string;
  readonly target: GrantTarget;
  readonly identity: IWorkloadIdentity;
  readonly access: GrantAccess;
  /** A checked prefix ending in `/`. */
  readonly prefix?: string;
}

/**
 * One cloud's half of ModelBackupBucket. `C` is the cloud's target class; the registry hands each
 * implementation only targets of its own kind (methods, so `BackupSpi<AwsCloud>` fits `BackupSpi`).
 */
export interface BackupSpi<C extends Cloud = Cloud> {
  /** Default of `versioned` when the user leaves it unset. */
  versionedByDefault(props: { readonly objectLock?: ObjectLockOptions }): boolean;
  /**
   * The cloud's rules on resolved props (bucket names, key ids, replication targets, storage tiers);
   * throws InvalidPropError. `versionedGiven` is `versioned` as the user set it.
   */
  validate(scope: IConstruct, cloud: C, p: ResolvedBackupProps, versionedGiven: boolean | undefined): void;
  /** Adds the bucket's resources to `scope` (ids are the construct's API: never rename them). */
  build(scope: Construct, cloud: C, p: ResolvedBackupProps): BackupImpl;
  /** Checks the attributes of an existing store and describes it; adds no resources. */
  importStore(scope: IConstruct, cloud: C, attrs: ModelBackupBucketAttributes): StoreShape;
  /** Adds the policy / IAM member / role assignment of one grant to `scope`. */
  grant(scope: Construct, cloud: C, request: GrantRequest): void;
}
