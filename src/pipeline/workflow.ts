// The Argo objects of one model pipeline, as plain data (pure functions of the resolved spec): the WorkflowTemplate
// (prep -> train -> evaluate -> register -> gate -> deploy -> wait for the canary -> promote), its CronWorkflow, and
// the RBAC its steps need. Argo expressions (`{{workflow.name}}`) pass through the Helm chart escaped
// (k8s/delivery.ts), so they reach the cluster as written here.
import type { IModelStore } from '../core/model-store';
import { stringify } from '../core/yaml';
import { MANAGED_BY_LABELS } from '../k8s/namespace';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../k8s/security';
import { trainerPodFailurePolicy } from '../training/pod-failure-policy';

/** Label on every pod and object of a pipeline (its name). */
export const PIPELINE_LABEL = 'ai-infra/model-pipeline';
/** The Argo custom gauge of consecutive gate rejections (exposed by the controller as `argo_workflows_<name>`). */
export const GATE_METRIC = 'aiinfra_model_pipeline_gate_rejections';
/** Gate exit codes (compute/src/aiinfra/gate.py): 0 accepted, 4 rejected, 3 alias conflict, else error. */
export const GATE_EXIT_REJECTED = 4;
/** The Flagger Canary phases (flagger v1beta1 CanaryPhase) while an analysis runs: ours has started once one shows. */
export const CANARY_STARTED = ['Progressing', 'Waiting', 'WaitingPromotion', 'Promoting', 'Finalising'];
/**
 * The phases that end the wait without a promotion: Flagger rolled back (`Failed`), or the Canary is being deleted.
 * `Failed` is not a "started" phase: after a rolled-back run the Canary still shows `Failed` from that analysis, and
 * Flagger always moves a new revision to `Progressing` first (checkCanaryStatus), well within the first interval.
 */
export const CANARY_FAILED = ['Failed', 'Terminating', 'Terminated'];
/** Where the trainer config ConfigMap is mounted in the train Job. */
const TRAINER_CONFIG = '/etc/aiinfra/trainer.json';

/** The train step's Kubernetes Job (created per run by a resource template, admitted by Kueue). */
export interface PipelineTrainSpec {
  readonly gpus: number;
  readonly cpu: number;
  readonly memoryGiB: number;
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: readonly Record<string, unknown>[];
  /** The tenant's Kueue LocalQueue. */
  readonly queue: string;
  readonly maxRuntimeSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  /** torchrun `--max-restarts`. */
  readonly maxRestarts: number;
}

/** The evaluate step's Job (train's pool, queue and tolerations; one GPU). */
export interface PipelineEvaluateGpuSpec {
  readonly cpu: number;
  readonly memoryGiB: number;
}

/** Where the deploy step hands the new version to the endpoint's canary controller. */
export interface PipelineDeploySpec {
  readonly namespace: string;
  readonly deploymentName: string;
  readonly canaryName: string;
  readonly annotation: string;
  /** Longest wait for the canary analysis to end, seconds. */
  readonly timeoutSeconds: number;
}

/** Benchmark tasks of the evaluate step and their floors in the gate (validated by ModelPipeline). */
export interface PipelineBenchmarkSpec {
  /** lm-eval task or tag names. */
  readonly tasks: readonly string[];
  /** Where the task YAMLs and data are (for the grant). */
  readonly taskDir: { readonly store: IModelStore; readonly prefix: string };
  /** `<store uri>/<prefix>` without the trailing slash (`--task-dir`). */
  readonly taskDirUri: string;
  readonly taskLimit?: number;
  /** `task` or `task:metric` -> floor (`--min-score`). */
  readonly minScore: Readonly<Record<string, number>>;
  readonly maxScoreRegression?: number;
}

