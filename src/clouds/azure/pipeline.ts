// A model pipeline's new-data trigger on Azure: an Event Grid system topic on the store's storage account (one per
// account: Azure allows one system topic per source) and a subscription for BlobCreated under the data prefix,
// delivered with the topic's system-assigned identity to a Storage queue in a small account of the pipeline's own
// (Entra ID only, the store's customer-managed key for blobs and queues, deny by default: Event Grid comes in as a
// trusted service, the cluster's pods through a queue private endpoint). Undeliverable events go to a blob
// container there. The pipeline's Argo Events source reads the queue with its own workload identity.
import { Construct, IConstruct } from 'constructs';
import { Fn, ITerraformDependable, TerraformStack } from 'cdktf';
import { EventgridSystemTopic } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic';
import { EventgridSystemTopicEventSubscription } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { PrivateDnsZone } from '@cdktf/provider-azurerm/lib/private-dns-zone';
import { PrivateDnsZoneVirtualNetworkLink } from '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { StorageQueue } from '@cdktf/provider-azurerm/lib/storage-queue';
import type { AzureModelBackupResources } from './backup-resources';
import { HARDENED_STORAGE_ACCOUNT } from './backup-account';
import { AzureCloud } from '../../core/cloud';
import { InvalidPropError, isLiteral } from '../../core/errors';
import { stableHash } from '../../core/hash';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import type { NewDataQueue, NewDataQueueSpec, PipelineSpi } from '../../pipeline/spi';
import { Policy } from '../../policy/suppress';
import { vnetIdOfSubnet } from './network';
import { KEY_VAULT_RBAC_WAIT, rbacPropagation } from './propagation';
import { azureProvider, azureResourceGroupName } from './provider';

/** Queue messages live 4 days (as the SQS queue and the Pub/Sub subscription); Event Grid retries for a day. */
const MESSAGE_TTL_SECONDS = 4 * 24 * 3600;
const EVENT_TTL_MINUTES = 24 * 60;
const MAX_DELIVERY_ATTEMPTS = 30;
export const QUEUE_NAME = 'new-data';
export const DEAD_LETTER_CONTAINER = 'dead-letters';
/** The only event type that starts a run. */
export const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';
/** Least privilege for each principal: peek, receive and delete (the source); add messages (Event Grid). */
export const READER_ROLE = 'Storage Queue Data Message Processor';
export const SENDER_ROLE = 'Storage Queue Data Message Sender';
const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;

/** Event Grid's subject prefix of the blobs under `prefix` in `container`. */
export function blobCreatedSubject(container: string, prefix: string): string {
  return `/blobServices/default/containers/${container}/blobs/${prefix}`;
}

/** The store's account resources: only a ModelBackupBucket made in this app has them (key, key identity, account). */
function storeAccount(scope: IConstruct, spec: NewDataQueueSpec): AzureModelBackupResources {
  const az = (spec.store as { azure?: AzureModelBackupResources }).azure;
  if (!az) {
    throw new InvalidPropError(scope, 'data.store', spec.store.node.path,
      'a ModelBackupBucket on Azure made in this app: the queue account takes its customer-managed key and key identity, and Event Grid its storage account '
      + '(an imported store exposes neither)');
  }
  // The store's grants to this pipeline's identities live in the store's stack (it depends on this one): the queue
  // account and the system topic referring back to the store's account would close a cycle between the stacks.
  const storeStack = TerraformStack.of(az.storageAccount);
  if (storeStack !== TerraformStack.of(scope)) {
    throw new InvalidPropError(scope, 'data.store', spec.store.node.path,
      `a ModelBackupBucket in this stack (${TerraformStack.of(scope).node.id}) for trigger.onNewData on Azure: the bucket is in ${storeStack.node.id}, `
      + 'whose grants to the pipeline\'s identities already depend on this stack, so the queue account and Event Grid topic cannot refer back to it');
  }
  return az;
}

