// The Google Cloud resources of a ModelBackupBucket (types only: the construct exposes them as `bucket.gcp`).
import type { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import type { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import type { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import type { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';

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
