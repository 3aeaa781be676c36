import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { Aspects, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { AiInfraPolicyPack, Cloud, GpuTrainingCluster, Gpu, ModelBackupBucket, ModelPipeline, PolicyPack } from '../../src';
import { IModelStore } from '../../src/core/model-store';
import { listGrants } from '../../src/policy/grants';
import { BLOB_CREATED, READER_ROLE, SENDER_ROLE, blobCreatedSubject } from '../../src/clouds/azure/pipeline';
import { ARGO_EVENTS } from '../../src/k8s/charts';
import { ModelPipelineProps } from '../../src/pipeline/model-pipeline';
import { argoEventsValues } from '../../src/pipeline/events';
import { objectCreatedPattern } from '../../src/clouds/aws/pipeline';
import { Tenant } from '../../src/training/tenant';
import { expectInvalid } from '../expect-invalid';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { allowed, Cluster, NetworkPolicy } from '../k8s/netpol';
import { findObject, K8sObject } from '../k8s/validate';
import { FakeStore } from '../training/fakes';

const IMAGE = 'registry.example.com/aiinfra/trainer:1.0';
type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Resources = Record<string, Record<string, Loose>>;

function setup(cloud: Cloud = Cloud.aws({ region: 'us-east-1' })) {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud });
  const store = new FakeStore(stack, 'Models', cloud);
  const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
  const props = (over: Partial<ModelPipelineProps> = {}): ModelPipelineProps => ({
    cluster, tenant, image: IMAGE,
    data: { store, prefix: 'team/raw/chat/' },
    train: { preset: 'gpt-125m', gpusPerNode: 8, steps: 200 },
    trigger: { onNewData: true },
    ...over,
  });
  return { stack, cluster, store, tenant, props };
}

function resources(stack: TerraformStack): Record<string, Record<string, Record<string, unknown>>> {
  return JSON.parse(Testing.synth(stack)).resource;
}

