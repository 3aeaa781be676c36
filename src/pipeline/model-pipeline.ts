import { Construct, IConstruct } from 'constructs';
import { Annotations } from 'cdktf';
import { targetFor } from '../clouds/registry';
import { IGpuCluster, GpuPoolInfo } from '../core/cluster';
import { cronProblem } from '../core/cron';
import { IProgressiveDeployTarget } from '../core/deploy-target';
import { InferenceEndpoint } from '../inference/inference-endpoint';
import { check, InvalidPropError } from '../core/errors';
import { Gpu } from '../core/gpu';
import { IWorkloadIdentity } from '../core/identity';
import { checkImageUri } from '../core/image';
import { trainerImage } from '../core/image-build';
import { IModelStore, ModelReference } from '../core/model-store';
import { WorkloadIdentity } from '../core/workload-identity';
import { apiObject } from '../k8s/cdk8s';
import { KubernetesWorkload } from '../k8s/delivery';
import { addMetricsIngressNetworkPolicy } from '../k8s/namespace';
import { checkDnsLabel, derivedDnsLabel } from '../k8s/names';
import { contributeSummary } from '../summary';
import { hostSharePerGpu, ITenant } from '../training/tenant';
import { LORA_TARGET_MODULES, LoraProps, TRAINER_METRICS_PORT, TRAINER_PRESETS, TrainerPreset } from '../training/training-job';
import { apiServerEgress, WorkflowEngine } from './engine';
import { EventsEngine, newDataTriggerObjects } from './events';
import { minCronIntervalMinutes } from './schedule';
import { cronWorkflow, EVALUATE_STEP_SIZE, PIPELINE_LABEL, PipelineBenchmarkSpec, PipelineSpec, rbacObjects, trainerConfigMap, workflowTemplate } from './workflow';

/** The data step: raw records under a prefix of a store, cleaned, deduplicated and split by hash. */
export interface PipelineDataProps {
  /** The store holding the raw data (the registry and datasets go to the same store unless `deploy` names another registry). */
  readonly store: IModelStore;
  /** Object prefix of the raw records, inside the tenant's `bucketPrefix`, ending with `/`. */
  readonly prefix: string;
  /** @default 'auto' (by file suffix) */
  readonly format?: 'auto' | 'jsonl' | 'parquet' | 'text';
  /** Field holding the text in JSONL / Parquet records. @default 'text' */
  readonly textField?: string;
  /** Tokenizer: `bytes`, or a path in `store` to a directory with `tokenizer.json`. @default 'bytes' */
  readonly tokenizer?: string;
  /** Held-out fractions, each in (0, 0.5), together below 1. @default { validation: 0.02, test: 0.02 } */
  readonly split?: { readonly validation?: number; readonly test?: number };
}

/** The train step: the bundled trainer on one node of a GPU pool, admitted by Kueue in the tenant's queue. */
export interface PipelineTrainProps {
  readonly preset: TrainerPreset;
  /** GPUs (torchrun processes) of the one training pod; at most the tenant's GPU quota and a pool's GPUs per node. */
  readonly gpusPerNode: number;
  /** Nodes: 1 (multi-node training runs as a TrainingJob; a pipeline step on several nodes is not supported yet). @default 1 */
  readonly nodes?: number;
  /** Start from these weights (e.g. `store.model('team/base')`); required with `lora`. @default - random initialisation */
  readonly baseModel?: ModelReference;
  /** LoRA adapters instead of all weights. @default - full training */
  readonly lora?: LoraProps;
  /** @default 1000 */
  readonly steps?: number;
  /** Sequences per optimizer step, a multiple of `gpusPerNode`. @default 8 x gpusPerNode */
  readonly globalBatchSize?: number;
  /** @default - min(2048, the preset's context) */
  readonly seqLen?: number;
  /** @default 3e-4 (1e-4 with lora) */
  readonly learningRate?: number;
  /** GPU pool by name. @default - the first pool with enough GPUs per node */
  readonly pool?: string;
  /** Longest training run, hours (the Job's activeDeadlineSeconds). @default 24 */
  readonly maxRuntimeHours?: number;
}

/** The promotion gate (compute/src/aiinfra/gate.py) on the held-out test split. */
export interface PipelineEvaluateProps {
  /** Test windows evaluated (the candidate and production on the same ones). @default 512 */
  readonly maxWindows?: number;
  /** Largest relative rise of the held-out loss over production's (0.01 = 1 % worse at most). @default 0 */
  readonly maxLossRegression?: number;
  /**
   * lm-eval (EleutherAI harness) task or tag names defined in `taskDir`, scored for the candidate and production in the
   * same run (`aiinfra.evaluate --tasks`). @default - none: held-out loss only
   */
  readonly tasks?: readonly string[];
  /**
   * The task YAMLs and their data files (nothing is downloaded at run time): a prefix in `data.store` inside the
   * tenant's prefix, or `{ store, prefix }`. Required with `tasks`.
   */
  readonly taskDir?: string | PipelineStorePrefix;
  /** Score at most this many documents per task. @default - all */
  readonly taskLimit?: number;
  /** Floors on the candidate's scores, by `task` (its primary metric) or `task:metric`, each in [0, 1]. @default - none */
  readonly minScore?: Readonly<Record<string, number>>;
  /** Largest absolute drop of a task score below production's (0.02 = 2 points). @default - not checked */
  readonly maxScoreRegression?: number;
  /**
   * Where the evaluation runs: `'gpu'`, a Job on one GPU of the training pool through the tenant's queue (like the
   * train step; the node is usually still up from training), or `'cpu'`, a step on the system pool (3 CPU / 12 GiB:
   * models up to ~1.2B parameters, hours for a 1B model's 512 windows).
   * @default 'gpu'
   */
  readonly device?: 'gpu' | 'cpu';
  /** Longest evaluation (the GPU Job's activeDeadlineSeconds), hours. @default 6 */
  readonly maxRuntimeHours?: number;
}

