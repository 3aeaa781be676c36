// Cloud-neutral helpers of ModelBackupBucket: resolved props, grant targets, prefix and path rules, and
// the region facts (GCS multi-regions, Azure pairs) that validation and the per-cloud parts share.
// No provider imports here: the per-cloud parts (aws.ts, gcp.ts, azure.ts) are loaded lazily.
import { IConstruct } from 'constructs';
import { Token } from 'cdktf';
import { InvalidPropError } from '../core/errors';
import type { AwsModelBackupResources } from './aws';
import type { AzureModelBackupResources } from './azure';
import type { GcpModelBackupResources } from './gcp';
import type {
  AwsModelBackupOptions, AzureModelBackupOptions, BucketEncryptionKey, ColdStorageClass, GcpModelBackupOptions,
  ObjectLockOptions, ReplicationOptions,
} from './model-backup-bucket';

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

/** What a per-cloud builder returns to the construct. */
export interface BackupImpl {
  readonly bucketName: string;
  readonly uri: string;
  readonly clientEnvironment: Record<string, string>;
  readonly grantTarget: GrantTarget;
  readonly aws?: AwsModelBackupResources;
  readonly gcp?: GcpModelBackupResources;
  readonly azure?: AzureModelBackupResources;
}

/** True for a literal value we can check at synth time (not a Terraform reference). */
export function isLiteral(value: string): boolean {
  return !Token.isUnresolved(value);
}

const SEGMENT = /^[A-Za-z0-9._=+@,:~-]+$/;

/**
 * Checks a relative object path (`research/gpt-1b`): no leading slash, no empty, `.` or `..` segments,
 * only URL-safe characters. Returns it without a trailing slash.
 */
export function checkObjectPath(scope: IConstruct | string, prop: string, path: string): string {
  const allowed = "a relative path such as 'research/gpt-1b': no leading '/', no '.' or '..' or empty segments, "
    + "segments of letters, digits and . _ - = + @ , : ~, at most 512 characters";
  if (typeof path !== 'string' || path.length === 0 || path.length > 512 || path.startsWith('/')) {
    throw new InvalidPropError(scope, prop, path, allowed);
  }
  const trimmed = path.replace(/\/+$/, '');
  const segments = trimmed.split('/');
  if (trimmed.length === 0 || segments.some((s) => s === '' || s === '.' || s === '..' || !SEGMENT.test(s))) {
    throw new InvalidPropError(scope, prop, path, allowed);
  }
  return trimmed;
}

/** A grant prefix: a checked object path ending in `/` (so `research` never matches `research-old/`). */
export function normalizePrefix(scope: IConstruct | string, prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  return `${checkObjectPath(scope, 'prefix', prefix)}/`;
}

/**
 * GCS multi-regions and the regions a configurable dual-region may pair inside each
 * (https://cloud.google.com/storage/docs/locations#location-dr). The key ring of a dual- or
 * multi-region bucket lives in the multi-region (`us`, `eu`, `asia`).
 */
export const GCS_MULTI_REGIONS: Readonly<Record<string, readonly string[]>> = {
  US: ['us-central1', 'us-east1', 'us-east4', 'us-east5', 'us-south1', 'us-west1', 'us-west2', 'us-west3', 'us-west4'],
  EU: ['europe-central2', 'europe-north1', 'europe-southwest1', 'europe-west1', 'europe-west3', 'europe-west4',
    'europe-west6', 'europe-west8', 'europe-west9', 'europe-west10', 'europe-west12'],
  ASIA: ['asia-east1', 'asia-east2', 'asia-northeast1', 'asia-northeast2', 'asia-northeast3', 'asia-south1',
    'asia-south2', 'asia-southeast1', 'asia-southeast2'],
};

/** The multi-region that holds a GCP region, if any. */
export function gcsMultiRegionOf(region: string): string | undefined {
  return Object.keys(GCS_MULTI_REGIONS).find((m) => GCS_MULTI_REGIONS[m].includes(region));
}

/** Where a GCS bucket lives: one region, a configurable dual-region, or a multi-region. */
export interface GcsPlacement {
  /** The bucket `location`: `US-CENTRAL1`, or the multi-region code for dual- and multi-regions. */
  readonly location: string;
  /** Regions of a configurable dual-region (upper case), else undefined. */
  readonly dataLocations?: readonly string[];
  /** Cloud KMS location of the bucket's key: the region, or the multi-region in lower case. */
  readonly kmsLocation: string;
}

/** The placement for a primary region and an optional replication target (a region or a multi-region). */
export function gcsPlacement(region: string, replicationRegion?: string): GcsPlacement {
  if (!replicationRegion) return { location: region.toUpperCase(), kmsLocation: region };
  if (GCS_MULTI_REGIONS[replicationRegion]) return { location: replicationRegion, kmsLocation: replicationRegion.toLowerCase() };
  const multi = gcsMultiRegionOf(region) ?? 'US';
  const dataLocations = [region, replicationRegion].map((r) => r.toUpperCase());
  return { location: multi, dataLocations, kmsLocation: multi.toLowerCase() };
}

/**
 * Azure region pairs (https://learn.microsoft.com/azure/reliability/cross-region-replication-azure).
 * Geo-redundant storage (GZRS) copies to the pair; any other location gets object replication.
 */
export const AZURE_PAIRS: Readonly<Record<string, string>> = {
  eastus: 'westus', westus: 'eastus', eastus2: 'centralus', centralus: 'eastus2',
  westus2: 'westcentralus', westcentralus: 'westus2', westus3: 'eastus',
  northcentralus: 'southcentralus', southcentralus: 'northcentralus',
  canadacentral: 'canadaeast', canadaeast: 'canadacentral', brazilsouth: 'southcentralus',
  northeurope: 'westeurope', westeurope: 'northeurope', uksouth: 'ukwest', ukwest: 'uksouth',
  francecentral: 'francesouth', germanywestcentral: 'germanynorth', switzerlandnorth: 'switzerlandwest',
  norwayeast: 'norwaywest', swedencentral: 'swedensouth', uaenorth: 'uaecentral', southafricanorth: 'southafricawest',
  centralindia: 'southindia', southindia: 'centralindia', westindia: 'southindia',
  eastasia: 'southeastasia', southeastasia: 'eastasia', japaneast: 'japanwest', japanwest: 'japaneast',
  koreacentral: 'koreasouth', koreasouth: 'koreacentral',
  australiaeast: 'australiasoutheast', australiasoutheast: 'australiaeast',
};

/** True when `other` is the Azure pair of `location` (then GZRS replicates to it). */
export function isAzurePair(location: string, other: string): boolean {
  return AZURE_PAIRS[location] === other;
}

/** GCS storage classes from warm to cold. */
export const GCS_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE'] as const;

/** The GCS class objects move to for a cold storage tier. */
export function gcsColdClass(tier: ColdStorageClass): 'NEARLINE' | 'COLDLINE' {
  return tier === 'cold' ? 'COLDLINE' : 'NEARLINE';
}

/** The AWS partition of a region (ARNs). */
export function awsPartition(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}
