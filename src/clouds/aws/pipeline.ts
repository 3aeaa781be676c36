// A model pipeline's new-data trigger on AWS: the store's bucket already sends its object events to EventBridge
// (secureBucket's notification); a rule on the default bus matches `Object Created` under the data prefix and
// delivers to an SQS queue that the pipeline's Argo Events source reads with its own workload identity. Both queues
// are encrypted with a customer-managed key of their own that only EventBridge (for this rule) and SQS may use.
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { AwsCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import type { NewDataQueue, NewDataQueueSpec, PipelineSpi } from '../../pipeline/spi';
import { policyJson } from './backup-bucket';
import { clusterKey } from './keys';
import { awsPartition } from './partition';
import { awsProvider } from './provider';

/** Unprocessed events are kept 4 days, failed ones 14 (the SQS maximum) in the dead-letter queue. */
const RETENTION_SECONDS = 4 * 24 * 3600;
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;
/** Receives before a message moves to the dead-letter queue. */
const MAX_RECEIVES = 5;

/** The EventBridge pattern: objects created in `bucket` whose key starts with `prefix`. */
export function objectCreatedPattern(bucket: string, prefix: string): Record<string, unknown> {
  return {
    'source': ['aws.s3'],
    'detail-type': ['Object Created'],
    'detail': { bucket: { name: [bucket] }, object: { key: [{ prefix }] } },
  };
}

/** How long SQS reuses a data key before calling KMS again (the default; bounds KMS calls and cost). */
const DATA_KEY_REUSE_SECONDS = 300;

/**
 * The queues' key: administered by the account (IAM), used by EventBridge only when it sends for `ruleArn`
 * (GenerateDataKey, Decrypt: what an SSE-KMS queue asks of a sender), and by the account's principals only
 * through SQS in the region (the reader's IAM policy then grants Decrypt on this key). Its own key, not the bucket's
 * (whose policy admits S3 only, and which may be the user's) nor the cluster's (EKS secrets, logs, volumes).
 */
function newDataKey(scope: Construct, cloud: AwsCloud, ruleArn: string, description: string, tags: Record<string, string>) {
  const provider = awsProvider(scope, cloud.region);
  const account = cloud.accountId ?? new DataAwsCallerIdentity(scope, 'CallerIdentity', { provider }).accountId;
  return clusterKey(scope, 'Key', cloud, {
    partition: awsPartition(cloud.region), accountId: account, tags,
    description: `Encrypts the new-data queues: ${description} (cdktf-ai-infra)`.slice(0, 8192),
    alias: `alias/cdktf-ai-infra/${physicalName(scope, cloud, { maxLength: 200, lowercase: false })}`,
    uses: [{
      sid: 'EventBridgeSendsForTheRule',
      principal: { Service: 'events.amazonaws.com' },
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      // The condition AWS documents for EventBridge targets with SSE-KMS; the rule's ARN names this account.
      condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
    }, {
      sid: 'UseOnlyThroughSqs',
      principal: { AWS: `arn:${awsPartition(cloud.region)}:iam::${account}:root` },
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      condition: { StringEquals: { 'kms:ViaService': `sqs.${cloud.region}.amazonaws.com`, 'kms:CallerAccount': account } },
    }],
  });
}

/** EventBridge rule -> SQS queue (SSE-KMS with its own key, DLQ, a policy admitting only that rule) and the reader's receive grant. */
export function awsNewDataQueue(scope: Construct, cloud: AwsCloud, spec: NewDataQueueSpec): NewDataQueue {
  const store = spec.store.cloud;
  if (!(store instanceof AwsCloud)) throw new InvalidPropError(scope, 'data.store', spec.store.node.path, 'an S3 store');
  if (spec.reader.identityKind !== 'aws-iam-role') {
    throw new InvalidPropError(scope, 'identity', spec.reader.node.path, 'an AWS IAM role identity (aws-iam-role)');
  }
  // S3 sends its events to the default bus of the bucket's region: rule and queue live there.
  const provider = awsProvider(scope, store.region);
  const tags = resourceTags(scope, cloud);
  // SQS queue names: 80 characters at most; EventBridge rule names: 64.
  const name = (suffix: string, maxLength = 80) => physicalName(scope, cloud, { maxLength, lowercase: false }, suffix);
  // The rule first: the key policy names it (EventBridge may use the key only when sending for this rule).
  const rule = new CloudwatchEventRule(scope, 'Rule', {
    provider, name: name('new-data', 64), description: `${spec.description} (cdktf-ai-infra)`.slice(0, 512),
    eventPattern: JSON.stringify(objectCreatedPattern(spec.store.bucketName, spec.prefix)), tags,
  });
  const key = newDataKey(scope, store, rule.arn, spec.description, tags);
  const dlq = new SqsQueue(scope, 'DeadLetters', {
    provider, name: name('dlq'), messageRetentionSeconds: DLQ_RETENTION_SECONDS, kmsMasterKeyId: key.arn, kmsDataKeyReusePeriodSeconds: DATA_KEY_REUSE_SECONDS, tags,
  });
  const queue = new SqsQueue(scope, 'Queue', {
    provider, name: name('events'), messageRetentionSeconds: RETENTION_SECONDS, kmsMasterKeyId: key.arn, kmsDataKeyReusePeriodSeconds: DATA_KEY_REUSE_SECONDS,
    visibilityTimeoutSeconds: 300, receiveWaitTimeSeconds: 20,
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: MAX_RECEIVES }), tags,
  });
  new CloudwatchEventTarget(scope, 'Target', {
    provider, rule: rule.name, arn: queue.arn, deadLetterConfig: { arn: dlq.arn },
    retryPolicy: { maximumRetryAttempts: 20, maximumEventAgeInSeconds: 24 * 3600 },
  });
  // Only this rule may send: EventBridge, with the rule's ARN as the source.
  const fromRule = (resource: string, sid: string) => ({
    Sid: sid, Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: resource,
    Condition: { ArnEquals: { 'aws:SourceArn': rule.arn } },
  });
  new SqsQueuePolicy(scope, 'QueuePolicy', { provider, queueUrl: queue.url, policy: policyJson([fromRule(queue.arn, 'EventBridgeRuleOnly')]) });
  new SqsQueuePolicy(scope, 'DeadLetterPolicy', { provider, queueUrl: dlq.url, policy: policyJson([fromRule(dlq.arn, 'EventBridgeRuleOnly')]) });
  new IamRolePolicy(scope, 'ReceiveGrant', {
    provider, name: name('receive'), role: spec.reader.resourceId,
    policy: policyJson([{
      Sid: 'ReceiveNewDataEvents', Effect: 'Allow', Resource: queue.arn,
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
    }, {
      // Received messages are decrypted with the queue's key: Decrypt on that key only (the key policy admits it through SQS only).
      Sid: 'DecryptNewDataEvents', Effect: 'Allow', Resource: key.arn, Action: ['kms:Decrypt'],
    }]),
  });
  return {
    eventSourceType: 'sqs',
    // No accessKey / secretKey / roleARN: Argo Events then opens a session with the SDK's default chain
    // (GetAWSSessionWithoutCreds), and its aws-sdk-go v1.47.11 is the first to read EKS Pod Identity credentials.
    // GetQueueUrl (granted) resolves the queue by name.
    eventSourceSpec: { region: store.region, queue: queue.name, waitTimeSeconds: 20, jsonBody: true },
  };
}

/** AWS's half of a model pipeline (src/pipeline/spi.ts). */
export const pipeline: PipelineSpi<AwsCloud> = { newDataQueue: awsNewDataQueue };
