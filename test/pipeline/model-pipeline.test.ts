import { Construct } from 'constructs';
import { TerraformStack, Testing } from 'cdktf';
import { Cloud, InvalidPropError, ModelPipeline } from '../../src';
import type { IProgressiveDeployTarget } from '../../src/core/deploy-target';
import { ARGO_WORKFLOWS } from '../../src/k8s/charts';
import { KubernetesWorkload } from '../../src/k8s/delivery';
import { Tenant } from '../../src/training/tenant';
import { ModelPipelineProps } from '../../src/pipeline/model-pipeline';
import { minCronIntervalMinutes } from '../../src/pipeline/schedule';
import { argoWorkflowsValues } from '../../src/pipeline/engine';
import { expectInvalid } from '../expect-invalid';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { findObject, K8sObject } from '../k8s/validate';
import { FakeStore } from '../training/fakes';
import { FakeEndpoint } from './fake-endpoint';


const IMAGE = 'registry.example.com/aiinfra/trainer:1.0';

function setup() {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  const store = new FakeStore(stack, 'Models');
  const tenant = new Tenant(stack, 'team', { cluster, gpuQuota: 8, store });
  const endpoint = new FakeEndpoint(stack, 'Chat', store);
  const props = (over: Partial<ModelPipelineProps> = {}): ModelPipelineProps => ({
    cluster, tenant, image: IMAGE,
    data: { store, prefix: 'team/raw/chat/', format: 'jsonl', split: { validation: 0.02, test: 0.02 } },
    train: { preset: 'gpt-125m', gpusPerNode: 8, steps: 200 },
    evaluate: { maxLossRegression: 0.01 },
    deploy: { endpoint },
    trigger: { schedule: '0 3 * * 1' },
    ...over,
  });
  return { stack, cluster, store, tenant, endpoint, props };
}

function objectsOf(p: ModelPipeline) {
  return p.workload.render().objects as K8sObject[];
}