describe('ModelPipeline trigger.onNewData on AWS', () => {
  test('EventBridge rule on Object Created under the prefix -> SQS (SSE, DLQ), queue policy for that rule only, receive grant on that queue only', () => {
    const { stack, props } = setup();
    // A long construct path: the physical names still fit SQS (80) and EventBridge (64).
    new ModelPipeline(stack, 'the-chat-model-pipeline-of-the-research-team-with-a-long-construct-id', props({ name: 'chat-model' }));
    const r = resources(stack);
    const rules = Object.values(r.aws_cloudwatch_event_rule);
    expect(rules).toHaveLength(1);
    expect(String(rules[0].name).length).toBeLessThanOrEqual(64);
    expect(JSON.parse(rules[0].event_pattern as string)).toEqual(objectCreatedPattern('bucket-models', 'team/raw/chat/'));
    const queues = Object.entries(r.aws_sqs_queue);
    expect(queues).toHaveLength(2);
    // Both queues under the pipeline's own customer-managed key (AI-AWS-SQS-1), not SQS-managed SSE.
    const keys = Object.entries(r.aws_kms_key).filter(([id]) => id.includes('NewData'));
    expect(keys).toHaveLength(1);
    for (const [, q] of queues) {
      expect(q.sqs_managed_sse_enabled).toBeUndefined();
      expect(q.kms_master_key_id).toBe(`\${aws_kms_key.${keys[0][0]}.arn}`);
      expect(String(q.name).length).toBeLessThanOrEqual(80);
    }
    expect(keys[0][1]).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    const keyPolicy = JSON.parse(keys[0][1].policy as string).Statement as Loose[];
    expect(keyPolicy.map((st) => st.Sid)).toEqual(['KeyAdministration', 'EventBridgeSendsForTheRule', 'UseOnlyThroughSqs']);
    // EventBridge: data keys and decrypt, only when it sends for this rule.
    expect(keyPolicy[1]).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:GenerateDataKey', 'kms:Decrypt'] });
    expect(keyPolicy[1].Condition.ArnEquals['aws:SourceArn']).toMatch(/aws_cloudwatch_event_rule\..*Rule.*\.arn/);
    // The account's principals (the reader's role, through IAM) only through SQS in the region.
    expect(keyPolicy[2].Condition.StringEquals['kms:ViaService']).toBe('sqs.us-east-1.amazonaws.com');
    expect(keyPolicy[2].Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const main = queues.find(([id]) => id.includes('Queue'))![1];
    expect(JSON.parse(main.redrive_policy as string)).toMatchObject({ maxReceiveCount: 5 });
    expect(main.redrive_policy).toContain('aws_sqs_queue.');
    const target = Object.values(r.aws_cloudwatch_event_target)[0];
    expect(target.arn).toMatch(/aws_sqs_queue\..*Queue.*\.arn/);
    expect(target.dead_letter_config).toBeDefined();
    for (const qp of Object.values(r.aws_sqs_queue_policy)) {
      const st = JSON.parse(qp.policy as string).Statement;
      expect(st).toHaveLength(1);
      expect(st[0]).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' });
      expect(st[0].Condition.ArnEquals['aws:SourceArn']).toMatch(/aws_cloudwatch_event_rule\..*\.arn/);
    }
    const grants = Object.values(r.aws_iam_role_policy).filter((p) => (p.policy as string).includes('sqs:'));
    expect(grants).toHaveLength(1);
    const grant = JSON.parse(grants[0].policy as string).Statement;
    expect(grant).toEqual([{
      Sid: 'ReceiveNewDataEvents', Effect: 'Allow', Resource: expect.stringMatching(/aws_sqs_queue\..*Queue.*\.arn/),
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
    }, {
      Sid: 'DecryptNewDataEvents', Effect: 'Allow', Resource: `\${aws_kms_key.${keys[0][0]}.arn}`, Action: ['kms:Decrypt'],
    }]);
    // The grant is on the event identity's role, not the pipeline's.
    expect(grants[0].role).toMatch(/EventsIdentity/);
    // Argo Events once per cluster, pinned.
    const releases = Object.values(r.helm_release).filter((h) => h.chart === 'argo-events');
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ repository: ARGO_EVENTS.repository, version: ARGO_EVENTS.version, namespace: 'argo-events' });
  });

  test('EventSource (sqs, event identity), Sensor creating a Workflow from the template per debounce window, create-only RBAC, bus policies', () => {
    const { stack, props } = setup();
    const p = new ModelPipeline(stack, 'chat-model', props({ trigger: { onNewData: { minIntervalMinutes: 30 } } }));
    new ModelPipeline(stack, 'other', props({ name: 'other', data: { store: props().data.store, prefix: 'team/raw/other/' } }));
    const objects = p.workload.render().objects as K8sObject[];
    const es = findObject(objects, 'EventSource', 'chat-model-new-data');
    expect(es.spec.sqs['new-data']).toEqual({ region: 'us-east-1', queue: expect.any(String), waitTimeSeconds: 20, jsonBody: true });
    expect(es.spec.sqs['new-data'].accessKey).toBeUndefined();
    expect(es.spec.template.serviceAccountName).toBe('chat-model-new-data');
    const sensor = findObject(objects, 'Sensor', 'chat-model');
    const trigger = sensor.spec.triggers[0].template.k8s;
    expect(trigger.operation).toBe('create');
    expect(trigger.source.resource.spec).toEqual({ workflowTemplateRef: { name: 'chat-model' } });
    expect(trigger.parameters[0]).toEqual({ src: { dependencyName: 'new-data', dataTemplate: 'chat-model-data-{{ div (now | unixEpoch) 1800 }}' }, dest: 'metadata.name' });
    const role = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'chat-model-sensor')!;
    expect(role.rules).toEqual([{ apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create'] }]);
    const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'chat-model-sensor')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'chat-model-sensor', namespace: 'team' }]);
    const ingress = findObject(objects, 'NetworkPolicy', 'chat-model-events-ingress');
    expect(ingress.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 4222 }]);
    // Two pipelines, one Argo Events.
    expect(JSON.parse(Testing.synth(stack)).resource.helm_release).toBeDefined();
    expect(Object.values(resources(stack).helm_release).filter((h) => h.chart === 'argo-events')).toHaveLength(1);
  });

  test('the objects match the Argo Events v1.9.10 JSON schema (its Go module; fails when the module is missing)', () => {
    const dir = moduleDir();
    const schema = JSON.parse(fs.readFileSync(path.join(dir, 'api/jsonschema/schema.json'), 'utf8'));
    delete schema.$schema;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema(schema);
    const checked = [Cloud.aws({ region: 'us-east-1' }), Cloud.gcp({ project: 'ml-platform', region: 'us-central1' }), AZURE].flatMap((cloud) => {
      const { stack, props } = cloud === AZURE ? setupAzure() : setup(cloud);
      const p = new ModelPipeline(stack, 'chat-model', props());
      return (p.workload.render().objects as K8sObject[]).filter((o) => ['EventSource', 'Sensor', 'EventBus'].includes(o.kind));
    });
    expect(checked).toHaveLength(9);
    expect(checked.filter((o) => o.kind === 'EventSource').map((o) => Object.keys(o.spec).find((k) => !['eventBusName', 'template'].includes(k)))).toEqual(['sqs', 'pubSub', 'azureQueueStorage']);
    for (const o of checked) {
      const validate = ajv.getSchema(`${schema.$id}#/definitions/io.argoproj.events.v1alpha1.${o.kind}`)!;
      expect(validate).toBeDefined();
      expect({ kind: o.kind, ok: validate(o), errors: validate.errors ?? null }).toEqual({ kind: o.kind, ok: true, errors: null });
    }
    // The schema bites: a wrongly typed field fails.
    const sensor = checked.find((o) => o.kind === 'Sensor')!;
    const bad = JSON.parse(JSON.stringify(sensor));
    bad.spec.dependencies[0].eventName = 42;
    expect(ajv.getSchema(`${schema.$id}#/definitions/io.argoproj.events.v1alpha1.Sensor`)!(bad)).toBe(false);
    // and the Azure source's fields are the Go type's: a misspelt or mistyped one fails.
    const aqs = ajv.getSchema(`${schema.$id}#/definitions/io.argoproj.events.v1alpha1.AzureQueueStorageEventSource`)!;
    const source = checked.find((o) => o.spec.azureQueueStorage)!.spec.azureQueueStorage['new-data'];
    expect(aqs(source)).toBe(true);
    expect(aqs({ ...source, waitTimeInSeconds: '20' })).toBe(false);
    const noQueue = { ...source };
    delete noQueue.queueName;
    expect(aqs(noQueue)).toBe(false);
  });

  test('NetworkPolicies: the source and the Sensor reach the bus, the peers each other, nobody else in the tenant does', () => {
    const { stack, props, tenant } = setup();
    const p = new ModelPipeline(stack, 'chat-model', props());
    const objects = [...(p.workload.render().objects as K8sObject[]), ...(tenant.workload.render().objects as K8sObject[])];
    const c: Cluster = { namespaces: { team: {} }, policies: objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicy[] };
    const pod = (labels: Record<string, string>, ip: string) => ({ namespace: 'team', labels, ip });
    const bus = pod({ 'controller': 'eventbus-controller', 'eventbus-name': 'chat-model-events' }, '10.64.0.2');
    const peer = pod({ 'controller': 'eventbus-controller', 'eventbus-name': 'chat-model-events' }, '10.64.0.3');
    const source = pod({ 'eventsource-name': 'chat-model-new-data' }, '10.64.0.4');
    const sensorPod = pod({ 'sensor-name': 'chat-model' }, '10.64.0.5');
    const other = pod({ app: 'notebook' }, '10.64.0.6');
    expect(allowed(c, source, bus, 4222)).toBe(true);
    expect(allowed(c, sensorPod, bus, 4222)).toBe(true);
    expect(allowed(c, peer, bus, 6222)).toBe(true);
    expect(allowed(c, other, bus, 4222)).toBe(false);
    expect(allowed(c, source, bus, 6222)).toBe(false);
    // The Sensor reaches the API server (a private control-plane address).
    expect(allowed(c, sensorPod, { ip: '172.16.0.10' }, 443)).toBe(true);
  });

  test('the policy pack finds nothing on the new-data resources (AI-AWS-SQS-1: both queues under a customer-managed key)', () => {
    const { stack, props } = setup();
    new ModelPipeline(stack, 'chat-model', props());
    Aspects.of(stack).add(new AiInfraPolicyPack());
    const findings = PolicyPack.check(stack).filter((f) => f.constructPath.includes('/NewData'));
    expect(findings.map((f) => `${f.ruleId} ${f.subject} ${f.suppressedReason ?? ''}`)).toEqual([]);
    // and the rule bites on these queues: back on SQS-managed SSE (as before), it reports both.
    const queues = stack.node.findAll().filter((c): c is SqsQueue => c instanceof SqsQueue);
    expect(queues).toHaveLength(2);
    for (const q of queues) {
      q.addOverride('kms_master_key_id', null);
      q.addOverride('sqs_managed_sse_enabled', true);
    }
    expect(PolicyPack.check(stack).filter((f) => f.constructPath.includes('/NewData')).map((f) => f.ruleId)).toEqual(['AI-AWS-SQS-1', 'AI-AWS-SQS-1']);
  });

  test('chart values: controller only, no webhook, restricted, system pool', () => {
    const v = argoEventsValues() as Record<string, Record<string, unknown>>;
    expect(v.webhook).toEqual({ enabled: false });
    expect(v.controller.containerSecurityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
  });
});

