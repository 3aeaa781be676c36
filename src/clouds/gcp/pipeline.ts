// A model pipeline's new-data trigger on GCP: a Cloud Storage notification (OBJECT_FINALIZE under the data prefix)
// publishes to a Pub/Sub topic; the pipeline's Argo Events source pulls from a subscription with its own workload
// identity (subscriber on that subscription only); undeliverable messages go to a dead-letter topic. Both topics are
// encrypted with a key of the pipeline's own (object names and sizes of the training data are in the messages).
import { Construct } from 'constructs';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription';
import { PubsubSubscriptionIamMember } from '@cdktf/provider-google/lib/pubsub-subscription-iam-member';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import { StorageNotification } from '@cdktf/provider-google/lib/storage-notification';
import { GcpCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import type { NewDataQueue, NewDataQueueSpec, PipelineSpi } from '../../pipeline/spi';
import { gcpKeyRingName } from './kms';
import { gcpProvider } from './provider';
import { gcpServiceAgent } from './service-agents';

/** Unacknowledged messages are kept 4 days; deliveries before a message moves to the dead-letter topic. */
const RETENTION = `${4 * 24 * 3600}s`;
const MAX_DELIVERIES = 5;
const DAY_SECONDS = 24 * 3600;

/** Notification -> topic -> subscription (dead-letter topic), the publisher grant of GCS, the reader's subscriber grant. */
export function gcpNewDataQueue(scope: Construct, cloud: GcpCloud, spec: NewDataQueueSpec): NewDataQueue {
  const store = spec.store.cloud;
  if (!(store instanceof GcpCloud)) throw new InvalidPropError(scope, 'data.store', spec.store.node.path, 'a Cloud Storage store');
  if (spec.reader.identityKind !== 'gcp-service-account') {
    throw new InvalidPropError(scope, 'identity', spec.reader.node.path, 'a GCP service account identity (gcp-service-account)');
  }
  // The bucket's project holds the topic: GCS publishes to it with that project's storage service agent.
  const provider = gcpProvider(scope, store);
  const labels = resourceTags(scope, cloud);
  const name = (suffix: string) => physicalName(scope, cloud, { maxLength: 63 }, suffix);
  // Pub/Sub's service agent encrypts with the key and forwards dead letters.
  const project = new DataGoogleProject(scope, 'Project', { provider, projectId: store.project });
  const agent = gcpServiceAgent(scope, store, 'pubsub.googleapis.com', project.number);
  // A regional key in the bucket's region; the topics persist messages only there, where the key is.
  const keyRing = new KmsKeyRing(scope, 'KeyRing', { provider, project: store.project, name: gcpKeyRingName(scope, cloud, {}), location: store.region });
  const key = new KmsCryptoKey(scope, 'Key', {
    provider, name: 'pipeline-events', keyRing: keyRing.id, purpose: 'ENCRYPT_DECRYPT', rotationPeriod: `${90 * DAY_SECONDS}s`,
    destroyScheduledDuration: `${30 * DAY_SECONDS}s`, labels,
    // Cloud KMS keys cannot be deleted, only their versions: keep Terraform from trying.
    lifecycle: { preventDestroy: true },
  });
  const keyAccess = new KmsCryptoKeyIamMember(scope, 'KeyAccessPubsub', {
    provider, cryptoKeyId: key.id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', member: agent.member, dependsOn: [agent.ready],
  });
  const encrypted = { kmsKeyName: key.id, messageStoragePolicy: { allowedPersistenceRegions: [store.region] }, dependsOn: [keyAccess] };
  const topic = new PubsubTopic(scope, 'Topic', { provider, project: store.project, name: name('events'), labels, messageRetentionDuration: RETENTION, ...encrypted });
  const deadLetters = new PubsubTopic(scope, 'DeadLetters', {
    provider, project: store.project, name: name('dead-letters'), labels, messageRetentionDuration: `${7 * DAY_SECONDS}s`, ...encrypted,
  });
  const gcs = new DataGoogleStorageProjectServiceAccount(scope, 'StorageAgent', { provider, project: store.project });
  const publish = new PubsubTopicIamMember(scope, 'StoragePublishes', {
    provider, project: store.project, topic: topic.name, role: 'roles/pubsub.publisher', member: `serviceAccount:${gcs.emailAddress}`,
  });
  new StorageNotification(scope, 'Notification', {
    provider, bucket: spec.store.bucketName, topic: topic.id, payloadFormat: 'JSON_API_V1',
    eventTypes: ['OBJECT_FINALIZE'], objectNamePrefix: spec.prefix, dependsOn: [publish],
  });
  const subscription = new PubsubSubscription(scope, 'Subscription', {
    provider, project: store.project, name: name('events'), topic: topic.id, labels,
    ackDeadlineSeconds: 60, messageRetentionDuration: RETENTION, expirationPolicy: { ttl: '' },
    retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
    deadLetterPolicy: { deadLetterTopic: deadLetters.id, maxDeliveryAttempts: MAX_DELIVERIES },
  });
  // Dead-lettering runs as Pub/Sub's service agent: publisher on the dead-letter topic, subscriber on the source.
  new PubsubTopicIamMember(scope, 'DeadLetterPublisher', {
    provider, project: store.project, topic: deadLetters.name, role: 'roles/pubsub.publisher', member: agent.member, dependsOn: [agent.ready],
  });
  new PubsubSubscriptionIamMember(scope, 'DeadLetterForwarder', {
    provider, project: store.project, subscription: subscription.name, role: 'roles/pubsub.subscriber', member: agent.member, dependsOn: [agent.ready],
  });
  new PubsubSubscriptionIamMember(scope, 'ReaderSubscribes', {
    provider, project: store.project, subscription: subscription.name, role: 'roles/pubsub.subscriber', member: spec.reader.principal,
  });
  return {
    eventSourceType: 'pubSub',
    // An existing subscription and no topic: the source only pulls (no create or get permission needed); credentials
    // from GKE Workload Identity (no credentialSecret).
    eventSourceSpec: { projectID: store.project, subscriptionID: subscription.name, deleteSubscriptionOnFinish: false, jsonBody: true },
  };
}

/** GCP's half of a model pipeline (src/pipeline/spi.ts). */
export const pipeline: PipelineSpi<GcpCloud> = { newDataQueue: gcpNewDataQueue };