/** The subnet of the queue's private endpoint and its VNet: the prop, else the node subnet of a cluster this app made. */
function endpointSubnet(scope: IConstruct, spec: NewDataQueueSpec): { subnetId: string; vnetId: string } {
  const given = spec.privateEndpointSubnetId;
  if (given !== undefined) {
    if (isLiteral(given) && (typeof given !== 'string' || !SUBNET_ID.test(given))) {
      throw new InvalidPropError(scope, 'trigger.onNewData.privateEndpointSubnetId', given,
        'a subnet resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>');
    }
    return { subnetId: given, vnetId: isLiteral(given) ? vnetIdOfSubnet(given) : Fn.replace(given, '/\\/subnets\\/[^/]+$/', '') };
  }
  const resources = (spec.cluster as { resources?: Record<string, IConstruct> }).resources ?? {};
  const subnet = resources.nodeSubnet as { id?: string } | undefined;
  const vnet = resources.vnet as { id?: string } | undefined;
  if (!subnet?.id || !vnet?.id) {
    throw new InvalidPropError(scope, 'trigger.onNewData.privateEndpointSubnetId', given,
      `a subnet of ${spec.cluster.node.path}'s VNet for the queue's private endpoint (required: the cluster is imported or uses an existing network, so its subnet is not known here)`);
  }
  return { subnetId: subnet.id, vnetId: vnet.id };
}

/** `privatelink.queue.core.windows.net`, linked to the VNet: once per stack and VNet (a VNet links one zone of a name). */
function queueDnsZone(scope: IConstruct, cloud: AzureCloud, vnetId: string, clusterPath: string): PrivateDnsZone {
  const stack = TerraformStack.of(scope);
  const id = `NewDataQueueDns-${stableHash(clusterPath)}`;
  const existing = stack.node.tryFindChild(id) as Construct | undefined;
  if (existing) return existing.node.findChild('Zone') as PrivateDnsZone;
  const holder = new Construct(stack, id);
  const provider = azureProvider(holder, cloud);
  const resourceGroupName = azureResourceGroupName(holder, cloud);
  const zone = new PrivateDnsZone(holder, 'Zone', { provider, name: 'privatelink.queue.core.windows.net', resourceGroupName, tags: resourceTags(holder, cloud) });
  new PrivateDnsZoneVirtualNetworkLink(holder, 'Link', {
    provider, name: physicalName(holder, cloud, { maxLength: 80 }, 'queue-link'), resourceGroupName, privateDnsZoneName: zone.name,
    virtualNetworkId: vnetId, registrationEnabled: false, tags: resourceTags(holder, cloud),
  });
  return zone;
}

/** The store account's system topic (one per source account in Azure): made once per stack and account. */
function systemTopic(scope: IConstruct, cloud: AzureCloud, store: AzureModelBackupResources, storePath: string): EventgridSystemTopic {
  const stack = TerraformStack.of(scope);
  const id = `BlobEvents-${stableHash(storePath)}`;
  const existing = stack.node.tryFindChild(id) as EventgridSystemTopic | undefined;
  if (existing) return existing;
  return new EventgridSystemTopic(stack, id, {
    provider: azureProvider(stack, cloud),
    name: `evgt-${physicalName(stack, cloud, { maxLength: 120 }, 'blob-events', stableHash(storePath))}`,
    location: cloud.location,
    resourceGroupName: azureResourceGroupName(stack, cloud),
    sourceResourceId: store.storageAccount.id,
    topicType: 'Microsoft.Storage.StorageAccounts',
    // Delivers with this identity: the only kind Event Grid may use through a storage firewall (trusted service).
    identity: { type: 'SystemAssigned' },
    tags: resourceTags(stack, cloud),
  });
}

/**
 * The queue's storage account (with the queue, the dead-letter container and, when the store logs access, the same
 * access logs): the same encryption and network posture as the store.
 */