/** A prefix in a store (a folder of objects). */
export interface PipelineStorePrefix {
  readonly store: IModelStore;
  /** Object prefix, ending with `/`. */
  readonly prefix: string;
}

/** Hand-over of an accepted version to an endpoint with progressive delivery. */
export interface PipelineDeployProps {
  /**
   * An endpoint with progressive delivery (its canary analysis: steps, interval, SLOs, are the endpoint's): an
   * InferenceEndpoint with `canary` whose model is `store.registry(name, { prefix })` (the pipeline registers there),
   * or another IProgressiveDeployTarget.
   */
  readonly endpoint: InferenceEndpoint | IProgressiveDeployTarget;
  /** Longest wait for the canary analysis, a duration such as `2h`. @default '2h' */
  readonly timeout?: string;
}

export interface PipelineTriggerProps {
  /** Cron schedule (5 fields or a macro such as `@weekly`). @default - none (manual and event runs only) */
  readonly schedule?: string;
  /** Time zone of `schedule` (IANA name). @default 'Etc/UTC' */
  readonly timezone?: string;
  /**
   * Run when objects are created under `data.prefix` (bucket events through the cloud's queue to an Argo Events
   * Sensor), debounced. AWS: EventBridge -> SQS; GCP: GCS notification -> Pub/Sub; Azure: Event Grid -> Storage
   * queue (behind a private endpoint). @default - no event runs
   */
  readonly onNewData?: boolean | PipelineNewDataProps;
}

/** The new-data trigger's debounce. */
export interface PipelineNewDataProps {
  /** At most one run from new data per window of this many minutes (a burst of uploads makes one run), 5 to 10080. @default 60 */
  readonly minIntervalMinutes?: number;
  /**
   * Azure only: the subnet (resource id) for the private endpoint of the queue's storage account, in a VNet the
   * cluster's pods resolve DNS through (its `privatelink.queue.core.windows.net` zone is linked to that VNet).
   * @default - the node subnet of a GpuTrainingCluster this app made with a new network (required otherwise)
   */
  readonly privateEndpointSubnetId?: string;
}

export interface ModelPipelineProps {
  readonly cluster: IGpuCluster;
  /** The tenant whose namespace, queue, quota and bucket prefix the pipeline uses. */
  readonly tenant: ITenant;
  /** Kubernetes name of the pipeline (WorkflowTemplate, CronWorkflow, ServiceAccount). @default - the construct id */
  readonly name?: string;
  readonly data: PipelineDataProps;
  readonly train: PipelineTrainProps;
  /** @default - held-out loss must not regress */
  readonly evaluate?: PipelineEvaluateProps;
  /** @default - none: an accepted version moves the `production` alias directly */
  readonly deploy?: PipelineDeployProps;
  /** @default - manual runs only (`argo submit --from workflowtemplate/<name>`) */
  readonly trigger?: PipelineTriggerProps;
  /** Image of the steps (the compute core). @default - the bundled trainer image */
  readonly image?: string;
}

/** Overheads of a run beside training (prep, evaluation, register, gate, node scale-up), minutes. */
const FIXED_RUN_MINUTES = 30;
/** Model FLOPs utilisation assumed in the run-time estimate. */
const ESTIMATE_MFU = 0.4;
/** FLOP/s of the CPU evaluation step (EVALUATE_STEP_SIZE: 3 cores at ~50 GFLOP/s each). */
const EVAL_CPU_FLOPS = 1.5e11;
/**
 * Share of the GPU's bf16 peak the held-out loss reaches on it: it runs in fp32 (so candidate and production compare
 * within float rounding), which without TF32 is about a tenth of the bf16 peak, at about half of that.
 */
const EVAL_GPU_PEAK_SHARE = 0.05;
/**
 * Host memory the evaluation needs per parameter, bytes: the fp32 model (4), the checkpoint being read into it (up to
 * 4) and lm-eval's exported copy (fp32 on CPU), with headroom.
 */
const EVAL_BYTES_PER_PARAM = 10;

const DURATION = /^(\d+)(m|h)$/;

/** The pool the train step runs on. */
function pickPool(scope: IConstruct, cluster: IGpuCluster, train: PipelineTrainProps): GpuPoolInfo {
  const pools = cluster.gpuPools.filter((p) => (train.pool === undefined || p.name === train.pool));
  if (train.pool !== undefined && pools.length === 0) {
    throw new InvalidPropError(scope, 'train.pool', train.pool, `one of the cluster's pools: ${cluster.gpuPools.map((p) => p.name).join(', ')}`);
  }
  const pool = pools.find((p) => p.gpusPerNode >= train.gpusPerNode);
  if (!pool) {
    throw new InvalidPropError(scope, 'train.gpusPerNode', train.gpusPerNode,
      `at most the GPUs per node of a pool (${pools.map((p) => `${p.name}: ${p.gpusPerNode}`).join(', ')})`);
  }
  return pool;
}