describe('ModelPipeline trigger.onNewData on GCP', () => {
  test('GCS notification (OBJECT_FINALIZE under the prefix) -> topic -> subscription with a dead-letter topic; subscriber grant on that subscription only', () => {
    const { stack, props } = setup(Cloud.gcp({ project: 'ml-platform', region: 'us-central1' }));
    const p = new ModelPipeline(stack, 'chat-model', props());
    const r = resources(stack);
    const notes = Object.values(r.google_storage_notification);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ bucket: 'bucket-models', payload_format: 'JSON_API_V1', event_types: ['OBJECT_FINALIZE'], object_name_prefix: 'team/raw/chat/' });
    expect(notes[0].topic).toMatch(/google_pubsub_topic\..*Topic.*\.id/);
    expect(notes[0].depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/google_pubsub_topic_iam_member\..*StoragePublishes/)]));
    const subs = Object.values(r.google_pubsub_subscription);
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ ack_deadline_seconds: 60, expiration_policy: { ttl: '' }, dead_letter_policy: { max_delivery_attempts: 5 } });
    const members = Object.values(r.google_pubsub_subscription_iam_member);
    const reader = members.filter((m) => String(m.member).includes('EventsIdentity'));
    expect(reader).toHaveLength(1);
    expect(reader[0]).toMatchObject({ role: 'roles/pubsub.subscriber' });
    expect(reader[0].subscription).toMatch(/google_pubsub_subscription\..*Subscription.*\.name/);
    // Besides Pub/Sub's own agent (dead-lettering), only the event identity subscribes.
    const others = members.filter((m) => !String(m.member).includes('gcp-sa-pubsub'));
    expect(others).toEqual(reader);
    const objects = p.workload.render().objects as K8sObject[];
    const es = findObject(objects, 'EventSource', 'chat-model-new-data');
    expect(es.spec.pubSub['new-data']).toEqual({ projectID: 'ml-platform', subscriptionID: expect.any(String), deleteSubscriptionOnFinish: false, jsonBody: true });
    expect(es.spec.pubSub['new-data'].topic).toBeUndefined();
    expect(es.spec.pubSub['new-data'].credentialSecret).toBeUndefined();
  });

  test('both topics are encrypted with the pipeline\'s own key in the bucket\'s region (Pub/Sub\'s agent holds the key; messages stay in that region)', () => {
    const { stack, props } = setup(Cloud.gcp({ project: 'ml-platform', region: 'us-central1' }));
    new ModelPipeline(stack, 'chat-model', props());
    const r = resources(stack);
    const keys = Object.entries(r.google_kms_crypto_key).filter(([id]) => id.includes('chat-model'));
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0];
    expect(key).toMatchObject({ purpose: 'ENCRYPT_DECRYPT', rotation_period: `${90 * 86400}s`, lifecycle: { prevent_destroy: true } });
    const ring = Object.entries(r.google_kms_key_ring).find(([id]) => String(key.key_ring).includes(id));
    expect(ring?.[1]).toMatchObject({ location: 'us-central1', project: 'ml-platform' });
    const topics = Object.entries(r.google_pubsub_topic).filter(([id]) => id.includes('chat-model'));
    expect(topics.map(([id]) => id.replace(/.*_(Topic|DeadLetters)_.*/, '$1')).sort()).toEqual(['DeadLetters', 'Topic']);
    for (const [, t] of topics) {
      expect(t.kms_key_name).toBe(`\${google_kms_crypto_key.${keyId}.id}`);
      expect(t.message_storage_policy).toEqual({ allowed_persistence_regions: ['us-central1'] });
      expect(t.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/google_kms_crypto_key_iam_member\..*KeyAccessPubsub/)]));
    }
    const access = Object.entries(r.google_kms_crypto_key_iam_member).filter(([id]) => id.includes('KeyAccessPubsub') && id.includes('chat-model'));
    expect(access).toHaveLength(1);
    expect(access[0][1]).toMatchObject({ role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', crypto_key_id: `\${google_kms_crypto_key.${keyId}.id}` });
    expect(String(access[0][1].member)).toContain('gcp-sa-pubsub');
    // the policy pack's CMEK rule on these topics (it failed on them before the key)
    const { PolicyPack } = require('../../src/policy/pack') as typeof import('../../src/policy/pack');
    expect(PolicyPack.errors(stack).filter((f) => f.ruleId === 'AI-GCP-PUBSUB-1')).toEqual([]);
  });
});

