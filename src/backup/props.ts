// The props of ModelBackupBucket and its imports (types only: the construct, its spi and the clouds share them).
import type { Cloud } from '../core/cloud';

/** The storage class objects move to after `coldStorageAfterDays`. */
export type ColdStorageClass = 'infrequent' | 'cold';

/** A key the user already has, instead of the key the bucket makes. Must be of the bucket's cloud. */
export type BucketEncryptionKey =
  | { readonly kind: 'aws-kms'; /** Key ARN in the bucket's region. */ readonly keyArn: string }
  | { readonly kind: 'gcp-kms'; /** `projects/p/locations/l/keyRings/r/cryptoKeys/k`, in the bucket's KMS location. */ readonly cryptoKeyId: string }
  | {
    readonly kind: 'azure-key-vault';
    /** Resource id of a Key Vault with RBAC authorization and purge protection. */
    readonly keyVaultId: string;
    /** Name of an RSA key in that vault. */
    readonly keyName: string;
  };

/** Write-once retention for every new object. */
export interface ObjectLockOptions {
  /**
   * `governance`: privileged principals may shorten or lift the retention (S3 GOVERNANCE, GCS unlocked
   * retention policy, Azure unlocked immutability policy). `compliance`: nobody can, not even the account
   * root (S3 COMPLIANCE, GCS locked retention policy, Azure locked policy, see `azure.lockImmutabilityPolicy`).
   */
  readonly mode: 'governance' | 'compliance';
  /** Days each object version is retained, 1-36500. */
  readonly days: number;
}

/** A second copy in another region. */
export interface ReplicationOptions {
  /**
   * AWS: the replica bucket's region. GCP: the second region of a configurable dual-region (same
   * multi-region as the bucket's), or a multi-region code `US`, `EU` or `ASIA`. Azure: the paired location
   * (geo-zone-redundant storage) or any other location (object replication to a second account there).
   */
  readonly region: string;
  /**
   * `turbo`: a 15-minute replication target (S3 Replication Time Control, GCS turbo replication on
   * dual-regions). Azure has no equivalent.
   * @default 'default'
   */
  readonly rpo?: 'default' | 'turbo';
}

/** Options only AWS uses; ignored on other clouds. */
export interface AwsModelBackupOptions {
  /**
   * Also deny uploads that do not ask for SSE-KMS explicitly (`x-amz-server-side-encryption` header).
   * Uploads asking for another algorithm are always denied; without the header the bucket key applies.
   * @default false
   */
  readonly denyUnencryptedUploads?: boolean;
}

/** Options only GCP uses; ignored on other clouds. */
export interface GcpModelBackupOptions {
  /** The storage class new objects get. @default 'STANDARD' */
  readonly storageClass?: 'STANDARD' | 'NEARLINE' | 'COLDLINE';
}

/** Options only Azure uses; ignored on other clouds. */
export interface AzureModelBackupOptions {
  /** Storage account name, 3-24 lowercase letters and digits, globally unique. @default - derived from the construct path */
  readonly storageAccountName?: string;
  /**
   * Reach the storage account and key vault over their public endpoints (still Entra ID only, TLS 1.2,
   * no shared keys). Set false when you add private endpoints yourself.
   * @default true
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * Firewall the public endpoints: the account and the key vault deny every network but these (and trusted
   * Azure services). Include the AKS node subnets (with the `Microsoft.Storage` and `Microsoft.KeyVault`
   * service endpoints) and the public IP Terraform runs from (it creates the key through the vault's data plane).
   * @default - none: with `publicNetworkAccess` the endpoints admit all networks (policy rules AI-AZ-KV-2 and
   * AI-AZ-ST-3 are suppressed on the bucket with that reason)
   */
  readonly network?: AzureBackupNetwork;
  /**
   * Lock the immutability policy (irreversible). Azure creates policies unlocked; set this on a later
   * deploy of a `compliance` object lock.
   * @default false
   */
  readonly lockImmutabilityPolicy?: boolean;
  /** Send blob access logs to this Log Analytics workspace (resource id). @default - a workspace is created */
  readonly logAnalyticsWorkspaceId?: string;
  /**
   * Make the account's key HSM-backed (`RSA-HSM` in a Premium vault, FIPS 140-2 Level 2) instead of
   * software-protected. Removes the CKV_AZURE_112 checkov exemption. Not with your own `encryptionKey`. Changing
   * it on a deployed bucket replaces the key (the account re-wraps with the new one).
   * @default false
   */
  readonly hsmKey?: boolean;
}