/** Validates the train props against the tenant's quota and the cluster's pools. */
function resolveTrain(scope: IConstruct, props: ModelPipelineProps): { pool: GpuPoolInfo; globalBatchSize: number; seqLen: number; steps: number } {
  const t = props.train;
  if (!t || !(t.preset in TRAINER_PRESETS)) throw new InvalidPropError(scope, 'train.preset', t?.preset, `one of ${Object.keys(TRAINER_PRESETS).join(', ')}`);
  check.integerInRange(scope, 'train.gpusPerNode', t.gpusPerNode, 1, 16);
  if (t.gpusPerNode === undefined) throw new InvalidPropError(scope, 'train.gpusPerNode', undefined, 'an integer from 1 to 16');
  if ((t.nodes ?? 1) !== 1) {
    throw new InvalidPropError(scope, 'train.nodes', t.nodes, '1 (a pipeline trains on one node; run multi-node training as cluster.addTrainingJob)');
  }
  if (t.gpusPerNode > props.tenant.gpuQuota) {
    throw new InvalidPropError(scope, 'train.gpusPerNode', t.gpusPerNode,
      `at most the tenant's GPU quota (${props.tenant.node.path}: gpuQuota ${props.tenant.gpuQuota}): Kueue would never admit the train step`);
  }
  const pool = pickPool(scope, props.cluster, t);
  check.integerInRange(scope, 'train.steps', t.steps, 1, 10_000_000);
  const globalBatchSize = t.globalBatchSize ?? 8 * t.gpusPerNode;
  check.integerInRange(scope, 'train.globalBatchSize', globalBatchSize, 1, 1_000_000);
  if (globalBatchSize % t.gpusPerNode !== 0) {
    throw new InvalidPropError(scope, 'train.globalBatchSize', globalBatchSize, `a multiple of train.gpusPerNode (${t.gpusPerNode})`);
  }
  const dims = TRAINER_PRESETS[t.preset];
  const seqLen = t.seqLen ?? Math.min(2048, dims.maxSeqLen);
  check.integerInRange(scope, 'train.seqLen', seqLen, 16, dims.maxSeqLen);
  check.numberInRange(scope, 'train.learningRate', t.learningRate, 1e-8, 1);
  check.numberInRange(scope, 'train.maxRuntimeHours', t.maxRuntimeHours, 0.1, 720);
  if (t.lora) {
    check.integerInRange(scope, 'train.lora.rank', t.lora.rank, 1, 256);
    if (!t.baseModel) throw new InvalidPropError(scope, 'train.baseModel', undefined, 'the base model LoRA adapts (train.lora needs it)');
    for (const m of t.lora.targetModules ?? []) {
      if (!(LORA_TARGET_MODULES as readonly string[]).includes(m)) {
        throw new InvalidPropError(scope, 'train.lora.targetModules', m, `modules of the trainer's GPT: ${LORA_TARGET_MODULES.join(', ')}`);
      }
    }
  }
  if (t.baseModel) {
    if (t.baseModel.store.cloud.kind !== props.cluster.cloud.kind) {
      throw new InvalidPropError(scope, 'train.baseModel', t.baseModel.uri, `a model in a store on the cluster's cloud (${props.cluster.cloud.kind})`);
    }
    if (t.baseModel.preset !== undefined && t.baseModel.preset !== t.preset) {
      throw new InvalidPropError(scope, 'train.baseModel', `${t.baseModel.uri} (preset ${t.baseModel.preset})`, `a model of train.preset ${t.preset}`);
    }
  }
  return { pool, globalBatchSize, seqLen, steps: t.steps ?? 1000 };
}

/** Validates the data props: same cloud as the cluster, inside the tenant's prefix, sane split fractions. */
function resolveData(scope: IConstruct, props: ModelPipelineProps): { validation: number; test: number } {
  const d = props.data;
  if (!d || !d.store) throw new InvalidPropError(scope, 'data.store', d?.store, 'the IModelStore holding the raw records');
  if (d.store.cloud.kind !== props.cluster.cloud.kind) {
    throw new InvalidPropError(scope, 'data.store', d.store.node.path,
      `a store on the cluster's cloud (${props.cluster.cloud.kind}): the pipeline's ${props.cluster.cloud.kind} workload identity cannot read ${d.store.cloud.kind} storage`);
  }
  if (typeof d.prefix !== 'string' || !d.prefix.endsWith('/')) throw new InvalidPropError(scope, 'data.prefix', d.prefix, "an object prefix ending with '/'");
  props.tenant.checkPrefix(scope, 'data.prefix', d.prefix);
  check.oneOf(scope, 'data.format', d.format, ['auto', 'jsonl', 'parquet', 'text']);
  check.matches(scope, 'data.textField', d.textField, /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'a record field name');
  if (d.tokenizer !== undefined && d.tokenizer !== 'bytes') props.tenant.checkPrefix(scope, 'data.tokenizer', `${d.tokenizer.replace(/\/+$/, '')}/`);
  const validation = d.split?.validation ?? 0.02;
  const test = d.split?.test ?? 0.02;
  if (typeof validation === 'number' && typeof test === 'number' && validation + test >= 1) {
    throw new InvalidPropError(scope, 'data.split', { validation, test }, 'fractions that leave records to train on (validation + test < 1, each below 0.5)');
  }
  for (const [key, value] of [['validation', validation], ['test', test]] as const) {
    if (typeof value !== 'number' || !(value > 0 && value < 0.5)) {
      throw new InvalidPropError(scope, `data.split.${key}`, value, 'a fraction in (0, 0.5): the held-out share of the records');
    }
  }
  return { validation, test };
}

