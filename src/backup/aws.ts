// ModelBackupBucket on AWS: an S3 bucket with SSE-KMS (bucket key), versioning, public access block,
// BucketOwnerEnforced, a TLS-only bucket policy, lifecycle rules, server access logs, object lock and
// cross-region replication; grants are IAM role policies on the workload identity's role.
import { Construct } from 'constructs';
import { Annotations, TerraformProvider } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import {
  S3BucketLifecycleConfiguration, S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { S3BucketObjectLockConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketReplicationConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { awsProvider } from '../clouds/aws/provider';
import { AwsCloud } from '../core/cloud';
import { InvalidPropError } from '../core/errors';
import { IWorkloadIdentity } from '../core/identity';
import { physicalName } from '../core/naming';
import { resourceTags } from '../core/tags';
import { awsPartition, BackupImpl, GrantAccess, GrantTarget, ResolvedBackupProps } from './common';
import { KEY_USE_ACTIONS, keyPolicy } from '../clouds/aws/keys';

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

type Statement = Record<string, unknown>;

const ACCESS_LOG_PREFIX = 's3-access/';


function s3Service(region: string): string {
  return `s3.${region}.amazonaws.com`;
}

function policyJson(statements: Statement[]): string {
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

function denyInsecureTransport(bucketArn: string): Statement {
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

function denyOtherEncryption(bucketArn: string): Statement {
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

function denyUnencryptedUploads(bucketArn: string): Statement {
  return {
    Sid: 'DenyUploadsWithoutKmsHeader',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:PutObject',
    Resource: `${bucketArn}/*`,
    Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
  };
}

interface SecureBucketOptions {
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

interface SecureBucket {
  readonly bucket: S3Bucket;
  readonly versioning?: S3BucketVersioningA;
  readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  readonly publicAccessBlock: S3BucketPublicAccessBlock;
  readonly ownershipControls: S3BucketOwnershipControls;
  readonly policy: S3BucketPolicy;
  readonly lifecycle: S3BucketLifecycleConfiguration;
}

/** An S3 bucket with every guard on; `prefix` names the children ('' for the main bucket). */
function secureBucket(scope: Construct, prefix: string, o: SecureBucketOptions): SecureBucket {
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

function newKey(scope: Construct, id: string, provider: TerraformProvider, o: {
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

function aliasFor(bucketName: string): string {
  return `alias/cdktf-ai-infra/${bucketName.replace(/[^A-Za-z0-9/_-]/g, '-')}`;
}

/**
 * A log bucket for S3 server access logs of `source`, and the logging configuration. S3 server access
 * logging documents SSE-S3 as the default encryption of a target bucket (SSE-KMS needs the logging service
 * in the key policy), so the log bucket uses AES-256; the logs hold request metadata, not model data.
 */
function accessLogs(scope: Construct, prefix: string, provider: TerraformProvider, name: string, source: S3Bucket, account: string,
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

export function buildAwsBackup(scope: Construct, cloud: AwsCloud, p: ResolvedBackupProps): BackupImpl {
  const provider = awsProvider(scope, cloud.region);
  const partition = awsPartition(cloud.region);
  const account = cloud.accountId ?? new DataAwsCallerIdentity(scope, 'CallerIdentity', { provider }).accountId;
  const tags = resourceTags(scope, cloud, p.tags);
  // No reserve for the replica: adding replication later must not rename (replace) the bucket.
  const name = p.bucketName ?? physicalName(scope, cloud, { maxLength: 63 });

  const userKeyArn = p.encryptionKey?.kind === 'aws-kms' ? p.encryptionKey.keyArn : undefined;
  const key = userKeyArn ? undefined : newKey(scope, 'Key', provider, {
    description: `Encrypts model backup bucket ${name} (${scope.node.path})`,
    partition, account, region: cloud.region, rotationDays: p.keyRotationDays, forceDestroy: p.forceDestroy, tags, alias: aliasFor(name),
  });
  const keyArn = userKeyArn ?? key!.arn;

  const rules = (coldTier: boolean) => (versioned: boolean): S3BucketLifecycleConfigurationRule[] => [
    ...(versioned ? [{
      id: 'expire-noncurrent-versions',
      status: 'Enabled',
      filter: [{}],
      noncurrentVersionExpiration: [{ noncurrentDays: p.noncurrentVersionExpirationDays }],
      expiration: [{ expiredObjectDeleteMarker: true }],
    }] : []),
    {
      id: 'abort-incomplete-multipart-uploads',
      status: 'Enabled',
      filter: [{}],
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: p.abortIncompleteUploadsAfterDays }],
    },
    ...(coldTier && p.coldStorageAfterDays !== undefined ? [{
      id: 'move-to-colder-storage',
      status: 'Enabled',
      filter: [{}],
      transition: [{ days: p.coldStorageAfterDays, storageClass: p.coldStorageClass === 'cold' ? 'GLACIER_IR' : 'STANDARD_IA' }],
    }] : []),
  ];

  const main = secureBucket(scope, '', {
    provider,
    name,
    kmsKeyArn: keyArn,
    versioned: p.versioned,
    objectLock: p.objectLock !== undefined,
    forceDestroy: p.forceDestroy,
    tags,
    rules: rules(true),
    statements: (arn) => [
      denyInsecureTransport(arn),
      denyOtherEncryption(arn),
      ...(p.aws.denyUnencryptedUploads ? [denyUnencryptedUploads(arn)] : []),
    ],
  });

  const objectLock = p.objectLock ? new S3BucketObjectLockConfigurationA(scope, 'ObjectLock', {
    provider,
    bucket: main.bucket.id,
    rule: { defaultRetention: { mode: p.objectLock.mode === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE', days: p.objectLock.days } },
    dependsOn: main.versioning ? [main.versioning] : undefined,
  }) : undefined;

  let logBucket: S3Bucket | undefined;
  let logging: S3BucketLoggingA | undefined;
  if (p.accessLogs) {
    ({ logBucket, logging } = accessLogs(scope, '', provider, physicalName(scope, cloud, { maxLength: 63 }, 'logs'), main.bucket, account, p, tags));
  }

  let replica: SecureBucket | undefined;
  let replicaKey: KmsKey | undefined;
  let replicaLogBucket: S3Bucket | undefined;
  let replicationRole: IamRole | undefined;
  let replication: S3BucketReplicationConfigurationA | undefined;
  if (p.replication) {
    const region = p.replication.region;
    const replicaProvider = awsProvider(scope, region);
    const replicaName = p.bucketName ? `${p.bucketName}-replica` : physicalName(scope, cloud, { maxLength: 63 }, 'replica');
    replicaKey = newKey(scope, 'ReplicaKey', replicaProvider, {
      description: `Encrypts model backup replica ${replicaName} (${scope.node.path})`,
      partition, account, region, rotationDays: p.keyRotationDays, forceDestroy: p.forceDestroy, tags, alias: aliasFor(replicaName),
    });
    replica = secureBucket(scope, 'Replica', {
      provider: replicaProvider,
      name: replicaName,
      kmsKeyArn: replicaKey.arn,
      versioned: true,
      objectLock: p.objectLock !== undefined,
      forceDestroy: p.forceDestroy,
      tags,
      rules: rules(false),
      statements: (arn) => [denyInsecureTransport(arn), denyOtherEncryption(arn)],
    });
    if (p.accessLogs) {
      replicaLogBucket = accessLogs(scope, 'Replica', replicaProvider, physicalName(scope, cloud, { maxLength: 63 }, 'replica-logs'),
        replica.bucket, account, p, tags).logBucket;
    }
    const sourceArn = main.bucket.arn;
    const replicaArn = replica.bucket.arn;
    replicationRole = new IamRole(scope, 'ReplicationRole', {
      provider,
      name: physicalName(scope, cloud, { maxLength: 64, lowercase: false }, 'replication'),
      description: `S3 replication of ${name} to ${region} (cdktf-ai-infra)`,
      assumeRolePolicy: policyJson([{
        Sid: 'S3Replication',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': account } },
      }]),
      maxSessionDuration: 3600,
      tags,
    });
    new IamRolePolicy(scope, 'ReplicationPolicy', {
      provider,
      name: 'replicate-model-backups',
      role: replicationRole.name,
      policy: policyJson([
        { Sid: 'ReadReplicationConfiguration', Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: sourceArn },
        {
          Sid: 'ReadSourceVersions',
          Effect: 'Allow',
          Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging',
            ...(p.objectLock ? ['s3:GetObjectRetention', 's3:GetObjectLegalHold'] : [])],
          Resource: `${sourceArn}/*`,
        },
        { Sid: 'WriteReplicas', Effect: 'Allow', Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], Resource: `${replicaArn}/*` },
        {
          Sid: 'DecryptSource',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: keyArn,
          Condition: {
            StringEquals: { 'kms:ViaService': s3Service(cloud.region) },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [sourceArn, `${sourceArn}/*`] },
          },
        },
        {
          Sid: 'EncryptReplica',
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: replicaKey.arn,
          Condition: {
            StringEquals: { 'kms:ViaService': s3Service(region) },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [replicaArn, `${replicaArn}/*`] },
          },
        },
      ]),
    });
    const turbo = p.replication.rpo === 'turbo';
    replication = new S3BucketReplicationConfigurationA(scope, 'Replication', {
      provider,
      bucket: main.bucket.id,
      role: replicationRole.arn,
      rule: [{
        id: 'replicate-everything',
        status: 'Enabled',
        priority: 1,
        filter: {},
        deleteMarkerReplication: { status: 'Enabled' },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
        destination: {
          bucket: replicaArn,
          storageClass: 'STANDARD',
          encryptionConfiguration: { replicaKmsKeyId: replicaKey.arn },
          ...(turbo ? {
            replicationTime: { status: 'Enabled', time: { minutes: 15 } },
            metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
          } : {}),
        },
      }],
      dependsOn: [main.versioning!, replica.versioning!],
    });
  }

  return {
    bucketName: name,
    uri: `s3://${name}`,
    clientEnvironment: { AWS_REGION: cloud.region, AWS_DEFAULT_REGION: cloud.region },
    grantTarget: { bucketName: name, bucketArn: main.bucket.arn, kmsKeyArn: keyArn },
    aws: {
      ...main,
      key,
      keyArn,
      objectLock,
      logBucket,
      logging,
      replicaBucket: replica?.bucket,
      replicaLogBucket,
      replicaKey,
      replicationRole,
      replication,
    },
  };
}

/**
 * An inline policy on the identity's IAM role: list the bucket (only under the prefix), get (and for
 * write: put, delete, abort uploads) objects under the prefix, and use the bucket's key through S3.
 */
export function awsGrant(scope: Construct, id: string, cloud: AwsCloud, target: GrantTarget, identity: IWorkloadIdentity,
  access: GrantAccess, prefix: string | undefined): void {
  if (identity.identityKind !== 'aws-iam-role') {
    throw new InvalidPropError(scope, 'identity', `${identity.node.path} (${identity.identityKind}, ${identity.cloud})`,
      `an AWS IAM role identity (aws-iam-role) for an S3 bucket in ${cloud}`);
  }
  const identityAccount = identity.cloud instanceof AwsCloud ? identity.cloud.accountId : undefined;
  if (identityAccount && cloud.accountId && identityAccount !== cloud.accountId) {
    Annotations.of(scope).addWarning(`${identity.node.path} is in account ${identityAccount}, the bucket in ${cloud.accountId}: `
      + 'an IAM policy alone does not grant cross-account access; add a bucket policy and key policy statement for it.');
  }
  const bucketArn = target.bucketArn ?? `arn:${awsPartition(cloud.region)}:s3:::${target.bucketName}`;
  const objects = `${bucketArn}/${prefix ?? ''}*`;
  const listCondition = prefix ? { Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {};
  const statements: Statement[] = [
    {
      Sid: 'ListObjects',
      Effect: 'Allow',
      Action: access === 'write' ? ['s3:ListBucket', 's3:ListBucketMultipartUploads'] : ['s3:ListBucket'],
      Resource: bucketArn,
      ...listCondition,
    },
    { Sid: 'ReadObjects', Effect: 'Allow', Action: ['s3:GetObject'], Resource: objects },
  ];
  if (access === 'write') {
    statements.push({
      Sid: 'WriteObjects',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: objects,
    });
  }
  if (target.kmsKeyArn) {
    statements.push({
      Sid: 'UseBucketKey',
      Effect: 'Allow',
      Action: access === 'write' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
      Resource: target.kmsKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': s3Service(cloud.region) } },
    });
  }
  new IamRolePolicy(scope, id, {
    provider: awsProvider(scope, cloud.region),
    name: physicalName(scope, cloud, { maxLength: 128, lowercase: false }, id),
    role: identity.resourceId,
    policy: policyJson(statements),
  });
}