/** Everything the objects are rendered from (validated by ModelPipeline). */
export interface PipelineSpec {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly imageUri: string;
  /** Pod labels: the pipeline label and the cloud's workload-identity labels. */
  readonly podLabels: Record<string, string>;
  /** The store's client environment (no secrets). */
  readonly env: Record<string, string>;
  readonly sourceUri: string;
  readonly format: 'auto' | 'jsonl' | 'parquet' | 'text';
  readonly textField: string;
  readonly tokenizer: string;
  readonly validation: number;
  readonly test: number;
  readonly datasetUri: string;
  readonly checkpointsUri: string;
  readonly registryUri: string;
  readonly maxLossRegression: number;
  readonly maxWindows: number;
  readonly benchmarks?: PipelineBenchmarkSpec;
  readonly train: PipelineTrainSpec;
  /**
   * The evaluate step as a Job on one GPU of the training pool, through the tenant's queue like train; absent: a CPU
   * step on the system pool (`evaluate.device: 'cpu'`).
   */
  readonly evaluateGpu?: PipelineEvaluateGpuSpec;
  /** Longest evaluation, seconds (the GPU Job's or the CPU step's deadline). */
  readonly evaluateMaxRuntimeSeconds: number;
  readonly deploy?: PipelineDeploySpec;
  readonly schedule?: string;
  readonly timezone: string;
  /** Longest run, seconds (the workflow's activeDeadlineSeconds). */
  readonly activeDeadlineSeconds: number;
}

type Obj = Record<string, unknown>;

function labels(s: PipelineSpec): Record<string, string> {
  return { ...MANAGED_BY_LABELS, [PIPELINE_LABEL]: s.name };
}

function envList(s: PipelineSpec, extra: Record<string, string> = {}): Obj[] {
  const all: Record<string, string> = { ...s.env, PYTHONUNBUFFERED: '1', HOME: '/tmp', XDG_CACHE_HOME: '/tmp/cache', ...extra };
  return Object.keys(all).sort().map((name) => ({ name, value: all[name] }));
}

/** Node loss, eviction or an API hiccup (Argo's `OnError`) is retried with backoff; a step's own failure is not. */
const RETRY = { limit: 3, retryPolicy: 'OnError', backoff: { duration: '1m', factor: 2, maxDuration: '30m' } };

/** A CPU step running the bundled image's Python (the compute core's CLIs). */
function scriptStep(s: PipelineSpec, name: string, source: string, size: { cpu: string; memory: string }, extra: Obj = {}): Obj {
  return {
    name,
    retryStrategy: RETRY,
    script: {
      image: s.imageUri,
      imagePullPolicy: 'IfNotPresent',
      command: ['python'],
      source,
      env: envList(s),
      resources: { requests: { cpu: size.cpu, memory: size.memory }, limits: { memory: size.memory } },
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    },
    ...extra,
  };
}

/** Python source that runs `module` with `args` (Argo variables substituted before it runs) and exits with its code. */
function runModule(module: string, args: readonly string[]): string {
  return ['import runpy, sys', `sys.argv = ${JSON.stringify([module, ...args])}`, `runpy.run_module(${JSON.stringify(module)}, run_name="__main__")`, ''].join('\n');
}

function prepStep(s: PipelineSpec): Obj {
  return scriptStep(s, 'prep', runModule('aiinfra.prep', [
    '--source', s.sourceUri, '--output', s.datasetUri, '--run', '{{workflow.name}}', '--format', s.format,
    '--validation', String(s.validation), '--test', String(s.test), '--tokenizer', s.tokenizer, '--text-field', s.textField,
  ]), { cpu: '2', memory: '8Gi' });
}

/** A step's Kubernetes Job on the training pool, admitted by Kueue through the tenant's queue label. */
interface GpuJob {
  /** The Job is `{{workflow.name}}-<step>`. */
  readonly step: string;
  readonly container: string;
  readonly appName: string;
  readonly gpus: number;
  readonly cpu: number;
  readonly memoryGiB: number;
  readonly activeDeadlineSeconds: number;
  readonly backoffLimit: number;
  readonly terminationGracePeriodSeconds: number;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly volumes: readonly Obj[];
  readonly volumeMounts: readonly Obj[];
}

