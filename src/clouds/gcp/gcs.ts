// Cloud Storage placement and storage-class facts (ModelBackupBucket's validation and rendering on GCP).
import type { ColdStorageClass } from '../../backup/props';

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

/** GCS storage classes from warm to cold. */
export const GCS_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE'] as const;

/** The GCS class objects move to for a cold storage tier. */
export function gcsColdClass(tier: ColdStorageClass): 'NEARLINE' | 'COLDLINE' {
  return tier === 'cold' ? 'COLDLINE' : 'NEARLINE';
}