/** An lm-eval task or tag name (letters, digits, `_`, `-`, `.`): no comma (the `--tasks` separator), space or path. */
const LM_EVAL_TASK = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Validates `evaluate`: windows, loss regression, benchmark tasks, their data (tenant prefix, cluster cloud) and score floors. */
function resolveEvaluate(scope: IConstruct, props: ModelPipelineProps): PipelineBenchmarkSpec | undefined {
  const ev = props.evaluate ?? {};
  check.numberInRange(scope, 'evaluate.maxLossRegression', ev.maxLossRegression, 0, 1);
  check.integerInRange(scope, 'evaluate.maxWindows', ev.maxWindows, 1, 1_000_000);
  check.integerInRange(scope, 'evaluate.taskLimit', ev.taskLimit, 1, 10_000_000);
  check.numberInRange(scope, 'evaluate.maxScoreRegression', ev.maxScoreRegression, 0, 1);
  check.oneOf(scope, 'evaluate.device', ev.device, ['gpu', 'cpu']);
  check.numberInRange(scope, 'evaluate.maxRuntimeHours', ev.maxRuntimeHours, 0.25, 72);
  const params = TRAINER_PRESETS[props.train.preset]?.params ?? 0;
  const cpuMemoryGiB = Number.parseInt(EVALUATE_STEP_SIZE.memory, 10);
  if (ev.device === 'cpu' && params * EVAL_BYTES_PER_PARAM > cpuMemoryGiB * 2 ** 30) {
    throw new InvalidPropError(scope, 'evaluate.device', 'cpu', `'gpu' (or unset) for train.preset '${props.train.preset}': evaluating its `
      + `${(params / 1e9).toFixed(1)}B parameters needs about ${Math.ceil((params * EVAL_BYTES_PER_PARAM) / 2 ** 30)} GiB, and the CPU step has `
      + `${cpuMemoryGiB} GiB (the system pool's nodes)`);
  }
  const tasks = ev.tasks ?? [];
  if (!Array.isArray(tasks)) throw new InvalidPropError(scope, 'evaluate.tasks', tasks, 'a list of lm-eval task names');
  tasks.forEach((t, i) => {
    if (typeof t !== 'string' || !LM_EVAL_TASK.test(t)) {
      throw new InvalidPropError(scope, `evaluate.tasks[${i}]`, t, 'an lm-eval task or tag identifier (letters, digits, "_", "-", ".", such as hellaswag or arc_easy)');
    }
    if (tasks.indexOf(t) !== i) throw new InvalidPropError(scope, `evaluate.tasks[${i}]`, t, 'each task once');
  });
  for (const [key, value] of Object.entries(ev.minScore ?? {})) {
    const task = key.split(':')[0];
    if (!tasks.includes(task) || !/^[^:]+(:[A-Za-z0-9_,.-]+)?$/.test(key)) {
      throw new InvalidPropError(scope, 'evaluate.minScore', key, `a task of evaluate.tasks (${tasks.join(', ') || 'none'}), as "<task>" or "<task>:<metric>": a floor on a score nobody computes would reject every version`);
    }
    check.numberInRange(scope, `evaluate.minScore.${key}`, value, 0, 1);
    if (typeof value !== 'number') throw new InvalidPropError(scope, `evaluate.minScore.${key}`, value, 'a score in [0, 1]');
  }
  if (tasks.length === 0) {
    for (const k of ['taskDir', 'taskLimit', 'maxScoreRegression'] as const) {
      if (ev[k] !== undefined) throw new InvalidPropError(scope, `evaluate.${k}`, ev[k], 'nothing without evaluate.tasks (it applies to benchmark tasks)');
    }
    return undefined;
  }
  if (ev.taskDir === undefined) {
    throw new InvalidPropError(scope, 'evaluate.taskDir', undefined, 'the prefix with the task YAMLs and their data files (required with evaluate.tasks: nothing is downloaded at run time)');
  }
  const dir: PipelineStorePrefix = typeof ev.taskDir === 'string' ? { store: props.data.store, prefix: ev.taskDir } : ev.taskDir;
  if (!dir.store || dir.store.cloud.kind !== props.cluster.cloud.kind) {
    throw new InvalidPropError(scope, 'evaluate.taskDir', dir.store?.node?.path ?? dir.store,
      `a store on the cluster's cloud (${props.cluster.cloud.kind}): the pipeline's workload identity cannot read another cloud's storage`);
  }
  if (typeof dir.prefix !== 'string' || !dir.prefix.endsWith('/')) throw new InvalidPropError(scope, 'evaluate.taskDir', dir.prefix, "an object prefix ending with '/'");
  props.tenant.checkPrefix(scope, 'evaluate.taskDir', dir.prefix);
  return {
    tasks: [...tasks], taskDir: dir, taskDirUri: `${dir.store.uri}/${dir.prefix.replace(/\/+$/, '')}`, taskLimit: ev.taskLimit, minScore: { ...(ev.minScore ?? {}) },
    maxScoreRegression: ev.maxScoreRegression,
  };
}

/**
 * The deploy target as the seam's type: an InferenceEndpoint is checked by its own type guard (a Flagger canary and
 * a registry model); anything else must carry every field of IProgressiveDeployTarget.
 */