describe('ModelPipeline', () => {
  test('a WorkflowTemplate with the loop in order, a Forbid CronWorkflow, a mutex, retries on node loss', () => {
    const { stack, props } = setup();
    const p = new ModelPipeline(stack, 'chat-model', props());
    const objects = objectsOf(p);
    const wt = findObject(objects, 'WorkflowTemplate', 'chat-model');
    expect(wt.metadata.namespace).toBe('team');
    expect(wt.spec.serviceAccountName).toBe('chat-model');
    expect(wt.spec.synchronization).toEqual({ mutexes: [{ name: 'model-pipeline-chat-model' }] });
    const main = wt.spec.templates.find((t: { name: string }) => t.name === 'main');
    expect(main.steps.map((s: { name: string }[]) => s[0].name)).toEqual(['prep', 'train', 'evaluate', 'register', 'gate', 'deploy', 'canary-started', 'canary', 'promote']);
    for (const step of ['deploy', 'canary-started', 'canary', 'promote']) {
      expect(main.steps.find((s: { name: string }[]) => s[0].name === step)[0].when).toBe('{{steps.gate.outputs.result}} == 0');
    }
    const byName = (n: string) => wt.spec.templates.find((t: { name: string }) => t.name === n);
    expect(byName('prep').retryStrategy).toMatchObject({ retryPolicy: 'OnError', backoff: { duration: '1m', factor: 2 } });
    expect(byName('prep').script.source).toContain('"--source","s3://bucket-models/team/raw/chat/"');
    expect(byName('prep').script.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(wt.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    // The deploy step patches only the version annotation of the endpoint's Deployment; the canary step waits for Flagger.
    expect(byName('deploy').resource).toMatchObject({ action: 'patch', mergeStrategy: 'merge' });
    expect(byName('deploy').resource.manifest).toContain('ai-infra.dev/model-version: "{{inputs.parameters.version}}"');
    expect(byName('canary').resource).toMatchObject({
      action: 'get', successCondition: 'status.phase == Succeeded', failureCondition: 'status.phase in (Failed,Terminating,Terminated)',
    });
    // A Canary left at Failed by the previous (rolled-back) run must not count as this run's analysis having started.
    expect(byName('canary-started').resource.successCondition).not.toMatch(/Failed|Succeeded/);
    expect(byName('canary').resource.manifest).toContain('kind: Canary');
    expect(byName('canary-started').resource.successCondition).toMatch(/^status\.phase in \(Progressing,/);
    // Promotion moves the alias with the gate's conditional write, only after the canary.
    expect(byName('promote').script.source).toContain('registry.move_alias("production", version');
    expect(byName('gate').script.source).not.toContain('--promote');
    expect(byName('gate').metrics.prometheus[0]).toMatchObject({ name: 'aiinfra_model_pipeline_gate_rejections', gauge: { value: '{{outputs.result}}', realtime: false } });

    const cron = findObject(objects, 'CronWorkflow', 'chat-model');
    expect(cron.spec).toMatchObject({ schedules: ['0 3 * * 1'], concurrencyPolicy: 'Forbid', timezone: 'Etc/UTC', workflowSpec: { workflowTemplateRef: { name: 'chat-model' } } });
  });

  test('the train step creates a Kueue-admitted Job in the tenant queue, on the GPU pool', () => {
    const { stack, props } = setup();
    const p = new ModelPipeline(stack, 'chat-model', props());
    const wt = findObject(objectsOf(p), 'WorkflowTemplate', 'chat-model');
    const train = wt.spec.templates.find((t: { name: string }) => t.name === 'train');
    expect(train.resource).toMatchObject({ action: 'apply', setOwnerReference: true, successCondition: 'status.succeeded > 0', failureCondition: 'status.failed > 0' });
    const { parse } = require('yaml') as typeof import('yaml');
    const job = parse(train.resource.manifest);
    expect(job.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('team');
    expect(job.metadata.name).toBe('{{workflow.name}}-train');
    const pod = job.spec.template.spec;
    expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBe('8');
    expect(pod.nodeSelector).toEqual({ 'ai-infra/gpu': 'h100-80gb', 'ai-infra/pool': 'h100' });
    expect(pod.serviceAccountName).toBe('chat-model');
    expect(pod.containers[0].args).toContain('s3://bucket-models/team/pipelines/chat-model/datasets/runs/{{workflow.name}}');
    expect(job.spec.podFailurePolicy.rules[0]).toMatchObject({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] });
  });

  test('the evaluate step is a Job on one GPU of the training pool, through the tenant queue; device cpu keeps the system-pool step', () => {
    const { parse } = require('yaml') as typeof import('yaml');
    const { stack, props } = setup();
    const template = (p: ModelPipeline) => findObject(objectsOf(p), 'WorkflowTemplate', p.pipelineName);
    const step = (wt: K8sObject, name: string) => wt.spec.templates.find((t: { name: string }) => t.name === name);
    const gpu = new ModelPipeline(stack, 'chat-model', props({ evaluate: { maxLossRegression: 0.01, maxRuntimeHours: 2 } }));
    const ev = step(template(gpu), 'evaluate');
    expect(ev.script).toBeUndefined();
    expect(ev.resource).toMatchObject({ action: 'apply', setOwnerReference: true, successCondition: 'status.succeeded > 0', failureCondition: 'status.failed > 0' });
    const job = parse(ev.resource.manifest);
    const train = parse(step(template(gpu), 'train').resource.manifest);
    expect(job.metadata).toMatchObject({ name: '{{workflow.name}}-evaluate', labels: { 'kueue.x-k8s.io/queue-name': 'team' } });
    expect(job.spec).toMatchObject({ activeDeadlineSeconds: 7200, backoffLimit: 2 });
    // exit 2 (bad input: a task folder, an unusable device) fails the Job at once; a disrupted pod is retried
    expect(job.spec.podFailurePolicy.rules).toEqual([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'evaluate', operator: 'In', values: [2] } },
    ]);
    const pod = job.spec.template.spec;
    // where train ran: the pool's selector and tolerations, under the pipeline's ServiceAccount
    expect(pod.nodeSelector).toEqual(train.spec.template.spec.nodeSelector);
    expect(pod.tolerations).toEqual(train.spec.template.spec.tolerations);
    expect(pod.serviceAccountName).toBe('chat-model');
    const c = pod.containers[0];
    expect(c.name).toBe('evaluate');
    expect(c.command).toEqual(['python', '-m', 'aiinfra.evaluate']);
    expect(c.args.slice(-2)).toEqual(['--device', 'cuda']);
    expect(c.args).toEqual(expect.arrayContaining(['--registry', '--out', 's3://bucket-models/team/pipelines/chat-model/checkpoints/{{workflow.name}}/metrics.json']));
    // one GPU and that GPU's host share (the train step asks for eight shares)
    expect(c.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(Number(c.resources.requests.cpu)).toBeLessThanOrEqual(Number(train.spec.template.spec.containers[0].resources.requests.cpu) / 8 + 1);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    // the run's deadline holds the evaluation's
    expect(template(gpu).spec.activeDeadlineSeconds).toBe(24 * 3600 + 7200 + 4 * 30 * 60 + 7200);

    const cpu = new ModelPipeline(stack, 'cpu-eval', props({ data: { store: props().data.store, prefix: 'team/raw/other/' }, evaluate: { device: 'cpu' } }));
    const cpuStep = step(template(cpu), 'evaluate');
    expect(cpuStep.resource).toBeUndefined();
    expect(cpuStep.script.source).toContain('"--device","cpu"');
    expect(cpuStep.script.resources.requests).toEqual({ cpu: '3', memory: '12Gi' });
    expect(cpuStep.activeDeadlineSeconds).toBe(6 * 3600);
    // on a GPU the evaluation is a small part of the run; on the CPU step it dominates it
    expect(cpu.estimatedRunSeconds - gpu.estimatedRunSeconds).toBeGreaterThan(600);
  });

  test('evaluate.device fixtures: a model too large for the CPU step, an unknown device, a deadline out of range', () => {
    const { stack, props } = setup();
    expectInvalid(() => new ModelPipeline(stack, 'a', props({ train: { preset: 'gpt-3b', gpusPerNode: 8 }, evaluate: { device: 'cpu' } })),
      /evaluate\.device = "cpu"/, /gpt-3b/, /needs about 28 GiB/, /12 GiB/);
    expect(() => new ModelPipeline(stack, 'b', props({ train: { preset: 'gpt-3b', gpusPerNode: 8 } }))).not.toThrow();
    expectInvalid(() => new ModelPipeline(stack, 'c', props({ evaluate: { device: 'tpu' as never } })), /evaluate\.device/);
    expectInvalid(() => new ModelPipeline(stack, 'd', props({ evaluate: { maxRuntimeHours: 0 } })), /evaluate\.maxRuntimeHours/);
  });

  test('least privilege: the Role verbs, the Deployment and Canary by name, storage grants under the pipeline prefixes', () => {
    const { stack, props, store } = setup();
    const p = new ModelPipeline(stack, 'chat-model', props());
    const objects = objectsOf(p);
    const roles = objects.filter((o) => o.kind === 'Role');
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['serving', 'team']);
    const own = roles.find((r) => r.metadata.namespace === 'team')!;
    expect(own.rules).toEqual([
      { apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'patch'] },
    ]);
    const endpointRole = roles.find((r) => r.metadata.namespace === 'serving')!;
    expect(endpointRole.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['chat'], verbs: ['get', 'patch'] },
      { apiGroups: ['flagger.app'], resources: ['canaries'], resourceNames: ['chat'], verbs: ['get', 'list', 'watch'] },
    ]);
    const grants = store.grants.filter((g) => g.identity === p.identity).map((g) => `${g.kind}:${g.prefix}`);
    expect(grants.sort()).toEqual(['read:team/raw/chat/', 'write:team/models/chat/', 'write:team/pipelines/chat-model/']);
    expect(findObject(objects, 'NetworkPolicy', 'model-pipeline-chat-model-apiserver').spec.podSelector).toEqual({ matchLabels: { 'ai-infra/model-pipeline': 'chat-model' } });
    expect(p.registryUri).toBe('s3://bucket-models/team/models/chat');
  });

  test('the engine: Argo Workflows installed once per cluster, pinned, controller only, not v4.0.5', () => {
    const { stack, props, tenant, store } = setup();
    new ModelPipeline(stack, 'a', props());
    new ModelPipeline(stack, 'b', props({ deploy: undefined, trigger: undefined, data: { store, prefix: 'team/raw/other/' } }));
    const synth = JSON.parse(Testing.synth(stack));
    const releases = Object.values(synth.resource.helm_release as Record<string, { chart: string; version: string; values: string[] }>).filter((r) => r.chart === 'argo-workflows');
    expect(releases).toHaveLength(1);
    expect(releases[0].version).toBe(ARGO_WORKFLOWS.version);
    expect(ARGO_WORKFLOWS.appVersion).not.toBe('v4.0.5');
    const values = argoWorkflowsValues() as K8sObject;
    expect(values.server.enabled).toBe(false);
    expect(values.controller.workflowRestrictions).toEqual({ templateReferencing: 'Strict' });
    expect(values.executor.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(tenant.workloadServiceAccounts()).toEqual(expect.arrayContaining(['a', 'b']));
  });

  test('the pipeline release is applied after the endpoint\'s (its Role lives in the endpoint namespace)', () => {
    const { stack, props, cluster, store } = setup();
    const endpoint = new FakeEndpoint(stack, 'Served', store);
    const release = new KubernetesWorkload(endpoint, 'Workload', { cluster, namespace: 'serving', releaseName: 'served' });
    Object.assign(endpoint, { workload: release });
    const p = new ModelPipeline(stack, 'chat-model', props({ deploy: { endpoint } }));
    const synth = JSON.parse(Testing.synth(stack));
    const releases = synth.resource.helm_release as Record<string, { name: string; depends_on?: string[] }>;
    const own = Object.values(releases).find((r) => r.name === p.workload.releaseName)!;
    const [endpointId] = Object.entries(releases).find(([, r]) => r.name === 'served')!;
    expect(own.depends_on).toContain(`helm_release.${endpointId}`);
  });

  test('without deploy: the gate promotes directly; without a schedule: no CronWorkflow', () => {
    const { stack, props } = setup();
    const p = new ModelPipeline(stack, 'chat-model', props({ deploy: undefined, trigger: undefined }));
    const objects = objectsOf(p);
    expect(objects.some((o) => o.kind === 'CronWorkflow')).toBe(false);
    const wt = findObject(objects, 'WorkflowTemplate', 'chat-model');
    expect(wt.spec.templates.find((t: { name: string }) => t.name === 'main').steps.map((s: { name: string }[]) => s[0].name))
      .toEqual(['prep', 'train', 'evaluate', 'register', 'gate', 'promote']);
    expect(objects.filter((o) => o.kind === 'Role')).toHaveLength(1);
    expect(p.registryUri).toBe('s3://bucket-models/team/pipelines/chat-model/registry');
  });
});