const AZURE = Cloud.azure({ subscriptionId: '00000000-0000-0000-0000-000000000000', location: 'eastus' });
const SUBNET = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet-ml/subnets/endpoints';

/** An Azure pipeline on a real ModelBackupBucket (its account, key and key identity), on a fake cluster. */
function setupAzure(o: { accessLogs?: boolean; store?: (stack: TerraformStack) => IModelStore } = {}) {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: AZURE });
  const store = o.store?.(stack) ?? new ModelBackupBucket(stack, 'Models', { cloud: AZURE, accessLogs: o.accessLogs ?? false, forceDestroy: true });
  const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
  const props = (over: Partial<ModelPipelineProps> = {}): ModelPipelineProps => ({
    cluster, tenant, image: IMAGE,
    data: { store, prefix: 'team/raw/chat/' },
    train: { preset: 'gpt-125m', gpusPerNode: 8, steps: 200 },
    trigger: { onNewData: { privateEndpointSubnetId: SUBNET } },
    ...over,
  });
  return { stack, cluster, store, tenant, props };
}

const only = (r: Resources, type: string) => {
  const all = Object.entries(r[type] ?? {});
  expect({ type, count: all.length }).toEqual({ type, count: 1 });
  return { id: all[0][0], body: all[0][1] };
};

/**
 * What the Azure chain must be, as a list of problems (empty: fine): BlobCreated under the prefix only, delivered with the
 * topic's identity to the queue, dead letters to the container, the queue account private (no shared keys, deny by
 * default, CMK for queues), reachable through a queue private endpoint whose DNS zone is linked, and the reader
 * holding exactly one role: READER_ROLE on the queue. Run on the synthesized stack and on broken copies of it.
 */
function azureChainProblems(r: Resources, expectPrefix: string): string[] {
  const problems: string[] = [];
  const subs = Object.values(r.azurerm_eventgrid_system_topic_event_subscription ?? {});
  if (subs.length !== 1) return [`${subs.length} event subscriptions`];
  const sub = subs[0];
  if (JSON.stringify(sub.included_event_types) !== JSON.stringify([BLOB_CREATED])) problems.push(`event types ${JSON.stringify(sub.included_event_types)}`);
  if (sub.subject_filter?.subject_begins_with !== blobCreatedSubject('models', expectPrefix)) problems.push(`subject filter ${sub.subject_filter?.subject_begins_with}`);
  if (sub.delivery_identity?.type !== 'SystemAssigned' || sub.dead_letter_identity?.type !== 'SystemAssigned') problems.push('delivery without the topic identity');
  const queues = Object.entries(r.azurerm_storage_queue ?? {});
  if (queues.length !== 1 || !String(sub.storage_queue_endpoint?.queue_name).includes(`azurerm_storage_queue.${queues[0]?.[0]}.name`)) problems.push('not delivered to the queue');
  const accounts = Object.entries(r.azurerm_storage_account ?? {}).filter(([, a]) => a.queue_encryption_key_type === 'Account');
  if (accounts.length !== 1) return [...problems, `${accounts.length} queue accounts with queues under the account key`];
  const [accountId, account] = accounts[0];
  if (!String(sub.storage_queue_endpoint?.storage_account_id).includes(`azurerm_storage_account.${accountId}.id`)) problems.push('the endpoint names another account');
  if (!String(sub.storage_blob_dead_letter_destination?.storage_account_id).includes(`azurerm_storage_account.${accountId}.id`)) problems.push('no dead-letter destination');
  if (account.shared_access_key_enabled !== false) problems.push('shared keys on');
  if (account.network_rules?.default_action !== 'Deny' || !account.network_rules?.bypass?.includes('AzureServices')) problems.push('queue account not deny-by-default with the trusted-services bypass');
  if (!account.customer_managed_key?.key_vault_key_id || account.infrastructure_encryption_enabled !== true) problems.push('no CMK / infrastructure encryption');
  const endpoints = Object.values(r.azurerm_private_endpoint ?? {}).filter((e) => String(e.private_service_connection?.private_connection_resource_id).includes(`azurerm_storage_account.${accountId}.id`));
  if (endpoints.length !== 1 || JSON.stringify(endpoints[0].private_service_connection.subresource_names) !== '["queue"]') problems.push('no queue private endpoint');
  else {
    const zones = Object.entries(r.azurerm_private_dns_zone ?? {}).filter(([, z]) => z.name === 'privatelink.queue.core.windows.net');
    if (zones.length !== 1 || !endpoints[0].private_dns_zone_group?.private_dns_zone_ids?.some((z: string) => z.includes(`azurerm_private_dns_zone.${zones[0][0]}.id`))) problems.push('no privatelink.queue DNS zone on the endpoint');
    else if (!Object.values(r.azurerm_private_dns_zone_virtual_network_link ?? {}).some((l) => String(l.private_dns_zone_name).includes(zones[0][0]))) problems.push('the DNS zone is linked to no VNet');
  }
  const assignments = Object.values(r.azurerm_role_assignment ?? {});
  const reader = assignments.filter((a) => String(a.principal_id).includes('EventsIdentity'));
  if (reader.length !== 1 || reader[0].role_definition_name !== READER_ROLE || !String(reader[0].scope).endsWith(`/queueServices/default/queues/\${azurerm_storage_queue.${queues[0]?.[0]}.name}`)) {
    problems.push(`event identity holds ${JSON.stringify(reader.map((a) => `${a.role_definition_name} on ${a.scope}`))}`);
  }
  return problems;
}