function queueAccount(scope: Construct, cloud: AzureCloud, storeCloud: AzureCloud, store: AzureModelBackupResources, tags: Record<string, string>) {
  const provider = azureProvider(scope, cloud);
  const resourceGroupName = azureResourceGroupName(scope, storeCloud);
  const modelsAccount = store.storageAccount;
  // The same encryption and network posture as the store: its key through its key identity (which may already
  // unwrap it), queues and tables under that key too (queue_encryption_key_type is set at creation only, which is
  // why the queue is not in the store's account), deny by default with the store's own firewall entries (Terraform's IP).
  const ipRules = modelsAccount.networkRulesInput?.ipRules;
  // Literal names in the EventSource (no reference): its pod retries until the queue exists.
  const accountName = physicalName(scope, cloud, { maxLength: 24, separator: '' }, 'q');
  const account = new StorageAccount(scope, 'Account', {
    provider,
    name: accountName,
    resourceGroupName,
    location: storeCloud.location,
    ...HARDENED_STORAGE_ACCOUNT,
    accountReplicationType: 'ZRS',
    queueEncryptionKeyType: 'Account',
    tableEncryptionKeyType: 'Account',
    publicNetworkAccessEnabled: true,
    networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], ...(ipRules?.length ? { ipRules } : {}) },

    identity: { type: 'UserAssigned', identityIds: [store.keyIdentity.id] },
    customerManagedKey: { keyVaultKeyId: store.key?.versionlessId ?? modelsAccount.customerManagedKey.keyVaultKeyId, userAssignedIdentityId: store.keyIdentity.id },
    blobProperties: {
      versioningEnabled: true,
      deleteRetentionPolicy: { days: 7 },
      containerDeleteRetentionPolicy: { days: 7 },
    },
    tags,
    // The key identity's grant on the key is waited for by the store's account (a store in another stack is deployed first).
    dependsOn: [modelsAccount],
  });
  Policy.skipCheckov(account, ['CKV_AZURE_59'], 'Event Grid delivers through the storage firewall as a trusted service (system-assigned '
    + 'identity), which Azure honours only while public network access is enabled for selected networks: the account denies every network '
    + 'by default (no virtual network rules; the bucket\'s IP rules for Terraform), and pods use the queue private endpoint.');
  Policy.skipCheckov(account, ['CKV_AZURE_206'], 'Transient event messages (4-day TTL) and dead letters of one pipeline: zone-redundant (ZRS) '
    + 'like the model bucket\'s own default; a lost region loses at most pending triggers, and the next upload or the schedule starts a run.');
  const queue = new StorageQueue(scope, 'Queue', { provider, name: QUEUE_NAME, storageAccountId: account.id });
  const deadLetters = new StorageContainer(scope, 'DeadLetters', { provider, name: DEAD_LETTER_CONTAINER, storageAccountId: account.id, containerAccessType: 'private' });
  // Access logs of the queue and the dead letters go where the store's blob access logs go (when it has them).
  const workspaceId = store.diagnosticSetting?.logAnalyticsWorkspaceId;
  if (workspaceId) {
    for (const service of ['queue', 'blob']) {
      new MonitorDiagnosticSetting(scope, `${service === 'queue' ? 'Queue' : 'Blob'}AccessLogs`, {
        provider, name: 'new-data-access-logs', targetResourceId: `${account.id}/${service}Services/default`, logAnalyticsWorkspaceId: workspaceId,
        enabledLog: [{ category: 'StorageRead' }, { category: 'StorageWrite' }, { category: 'StorageDelete' }],
        enabledMetric: [{ category: 'Transaction' }],
      });
    }
  }

  return { account, accountName, queue, deadLetters };
}

