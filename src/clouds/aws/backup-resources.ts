// The AWS resources of a ModelBackupBucket (types only: the construct exposes them as `bucket.aws`).
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import type { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import type { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import type { S3BucketObjectLockConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration';
import type { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import type { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import type { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import type { S3BucketReplicationConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration';
import type { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import type { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';

/** The AWS resources of a ModelBackupBucket (escape hatches). */
export interface AwsModelBackupResources {
  readonly bucket: S3Bucket;
  /** The key the bucket made; undefined when `encryptionKey` was given. */
  readonly key?: KmsKey;
  /** ARN of the key objects are encrypted with (made or given). */
  readonly keyArn: string;
  readonly versioning?: S3BucketVersioningA;
  readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  readonly publicAccessBlock: S3BucketPublicAccessBlock;
  readonly ownershipControls: S3BucketOwnershipControls;
  readonly policy: S3BucketPolicy;
  readonly lifecycle: S3BucketLifecycleConfiguration;
  readonly objectLock?: S3BucketObjectLockConfigurationA;
  readonly logBucket?: S3Bucket;
  readonly logging?: S3BucketLoggingA;
  readonly replicaBucket?: S3Bucket;
  readonly replicaKey?: KmsKey;
  /** Server access logs of the replica, in the replica's region. */
  readonly replicaLogBucket?: S3Bucket;
  readonly replicationRole?: IamRole;
  readonly replication?: S3BucketReplicationConfigurationA;
}