describe('ModelPipeline trigger.onNewData on Azure', () => {
  test('Event Grid system topic on the store account -> BlobCreated under the prefix -> Storage queue (private endpoint, CMK), reader holds only Message Processor on it', () => {
    const { stack, props } = setupAzure();
    const p = new ModelPipeline(stack, 'chat-model', props());
    const r = resources(stack) as Resources;
    expect(azureChainProblems(r, 'team/raw/chat/')).toEqual([]);
    const topic = only(r, 'azurerm_eventgrid_system_topic');
    const models = Object.entries(r.azurerm_storage_account).find(([id]) => id.startsWith('Models'))!;
    expect(topic.body).toMatchObject({ topic_type: 'Microsoft.Storage.StorageAccounts', identity: { type: 'SystemAssigned' }, location: 'eastus' });
    expect(topic.body.source_resource_id).toBe(`\${azurerm_storage_account.${models[0]}.id}`);
    const sub = only(r, 'azurerm_eventgrid_system_topic_event_subscription').body;
    expect(sub.subject_filter).toEqual({ subject_begins_with: '/blobServices/default/containers/models/blobs/team/raw/chat/', case_sensitive: true });
    expect(sub.storage_queue_endpoint.queue_message_time_to_live_in_seconds).toBe(4 * 24 * 3600);
    expect(sub.retry_policy).toEqual({ max_delivery_attempts: 30, event_time_to_live: 1440 });
    // The subscription waits for Event Grid's roles to be effective (it checks the destination at creation).
    expect(sub.depends_on).toEqual([expect.stringMatching(/^time_sleep\..*EventGridRolesPropagation/)]);
    // The queue account uses the store's key through the store's key identity.
    const account = Object.values(r.azurerm_storage_account).find((a) => a.queue_encryption_key_type === 'Account')!;
    const keyIdentity = Object.keys(r.azurerm_user_assigned_identity).find((id) => id.startsWith('Models_KeyIdentity'))!;
    expect(account.customer_managed_key).toEqual({
      key_vault_key_id: expect.stringMatching(/^\$\{azurerm_key_vault_key\.Models_Key_.*\.versionless_id\}$/),
      user_assigned_identity_id: `\${azurerm_user_assigned_identity.${keyIdentity}.id}`,
    });
    expect(account).toMatchObject({ table_encryption_key_type: 'Account', min_tls_version: 'TLS1_2', public_network_access_enabled: true, local_user_enabled: false });
    expect(account.name).toMatch(/^[a-z0-9]{3,24}$/);
    // The private endpoint in the given subnet; the zone linked to that subnet's VNet.
    const pe = only(r, 'azurerm_private_endpoint').body;
    expect(pe.subnet_id).toBe(SUBNET);
    expect(only(r, 'azurerm_private_dns_zone_virtual_network_link').body.virtual_network_id).toBe(SUBNET.replace(/\/subnets\/endpoints$/, ''));
    // Event Grid's identity: sender on the queue, blob writer on the dead-letter container; nothing broad anywhere.
    const assignments = Object.values(r.azurerm_role_assignment).filter((a) => String(a.principal_id).includes('azurerm_eventgrid_system_topic'));
    expect(assignments.map((a) => a.role_definition_name).sort()).toEqual(['Storage Blob Data Contributor', SENDER_ROLE]);
    const scopeOf = (role: string) => String(assignments.find((a) => a.role_definition_name === role)!.scope);
    expect(scopeOf(SENDER_ROLE)).toMatch(/^\$\{azurerm_storage_account\.[^}]*NewData[^}]*\.id\}\/queueServices\/default\/queues\/\$\{azurerm_storage_queue\./);
    expect(scopeOf('Storage Blob Data Contributor')).toMatch(/^\$\{azurerm_storage_account\.[^}]*NewData[^}]*\.id\}\/blobServices\/default\/containers\/\$\{azurerm_storage_container\.[^}]*DeadLetters/);
    for (const a of assignments) expect(String(a.scope)).toMatch(/\/(queueServices\/default\/queues|blobServices\/default\/containers)\/\$\{azurerm_storage_(queue|container)\..*NewData/);
    const grants = listGrants({ resource: r } as never).filter((g) => g.address.includes('NewData'));
    expect(grants.map((g) => g.what).sort()).toEqual([READER_ROLE, 'Storage Blob Data Contributor', SENDER_ROLE].sort());
    expect(grants.flatMap((g) => g.broad)).toEqual([]);
    // No account keys: the account cannot hand out shared keys, and nothing reads one.
    expect(JSON.stringify(r)).not.toMatch(/primary_access_key|primary_connection_string/);
    expect(p.node.path).toBe('plat/chat-model');
  });

  test('EventSource azureQueueStorage: account and queue by name, workload identity (no connection string), body kept as sent', () => {
    const { stack, props, cluster } = setupAzure();
    const p = new ModelPipeline(stack, 'chat-model', props());
    const r = resources(stack) as Resources;
    const account = Object.values(r.azurerm_storage_account).find((a) => a.queue_encryption_key_type === 'Account')!;
    const es = findObject(p.workload.render().objects as K8sObject[], 'EventSource', 'chat-model-new-data');
    expect(es.spec.azureQueueStorage['new-data']).toEqual({
      storageAccountName: account.name, queueName: 'new-data', jsonBody: false, decodeMessage: false, dlq: false, waitTimeInSeconds: 20,
    });
    expect(es.spec.azureQueueStorage['new-data'].connectionString).toBeUndefined();
    expect(es.spec.template.serviceAccountName).toBe('chat-model-new-data');
    // The event identity is federated to the source's ServiceAccount (the cluster's binding), and is not the pipeline's.
    const binding = cluster.bindings.find((b) => b.serviceAccount === 'chat-model-new-data')!;
    expect(binding.identity.node.path).toBe('plat/chat-model/EventsIdentity');
    expect(binding.namespace).toBe('team');
    // The Sensor is the other clouds' (debounce by window name).
    const sensor = findObject(p.workload.render().objects as K8sObject[], 'Sensor', 'chat-model');
    expect(sensor.spec.triggers[0].template.k8s.parameters[0].src.dataTemplate).toBe('chat-model-data-{{ div (now | unixEpoch) 3600 }}');
  });

  test('NetworkPolicy: the source pods reach the queue private endpoint\'s address on 443 (the tenant egress excludes private ranges)', () => {
    const { stack, props, tenant } = setupAzure();
    const p = new ModelPipeline(stack, 'chat-model', props());
    const objects = p.workload.render().objects as K8sObject[];
    const np = findObject(objects, 'NetworkPolicy', 'chat-model-new-data-queue-egress');
    expect(np.spec.podSelector).toEqual({ matchLabels: { 'eventsource-name': 'chat-model-new-data' } });
    expect(np.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: expect.stringMatching(/\/32$/) } }], ports: [{ protocol: 'TCP', port: 443 }] }]);
    // The address is the endpoint's, resolved by Terraform in the release's values.
    const values = JSON.stringify(Object.values((resources(stack) as Resources).helm_release).map((h) => h.values));
    expect(values).toMatch(/azurerm_private_endpoint\.[^.]*QueueEndpoint[^.]*\.private_service_connection\[0\]\.private_ip_address/);
    // With that address in place, only the source reaches it, and only on 443; the tenant's other pods do not.
    const withIp = JSON.parse(JSON.stringify(np).replace(/"cidr":"[^"]*\/32"/, '"cidr":"10.0.0.9/32"'));
    const all = [...objects.filter((o) => o.kind === 'NetworkPolicy' && o !== np), withIp, ...(tenant.workload.render().objects as K8sObject[]).filter((o) => o.kind === 'NetworkPolicy')];
    const c: Cluster = { namespaces: { team: {} }, policies: all as unknown as NetworkPolicy[] };
    const source = { namespace: 'team', labels: { 'eventsource-name': 'chat-model-new-data' }, ip: '10.64.0.4' };
    const other = { namespace: 'team', labels: { app: 'notebook' }, ip: '10.64.0.6' };
    expect(allowed(c, source, { ip: '10.0.0.9' }, 443)).toBe(true);
    expect(allowed(c, source, { ip: '10.0.0.9' }, 80)).toBe(false);
    expect(allowed(c, source, { ip: '10.0.0.10' }, 443)).toBe(false);
    expect(allowed(c, other, { ip: '10.0.0.9' }, 443)).toBe(false);
  });

  test('the chain checker bites: a wrong prefix filter, a missing private endpoint, an over-granted identity, shared keys', () => {
    const { stack, props } = setupAzure();
    new ModelPipeline(stack, 'chat-model', props());
    const good = resources(stack) as Resources;
    const broken = (edit: (r: Resources) => void) => {
      const r = JSON.parse(JSON.stringify(good)) as Resources;
      edit(r);
      return azureChainProblems(r, 'team/raw/chat/');
    };
    const sub = (r: Resources) => Object.values(r.azurerm_eventgrid_system_topic_event_subscription)[0];
    const account = (r: Resources) => Object.values(r.azurerm_storage_account).find((a) => a.queue_encryption_key_type === 'Account')!;
    expect(broken((r) => { sub(r).subject_filter.subject_begins_with = blobCreatedSubject('models', 'team/'); })).toEqual([expect.stringMatching(/^subject filter/)]);
    expect(broken((r) => { sub(r).included_event_types = [BLOB_CREATED, 'Microsoft.Storage.BlobDeleted']; })).toEqual([expect.stringMatching(/^event types/)]);
    expect(broken((r) => { delete r.azurerm_private_endpoint; })).toEqual(['no queue private endpoint']);
    expect(broken((r) => { delete r.azurerm_private_dns_zone_virtual_network_link; })).toEqual(['the DNS zone is linked to no VNet']);
    expect(broken((r) => { account(r).shared_access_key_enabled = true; })).toEqual(['shared keys on']);
    expect(broken((r) => { account(r).network_rules.default_action = 'Allow'; })).toEqual([expect.stringMatching(/deny-by-default/)]);
    expect(broken((r) => { delete sub(r).delivery_identity; })).toEqual(['delivery without the topic identity']);
    expect(broken((r) => {
      const reader = Object.values(r.azurerm_role_assignment).find((a) => String(a.principal_id).includes('EventsIdentity'))!;
      r.azurerm_role_assignment.extra = { ...reader, role_definition_name: 'Storage Queue Data Contributor' };
    })).toEqual([expect.stringMatching(/^event identity holds .*Storage Queue Data Contributor/)]);
    expect(broken((r) => {
      const reader = Object.values(r.azurerm_role_assignment).find((a) => String(a.principal_id).includes('EventsIdentity'))!;
      reader.scope = String(reader.scope).replace(/\/queueServices\/.*$/, '');
    })).toEqual([expect.stringMatching(/^event identity holds/)]);
  });

  test('two pipelines on one store: one system topic (Azure allows one per account), one DNS zone, a queue account each', () => {
    const { stack, props, store } = setupAzure();
    new ModelPipeline(stack, 'chat-model', props());
    new ModelPipeline(stack, 'other', props({ name: 'other', data: { store, prefix: 'team/raw/other/' } }));
    const r = resources(stack) as Resources;
    expect(Object.keys(r.azurerm_eventgrid_system_topic)).toHaveLength(1);
    expect(Object.keys(r.azurerm_private_dns_zone)).toHaveLength(1);
    expect(Object.keys(r.azurerm_private_dns_zone_virtual_network_link)).toHaveLength(1);
    const subs = Object.values(r.azurerm_eventgrid_system_topic_event_subscription);
    expect(subs.map((x) => x.subject_filter.subject_begins_with).sort()).toEqual([
      '/blobServices/default/containers/models/blobs/team/raw/chat/', '/blobServices/default/containers/models/blobs/team/raw/other/',
    ]);
    expect(new Set(subs.map((x) => x.name)).size).toBe(2);
    const accounts = Object.values(r.azurerm_storage_account).filter((a) => a.queue_encryption_key_type === 'Account');
    expect(new Set(accounts.map((a) => a.name)).size).toBe(2);
  });

  test('the policy pack finds nothing on the new-data resources; CKV_AZURE_33 is exempt only with queue access logs', () => {
    const { stack, props } = setupAzure({ accessLogs: true });
    new ModelPipeline(stack, 'chat-model', props());
    Aspects.of(stack).add(new AiInfraPolicyPack());
    const findings = PolicyPack.check(stack).filter((f) => /\/NewData|BlobEvents|NewDataQueueDns/.test(f.constructPath) && !f.suppressedReason);
    expect(findings.map((f) => `${f.ruleId} ${f.subject}`)).toEqual([]);
    const tf = (Testing.synth(stack), stack.toTerraform()) as { resource: Resources };
    const skips = (type: string, pick: (id: string, body: Loose) => boolean) => Object.entries(tf.resource[type]).filter(([id, b]) => pick(id, b))
      .map(([, b]) => (b['//']?.checkov?.skip ?? []).map((k: { id: string }) => k.id));
    const r = tf.resource;
    // The queue account: exempt through its queue diagnostic setting; the store's account: no queue in it.
    expect(Object.values(r.azurerm_monitor_diagnostic_setting).map((d) => String(d.target_resource_id)).filter((t) => t.includes('queueServices'))).toHaveLength(1);
    expect(skips('azurerm_storage_account', (_id, b) => b.queue_encryption_key_type === 'Account')).toEqual([expect.arrayContaining(['CKV_AZURE_33'])]);
    expect(skips('azurerm_storage_account', (id) => id.startsWith('Models'))).toEqual([expect.arrayContaining(['CKV_AZURE_33'])]);
  });

  test('without the store\'s access logs the queue account has no diagnostic setting and no CKV_AZURE_33 exemption (checkov reports it)', () => {
    const { stack, props } = setupAzure({ accessLogs: false });
    new ModelPipeline(stack, 'chat-model', props());
    Aspects.of(stack).add(new AiInfraPolicyPack());
    Testing.synth(stack);
    const r = (stack.toTerraform() as { resource: Resources }).resource;
    expect(r.azurerm_monitor_diagnostic_setting).toBeUndefined();
    const account = Object.values(r.azurerm_storage_account).find((a) => a.queue_encryption_key_type === 'Account')!;
    expect((account['//']?.checkov?.skip ?? []).map((k: { id: string }) => k.id)).not.toContain('CKV_AZURE_33');
  });

  test('a subnet id known only at apply (a variable): the VNet id is cut from it by Terraform', () => {
    const { stack, props } = setupAzure();
    const subnet = new TerraformVariable(stack, 'endpoint_subnet', { type: 'string' });
    new ModelPipeline(stack, 'chat-model', props({ trigger: { onNewData: { privateEndpointSubnetId: subnet.stringValue } } }));
    const r = resources(stack) as Resources;
    expect(only(r, 'azurerm_private_endpoint').body.subnet_id).toBe('${var.endpoint_subnet}');
    expect(only(r, 'azurerm_private_dns_zone_virtual_network_link').body.virtual_network_id).toBe('${replace(var.endpoint_subnet, "/\\/subnets\\/[^/]+$/", "")}');
  });

  test('the bucket in another stack: a clear error instead of a cycle between the stacks', () => {
    const app = Testing.app();
    const data = new TerraformStack(app, 'data');
    const store = new ModelBackupBucket(data, 'Models', { cloud: AZURE, forceDestroy: true });
    const stack = new TerraformStack(app, 'plat');
    const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: AZURE });
    const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
    expectInvalid(() => new ModelPipeline(stack, 'chat-model', {
      cluster, tenant, image: IMAGE, data: { store, prefix: 'team/raw/chat/' }, train: { preset: 'gpt-125m', gpusPerNode: 8, steps: 200 },
      trigger: { onNewData: { privateEndpointSubnetId: SUBNET } },
    }), /data\.store = "data\/Models"/, /a ModelBackupBucket in this stack \(plat\)/, /the bucket is in data/);
  });

  test('on a GpuTrainingCluster with a new VNet the endpoint goes into its node subnet (no prop needed)', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'plat');
    const cluster = new GpuTrainingCluster(stack, 'Cluster', {
      cloud: AZURE, gpuPools: [{ name: 'h100', gpu: Gpu.H100_80GB, maxNodes: 2 }], authorizedNetworks: ['203.0.113.0/24'],
    });
    const store = new ModelBackupBucket(stack, 'Models', { cloud: AZURE, forceDestroy: true });
    const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
    new ModelPipeline(stack, 'chat-model', {
      cluster, tenant, image: IMAGE, data: { store, prefix: 'team/raw/chat/' }, train: { preset: 'gpt-125m', gpusPerNode: 8, steps: 200 }, trigger: { onNewData: true },
    });
    const r = resources(stack) as Resources;
    const subnet = only(r, 'azurerm_subnet').id;
    const vnet = only(r, 'azurerm_virtual_network').id;
    expect(only(r, 'azurerm_private_endpoint').body.subnet_id).toBe(`\${azurerm_subnet.${subnet}.id}`);
    expect(only(r, 'azurerm_private_dns_zone_virtual_network_link').body.virtual_network_id).toBe(`\${azurerm_virtual_network.${vnet}.id}`);
  });
});