function gpuJobManifest(s: PipelineSpec, j: GpuJob): Obj {
  const t = s.train;
  const gpu = { 'nvidia.com/gpu': String(j.gpus) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `{{workflow.name}}-${j.step}`,
      namespace: s.namespace,
      labels: { ...labels(s), 'kueue.x-k8s.io/queue-name': t.queue },
    },
    spec: {
      backoffLimit: j.backoffLimit,
      activeDeadlineSeconds: j.activeDeadlineSeconds,
      // Node loss and preemption are retried; exit code 2 (bad input) fails the Job at once.
      podFailurePolicy: trainerPodFailurePolicy(j.container),
      template: {
        metadata: { labels: { ...s.podLabels, 'app.kubernetes.io/name': j.appName } },
        spec: {
          serviceAccountName: s.serviceAccount,
          automountServiceAccountToken: false,
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: j.terminationGracePeriodSeconds,
          securityContext: restrictedPodSecurityContext(),
          nodeSelector: { ...t.nodeSelector },
          tolerations: t.tolerations.map((x) => ({ ...x })),
          enableServiceLinks: false,
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '20Gi' } }, ...j.volumes],
          containers: [{
            name: j.container,
            image: s.imageUri,
            imagePullPolicy: 'IfNotPresent',
            command: [...j.command],
            args: [...j.args],
            env: envList(s, j.env),
            resources: { requests: { cpu: String(j.cpu), memory: `${j.memoryGiB}Gi`, ...gpu }, limits: { memory: `${j.memoryGiB}Gi`, ...gpu } },
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...j.volumeMounts],
          }],
        },
      },
    },
  };
}

/** The trainer Job (the Job is created suspended by Kueue's webhook). */
export function trainJobManifest(s: PipelineSpec): Obj {
  const t = s.train;
  return gpuJobManifest(s, {
    step: 'train', container: 'trainer', appName: 'aiinfra-trainer', gpus: t.gpus, cpu: t.cpu, memoryGiB: t.memoryGiB,
    activeDeadlineSeconds: t.maxRuntimeSeconds, backoffLimit: t.maxRestarts, terminationGracePeriodSeconds: t.terminationGracePeriodSeconds,
    // The launcher hands SIGTERM to the workers itself and waits for the stop checkpoint (see TrainingJob).
    command: ['python', '-m', 'aiinfra.launch'],
    args: [
      `--stop-timeout=${t.terminationGracePeriodSeconds - 10}`, '--standalone', `--nproc-per-node=${t.gpus}`, `--max-restarts=${t.maxRestarts}`,
      '-m', 'aiinfra.cli', 'train', '--config', TRAINER_CONFIG, '--data-path', `${s.datasetUri}/runs/{{workflow.name}}`,
    ],
    env: {
      AIINFRA_CONFIG: TRAINER_CONFIG,
      AIINFRA_CHECKPOINT_DIR: `${s.checkpointsUri}/{{workflow.name}}`,
      TRITON_CACHE_DIR: '/scratch/cache/triton',
      TORCHINDUCTOR_CACHE_DIR: '/scratch/cache/inductor',
    },
    volumes: [
      { name: 'scratch', emptyDir: { sizeLimit: '200Gi' } },
      { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: `${Math.max(1, Math.min(16 * t.gpus, Math.floor(t.memoryGiB / 4)))}Gi` } },
      { name: 'config', configMap: { name: `${s.name}-trainer` } },
    ],
    volumeMounts: [
      { name: 'scratch', mountPath: '/scratch' }, { name: 'dshm', mountPath: '/dev/shm' },
      { name: 'config', mountPath: '/etc/aiinfra', readOnly: true },
    ],
  });
}

/** The evaluate Job: `aiinfra.evaluate` on one GPU (held-out loss in fp32, lm-eval tasks in bf16). */
export function evaluateJobManifest(s: PipelineSpec, e: PipelineEvaluateGpuSpec): Obj {
  return gpuJobManifest(s, {
    step: 'evaluate', container: 'evaluate', appName: 'aiinfra-evaluate', gpus: 1, cpu: e.cpu, memoryGiB: e.memoryGiB,
    activeDeadlineSeconds: s.evaluateMaxRuntimeSeconds, backoffLimit: 2, terminationGracePeriodSeconds: 30,
    command: ['python', '-m', 'aiinfra.evaluate'], args: evaluateArgs(s, 'cuda'), env: {}, volumes: [], volumeMounts: [],
  });
}

/**
 * A step that applies its Job (owned by the Workflow, so it goes with it) and waits for it: Kueue admits it within the
 * tenant's quota, the Job's own backoff and podFailurePolicy handle node loss. `apply`, not `create`: a retry of the
 * step (its pod lost after the Job was made) finds the Job of this run and waits for it again instead of failing on
 * AlreadyExists.
 */