/** Account -> queue + dead-letter container -> private endpoint; topic -> subscription; the three role assignments. */
export function azureNewDataQueue(scope: Construct, cloud: AzureCloud, spec: NewDataQueueSpec): NewDataQueue {
  const storeCloud = spec.store.cloud;
  if (!(storeCloud instanceof AzureCloud)) throw new InvalidPropError(scope, 'data.store', spec.store.node.path, 'an Azure blob store');
  if (spec.reader.identityKind !== 'azure-user-assigned-identity') {
    throw new InvalidPropError(scope, 'identity', spec.reader.node.path, 'an Azure managed identity (azure-user-assigned-identity)');
  }
  const store = storeAccount(scope, spec);
  const { subnetId, vnetId } = endpointSubnet(scope, spec);
  const provider = azureProvider(scope, cloud);
  const tags = resourceTags(scope, cloud);
  const { account, accountName, queue, deadLetters } = queueAccount(scope, cloud, storeCloud, store, tags);
  const queueScope = `${account.id}/queueServices/default/queues/${queue.name}`;

  // Pods reach https://<account>.queue.core.windows.net through a private endpoint in the cluster's VNet.
  const zone = queueDnsZone(scope, cloud, vnetId, spec.cluster.node.path);
  const endpoint = new PrivateEndpoint(scope, 'QueueEndpoint', {
    provider, name: `pe-${physicalName(scope, cloud, { maxLength: 77 }, 'queue')}`, location: cloud.location, resourceGroupName: azureResourceGroupName(scope, cloud),
    subnetId, tags,
    privateServiceConnection: { name: 'queue', isManualConnection: false, privateConnectionResourceId: account.id, subresourceNames: ['queue'] },
    privateDnsZoneGroup: { name: 'queue', privateDnsZoneIds: [zone.id] },
  });

  const topic = systemTopic(scope, storeCloud, store, spec.store.node.path);
  const topicPrincipal = topic.identity.principalId;
  const sends = new RoleAssignment(scope, 'EventGridSends', {
    provider, scope: queueScope, roleDefinitionName: SENDER_ROLE, principalId: topicPrincipal, principalType: 'ServicePrincipal',
    description: `Event Grid delivers blob events to the new-data queue (${spec.description}, cdktf-ai-infra)`.slice(0, 1024),
  });
  const deadLetter = new RoleAssignment(scope, 'EventGridDeadLetters', {
    provider, scope: `${account.id}/blobServices/default/containers/${deadLetters.name}`, roleDefinitionName: 'Storage Blob Data Contributor',
    principalId: topicPrincipal, principalType: 'ServicePrincipal',
    description: `Event Grid writes undeliverable blob events (${spec.description}, cdktf-ai-infra)`.slice(0, 1024),
  });
  new RoleAssignment(scope, 'ReaderReceives', {
    provider, scope: queueScope, roleDefinitionName: READER_ROLE, principalId: spec.reader.principal, principalType: 'ServicePrincipal',
    description: `Reads the new-data queue (${spec.description}, cdktf-ai-infra)`.slice(0, 1024),
  });
  // Event Grid checks the destination with its identity when the subscription is created.
  const effective: ITerraformDependable = rbacPropagation(scope, 'EventGridRolesPropagation', [sends, deadLetter], KEY_VAULT_RBAC_WAIT);
  new EventgridSystemTopicEventSubscription(scope, 'Subscription', {
    provider,
    name: physicalName(scope, cloud, { maxLength: 64 }, 'new-data'),
    systemTopic: topic.name,
    resourceGroupName: topic.resourceGroupName,
    eventDeliverySchema: 'EventGridSchema',
    includedEventTypes: [BLOB_CREATED],
    subjectFilter: { subjectBeginsWith: blobCreatedSubject(spec.store.bucketName, spec.prefix), caseSensitive: true },
    deliveryIdentity: { type: 'SystemAssigned' },
    storageQueueEndpoint: { storageAccountId: account.id, queueName: queue.name, queueMessageTimeToLiveInSeconds: MESSAGE_TTL_SECONDS },
    deadLetterIdentity: { type: 'SystemAssigned' },
    storageBlobDeadLetterDestination: { storageAccountId: account.id, storageBlobContainerName: deadLetters.name },
    retryPolicy: { maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS, eventTimeToLive: EVENT_TTL_MINUTES },
    dependsOn: [effective],
  });
  return {
    eventSourceType: 'azureQueueStorage',
    // No connectionString: Argo Events then uses DefaultAzureCredential (AKS workload identity) against
    // https://<storageAccountName>.queue.core.windows.net. The body is kept as it comes (no base64 decoding, not
    // parsed as JSON): the Sensor uses no field of it, so no encoding of Event Grid's can make the source drop a
    // message. dlq false: Storage queues have no dead-letter queue (Event Grid dead-letters what it cannot deliver).
    eventSourceSpec: {
      storageAccountName: accountName, queueName: QUEUE_NAME, jsonBody: false, decodeMessage: false, dlq: false, waitTimeInSeconds: 20,
    },
    // The endpoint's address in the VNet: HTTPS from the source's pods to it, nothing else private.
    privateEgress: { cidrs: [`${endpoint.privateServiceConnection.privateIpAddress}/32`], port: 443 },
  };
}

/** Azure's half of a model pipeline (src/pipeline/spi.ts). */
export const pipeline: PipelineSpi<AzureCloud> = { newDataQueue: azureNewDataQueue };