function progressiveTarget(scope: IConstruct, endpoint: unknown): IProgressiveDeployTarget {
  const without = 'without it a new version would reach all traffic at once, with no automatic rollback';
  if (endpoint instanceof InferenceEndpoint) {
    if (InferenceEndpoint.isProgressiveDeployTarget(endpoint)) return endpoint;
    const why = endpoint.canaryName === undefined
      ? `it has no \`canary\` (progressive delivery): ${without}`
      : "its model is not a registry alias: set its model to store.registry('<name>', { prefix: <tenant prefix> }), where the pipeline registers versions";
    throw new InvalidPropError(scope, 'deploy.endpoint', endpoint.node.path, `an InferenceEndpoint with progressive delivery serving a model registry (${why})`);
  }
  const e = endpoint as Partial<IProgressiveDeployTarget> | undefined;
  const missing = ['namespace', 'deploymentName', 'canaryName', 'modelVersionAnnotation'].filter((k) => typeof (e as Record<string, unknown> | undefined)?.[k] !== 'string'
    || ((e as Record<string, string>)[k]).length === 0);
  if (!e || missing.length > 0 || !e.registry) {
    throw new InvalidPropError(scope, 'deploy.endpoint', (e as IConstruct | undefined)?.node?.path ?? e,
      `an endpoint with progressive delivery (a Flagger canary: IProgressiveDeployTarget${missing.length ? `; this one has no ${missing.join(', ')}` : ''}): ${without}`);
  }
  return e as IProgressiveDeployTarget;
}

/** Validates the deploy target: an endpoint with progressive delivery, on this cluster's cloud, its registry in the tenant's prefix. */
function resolveDeploy(scope: IConstruct, props: ModelPipelineProps): IProgressiveDeployTarget | undefined {
  const deploy = props.deploy;
  if (!deploy) return undefined;
  const canary = (deploy as { canary?: unknown }).canary;
  if (canary !== undefined) {
    throw new InvalidPropError(scope, 'deploy.canary', canary,
      "nothing here: the canary analysis (steps, interval, SLOs) is the endpoint's (one canary per Deployment): set it on the endpoint");
  }
  const e = progressiveTarget(scope, deploy.endpoint);
  if (e instanceof InferenceEndpoint && e.cluster !== props.cluster) {
    throw new InvalidPropError(scope, 'deploy.endpoint', e.node.path, `an endpoint on ${props.cluster.node.path}: the deploy step patches its Deployment through this cluster's API server`);
  }
  if (e.cloud?.kind !== props.cluster.cloud.kind || e.registry.store.cloud.kind !== props.cluster.cloud.kind) {
    throw new InvalidPropError(scope, 'deploy.endpoint', e.node?.path, `an endpoint and registry on the cluster's cloud (${props.cluster.cloud.kind})`);
  }
  props.tenant.checkPrefix(scope, 'deploy.endpoint.registry', `${e.registry.path}/`);
  if (deploy.timeout !== undefined && !DURATION.test(deploy.timeout)) {
    throw new InvalidPropError(scope, 'deploy.timeout', deploy.timeout, 'a duration in minutes or hours, such as "90m" or "2h"');
  }
  return e;
}

