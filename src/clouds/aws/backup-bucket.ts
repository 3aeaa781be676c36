// The S3 building blocks of ModelBackupBucket on AWS: a bucket with every guard on (public access block,
// BucketOwnerEnforced, SSE, TLS-only policy, lifecycle), its KMS key, and server access logs.
import { Construct } from 'constructs';
import { TerraformProvider } from 'cdktf';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import {
  S3BucketLifecycleConfiguration, S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import type { ResolvedBackupProps } from '../../backup/spi';
import { KEY_USE_ACTIONS, keyPolicy } from './keys';
import type { AwsModelBackupResources } from './backup-resources';

export type Statement = Record<string, unknown>;

const ACCESS_LOG_PREFIX = 's3-access/';

export function s3Service(region: string): string {
  return `s3.${region}.amazonaws.com`;
}

export function policyJson(statements: Statement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * A least-privilege key policy: the account (through IAM policies) may administer the key and may use it
 * only through S3 in the key's region; nobody may use it directly.
 */
function s3KeyPolicy(partition: string, account: string, region: string): string {
  const root = `arn:${partition}:iam::${account}:root`;
  return keyPolicy(root, [{
    sid: 'UseOnlyThroughS3',
    principal: { AWS: root },
    actions: KEY_USE_ACTIONS,
    condition: { StringEquals: { 'kms:ViaService': s3Service(region), 'kms:CallerAccount': account } },
  }]);
}

export function denyInsecureTransport(bucketArn: string): Statement {
  // A deny of every S3 action is the standard TLS-only guard: it grants nothing.
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

export function denyOtherEncryption(bucketArn: string): Statement {
  return {
    Sid: 'DenyNonKmsEncryptionHeader',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:PutObject',
    Resource: `${bucketArn}/*`,
    Condition: {
      StringNotEquals: { 's3:x-amz-server-side-encryption': ['aws:kms', 'aws:kms:dsse'] },
      Null: { 's3:x-amz-server-side-encryption': 'false' },
    },
  };
}

export function denyUnencryptedUploads(bucketArn: string): Statement {
  return {
    Sid: 'DenyUploadsWithoutKmsHeader',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:PutObject',
    Resource: `${bucketArn}/*`,
    Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
  };
}

export interface SecureBucketOptions {
  readonly provider: TerraformProvider;
  readonly name: string;
  /** SSE-KMS with this key; undefined: SSE-S3 (AES-256). */
  readonly kmsKeyArn?: string;
  readonly versioned: boolean;
  readonly objectLock: boolean;
  readonly forceDestroy: boolean;
  readonly tags: Record<string, string>;
  readonly rules: (versioned: boolean) => S3BucketLifecycleConfigurationRule[];
  readonly statements: (bucketArn: string) => Statement[];
}

/** The guarded bucket's resources: the bucket half of what `bucket.aws` exposes. */
export type SecureBucket = Pick<AwsModelBackupResources,
  'bucket' | 'versioning' | 'encryption' | 'publicAccessBlock' | 'ownershipControls' | 'policy' | 'lifecycle'>;

/** An S3 bucket with every guard on; `prefix` names the children ('' for the main bucket). */
export function secureBucket(scope: Construct, prefix: string, o: SecureBucketOptions): SecureBucket {
  const id = (name: string) => `${prefix}${name}`;
  const bucket = new S3Bucket(scope, prefix ? `${prefix}Bucket` : 'Resource', {
    provider: o.provider,
    bucket: o.name,
    forceDestroy: o.forceDestroy,
    objectLockEnabled: o.objectLock || undefined,
    tags: o.tags,
    lifecycle: o.forceDestroy ? undefined : { preventDestroy: true },
  });
  const publicAccessBlock = new S3BucketPublicAccessBlock(scope, id('PublicAccessBlock'), {
    provider: o.provider,
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  // Object events go to EventBridge (free for S3 events on the default bus): audit rules and reactions attach
  // there, with no queue or topic to own. A bucket has one notification configuration: extend this one.
  new S3BucketNotification(scope, id('Notifications'), { provider: o.provider, bucket: bucket.id, eventbridge: true });
  const ownershipControls = new S3BucketOwnershipControls(scope, id('OwnershipControls'), {
    provider: o.provider,
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  const versioning = o.versioned
    ? new S3BucketVersioningA(scope, id('Versioning'), {
      provider: o.provider,
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    })
    : undefined;
  const encryption = new S3BucketServerSideEncryptionConfigurationA(scope, id('Encryption'), {
    provider: o.provider,
    bucket: bucket.id,
    rule: [o.kmsKeyArn
      ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: o.kmsKeyArn }, bucketKeyEnabled: true }
      : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
  });
  const policy = new S3BucketPolicy(scope, id('Policy'), {
    provider: o.provider,
    bucket: bucket.id,
    policy: policyJson(o.statements(bucket.arn)),
    dependsOn: [publicAccessBlock],
  });
  const lifecycle = new S3BucketLifecycleConfiguration(scope, id('Lifecycle'), {
    provider: o.provider,
    bucket: bucket.id,
    rule: o.rules(o.versioned),
    dependsOn: versioning ? [versioning] : undefined,
  });
  return { bucket, versioning, encryption, publicAccessBlock, ownershipControls, policy, lifecycle };
}

export function newKey(scope: Construct, id: string, provider: TerraformProvider, o: {
  description: string; partition: string; account: string; region: string; rotationDays: number;
  forceDestroy: boolean; tags: Record<string, string>; alias: string;
}): KmsKey {
  const key = new KmsKey(scope, id, {
    provider,
    description: o.description,
    keyUsage: 'ENCRYPT_DECRYPT',
    customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    enableKeyRotation: true,
    rotationPeriodInDays: o.rotationDays,
    deletionWindowInDays: 30,
    policy: s3KeyPolicy(o.partition, o.account, o.region),
    tags: o.tags,
    lifecycle: o.forceDestroy ? undefined : { preventDestroy: true },
  });
  new KmsAlias(scope, `${id}Alias`, { provider, name: o.alias, targetKeyId: key.keyId });
  return key;
}

export function aliasFor(bucketName: string): string {
  return `alias/cdktf-ai-infra/${bucketName.replace(/[^A-Za-z0-9/_-]/g, '-')}`;
}

/**
 * A log bucket for S3 server access logs of `source`, and the logging configuration. S3 server access
 * logging documents SSE-S3 as the default encryption of a target bucket (SSE-KMS needs the logging service
 * in the key policy), so the log bucket uses AES-256; the logs hold request metadata, not model data.
 */
export function accessLogs(scope: Construct, prefix: string, provider: TerraformProvider, name: string, source: S3Bucket, account: string,
  p: ResolvedBackupProps, tags: Record<string, string>): { logBucket: S3Bucket; logging: S3BucketLoggingA } {
  const logs = secureBucket(scope, `${prefix}AccessLogs`, {
    provider,
    name,
    versioned: true,
    objectLock: false,
    forceDestroy: p.forceDestroy,
    tags,
    rules: () => [
      {
        id: 'expire-access-logs',
        status: 'Enabled',
        filter: [{}],
        expiration: [{ days: p.accessLogRetentionDays }],
        noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
      },
      { id: 'abort-incomplete-multipart-uploads', status: 'Enabled', filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
    ],
    statements: (arn) => [
      denyInsecureTransport(arn),
      {
        Sid: 'AllowS3ServerAccessLogs',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `${arn}/${ACCESS_LOG_PREFIX}*`,
        Condition: { ArnLike: { 'aws:SourceArn': source.arn }, StringEquals: { 'aws:SourceAccount': account } },
      },
    ],
  });
  const logging = new S3BucketLoggingA(scope, `${prefix}AccessLogging`, {
    provider,
    bucket: source.id,
    targetBucket: logs.bucket.id,
    targetPrefix: ACCESS_LOG_PREFIX,
    targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
    dependsOn: [logs.policy],
  });
  return { logBucket: logs.bucket, logging };
}