describe('ModelPipeline validation', () => {
  test.each([
    [{ validation: 0, test: 0.02 }, /data\.split\.validation = 0/],
    [{ validation: 0.02, test: 0.5 }, /data\.split\.test = 0\.5/],
    [{ validation: 0.6, test: 0.5 }, /data\.split .*validation \+ test < 1/],
  ])('split fractions outside (0, 0.5) or summing to >= 1: %j', (split, message) => {
    const { stack, props, store } = setup();
    expectInvalid(() => new ModelPipeline(stack, 'p', props({ data: { store, prefix: 'team/raw/', split } })), message);
  });

  test('a data source outside the tenant prefix, or on another cloud', () => {
    const { stack, props, store } = setup();
    expectInvalid(() => new ModelPipeline(stack, 'p', props({ data: { store, prefix: 'other-team/raw/' } })), /data\.prefix/, /team\//);
    const gcs = new FakeStore(stack, 'Gcs', Cloud.gcp({ project: 'my-project', region: 'us-central1' }));
    expectInvalid(() => new ModelPipeline(stack, 'q', props({ data: { store: gcs, prefix: 'team/raw/' } })), /data\.store/, /cluster's cloud \(aws\)/);
  });

  test('a GPU request beyond the tenant quota', () => {
    const { stack, cluster, store, props } = setup();
    const small = new Tenant(stack, 'small', { cluster, gpuQuota: 4, bucketPrefix: 'small/' });
    expectInvalid(() => new ModelPipeline(stack, 'p', props({ tenant: small, data: { store, prefix: 'small/raw/' } })), /train\.gpusPerNode = 8/, /gpuQuota 4/);
  });

  test('canary steps belong to the endpoint; an endpoint without progressive delivery is refused', () => {
    const { stack, props, endpoint } = setup();
    expectInvalid(() => new ModelPipeline(stack, 'p', props({ deploy: { endpoint, canary: { steps: [5, 25] } } as never })), /deploy\.canary/, /endpoint's/);
    const plain = { node: endpoint.node, cloud: endpoint.cloud, namespace: 'serving', deploymentName: 'chat', registry: endpoint.registry } as unknown as IProgressiveDeployTarget;
    expectInvalid(() => new ModelPipeline(stack, 'q', props({ deploy: { endpoint: plain } })), /deploy\.endpoint/, /progressive delivery/, /no canaryName, modelVersionAnnotation/);
  });

  test('a registry outside the tenant prefix, a bad schedule, multi-node, LoRA without a base model', () => {
    const { stack, props, store } = setup();
    const foreign = new FakeEndpoint(stack, 'Foreign', store, 'other/models/chat');
    expectInvalid(() => new ModelPipeline(stack, 'p', props({ deploy: { endpoint: foreign } })), /deploy\.endpoint\.registry/);
    expectInvalid(() => new ModelPipeline(stack, 'q', props({ trigger: { schedule: '0 3 * *' } })), /trigger\.schedule/);
    expectInvalid(() => new ModelPipeline(stack, 'q2', props({ trigger: { onNewData: { minIntervalMinutes: 0 } } })), /trigger\.onNewData\.minIntervalMinutes = 0/);
    expectInvalid(() => new ModelPipeline(stack, 'r', props({ train: { preset: 'gpt-125m', gpusPerNode: 8, nodes: 2 } })), /train\.nodes = 2/);
    expectInvalid(() => new ModelPipeline(stack, 's', props({ train: { preset: 'gpt-125m', gpusPerNode: 8, lora: { rank: 16 } } })), /train\.baseModel/);
    const err = expectInvalid(() => new ModelPipeline(stack, 't', props({ train: { preset: 'gpt-9b' as never, gpusPerNode: 8 } })));
    expect(err).toBeInstanceOf(InvalidPropError);
    expect(err.prop).toBe('train.preset');
  });

  test('benchmark tasks: rendered into the evaluate and gate steps, task data read from the tenant prefix', () => {
    const { stack, props } = setup();
    const p = new ModelPipeline(stack, 'chat-model', props({
      evaluate: { maxLossRegression: 0.01, tasks: ['hellaswag', 'arc_easy'], taskDir: 'team/eval/tasks/', taskLimit: 200, minScore: { hellaswag: 0.55, 'arc_easy:acc_norm': 0.6 }, maxScoreRegression: 0.02 },
    }));
    const wt = findObject(objectsOf(p), 'WorkflowTemplate', 'chat-model') as K8sObject;
    const source = (name: string): string => wt.spec.templates.find((t: { name: string }) => t.name === name).script.source;
    const evaluate = wt.spec.templates.find((t: { name: string }) => t.name === 'evaluate').resource.manifest as string;
    const { parse } = require('yaml') as typeof import('yaml');
    const args: string[] = parse(evaluate).spec.template.spec.containers[0].args;
    expect(args.join(' ')).toContain('--tasks hellaswag,arc_easy --task-dir s3://bucket-models/team/eval/tasks --task-limit 200 --device cuda');
    expect(source('gate')).toContain('"--max-loss-regression","0.01","--min-score","arc_easy:acc_norm=0.6","--min-score","hellaswag=0.55","--max-score-regression","0.02"');
    // Without tasks: none of the flags.
    const plain = new ModelPipeline(stack, 'plain', props({ data: { store: props().data.store, prefix: 'team/raw/other/' } }));
    const plainWt = findObject(objectsOf(plain), 'WorkflowTemplate', 'plain') as K8sObject;
    expect(JSON.stringify(plainWt)).not.toMatch(/--tasks|--min-score/);
  });

  test('benchmark task fixtures: a bad task name, task data outside the prefix or on another cloud, floors for other tasks or outside [0, 1]', () => {
    const { stack, props } = setup();
    const ev = (over: object) => props({ evaluate: { tasks: ['hellaswag'], taskDir: 'team/eval/', ...over } });
    expectInvalid(() => new ModelPipeline(stack, 'a', ev({ tasks: ['hella swag'] })), /evaluate\.tasks\[0\] = "hella swag"/, /lm-eval task/);
    expectInvalid(() => new ModelPipeline(stack, 'b', ev({ tasks: ['hellaswag,arc_easy'] })), /evaluate\.tasks\[0\]/);
    expectInvalid(() => new ModelPipeline(stack, 'c', ev({ taskDir: 'other/eval/' })), /evaluate\.taskDir/);
    expectInvalid(() => new ModelPipeline(stack, 'd', ev({ taskDir: undefined })), /evaluate\.taskDir/, /required with evaluate\.tasks/);
    const gcs = new FakeStore(stack, 'Gcs', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }));
    expectInvalid(() => new ModelPipeline(stack, 'e', ev({ taskDir: { store: gcs, prefix: 'team/eval/' } })), /evaluate\.taskDir/, /cluster's cloud \(aws\)/);
    expectInvalid(() => new ModelPipeline(stack, 'f', ev({ minScore: { mmlu: 0.5 } })), /evaluate\.minScore = "mmlu"/, /hellaswag/);
    expectInvalid(() => new ModelPipeline(stack, 'g', ev({ minScore: { hellaswag: 55 } })), /evaluate\.minScore\.hellaswag = 55/, /from 0 to 1/);
    expectInvalid(() => new ModelPipeline(stack, 'h', ev({ maxScoreRegression: 1.5 })), /evaluate\.maxScoreRegression/);
    expectInvalid(() => new ModelPipeline(stack, 'i', props({ evaluate: { minScore: { hellaswag: 0.5 } } })), /evaluate\.minScore/, /none/);
    expectInvalid(() => new ModelPipeline(stack, 'j', props({ evaluate: { taskDir: 'team/eval/' } })), /evaluate\.taskDir/, /without evaluate\.tasks/);
  });

  test('a schedule more frequent than a run can finish warns with the estimate', () => {
    const { stack, props } = setup();
    const p = new ModelPipeline(stack, 'p', props({ trigger: { schedule: '*/30 * * * *' }, train: { preset: 'gpt-1b', gpusPerNode: 8, steps: 20_000 } }));
    const ok = new ModelPipeline(stack, 'q', props({ trigger: { schedule: '@weekly' } }));
    const warnings = (c: Construct) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(p.scheduleIntervalSeconds).toBe(1800);
    expect(warnings(p).join('\n')).toMatch(/fires every 30 min at the shortest, but a run is estimated at \d+ min/);
    expect(warnings(ok)).toEqual([]);
  });
});

describe('minCronIntervalMinutes', () => {
  test.each([
    ['0 3 * * 1', 7 * 1440], ['*/30 * * * *', 30], ['0 */6 * * *', 360], ['0 3 * * mon-fri', 1440], ['@daily', 1440], ['15,45 2 * * *', 30],
  ])('%s', (cron, minutes) => {
    expect(minCronIntervalMinutes(cron)).toBe(minutes);
  });
});