/** `trigger.onNewData`: the debounce window in minutes, or undefined; refused on a cloud without a queue implementation. */
function resolveNewData(scope: IConstruct, props: ModelPipelineProps): number | undefined {
  const v = props.trigger?.onNewData;
  if (v === undefined || v === false) return undefined;
  if (v !== true && (typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw new InvalidPropError(scope, 'trigger.onNewData', v, 'true, false or { minIntervalMinutes, privateEndpointSubnetId }');
  }
  const kind = props.cluster.cloud.kind;
  if (!targetFor(props.cluster.cloud).pipeline) {
    throw new InvalidPropError(scope, 'trigger.onNewData', v, `nothing on ${kind}: no new-data queue is built for it; use trigger.schedule or argo submit`);
  }
  if (v !== true && v.privateEndpointSubnetId !== undefined && kind !== 'azure') {
    throw new InvalidPropError(scope, 'trigger.onNewData.privateEndpointSubnetId', v.privateEndpointSubnetId,
      `unset on ${kind} (the queue's private endpoint is Azure's; SQS and Pub/Sub are reached through the cluster's egress)`);
  }
  const minutes = v === true ? 60 : (v.minIntervalMinutes ?? 60);
  check.integerInRange(scope, 'trigger.onNewData.minIntervalMinutes', minutes, 5, 10080);
  return minutes;
}

function durationSeconds(d: string): number {
  const m = DURATION.exec(d)!;
  return Number(m[1]) * (m[2] === 'h' ? 3600 : 60);
}

/**
 * The model lifecycle as one Argo Workflows pipeline in a tenant's namespace, usually made with
 * `cluster.addModelPipeline(id, props)`: prepare data (clean, dedupe, hash split, atomic publish) -> train (a Kueue-admitted
 * Job in the tenant's queue) -> evaluate on the held-out split (candidate and production on the same windows) ->
 * register a registry version -> gate (compare with production) -> hand the version to the endpoint's canary
 * (Flagger) and wait for its verdict -> move the `production` alias, or leave it (rejected / rolled back).
 * Runs on a cron schedule (a CronWorkflow, `Forbid`), by hand (`argo submit --from workflowtemplate/<name>`), and never
 * two at once (a workflow mutex). Its ServiceAccount holds only the verbs its steps use; its workload identity reads the
 * data prefix and writes only the pipeline's own prefixes and the registry.
 */
export class ModelPipeline extends Construct {
  /** True for a ModelPipeline. */
  public static isModelPipeline(x: unknown): x is ModelPipeline {
    return x instanceof ModelPipeline;
  }

  public readonly cluster: IGpuCluster;
  public readonly tenant: ITenant;
  /** Kubernetes name of the WorkflowTemplate (and CronWorkflow, ServiceAccount). */
  public readonly pipelineName: string;
  public readonly namespace: string;
  /** `<store uri>/<path>` of the model registry the pipeline writes. */
  public readonly registryUri: string;
  /** The cron schedule, if any. */
  public readonly schedule?: string;
  /** Shortest time between two scheduled runs, seconds (undefined without a schedule). */
  public readonly scheduleIntervalSeconds?: number;
  /** Estimated duration of one run, seconds (training at 40 % MFU, the evaluation, fixed overheads, the canary). */
  public readonly estimatedRunSeconds: number;
  /** The endpoint whose canary the pipeline drives. */
  public readonly deployTarget?: IProgressiveDeployTarget;
  /** The pipeline's workload identity. */
  public readonly identity: IWorkloadIdentity;
  /** The Helm release with the pipeline's objects. */
  public readonly workload: KubernetesWorkload;
  /** The Argo Workflows installation the pipeline runs on. */
  public readonly engine: WorkflowEngine;
  /** The rendered WorkflowTemplate and CronWorkflow (for `argo lint` and tests). */
  public readonly argoObjects: readonly Record<string, unknown>[];

  constructor(scope: Construct, id: string, props: ModelPipelineProps) {
    super(scope, id);
    if (!props.cluster) throw new InvalidPropError(this, 'cluster', props.cluster, 'an IGpuCluster');
    if (!props.tenant || props.tenant.cluster !== props.cluster) {
      throw new InvalidPropError(this, 'tenant', props.tenant?.node?.path ?? props.tenant, `a tenant of ${props.cluster.node.path}`);
    }
    const name = props.name ?? derivedDnsLabel(this, id, 40, 'name');
    checkDnsLabel(this, 'name', name, 40);
    const split = resolveData(this, props);
    const train = resolveTrain(this, props);
    const target = resolveDeploy(this, props);
    const benchmarks = resolveEvaluate(this, props);
    const newDataMinutes = resolveNewData(this, props);
    const schedule = props.trigger?.schedule?.trim();
    if (schedule !== undefined) {
      const problem = cronProblem(schedule, true);
      if (problem) throw new InvalidPropError(this, 'trigger.schedule', schedule, `a cron expression (${problem})`);
    }
    check.matches(this, 'trigger.timezone', props.trigger?.timezone, /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'an IANA time zone such as "Etc/UTC" or "Europe/Berlin"');
    if (props.image !== undefined) checkImageUri(this, 'image', props.image);

    this.cluster = props.cluster;
    this.tenant = props.tenant;
    this.pipelineName = name;
    this.namespace = props.tenant.namespace;
    this.deployTarget = target;
    this.schedule = schedule;
    const store = props.data.store;
    const ownPrefix = `${props.tenant.bucketPrefix}pipelines/${name}/`;
    this.registryUri = target ? target.registry.uri : `${store.uri}/${ownPrefix}registry`;
    const deployTimeout = durationSeconds(props.deploy?.timeout ?? '2h');
    this.estimatedRunSeconds = estimateRunSeconds(props, train, target ? deployTimeout / 2 : 0);
    this.scheduleIntervalSeconds = schedule ? (minCronIntervalMinutes(schedule) ?? 0) * 60 || undefined : undefined;
    this.warnOverlappingSchedule();

    this.engine = WorkflowEngine.of(this, props.cluster);
    this.identity = new WorkloadIdentity(this, 'Identity', {
      cloud: props.cluster.cloud, description: `Model pipeline ${this.namespace}/${name}: reads ${props.data.prefix}, writes ${ownPrefix}`,
    });
    this.grantStorage(props, ownPrefix, target, benchmarks);
    const saAnnotations = props.cluster.bindServiceAccount(this.identity, this.namespace, name);
    const imageUri = props.image ?? this.bundledImage();

    const spec = this.renderSpec(props, { name, store, ownPrefix, split, train, target, deployTimeout, imageUri, benchmarks });
    this.workload = new KubernetesWorkload(this, 'Workload', {
      cluster: props.cluster, namespace: this.namespace, description: `Model pipeline ${this.namespace}/${name} (cdktf-ai-infra)`,
    });
    this.workload.addDependency(props.tenant.workload, this.engine.release);
    // The Role in the endpoint's namespace needs that namespace: after the endpoint's release, when it has one.
    const endpointWorkload = (target as { workload?: unknown } | undefined)?.workload;
    if (KubernetesWorkload.isKubernetesWorkload(endpointWorkload)) this.workload.addDependency(endpointWorkload);
    const chart = this.workload.chart;
    const cron = cronWorkflow(spec);
    this.argoObjects = [workflowTemplate(spec), ...(cron ? [cron] : [])];
    const objects = [
      ...rbacObjects(spec, saAnnotations), trainerConfigMap(spec, trainerConfig(props, train, name)), ...this.argoObjects,
      // Step pods talk to the API server (the executor's results, the resource steps); the trainer's metrics are scraped.
      apiServerEgress(`model-pipeline-${name}-apiserver`, this.namespace, { [PIPELINE_LABEL]: name }),
    ];
    objects.forEach((o, i) => apiObject(chart, `Object${i}`, o as never));
    if (newDataMinutes !== undefined) this.addNewDataTrigger(props, name, newDataMinutes);
    addMetricsIngressNetworkPolicy(chart, 'TrainerMetrics', {
      name: `model-pipeline-${name}-metrics`, namespace: this.namespace, podLabels: { [PIPELINE_LABEL]: name }, port: TRAINER_METRICS_PORT,
    });
    contributeSummary(this, () => ({
      kind: 'pipeline', path: this.node.path, cluster: this.cluster.node.path, name, namespace: this.namespace, pool: train.pool.name,
      gpus: props.train.gpusPerNode, schedule, dataStore: store.node.path, dataPrefix: props.data.prefix, endpoint: target?.node.path,
    }));
  }

  /** The cloud's queue of object-created events under the data prefix, and the Argo Events objects reading it. */
  private addNewDataTrigger(props: ModelPipelineProps, name: string, minIntervalMinutes: number): void {
    if (minIntervalMinutes * 60 < this.estimatedRunSeconds) {
      Annotations.of(this).addWarning(`${this.node.path}: trigger.onNewData.minIntervalMinutes ${minIntervalMinutes} is shorter than a run's estimate `
        + `(${Math.round(this.estimatedRunSeconds / 60)} min): new data arriving in every window queues runs behind the pipeline's mutex. `
        + 'Raise minIntervalMinutes to at least the run time.');
    }
    const events = EventsEngine.of(this, props.cluster);
    const identity = new WorkloadIdentity(this, 'EventsIdentity', {
      cloud: props.cluster.cloud, description: `New-data events of model pipeline ${this.namespace}/${name}: receives from its queue`,
    });
    const onNewData = props.trigger?.onNewData;
    const queue = targetFor(props.cluster.cloud).pipeline!.newDataQueue(new Construct(this, 'NewData'), props.cluster.cloud, {
      store: props.data.store, prefix: props.data.prefix, reader: identity, description: `New data for model pipeline ${this.namespace}/${name}`,
      cluster: props.cluster, privateEndpointSubnetId: typeof onNewData === 'object' ? onNewData.privateEndpointSubnetId : undefined,
    });
    const sourceServiceAccount = `${name}-new-data`;
    const annotations = props.cluster.bindServiceAccount(identity, this.namespace, sourceServiceAccount);
    const objects = newDataTriggerObjects({
      pipeline: name, namespace: this.namespace, labels: { [PIPELINE_LABEL]: name }, sourceServiceAccount,
      sourceServiceAccountAnnotations: annotations, podLabels: { ...(props.cluster.workloadIdentityPodLabels ?? {}) }, queue, minIntervalMinutes,
    });
    objects.forEach((o, i) => apiObject(this.workload.chart, `NewData${i}`, o as never));
    this.workload.addDependency(events.release);
  }

  /** Grants: read the raw data (and tokenizer, base model), write the pipeline's prefix and the registry. */
  private grantStorage(props: ModelPipelineProps, ownPrefix: string, target?: IProgressiveDeployTarget, benchmarks?: PipelineBenchmarkSpec): void {
    const d = props.data;
    d.store.grantRead(this.identity, d.prefix);
    if (d.tokenizer && d.tokenizer !== 'bytes') d.store.grantRead(this.identity, `${d.tokenizer.replace(/\/+$/, '')}/`);
    d.store.grantWrite(this.identity, ownPrefix);
    if (target) target.registry.store.grantWrite(this.identity, `${target.registry.path}/`);
    const base = props.train.baseModel;
    if (base) base.store.grantRead(this.identity, `${base.path}/`);
    if (benchmarks) benchmarks.taskDir.store.grantRead(this.identity, benchmarks.taskDir.prefix);
  }

  private renderSpec(props: ModelPipelineProps, o: {
    name: string; store: IModelStore; ownPrefix: string; split: { validation: number; test: number }; train: ReturnType<typeof resolveTrain>;
    target?: IProgressiveDeployTarget; deployTimeout: number; imageUri: string; benchmarks?: PipelineBenchmarkSpec;
  }): PipelineSpec {
    const { pool } = o.train;
    const gpus = props.train.gpusPerNode;
    const share = hostSharePerGpu(props.cluster);
    // 90 % of the host share of `n` GPUs: the rest is the node's system reserve and daemons.
    const hostShare = (n: number) => ({ cpu: Math.max(1, Math.floor(share.vcpus * n * 0.9)), memoryGiB: Math.max(4, Math.floor(share.memoryGiB * n * 0.9)) });
    const maxRuntimeSeconds = Math.round((props.train.maxRuntimeHours ?? 24) * 3600);
    const evaluateMaxRuntime = Math.round((props.evaluate?.maxRuntimeHours ?? 6) * 3600);
    const tokenizer = props.data.tokenizer && props.data.tokenizer !== 'bytes' ? `${o.store.uri}/${props.data.tokenizer.replace(/\/+$/, '')}` : 'bytes';
    return {
      name: o.name, namespace: this.namespace, serviceAccount: o.name, imageUri: o.imageUri,
      podLabels: { [PIPELINE_LABEL]: o.name, ...(props.cluster.workloadIdentityPodLabels ?? {}) },
      env: { ...o.store.clientEnvironment },
      sourceUri: `${o.store.uri}/${props.data.prefix}`, format: props.data.format ?? 'auto', textField: props.data.textField ?? 'text', tokenizer,
      validation: o.split.validation, test: o.split.test,
      datasetUri: `${o.store.uri}/${o.ownPrefix}datasets`, checkpointsUri: `${o.store.uri}/${o.ownPrefix}checkpoints`, registryUri: this.registryUri,
      maxLossRegression: props.evaluate?.maxLossRegression ?? 0, maxWindows: props.evaluate?.maxWindows ?? 512, benchmarks: o.benchmarks,
      train: {
        gpus, queue: this.tenant.queueName, nodeSelector: { ...pool.nodeSelector }, ...hostShare(gpus),
        tolerations: [
          ...pool.taints.map((t) => ({ key: t.key, operator: 'Equal', value: t.value, effect: t.effect })),
          ...(pool.taints.some((t) => t.key === 'nvidia.com/gpu') ? [] : [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]),
        ],
        maxRuntimeSeconds, terminationGracePeriodSeconds: 300, maxRestarts: 3,
      },
      evaluateGpu: props.evaluate?.device === 'cpu' ? undefined : hostShare(1),
      deploy: o.target ? {
        namespace: o.target.namespace, deploymentName: o.target.deploymentName, canaryName: o.target.canaryName,
        annotation: o.target.modelVersionAnnotation, timeoutSeconds: o.deployTimeout,
      } : undefined,
      schedule: this.schedule, timezone: props.trigger?.timezone ?? 'Etc/UTC',
      evaluateMaxRuntimeSeconds: evaluateMaxRuntime,
      activeDeadlineSeconds: maxRuntimeSeconds + evaluateMaxRuntime + FIXED_RUN_MINUTES * 60 * 4 + (o.target ? o.deployTimeout : 0),
    };
  }

  /** A schedule firing more often than a run takes: runs are skipped (Forbid), so the real cadence is slower. */
  private warnOverlappingSchedule(): void {
    if (!this.scheduleIntervalSeconds || this.scheduleIntervalSeconds >= this.estimatedRunSeconds) return;
    Annotations.of(this).addWarning(`${this.node.path}: trigger.schedule "${this.schedule}" fires every ${Math.round(this.scheduleIntervalSeconds / 60)} min `
      + `at the shortest, but a run is estimated at ${Math.round(this.estimatedRunSeconds / 60)} min (training at ${ESTIMATE_MFU * 100} % MFU plus `
      + `the held-out evaluation, ${FIXED_RUN_MINUTES} min of data preparation and scale-up${this.deployTarget ? ', plus the canary' : ''}): runs due while one is `
      + 'active are skipped (concurrencyPolicy Forbid). Schedule less often, train fewer steps or evaluate fewer windows (evaluate.maxWindows).');
  }

  private bundledImage(): string {
    const image = trainerImage(this, this.cluster.cloud);
    image.grantPull(this.cluster);
    return image.imageUri;
  }
}

/**
 * Training time at `ESTIMATE_MFU` of the pool's peak (6 x params x tokens FLOPs), the evaluation of candidate and
 * production (`evaluateSeconds`), fixed overheads and the canary.
 */
function estimateRunSeconds(props: ModelPipelineProps, train: ReturnType<typeof resolveTrain>, canarySeconds: number): number {
  const params = TRAINER_PRESETS[props.train.preset].params;
  const tokens = train.steps * train.globalBatchSize * train.seqLen;
  const trainSeconds = (6 * params * tokens) / (props.train.gpusPerNode * peakFlops(train) * ESTIMATE_MFU);
  return Math.round(trainSeconds + evaluateSeconds(props, train) + FIXED_RUN_MINUTES * 60 + canarySeconds);
}

/** The held-out loss of candidate and production (2 x params FLOPs per token each), on one GPU or the CPU step. */
function evaluateSeconds(props: ModelPipelineProps, train: ReturnType<typeof resolveTrain>): number {
  const params = TRAINER_PRESETS[props.train.preset].params;
  const flops = props.evaluate?.device === 'cpu' ? EVAL_CPU_FLOPS : peakFlops(train) * EVAL_GPU_PEAK_SHARE;
  return (2 * 2 * params * (props.evaluate?.maxWindows ?? 512) * (train.seqLen + 1)) / flops;
}

/** Dense peak FLOP/s of one GPU of the training pool (bf16, else fp16; 100 TFLOP/s for a GPU the catalog lacks). */
function peakFlops(train: ReturnType<typeof resolveTrain>): number {
  const gpu = Gpu.fromId(train.pool.gpu);
  return (gpu ? (gpu.supportsBf16 ? gpu.bf16Tflops : gpu.fp16Tflops) : 100) * 1e12;
}

/** The trainer config (compute/CONTRACT.md), as TrainingJob writes it, for the pipeline's one-node run. */
function trainerConfig(props: ModelPipelineProps, train: ReturnType<typeof resolveTrain>, name: string): Record<string, unknown> {
  const t = props.train;
  const gpu = Gpu.fromId(train.pool.gpu);
  const perGpu = train.globalBatchSize / t.gpusPerNode;
  let micro = Math.min(8, perGpu);
  while (perGpu % micro !== 0) micro--;
  const precision = gpu && !gpu.supportsBf16 ? 'fp16' : 'bf16';
  return {
    run_name: name, seed: 1337, steps: train.steps, global_batch_size: train.globalBatchSize, micro_batch_size: micro, seq_len: train.seqLen,
    lr: t.learningRate ?? (t.lora ? 1e-4 : 3e-4), warmup_steps: Math.min(100, Math.floor(train.steps / 10)), device: 'cuda', strategy: 'ddp', precision,
    compile: true, eval_interval: 500, checkpoint_interval: 500, resume: true, verify_checkpoint: true, metrics_port: TRAINER_METRICS_PORT,
    model: { preset: t.preset, ...(t.baseModel ? { init_from: t.baseModel.uri } : {}) },
    data: { source: 'tokens', dtype: 'uint16', cache_dir: '/scratch/data' },
    ...(t.lora ? {
      lora: { rank: t.lora.rank, alpha: t.lora.alpha ?? 2 * t.lora.rank, dropout: t.lora.dropout ?? 0, target_modules: t.lora.targetModules ?? [...LORA_TARGET_MODULES] },
    } : {}),
  };
}
