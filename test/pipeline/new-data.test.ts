import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { TerraformStack, Testing } from 'cdktf';
import { Cloud, ModelPipeline } from '../../src';
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
    for (const [, q] of queues) {
      expect(q.sqs_managed_sse_enabled).toBe(true);
      expect(String(q.name).length).toBeLessThanOrEqual(80);
    }
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

  test('the objects match the Argo Events v1.9.10 JSON schema (its Go module), when the module is in the cache', () => {
    const dir = moduleDir();
    if (!dir) {
      console.warn('argo-events v1.9.10 module not in GOMODCACHE: schema check skipped');
      return;
    }
    const schema = JSON.parse(fs.readFileSync(path.join(dir, 'api/jsonschema/schema.json'), 'utf8'));
    delete schema.$schema;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema(schema);
    const checked = [Cloud.aws({ region: 'us-east-1' }), Cloud.gcp({ project: 'ml-platform', region: 'us-central1' })].flatMap((cloud) => {
      const { stack, props } = setup(cloud);
      const p = new ModelPipeline(stack, 'chat-model', props());
      return (p.workload.render().objects as K8sObject[]).filter((o) => ['EventSource', 'Sensor', 'EventBus'].includes(o.kind));
    });
    expect(checked).toHaveLength(6);
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
});

describe('ModelPipeline trigger.onNewData validation', () => {
  test('a bad debounce window, a non-boolean value', () => {
    const { stack, props } = setup();
    expectInvalid(() => new ModelPipeline(stack, 'a', props({ trigger: { onNewData: { minIntervalMinutes: 1 } } })), /trigger\.onNewData\.minIntervalMinutes = 1/);
    expectInvalid(() => new ModelPipeline(stack, 'b', props({ trigger: { onNewData: 'yes' as never } })), /trigger\.onNewData/, /true, false/);
  });

  test('on azure it is a synth error naming what exists', () => {
    const { stack, props } = setup(Cloud.azure({ subscriptionId: '00000000-0000-0000-0000-000000000000', location: 'eastus' }));
    expectInvalid(() => new ModelPipeline(stack, 'p', props()), /trigger\.onNewData = true/, /nothing on azure/, /built on aws .* and gcp/);
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

function moduleDir(): string | undefined {
  const roots = [process.env.GOMODCACHE, path.join(process.env.GOPATH ?? path.join(process.env.HOME ?? '/root', 'go'), 'pkg/mod')].filter(Boolean) as string[];
  return roots.map((r) => path.join(r, 'github.com/argoproj/argo-events@v1.9.10')).find((d) => fs.existsSync(d));
}
