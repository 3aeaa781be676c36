// Cross-region replication of a ModelBackupBucket on AWS: a replica bucket with its own key (and access
// logs) in the replica region, the replication role and its least-privilege policy, and the replication rule.
import { Construct } from 'constructs';
import { TerraformProvider } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketReplicationConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration';
import type { ReplicationOptions } from '../../backup/props';
import type { ResolvedBackupProps } from '../../backup/spi';
import { AwsCloud } from '../../core/cloud';
import { physicalName } from '../../core/naming';
import {
  accessLogs, aliasFor, denyInsecureTransport, denyOtherEncryption, newKey, policyJson, s3Service, SecureBucket, secureBucket, Statement,
} from './backup-bucket';
import { awsProvider } from './provider';

/** What every part of one AWS bucket build shares. */
export interface AwsBackupContext {
  readonly scope: Construct;
  readonly cloud: AwsCloud;
  readonly p: ResolvedBackupProps;
  readonly provider: TerraformProvider;
  readonly partition: string;
  readonly account: string;
  readonly tags: Record<string, string>;
  /** The main bucket's name. */
  readonly name: string;
  /** Lifecycle rules of a bucket, with or without the cold-tier transition. */
  readonly rules: (coldTier: boolean) => (versioned: boolean) => S3BucketLifecycleConfigurationRule[];
}

/** The replication resources (`bucket.aws` fields). */
export interface AwsReplication {
  readonly replicaBucket: S3Bucket;
  readonly replicaKey: KmsKey;
  readonly replicaLogBucket?: S3Bucket;
  readonly replicationRole: IamRole;
  readonly replication: S3BucketReplicationConfigurationA;
}

/** Replicates `main` (encrypted with `keyArn`) to a new bucket in `r.region`. */
export function renderReplication(ctx: AwsBackupContext, main: SecureBucket, keyArn: string, r: ReplicationOptions): AwsReplication {
  const { scope, cloud, p } = ctx;
  const replicaProvider = awsProvider(scope, r.region);
  const replicaName = p.bucketName ? `${p.bucketName}-replica` : physicalName(scope, cloud, { maxLength: 63 }, 'replica');
  const replicaKey = newKey(scope, 'ReplicaKey', replicaProvider, {
    description: `Encrypts model backup replica ${replicaName} (${scope.node.path})`,
    partition: ctx.partition, account: ctx.account, region: r.region, rotationDays: p.keyRotationDays,
    forceDestroy: p.forceDestroy, tags: ctx.tags, alias: aliasFor(replicaName),
  });
  const replica = secureBucket(scope, 'Replica', {
    provider: replicaProvider,
    name: replicaName,
    kmsKeyArn: replicaKey.arn,
    versioned: true,
    objectLock: p.objectLock !== undefined,
    forceDestroy: p.forceDestroy,
    tags: ctx.tags,
    rules: ctx.rules(false),
    statements: (arn) => [denyInsecureTransport(arn), denyOtherEncryption(arn)],
  });
  const replicaLogBucket = p.accessLogs
    ? accessLogs(scope, 'Replica', replicaProvider, physicalName(scope, cloud, { maxLength: 63 }, 'replica-logs'),
      replica.bucket, ctx.account, p, ctx.tags).logBucket
    : undefined;
  const replicationRole = renderReplicationRole(ctx, r.region, main.bucket.arn, replica.bucket.arn, keyArn, replicaKey.arn);
  const replication = new S3BucketReplicationConfigurationA(scope, 'Replication', {
    provider: ctx.provider,
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
        bucket: replica.bucket.arn,
        storageClass: 'STANDARD',
        encryptionConfiguration: { replicaKmsKeyId: replicaKey.arn },
        ...(r.rpo === 'turbo' ? {
          replicationTime: { status: 'Enabled', time: { minutes: 15 } },
          metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
        } : {}),
      },
    }],
    dependsOn: [main.versioning!, replica.versioning!],
  });
  return { replicaBucket: replica.bucket, replicaKey, replicaLogBucket, replicationRole, replication };
}

/** The role S3 replicates with, and its inline policy. */
function renderReplicationRole(ctx: AwsBackupContext, region: string, sourceArn: string, replicaArn: string,
  keyArn: string, replicaKeyArn: string): IamRole {
  const { scope, cloud } = ctx;
  const role = new IamRole(scope, 'ReplicationRole', {
    provider: ctx.provider,
    name: physicalName(scope, cloud, { maxLength: 64, lowercase: false }, 'replication'),
    description: `S3 replication of ${ctx.name} to ${region} (cdktf-ai-infra)`,
    assumeRolePolicy: policyJson([{
      Sid: 'S3Replication',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': ctx.account } },
    }]),
    maxSessionDuration: 3600,
    tags: ctx.tags,
  });
  new IamRolePolicy(scope, 'ReplicationPolicy', {
    provider: ctx.provider,
    name: 'replicate-model-backups',
    role: role.name,
    policy: policyJson(replicationStatements(ctx, region, sourceArn, replicaArn, keyArn, replicaKeyArn)),
  });
  return role;
}

/** Read the source's versions (and their locks), write replicas, decrypt the source, encrypt the replica. */
function replicationStatements(ctx: AwsBackupContext, region: string, sourceArn: string, replicaArn: string,
  keyArn: string, replicaKeyArn: string): Statement[] {
  return [
    { Sid: 'ReadReplicationConfiguration', Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: sourceArn },
    {
      Sid: 'ReadSourceVersions',
      Effect: 'Allow',
      Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging',
        ...(ctx.p.objectLock ? ['s3:GetObjectRetention', 's3:GetObjectLegalHold'] : [])],
      Resource: `${sourceArn}/*`,
    },
    { Sid: 'WriteReplicas', Effect: 'Allow', Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], Resource: `${replicaArn}/*` },
    {
      Sid: 'DecryptSource',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyArn,
      Condition: {
        StringEquals: { 'kms:ViaService': s3Service(ctx.cloud.region) },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [sourceArn, `${sourceArn}/*`] },
      },
    },
    {
      Sid: 'EncryptReplica',
      Effect: 'Allow',
      Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: replicaKeyArn,
      Condition: {
        StringEquals: { 'kms:ViaService': s3Service(region) },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [replicaArn, `${replicaArn}/*`] },
      },
    },
  ];
}