function jobStep(name: string, job: Obj): Obj {
  return {
    name,
    retryStrategy: RETRY,
    resource: {
      action: 'apply',
      setOwnerReference: true,
      successCondition: 'status.succeeded > 0',
      failureCondition: 'status.failed > 0',
      manifest: stringify(job, { lineWidth: 0 }),
    },
  };
}

/** `aiinfra.evaluate`'s arguments: candidate and production on the same test windows, the benchmark tasks, on `device`. */
function evaluateArgs(s: PipelineSpec, device: 'cpu' | 'cuda'): string[] {
  return [
    '--model', `${s.checkpointsUri}/{{workflow.name}}`, '--dataset', s.datasetUri, '--registry', s.registryUri,
    '--max-windows', String(s.maxWindows), '--out', `${s.checkpointsUri}/{{workflow.name}}/metrics.json`,
    ...benchmarkArgs(s.benchmarks), '--device', device,
  ];
}

/** The evaluate step: a Job on one GPU of the training pool, or (`evaluate.device: 'cpu'`) a CPU step on the system pool. */
function evaluateStep(s: PipelineSpec): Obj {
  if (s.evaluateGpu) return jobStep('evaluate', evaluateJobManifest(s, s.evaluateGpu));
  return scriptStep(s, 'evaluate', runModule('aiinfra.evaluate', evaluateArgs(s, 'cpu')), EVALUATE_STEP_SIZE, { activeDeadlineSeconds: s.evaluateMaxRuntimeSeconds });
}

/**
 * The CPU evaluate step's pod: step pods tolerate no GPU taint, so it runs on the system pool, whose default machines
 * have 4 vCPU / 16 GiB (m6i.xlarge, n2-standard-4, Standard_D4ds_v5) of which about 3.9 CPU / 13 GiB is allocatable,
 * less the node's DaemonSets. 4 CPU / 16 GiB fitted no node (found by running the pipeline on the digital twin).
 */
export const EVALUATE_STEP_SIZE = { cpu: '3', memory: '12Gi' } as const;

/** lm-eval tasks for the evaluate step: task data from the bucket (nothing from the hub). */
function benchmarkArgs(b?: PipelineBenchmarkSpec): string[] {
  if (!b) return [];
  return ['--tasks', b.tasks.join(','), '--task-dir', b.taskDirUri, ...(b.taskLimit !== undefined ? ['--task-limit', String(b.taskLimit)] : [])];
}

/** The gate's score checks: a floor per task (or task:metric), and the largest drop below production's score. */
function gateScoreArgs(b?: PipelineBenchmarkSpec): string[] {
  if (!b) return [];
  return [
    ...Object.keys(b.minScore).sort().flatMap((k) => ['--min-score', `${k}=${b.minScore[k]}`]),
    ...(b.maxScoreRegression !== undefined ? ['--max-score-regression', String(b.maxScoreRegression)] : []),
  ];
}

/** Registers the checkpoint as a new version; prints the version number (the step's result). */
function registerStep(s: PipelineSpec): Obj {
  const args = ['--root', s.registryUri, 'register', '--model', `${s.checkpointsUri}/{{workflow.name}}`, '--run', '{{workflow.name}}',
    '--metrics', `@${s.checkpointsUri}/{{workflow.name}}/metrics.json`,
    '--lineage', `@${s.datasetUri}/runs/{{workflow.name}}/manifest.json`];
  return scriptStep(s, 'register', [
    'import json, sys',
    'from aiinfra.registry import main',
    'lines = []',
    `code = main(${JSON.stringify(args)}, out=lines.append)`,
    'if code:',
    '    sys.exit(code)',
    'print(json.loads(lines[-1])["version"])',
    '',
  ].join('\n'), { cpu: '1', memory: '2Gi' });
}

/**
 * The gate (gate.py records the decision in the registry, production untouched). The step's result is the number of
 * consecutive rejected versions ending with this one: 0 = accepted (the run goes on), n > 0 = rejected (the run ends
 * without deploying). Anything but accept / reject fails the step. The result is also a gauge per pipeline (alerts).
 */
