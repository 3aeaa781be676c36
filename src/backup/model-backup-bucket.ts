import { Construct, IConstruct } from 'constructs';
import { AwsCloud, AzureCloud, Cloud, GcpCloud } from '../core/cloud';
import { check, InvalidPropError } from '../core/errors';
import { stableHash } from '../core/hash';
import { IWorkloadIdentity } from '../core/identity';
import { IModelStore, ModelReference, ModelReferenceOptions } from '../core/model-store';
import { checkUserTags } from '../core/tags';
import type { AwsModelBackupResources } from './aws';
import type { AzureModelBackupResources } from './azure';
import {
  AZURE_PAIRS, BackupImpl, checkObjectPath, GCS_CLASSES, GCS_MULTI_REGIONS, gcsColdClass, gcsMultiRegionOf, gcsPlacement, GrantAccess, GrantTarget,
  isAzurePair, isLiteral, normalizePrefix, ResolvedBackupProps, awsPartition,
} from './common';
import type { GcpModelBackupResources } from './gcp';
import { checkStateLocation } from '../core/state-backend';

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

const S3_NAME = /^(?!xn--)(?!sthree-)(?!amzn-s3-demo-)(?!.*\.\.)(?!.*(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const GCS_NAME = /^(?!goog)(?!.*google)(?!.*g00gle)[a-z0-9][a-z0-9_-]*[a-z0-9]$/;
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]*[a-z0-9]$/;
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

function checkS3Name(scope: IConstruct | string, prop: string, name: string | undefined, reserve: number) {
  if (name === undefined || !isLiteral(name)) return;
  const max = 63 - reserve;
  if (typeof name !== 'string' || name.length < 3 || name.length > max || !S3_NAME.test(name)) {
    throw new InvalidPropError(scope, prop, name, `an S3 bucket name: 3-${max} characters${reserve ? ' (the replica adds -replica)' : ''}; `
      + 'lowercase letters, digits, hyphens and single dots; starting and ending with a letter or digit; not an IP address');
  }
}

function checkGcsName(scope: IConstruct | string, prop: string, name: string | undefined) {
  if (name === undefined || !isLiteral(name)) return;
  if (typeof name !== 'string' || name.length < 3 || name.length > 63 || !GCS_NAME.test(name)) {
    throw new InvalidPropError(scope, prop, name, 'a GCS bucket name: 3-63 characters; lowercase letters, digits, '
      + "hyphens and underscores; starting and ending with a letter or digit; no 'goog' prefix, no 'google'");
  }
}

function checkContainerName(scope: IConstruct | string, prop: string, name: string | undefined) {
  if (name === undefined || !isLiteral(name)) return;
  if (typeof name !== 'string' || name.length < 3 || name.length > 63 || !CONTAINER_NAME.test(name)) {
    throw new InvalidPropError(scope, prop, name, 'an Azure container name: 3-63 characters; lowercase letters, digits '
      + 'and single hyphens; starting and ending with a letter or digit');
  }
}

function checkAccountName(scope: IConstruct | string, prop: string, name: string | undefined) {
  if (name === undefined || !isLiteral(name)) return;
  if (typeof name !== 'string' || !ACCOUNT_NAME.test(name)) {
    throw new InvalidPropError(scope, prop, name, 'an Azure storage account name: 3-24 lowercase letters and digits, globally unique');
  }
}

function checkReplicaRegion(scope: IConstruct, cloud: Cloud, region: string): void {
  if (typeof region !== 'string' || region === cloud.region) {
    throw new InvalidPropError(scope, 'replication.region', region, `a region other than the bucket's own (${cloud.region})`);
  }
  try {
    cloud.inRegion(region);
  } catch (e) {
    if (e instanceof InvalidPropError) throw new InvalidPropError(scope, 'replication.region', region, e.allowed);
    throw e;
  }
}

function validateAws(scope: IConstruct, cloud: AwsCloud, p: ResolvedBackupProps): void {
  checkS3Name(scope, 'bucketName', p.bucketName, p.replication ? 8 : 0);
  const key = p.encryptionKey;
  if (key) {
    if (key.kind !== 'aws-kms') throw new InvalidPropError(scope, 'encryptionKey.kind', key.kind, "'aws-kms' on an AWS bucket");
    if (isLiteral(key.keyArn)) {
      const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$/.exec(key.keyArn);
      if (!m || m[1] !== cloud.region) {
        throw new InvalidPropError(scope, 'encryptionKey.keyArn', key.keyArn,
          `a KMS key ARN (arn:aws:kms:${cloud.region}:<account>:key/<uuid>) in the bucket's region ${cloud.region}`);
      }
    }
  }
  if (p.objectLock && !p.versioned) {
    throw new InvalidPropError(scope, 'objectLock', p.objectLock, 'S3 Object Lock only on a versioned bucket: leave versioned unset or true');
  }
  if (p.replication) {
    if (!p.versioned) {
      throw new InvalidPropError(scope, 'replication', p.replication, 'S3 replication only on a versioned bucket: leave versioned unset or true');
    }
    checkReplicaRegion(scope, cloud, p.replication.region);
  }
  if (p.coldStorageAfterDays !== undefined && p.coldStorageClass === 'infrequent' && p.coldStorageAfterDays < 30) {
    throw new InvalidPropError(scope, 'coldStorageAfterDays', p.coldStorageAfterDays,
      "at least 30 with coldStorageClass 'infrequent' (S3 moves objects to STANDARD_IA after 30 days at the earliest); use 'cold' for sooner");
  }
}

function validateGcp(scope: IConstruct, cloud: GcpCloud, p: ResolvedBackupProps, versionedGiven: boolean | undefined): void {
  checkGcsName(scope, 'bucketName', p.bucketName);
  if (p.objectLock && versionedGiven === true) {
    throw new InvalidPropError(scope, 'versioned', true,
      'false or unset with objectLock on GCP: a GCS retention policy and Object Versioning exclude each other (the retention policy already prevents overwrites and deletes)');
  }
  const r = p.replication;
  if (r) {
    if (GCS_MULTI_REGIONS[r.region]) {
      const multi = gcsMultiRegionOf(cloud.region);
      if (multi !== r.region) {
        throw new InvalidPropError(scope, 'replication.region', r.region, `the multi-region that holds ${cloud.region} (${multi ?? 'none'}), or a second region`);
      }
      if (r.rpo === 'turbo') {
        throw new InvalidPropError(scope, 'replication.rpo', r.rpo, "'default' with a multi-region: GCS turbo replication is for dual-regions");
      }
    } else {
      checkReplicaRegion(scope, cloud, r.region);
      const multi = gcsMultiRegionOf(cloud.region);
      if (!multi || gcsMultiRegionOf(r.region) !== multi) {
        throw new InvalidPropError(scope, 'replication.region', r.region, `a region that forms a configurable dual-region with ${cloud.region}: `
          + `both in one of ${Object.entries(GCS_MULTI_REGIONS).map(([m, rs]) => `${m} (${rs.join(', ')})`).join('; ')}`);
      }
    }
  }
  const base = p.gcp.storageClass ?? 'STANDARD';
  if (p.coldStorageAfterDays !== undefined && GCS_CLASSES.indexOf(gcsColdClass(p.coldStorageClass)) <= GCS_CLASSES.indexOf(base)) {
    throw new InvalidPropError(scope, 'coldStorageClass', p.coldStorageClass,
      `a tier colder than gcp.storageClass ${base}: 'infrequent' (NEARLINE) or 'cold' (COLDLINE) after STANDARD, 'cold' after NEARLINE`);
  }
  const key = p.encryptionKey;
  if (key) {
    if (key.kind !== 'gcp-kms') throw new InvalidPropError(scope, 'encryptionKey.kind', key.kind, "'gcp-kms' on a GCP bucket");
    if (isLiteral(key.cryptoKeyId)) {
      const want = gcsPlacement(cloud.region, r?.region).kmsLocation;
      const m = /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/.exec(key.cryptoKeyId);
      if (!m || m[1] !== want) {
        throw new InvalidPropError(scope, 'encryptionKey.cryptoKeyId', key.cryptoKeyId,
          `projects/<project>/locations/${want}/keyRings/<ring>/cryptoKeys/<key>: a key in the bucket's location ${want}`);
      }
    }
  }
}

function validateAzure(scope: IConstruct, cloud: AzureCloud, p: ResolvedBackupProps): void {
  checkContainerName(scope, 'bucketName', p.bucketName);
  checkAccountName(scope, 'azure.storageAccountName', p.azure.storageAccountName);
  const key = p.encryptionKey;
  if (key) {
    if (key.kind !== 'azure-key-vault') throw new InvalidPropError(scope, 'encryptionKey.kind', key.kind, "'azure-key-vault' on an Azure bucket");
    check.matches(scope, 'encryptionKey.keyVaultId', isLiteral(key.keyVaultId) ? key.keyVaultId : undefined,
      /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i,
      'a Key Vault resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>');
    check.matches(scope, 'encryptionKey.keyName', isLiteral(key.keyName) ? key.keyName : undefined, /^[A-Za-z0-9-]{1,127}$/,
      'a key name: 1-127 letters, digits and hyphens');
  }
  if (p.objectLock && !p.versioned) {
    throw new InvalidPropError(scope, 'objectLock', p.objectLock, 'an account-level immutability policy only with versioning: leave versioned unset or true');
  }
  const net = p.azure.network;
  if (net !== undefined) {
    if (p.azure.publicNetworkAccess === false) {
      throw new InvalidPropError(scope, 'azure.network', net, 'unset with publicNetworkAccess false (a firewall filters the public endpoint)');
    }
    (net.allowedSubnetIds ?? []).forEach((id, i) => check.matches(scope, `azure.network.allowedSubnetIds[${i}]`, isLiteral(id) ? id : undefined,
      /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i,
      'a subnet resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>'));
    (net.allowedIpRanges ?? []).forEach((ip, i) => check.matches(scope, `azure.network.allowedIpRanges[${i}]`, ip,
      /^(\d{1,3}\.){3}\d{1,3}(\/([0-9]|[12][0-9]|30))?$/, 'a public IPv4 address or a CIDR up to /30, e.g. 203.0.113.7 or 203.0.113.0/24'));
    if (!net.allowedSubnetIds?.length && !net.allowedIpRanges?.length) {
      throw new InvalidPropError(scope, 'azure.network', net, 'at least one of allowedSubnetIds, allowedIpRanges (an empty firewall locks out the cluster and Terraform)');
    }
  }
  if (p.azure.lockImmutabilityPolicy && p.objectLock?.mode !== 'compliance') {
    throw new InvalidPropError(scope, 'azure.lockImmutabilityPolicy', true, "true only with objectLock.mode 'compliance'");
  }
  if (p.accessLogs && !p.azure.logAnalyticsWorkspaceId) {
    // The retention of the Log Analytics workspace the bucket makes.
    check.numberInRange(scope, 'accessLogRetentionDays', p.accessLogRetentionDays, 30, 730);
  }
  const r = p.replication;
  if (r) {
    checkReplicaRegion(scope, cloud, r.region);
    if (r.rpo === 'turbo') {
      throw new InvalidPropError(scope, 'replication.rpo', r.rpo, "'default' on Azure: neither geo-redundant storage nor object replication offers a replication-time target");
    }
    if (!isAzurePair(cloud.location, r.region) && !p.versioned) {
      throw new InvalidPropError(scope, 'replication', r,
        `versioned: true for object replication to ${r.region} (or replicate to the pair ${AZURE_PAIRS[cloud.location] ?? '(none)'} with geo-redundant storage)`);
    }
  }
}

/** The part of IModelStore that own and imported stores share: URIs, model references, grants. */
abstract class ModelStoreBase extends Construct implements IModelStore {
  public abstract readonly cloud: Cloud;
  public abstract readonly bucketName: string;
  public abstract readonly uri: string;
  public abstract readonly clientEnvironment: Record<string, string>;
  protected abstract readonly grantTarget: GrantTarget;
  private readonly grants = new Set<string>();

  public get checkpointsUri(): string {
    return `${this.uri}/checkpoints`;
  }

  public get modelsUri(): string {
    return `${this.uri}/models`;
  }

  public grantRead(identity: IWorkloadIdentity, prefix?: string): void {
    this.grant('read', identity, prefix);
  }

  public grantWrite(identity: IWorkloadIdentity, prefix?: string): void {
    this.grant('write', identity, prefix);
  }

  public model(path: string, options: ModelReferenceOptions = {}): ModelReference {
    const clean = checkObjectPath(this, 'model(path)', path);
    check.integerInRange(this, 'model(options.parameterCount)', options.parameterCount, 1);
    check.matches(this, 'model(options.preset)', options.preset, /^[a-z0-9][a-z0-9.-]{0,62}$/, 'a preset name such as gpt-1b');
    check.oneOf(this, 'model(options.select)', options.select, ['newest', 'best']);
    return {
      store: this,
      path: clean,
      uri: `${this.uri}/${clean}`,
      parameterCount: options.parameterCount,
      preset: options.preset,
      select: options.select ?? 'newest',
    };
  }

  private grant(access: GrantAccess, identity: IWorkloadIdentity, prefix: string | undefined): void {
    const clean = normalizePrefix(this, prefix);
    const key = `${access}|${identity.node.path}|${clean ?? ''}`;
    if (this.grants.has(key)) return;
    const id = `${access === 'read' ? 'Read' : 'Write'}Grant${stableHash(key)}`;
    const target = this.grantTarget;
    this.cloud.select<void>({
      aws: (c) => (require('./aws') as typeof import('./aws')).awsGrant(this, id, c, target, identity, access, clean),
      gcp: (c) => (require('./gcp') as typeof import('./gcp')).gcpGrant(this, id, c, target, identity, access, clean),
      azure: (c) => (require('./azure') as typeof import('./azure')).azureGrant(this, id, c, target, identity, access, clean),
    });
    this.grants.add(key);
  }
}

/**
 * The store for checkpoints and model artifacts: an S3 bucket, a GCS bucket or an Azure blob container,
 * with versioning, a customer-managed key, TLS only, no public access, lifecycle rules, access logs and
 * (optionally) object lock and cross-region replication. Grant workload identities access with
 * `grantRead` / `grantWrite`; hand `model(path)` to an inference endpoint.
 */
export class ModelBackupBucket extends ModelStoreBase {
  /** Imports an existing bucket (any cloud); its grants work like a ModelBackupBucket's. */
  public static fromBucketAttributes(scope: Construct, id: string, attrs: ModelBackupBucketAttributes): IModelStore {
    return new ImportedModelStore(scope, id, attrs);
  }

  public readonly cloud: Cloud;
  public readonly bucketName: string;
  public readonly uri: string;
  public readonly clientEnvironment: Record<string, string>;
  /** The S3 bucket, its key, log bucket and replica (AWS only). */
  public readonly aws?: AwsModelBackupResources;
  /** The GCS bucket, key ring, key and log bucket (GCP only). */
  public readonly gcp?: GcpModelBackupResources;
  /** The storage account, container, key vault, key and replica (Azure only). */
  public readonly azure?: AzureModelBackupResources;
  protected readonly grantTarget: GrantTarget;

  constructor(scope: Construct, id: string, props: ModelBackupBucketProps) {
    super(scope, id);
    checkStateLocation(this);
    const resolved = this.validate(props);
    this.cloud = props.cloud;
    const impl = props.cloud.select<BackupImpl>({
      aws: (c) => (require('./aws') as typeof import('./aws')).buildAwsBackup(this, c, resolved),
      gcp: (c) => (require('./gcp') as typeof import('./gcp')).buildGcpBackup(this, c, resolved),
      azure: (c) => (require('./azure') as typeof import('./azure')).buildAzureBackup(this, c, resolved),
    });
    this.bucketName = impl.bucketName;
    this.uri = impl.uri;
    this.clientEnvironment = impl.clientEnvironment;
    this.grantTarget = impl.grantTarget;
    this.aws = impl.aws;
    this.gcp = impl.gcp;
    this.azure = impl.azure;
  }

  /** Checks every prop and applies the defaults; throws InvalidPropError before any child exists. */
  private validate(props: ModelBackupBucketProps): ResolvedBackupProps {
    if (!props || !(props.cloud instanceof Cloud)) {
      throw new InvalidPropError(this, 'cloud', props?.cloud, 'a target from Cloud.aws(...), Cloud.gcp(...) or Cloud.azure(...)');
    }
    const cloud = props.cloud;
    check.integerInRange(this, 'keyRotationDays', props.keyRotationDays, 90, 2560);
    check.integerInRange(this, 'noncurrentVersionExpirationDays', props.noncurrentVersionExpirationDays, 1, 36500);
    check.integerInRange(this, 'coldStorageAfterDays', props.coldStorageAfterDays, 1, 36500);
    check.oneOf(this, 'coldStorageClass', props.coldStorageClass, ['infrequent', 'cold']);
    check.integerInRange(this, 'abortIncompleteUploadsAfterDays', props.abortIncompleteUploadsAfterDays, 1, 365);
    check.integerInRange(this, 'softDeleteDays', props.softDeleteDays, 7, 90);
    check.integerInRange(this, 'accessLogRetentionDays', props.accessLogRetentionDays, 1, 36500);
    if (props.objectLock !== undefined) {
      check.oneOf(this, 'objectLock.mode', props.objectLock.mode, ['governance', 'compliance']);
      if (props.objectLock.mode === undefined) throw new InvalidPropError(this, 'objectLock.mode', undefined, "'governance' or 'compliance'");
      if (props.objectLock.days === undefined) throw new InvalidPropError(this, 'objectLock.days', undefined, 'an integer >= 1 and <= 36500');
      check.integerInRange(this, 'objectLock.days', props.objectLock.days, 1, 36500);
    }
    if (props.replication !== undefined) {
      if (typeof props.replication.region !== 'string') {
        throw new InvalidPropError(this, 'replication.region', props.replication.region, 'a region name');
      }
      check.oneOf(this, 'replication.rpo', props.replication.rpo, ['default', 'turbo']);
    }
    check.oneOf(this, 'gcp.storageClass', props.gcp?.storageClass, ['STANDARD', 'NEARLINE', 'COLDLINE']);
    checkUserTags(this, cloud, props.tags);
    const resolved: ResolvedBackupProps = {
      bucketName: props.bucketName,
      versioned: props.versioned ?? cloud.select({ aws: () => true, gcp: () => props.objectLock === undefined, azure: () => true }),
      encryptionKey: props.encryptionKey,
      keyRotationDays: props.keyRotationDays ?? 90,
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays ?? 30,
      coldStorageAfterDays: props.coldStorageAfterDays,
      coldStorageClass: props.coldStorageClass ?? 'infrequent',
      abortIncompleteUploadsAfterDays: props.abortIncompleteUploadsAfterDays ?? 7,
      softDeleteDays: props.softDeleteDays ?? 7,
      accessLogs: props.accessLogs ?? true,
      accessLogRetentionDays: props.accessLogRetentionDays ?? 90,
      objectLock: props.objectLock,
      replication: props.replication,
      forceDestroy: props.forceDestroy ?? false,
      tags: props.tags,
      aws: props.aws ?? {},
      gcp: props.gcp ?? {},
      azure: props.azure ?? {},
    };
    if (props.azure?.logAnalyticsWorkspaceId !== undefined) {
      check.matches(this, 'azure.logAnalyticsWorkspaceId', isLiteral(props.azure.logAnalyticsWorkspaceId) ? props.azure.logAnalyticsWorkspaceId : undefined,
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i,
        'a Log Analytics workspace resource id');
    }
    cloud.select<void>({
      aws: (c) => validateAws(this, c, resolved),
      gcp: (c) => validateGcp(this, c, resolved, props.versioned),
      azure: (c) => validateAzure(this, c, resolved),
    });
    return resolved;
  }
}

/** A store made elsewhere; grants create policies / IAM members / role assignments in this stack. */
class ImportedModelStore extends ModelStoreBase {
  public readonly cloud: Cloud;
  public readonly bucketName: string;
  public readonly uri: string;
  public readonly clientEnvironment: Record<string, string>;
  protected readonly grantTarget: GrantTarget;

  constructor(scope: Construct, id: string, attrs: ModelBackupBucketAttributes) {
    super(scope, id);
    checkStateLocation(this);
    if (!attrs || !(attrs.cloud instanceof Cloud)) {
      throw new InvalidPropError(this, 'cloud', attrs?.cloud, 'a target from Cloud.aws(...), Cloud.gcp(...) or Cloud.azure(...)');
    }
    if (typeof attrs.bucketName !== 'string' || attrs.bucketName.length === 0) {
      throw new InvalidPropError(this, 'bucketName', attrs.bucketName, 'the bucket (S3, GCS) or container (Azure) name');
    }
    this.cloud = attrs.cloud;
    this.bucketName = attrs.bucketName;
    const name = attrs.bucketName;
    const shape = attrs.cloud.select<{ uri: string; env: Record<string, string>; target: GrantTarget }>({
      aws: (c) => {
        checkS3Name(this, 'bucketName', name, 0);
        check.matches(this, 'kmsKeyArn', attrs.kmsKeyArn !== undefined && isLiteral(attrs.kmsKeyArn) ? attrs.kmsKeyArn : undefined,
          /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$/, 'a KMS key ARN: arn:aws:kms:<region>:<account>:key/<uuid>');
        return {
          uri: `s3://${name}`,
          env: { AWS_REGION: c.region, AWS_DEFAULT_REGION: c.region },
          target: { bucketName: name, bucketArn: `arn:${awsPartition(c.region)}:s3:::${name}`, kmsKeyArn: attrs.kmsKeyArn },
        };
      },
      gcp: (c) => {
        checkGcsName(this, 'bucketName', name);
        return { uri: `gs://${name}`, env: { GOOGLE_CLOUD_PROJECT: c.project }, target: { bucketName: name } };
      },
      azure: (c) => {
        checkContainerName(this, 'bucketName', name);
        const account = attrs.storageAccountName;
        if (account === undefined) {
          throw new InvalidPropError(this, 'storageAccountName', account, 'the storage account that holds the container (required on Azure)');
        }
        checkAccountName(this, 'storageAccountName', account);
        let accountId = attrs.storageAccountId;
        if (accountId === undefined) {
          if (!c.subscriptionId || !c.resourceGroupName) {
            throw new InvalidPropError(this, 'storageAccountId', accountId,
              'the storage account resource id, or a cloud target with subscriptionId and resourceGroupName to build it from');
          }
          accountId = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${account}`;
        }
        check.matches(this, 'storageAccountId', isLiteral(accountId) ? accountId : undefined,
          /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[a-z0-9]{3,24}$/i,
          'a storage account resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>');
        return {
          uri: `az://${account}/${name}`,
          env: { AZURE_STORAGE_ACCOUNT_NAME: account, AZURE_STORAGE_ANON: 'false' },
          target: { bucketName: name, storageAccountId: accountId },
        };
      },
    });
    this.uri = shape.uri;
    this.clientEnvironment = shape.env;
    this.grantTarget = shape.target;
  }
}