/** Networks admitted by an Azure bucket's storage and key vault firewalls. */
export interface AzureBackupNetwork {
  /** Subnet resource ids (AKS node subnets, with the Microsoft.Storage and Microsoft.KeyVault service endpoints). @default - none */
  readonly allowedSubnetIds?: readonly string[];
  /** Public IPv4 addresses or CIDRs up to /30 (where Terraform runs; storage firewalls take no /31 or /32). @default - none */
  readonly allowedIpRanges?: readonly string[];
}

export interface ModelBackupBucketProps {
  /** Where the bucket lives. */
  readonly cloud: Cloud;
  /**
   * Bucket name (S3, GCS) or container name (Azure). S3/GCS: 3-63 lowercase letters, digits and hyphens,
   * globally unique (55 on AWS with replication: the replica adds `-replica`).
   * @default - S3/GCS: derived from the construct path (stable, unique); Azure: `models`
   */
  readonly bucketName?: string;
  /**
   * Keep every version of every object.
   * @default true (false on GCP with `objectLock`: a GCS retention policy excludes versioning)
   */
  readonly versioned?: boolean;
  /** Encrypt with this existing key. @default - a new customer-managed key for this bucket */
  readonly encryptionKey?: BucketEncryptionKey;
  /** Rotation period of the key the bucket makes, 90-2560 days. @default 90 */
  readonly keyRotationDays?: number;
  /** Delete old (noncurrent) versions this many days after they were replaced. @default 30 */
  readonly noncurrentVersionExpirationDays?: number;
  /** Move objects to `coldStorageClass` this many days after they were written. @default - never */
  readonly coldStorageAfterDays?: number;
  /**
   * `infrequent`: S3 STANDARD_IA (30 days minimum), GCS NEARLINE, Azure Cool.
   * `cold`: S3 GLACIER_IR, GCS COLDLINE, Azure Cold. All read in milliseconds.
   * @default 'infrequent'
   */
  readonly coldStorageClass?: ColdStorageClass;
  /** Abort multipart uploads left incomplete this many days (AWS, GCP). @default 7 */
  readonly abortIncompleteUploadsAfterDays?: number;
  /** Keep deleted objects restorable this many days, 7-90 (GCS soft delete, Azure blob and container soft delete). @default 7 */
  readonly softDeleteDays?: number;
  /** Log every request to the bucket (S3 server access logs, GCS usage logs, Azure diagnostic logs). @default true */
  readonly accessLogs?: boolean;
  /** Days access logs are kept (Azure: 30-730). @default 90 */
  readonly accessLogRetentionDays?: number;
  /** Write-once retention for new objects. @default - none */
  readonly objectLock?: ObjectLockOptions;
  /** A second copy in another region. @default - none (AWS one region, GCP one region, Azure zone-redundant) */
  readonly replication?: ReplicationOptions;
  /**
   * Let `cdktf destroy` delete the bucket, its objects and its key. By default the data resources carry
   * Terraform `prevent_destroy` and buckets are not force-destroyed, so a destroy fails instead of losing data.
   * @default false
   */
  readonly forceDestroy?: boolean;
  /** Extra tags (AWS, Azure) or labels (GCP). @default - none */
  readonly tags?: Record<string, string>;
  /** AWS-only options. @default - see each */
  readonly aws?: AwsModelBackupOptions;
  /** GCP-only options. @default - see each */
  readonly gcp?: GcpModelBackupOptions;
  /** Azure-only options. @default - see each */
  readonly azure?: AzureModelBackupOptions;
}

/** An existing store, for `ModelBackupBucket.fromBucketAttributes`. */
export interface ModelBackupBucketAttributes {
  readonly cloud: Cloud;
  /** Bucket (S3, GCS) or container (Azure) name. */
  readonly bucketName: string;
  /** AWS: the KMS key of the bucket; grants add kms:Decrypt / GenerateDataKey on it. @default - no KMS statements (SSE-S3) */
  readonly kmsKeyArn?: string;
  /** Azure: the storage account name (required on Azure). @default - none */
  readonly storageAccountName?: string;
  /**
   * Azure: the storage account resource id.
   * @default - built from the cloud target's subscriptionId and resourceGroupName
   */
  readonly storageAccountId?: string;
}
