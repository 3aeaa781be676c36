// ModelBackupBucket on AWS: an S3 bucket with SSE-KMS (bucket key), versioning, public access block,
// BucketOwnerEnforced, a TLS-only bucket policy, lifecycle rules, server access logs, object lock and
// cross-region replication; grants are IAM role policies on the workload identity's role.
import { Construct, IConstruct } from 'constructs';
import { Annotations } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketObjectLockConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration';
import type { ModelBackupBucketAttributes } from '../../backup/props';
import type { BackupImpl, BackupSpi, GrantRequest, ResolvedBackupProps, StoreShape } from '../../backup/spi';
import { AwsCloud, checkReplicaRegion } from '../../core/cloud';
import { check, ErrorScope, InvalidPropError, isLiteral } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import {
  accessLogs, aliasFor, denyInsecureTransport, denyOtherEncryption, denyUnencryptedUploads, newKey, policyJson, s3Service,
  SecureBucket, secureBucket, Statement,
} from './backup-bucket';
import { AwsBackupContext, renderReplication } from './backup-replication';
import { awsPartition } from './partition';
import { awsProvider } from './provider';

const S3_NAME = /^(?!xn--)(?!sthree-)(?!amzn-s3-demo-)(?!.*\.\.)(?!.*(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$/;

/** S3 bucket name rules; `reserve` characters are kept free for a suffix (the replica's `-replica`). */
function checkS3Name(scope: ErrorScope, prop: string, name: string | undefined, reserve: number) {
  if (name === undefined || !isLiteral(name)) return;
  const max = 63 - reserve;
  if (typeof name !== 'string' || name.length < 3 || name.length > max || !S3_NAME.test(name)) {
    throw new InvalidPropError(scope, prop, name, `an S3 bucket name: 3-${max} characters${reserve ? ' (the replica adds -replica)' : ''}; `
      + 'lowercase letters, digits, hyphens and single dots; starting and ending with a letter or digit; not an IP address');
  }
}

function validate(scope: IConstruct, cloud: AwsCloud, p: ResolvedBackupProps): void {
  checkS3Name(scope, 'bucketName', p.bucketName, p.replication ? 8 : 0);
  const key = p.encryptionKey;
  if (key) {
    if (key.kind !== 'aws-kms') throw new InvalidPropError(scope, 'encryptionKey.kind', key.kind, "'aws-kms' on an AWS bucket");
    if (isLiteral(key.keyArn)) {
      const m = KMS_KEY_ARN.exec(key.keyArn);
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
    checkReplicaRegion(scope, 'replication.region', cloud, p.replication.region);
  }
  if (p.coldStorageAfterDays !== undefined && p.coldStorageClass === 'infrequent' && p.coldStorageAfterDays < 30) {
    throw new InvalidPropError(scope, 'coldStorageAfterDays', p.coldStorageAfterDays,
      "at least 30 with coldStorageClass 'infrequent' (S3 moves objects to STANDARD_IA after 30 days at the earliest); use 'cold' for sooner");
  }
}

/** Lifecycle rules: expire noncurrent versions, abort stale uploads, and (main bucket only) move to a colder class. */
function lifecycleRules(p: ResolvedBackupProps) {
  return (coldTier: boolean) => (versioned: boolean): S3BucketLifecycleConfigurationRule[] => [
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
}

/** The bucket the models live in, encrypted with `keyArn`, with its optional object lock. */
function renderMainBucket(ctx: AwsBackupContext, keyArn: string): { main: SecureBucket; objectLock?: S3BucketObjectLockConfigurationA } {
  const { scope, p, provider } = ctx;
  const main = secureBucket(scope, '', {
    provider,
    name: ctx.name,
    kmsKeyArn: keyArn,
    versioned: p.versioned,
    objectLock: p.objectLock !== undefined,
    forceDestroy: p.forceDestroy,
    tags: ctx.tags,
    rules: ctx.rules(true),
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
  return { main, objectLock };
}

function build(scope: Construct, cloud: AwsCloud, p: ResolvedBackupProps): BackupImpl {
  const provider = awsProvider(scope, cloud.region);
  const partition = awsPartition(cloud.region);
  const account = cloud.accountId ?? new DataAwsCallerIdentity(scope, 'CallerIdentity', { provider }).accountId;
  const tags = resourceTags(scope, cloud, p.tags);
  // No reserve for the replica: adding replication later must not rename (replace) the bucket.
  const name = p.bucketName ?? physicalName(scope, cloud, { maxLength: 63 });
  const ctx: AwsBackupContext = { scope, cloud, p, provider, partition, account, tags, name, rules: lifecycleRules(p) };

  const userKeyArn = p.encryptionKey?.kind === 'aws-kms' ? p.encryptionKey.keyArn : undefined;
  const key = userKeyArn ? undefined : newKey(scope, 'Key', provider, {
    description: `Encrypts model backup bucket ${name} (${scope.node.path})`,
    partition, account, region: cloud.region, rotationDays: p.keyRotationDays, forceDestroy: p.forceDestroy, tags, alias: aliasFor(name),
  });
  const keyArn = userKeyArn ?? key!.arn;
  const { main, objectLock } = renderMainBucket(ctx, keyArn);
  const logs = p.accessLogs
    ? accessLogs(scope, '', provider, physicalName(scope, cloud, { maxLength: 63 }, 'logs'), main.bucket, account, p, tags)
    : undefined;
  const replication = p.replication ? renderReplication(ctx, main, keyArn, p.replication) : undefined;
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
      logBucket: logs?.logBucket,
      logging: logs?.logging,
      replicaBucket: replication?.replicaBucket,
      replicaLogBucket: replication?.replicaLogBucket,
      replicaKey: replication?.replicaKey,
      replicationRole: replication?.replicationRole,
      replication: replication?.replication,
    },
  };
}

function importStore(scope: IConstruct, cloud: AwsCloud, attrs: ModelBackupBucketAttributes): StoreShape {
  const name = attrs.bucketName;
  checkS3Name(scope, 'bucketName', name, 0);
  check.matches(scope, 'kmsKeyArn', attrs.kmsKeyArn !== undefined && isLiteral(attrs.kmsKeyArn) ? attrs.kmsKeyArn : undefined,
    KMS_KEY_ARN, 'a KMS key ARN: arn:aws:kms:<region>:<account>:key/<uuid>');
  return {
    uri: `s3://${name}`,
    clientEnvironment: { AWS_REGION: cloud.region, AWS_DEFAULT_REGION: cloud.region },
    grantTarget: { bucketName: name, bucketArn: `arn:${awsPartition(cloud.region)}:s3:::${name}`, kmsKeyArn: attrs.kmsKeyArn },
  };
}

/** List (only under the prefix), get (and for write: put, delete, abort uploads) under the prefix, use the key through S3. */
function grantStatements(cloud: AwsCloud, { target, access, prefix }: GrantRequest): Statement[] {
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
  return statements;
}

/** An inline policy on the identity's IAM role (see grantStatements). */
function grant(scope: Construct, cloud: AwsCloud, request: GrantRequest): void {
  const { id, identity } = request;
  if (identity.identityKind !== 'aws-iam-role') {
    throw new InvalidPropError(scope, 'identity', `${identity.node.path} (${identity.identityKind}, ${identity.cloud})`,
      `an AWS IAM role identity (aws-iam-role) for an S3 bucket in ${cloud}`);
  }
  const identityAccount = identity.cloud instanceof AwsCloud ? identity.cloud.accountId : undefined;
  if (identityAccount && cloud.accountId && identityAccount !== cloud.accountId) {
    Annotations.of(scope).addWarning(`${identity.node.path} is in account ${identityAccount}, the bucket in ${cloud.accountId}: `
      + 'an IAM policy alone does not grant cross-account access; add a bucket policy and key policy statement for it.');
  }
  new IamRolePolicy(scope, id, {
    provider: awsProvider(scope, cloud.region),
    name: physicalName(scope, cloud, { maxLength: 128, lowercase: false }, id),
    role: identity.resourceId,
    policy: policyJson(grantStatements(cloud, request)),
  });
}

/** ModelBackupBucket's AWS half (src/backup/spi.ts). */
export const backup: BackupSpi<AwsCloud> = {
  versionedByDefault: () => true,
  validate,
  build,
  importStore,
  grant,
};