function gateStep(s: PipelineSpec): Obj {
  const args = ['--root', s.registryUri, '--version', '{{inputs.parameters.version}}', '--run', '{{workflow.name}}',
    '--max-loss-regression', String(s.maxLossRegression), ...gateScoreArgs(s.benchmarks)];
  return scriptStep(s, 'gate', [
    'import subprocess, sys',
    'from aiinfra.registry import ModelRegistry',
    `code = subprocess.call([sys.executable, "-m", "aiinfra.gate", *${JSON.stringify(args)}], stdout=sys.stderr)`,
    `if code not in (0, ${GATE_EXIT_REJECTED}):`,
    '    sys.exit(code)',
    'rejected = 0',
    `registry = ModelRegistry(${JSON.stringify(s.registryUri)})`,
    'for n in reversed(registry.versions()):',
    '    decision = registry.manifest(n)["decision"]',
    '    if decision is None:',
    '        continue',
    '    if decision.get("accepted"):',
    '        break',
    '    rejected += 1',
    'print(0 if code == 0 else max(1, rejected))',
    '',
  ].join('\n'), { cpu: '1', memory: '2Gi' }, {
    inputs: { parameters: [{ name: 'version' }] },
    metrics: {
      prometheus: [{
        name: GATE_METRIC,
        help: 'Consecutive versions the model pipeline gate rejected, 0 after an accepted one (cdktf-ai-infra)',
        labels: [{ key: 'pipeline', value: s.name }, { key: 'pipeline_namespace', value: s.namespace }],
        when: '{{status}} == Succeeded',
        gauge: { value: '{{outputs.result}}', realtime: false },
      }],
    },
  });
}

/**
 * Moves the `production` alias to the version by a conditional write against what it read (registry.py): if another
 * writer moved it in between, this run loses (exit 3) and production stays as the other left it.
 */
function promoteStep(s: PipelineSpec): Obj {
  return scriptStep(s, 'promote', [
    'import json, sys',
    'from aiinfra.registry import AliasConflict, ModelRegistry',
    `registry = ModelRegistry(${JSON.stringify(s.registryUri)})`,
    'version = int("{{inputs.parameters.version}}")',
    'current, token = registry.alias("production")',
    'try:',
    '    registry.move_alias("production", version, run="{{workflow.name}}", expect=token)',
    'except AliasConflict as err:',
    '    print(f"promote: {err}; production is left as the other writer set it", file=sys.stderr)',
    '    sys.exit(3)',
    'print(json.dumps({"event": "promoted", "version": version, "previous": current and current.get("version")}))',
    '',
  ].join('\n'), { cpu: '1', memory: '2Gi' }, { inputs: { parameters: [{ name: 'version' }] } });
}

/** Sets the version on the endpoint Deployment's pod template: Flagger sees the change and starts the canary analysis. */
function deployStep(d: PipelineDeploySpec): Obj {
  return {
    name: 'deploy',
    retryStrategy: RETRY,
    inputs: { parameters: [{ name: 'version' }] },
    resource: {
      action: 'patch',
      mergeStrategy: 'merge',
      manifest: stringify({
        apiVersion: 'apps/v1', kind: 'Deployment',
        metadata: { name: d.deploymentName, namespace: d.namespace },
        spec: { template: { metadata: { annotations: { [d.annotation]: '{{inputs.parameters.version}}' } } } },
      }, { lineWidth: 0 }),
    },
  };
}

/** Reads the Canary until `condition`; Argo polls the object (`action: get`). */
function canaryStep(d: PipelineDeploySpec, name: string, success: string, failure?: string): Obj {
  return {
    name,
    retryStrategy: RETRY,
    activeDeadlineSeconds: d.timeoutSeconds,
    resource: {
      action: 'get',
      successCondition: success,
      ...(failure ? { failureCondition: failure } : {}),
      manifest: stringify({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: d.canaryName, namespace: d.namespace } }, { lineWidth: 0 }),
    },
  };
}