describe('ModelPipeline trigger.onNewData validation', () => {
  test('a bad debounce window, a non-boolean value', () => {
    const { stack, props } = setup();
    expectInvalid(() => new ModelPipeline(stack, 'a', props({ trigger: { onNewData: { minIntervalMinutes: 1 } } })), /trigger\.onNewData\.minIntervalMinutes = 1/);
    expectInvalid(() => new ModelPipeline(stack, 'b', props({ trigger: { onNewData: 'yes' as never } })), /trigger\.onNewData/, /true, false/);
  });

  test('azure: an imported store, no known subnet, a malformed subnet id; privateEndpointSubnetId on aws; data outside the tenant prefix', () => {
    const imported = setupAzure({
      store: (stack) => ModelBackupBucket.fromBucketAttributes(stack, 'Imported', {
        cloud: AZURE, bucketName: 'models', storageAccountName: 'mlmodels',
        storageAccountId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml/providers/Microsoft.Storage/storageAccounts/mlmodels',
      }),
    });
    expectInvalid(() => new ModelPipeline(imported.stack, 'p', imported.props()), /data\.store = "plat\/Imported"/, /a ModelBackupBucket on Azure made in this app/);
    const a = setupAzure();
    expectInvalid(() => new ModelPipeline(a.stack, 'p', a.props({ trigger: { onNewData: true } })),
      /trigger\.onNewData\.privateEndpointSubnetId = undefined/, /a subnet of plat\/Cluster's VNet for the queue's private endpoint/);
    expectInvalid(() => new ModelPipeline(a.stack, 'q', a.props({ trigger: { onNewData: { privateEndpointSubnetId: 'vnet-ml/endpoints' } } })),
      /trigger\.onNewData\.privateEndpointSubnetId = "vnet-ml\/endpoints"/, /a subnet resource id/);
    expectInvalid(() => new ModelPipeline(a.stack, 'r', a.props({ data: { store: a.store, prefix: 'other-team/raw/' } })), /data\.prefix/);
    const { stack, props } = setup();
    expectInvalid(() => new ModelPipeline(stack, 'p', props({ trigger: { onNewData: { privateEndpointSubnetId: SUBNET } } })),
      /trigger\.onNewData\.privateEndpointSubnetId/, /unset on aws/);
  });

  test('a debounce window shorter than a run warns with the estimate', () => {
    const { stack, props } = setup();
    const p = new ModelPipeline(stack, 'p', props({ trigger: { onNewData: { minIntervalMinutes: 5 } } }));
    const warnings = p.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/minIntervalMinutes 5 is shorter than a run's estimate \(\d+ min\)/)]);
    const q = new ModelPipeline(stack, 'q', props({ data: { store: props().data.store, prefix: 'team/raw/q/' }, trigger: { onNewData: { minIntervalMinutes: 10080 } } }));
    expect(q.node.metadata.filter((m) => m.type === '@cdktf/warn')).toEqual([]);
  });

  test('onNewData: false adds nothing', () => {
    const { stack, props } = setup();
    new ModelPipeline(stack, 'p', props({ trigger: { onNewData: false } }));
    expect(resources(stack).aws_sqs_queue).toBeUndefined();
  });
});

/** The Argo Events v1.9.10 module: from the module cache, else `go mod download` (as test/system does); never skipped. */
function moduleDir(): string {
  const roots = [process.env.GOMODCACHE, path.join(process.env.GOPATH ?? path.join(process.env.HOME ?? '/root', 'go'), 'pkg/mod')].filter(Boolean) as string[];
  const cached = roots.map((r) => path.join(r, 'github.com/argoproj/argo-events@v1.9.10')).find((d) => fs.existsSync(d));
  if (cached) return cached;
  const r = spawnSync('go', ['mod', 'download', '-json', 'github.com/argoproj/argo-events@v1.9.10'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('The Argo Events schema check needs github.com/argoproj/argo-events@v1.9.10 from the Go module cache: `go mod download` '
      + `failed (${r.error?.message ?? r.stderr.trim()}); install Go (https://go.dev/dl/) or run bash scripts/tools/argo-events-params.sh`);
  }
  return JSON.parse(r.stdout).Dir as string;
}