/** The run's steps, in order; deploy, canary and promote only when the gate accepted. */
function mainSteps(s: PipelineSpec): Obj[][] {
  const accepted = '{{steps.gate.outputs.result}} == 0';
  const version = { parameters: [{ name: 'version', value: '{{steps.register.outputs.result}}' }] };
  const steps: Obj[][] = [
    [{ name: 'prep', template: 'prep' }],
    [{ name: 'train', template: 'train' }],
    [{ name: 'evaluate', template: 'evaluate' }],
    [{ name: 'register', template: 'register' }],
    [{ name: 'gate', template: 'gate', arguments: version }],
  ];
  if (s.deploy) {
    steps.push(
      [{ name: 'deploy', template: 'deploy', arguments: version, when: accepted }],
      // The Canary still shows the previous analysis' phase until Flagger notices the new template: wait for that first.
      [{ name: 'canary-started', template: 'canary-started', when: accepted }],
      // Failed = Flagger rolled back: the step (and the run) fails, the alias stays on the previous version.
      [{ name: 'canary', template: 'canary', when: accepted }],
    );
  }
  steps.push([{ name: 'promote', template: 'promote', arguments: version, when: accepted }]);
  return steps;
}

/** The WorkflowTemplate: one run of the loop. */
export function workflowTemplate(s: PipelineSpec): Obj {
  const templates: Obj[] = [
    { name: 'main', steps: mainSteps(s) },
    prepStep(s), jobStep('train', trainJobManifest(s)), evaluateStep(s), registerStep(s), gateStep(s),
  ];
  if (s.deploy) {
    templates.push(deployStep(s.deploy),
      canaryStep(s.deploy, 'canary-started', `status.phase in (${CANARY_STARTED.join(',')})`),
      canaryStep(s.deploy, 'canary', 'status.phase == Succeeded', `status.phase in (${CANARY_FAILED.join(',')})`));
  }
  templates.push(promoteStep(s));
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'WorkflowTemplate',
    metadata: { name: s.name, namespace: s.namespace, labels: labels(s) },
    spec: {
      entrypoint: 'main',
      serviceAccountName: s.serviceAccount,
      // A run never overlaps another (cron, event or manual): the second waits for the mutex.
      synchronization: { mutexes: [{ name: `model-pipeline-${s.name}` }] },
      activeDeadlineSeconds: s.activeDeadlineSeconds,
      podMetadata: { labels: { ...s.podLabels } },
      securityContext: restrictedPodSecurityContext(),
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '20Gi' } }],
      workflowMetadata: { labels: labels(s) },
      templates,
    },
  };
}

/** The schedule: a CronWorkflow that runs the template; a run due while one is active is skipped. */
export function cronWorkflow(s: PipelineSpec): Obj | undefined {
  if (!s.schedule) return undefined;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: { name: s.name, namespace: s.namespace, labels: labels(s) },
    spec: {
      schedules: [s.schedule],
      timezone: s.timezone,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      workflowMetadata: { labels: labels(s) },
      workflowSpec: { workflowTemplateRef: { name: s.name } },
    },
  };
}

/** The trainer config for the Job (mounted from a ConfigMap). */
export function trainerConfigMap(s: PipelineSpec, config: Record<string, unknown>): Obj {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: `${s.name}-trainer`, namespace: s.namespace, labels: labels(s) },
    data: { 'trainer.json': `${JSON.stringify(config, null, 2)}\n` },
  };
}

/**
 * The pipeline's ServiceAccount and the verbs its steps need, nothing more: the executor reports results
 * (workflowtaskresults), the train step applies and reads Jobs, the deploy step patches the one Deployment, the canary
 * steps read the one Canary (a Role in the endpoint's namespace).
 */
export function rbacObjects(s: PipelineSpec, saAnnotations: Record<string, string>): Obj[] {
  const meta = (name: string, namespace = s.namespace): Obj => ({ name, namespace, labels: labels(s) });
  const binding = (name: string, namespace: string): Obj => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(name, namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: s.serviceAccount, namespace: s.namespace }],
  });
  const name = `model-pipeline-${s.name}`;
  const objects: Obj[] = [
    {
      apiVersion: 'v1', kind: 'ServiceAccount',
      metadata: { ...meta(s.serviceAccount), ...(Object.keys(saAnnotations).length ? { annotations: saAnnotations } : {}) },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(name),
      rules: [
        { apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] },
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'patch'] },
      ],
    },
    binding(name, s.namespace),
  ];
  if (s.deploy) {
    const d = s.deploy;
    objects.push({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(name, d.namespace),
      rules: [
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [d.deploymentName], verbs: ['get', 'patch'] },
        { apiGroups: ['flagger.app'], resources: ['canaries'], resourceNames: [d.canaryName], verbs: ['get', 'list', 'watch'] },
      ],
    }, binding(name, d.namespace));
  }
  return objects;
}
