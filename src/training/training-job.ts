import { Construct, IConstruct } from 'constructs';
import { apiObject } from '../k8s/cdk8s';
import { Annotations } from 'cdktf';
import { GpuPoolInfo, IGpuCluster } from '../core/cluster';
import { check, InvalidPropError } from '../core/errors';
import { Gpu, GpuMachineType } from '../core/gpu';
import { stableHash } from '../core/hash';
import { IWorkloadIdentity } from '../core/identity';
import { WorkloadIdentity } from '../core/workload-identity';
import { checkImageUri, IContainerImage } from '../core/image';
import { trainerImage } from '../core/image-build';
import { IModelStore, ModelReference } from '../core/model-store';
import { KubernetesWorkload, stableTokenText } from '../k8s/delivery';
import { addMetricsIngressNetworkPolicy, addPeerNetworkPolicy, MANAGED_BY_LABELS } from '../k8s/namespace';
import { EFA_RESOURCE } from '../k8s/node-labels';
import { configMap } from '../k8s/objects/config-map';
import { containerResources } from '../k8s/objects/container';
import { cronJob } from '../k8s/objects/cron-job';
import { job } from '../k8s/objects/job';
import { headlessService } from '../k8s/objects/service';
import { serviceAccount } from '../k8s/objects/service-account';
import { gpuPodTolerations } from '../k8s/objects/toleration';
import { checkDnsLabel, derivedDnsLabel, RESERVED_NAMESPACES } from '../k8s/names';
import { sharedNamespace } from '../k8s/shared-namespace';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext, writableEmptyDirs } from '../k8s/security';
import { ITenant } from './tenant';
import { checkStateLocation } from '../core/state-backend';
import { contributeSummary } from '../summary';
import { registerPoolDemand } from '../core/pool-demand';
import { trainerPodFailurePolicy } from './pod-failure-policy';

// ---- model presets: must match compute/src/aiinfra/presets.json (a test checks) ---------------------

/** Dimensions of a GPT model, as the trainer's `GPTConfig` names them. */
export interface GptDims {
  readonly nLayer: number;
  readonly nHead: number;
  readonly nKvHead: number;
  readonly dModel: number;
  readonly ffnHidden: number;
  readonly vocabSize: number;
  readonly maxSeqLen: number;
}

/** Trainer presets (`aiinfra/presets.json`): dims and parameter count. */
export const TRAINER_PRESETS = {
  'gpt-tiny': { nLayer: 4, nHead: 4, nKvHead: 4, dModel: 256, ffnHidden: 768, vocabSize: 50304, maxSeqLen: 512, params: 16_288_000 },
  'gpt-125m': { nLayer: 12, nHead: 12, nKvHead: 12, dModel: 768, ffnHidden: 2048, vocabSize: 50304, maxSeqLen: 1024, params: 123_587_328 },
  'gpt-350m': { nLayer: 24, nHead: 16, nKvHead: 16, dModel: 1024, ffnHidden: 2816, vocabSize: 50304, maxSeqLen: 2048, params: 359_842_816 },
  'gpt-1b': { nLayer: 22, nHead: 16, nKvHead: 8, dModel: 2048, ffnHidden: 5632, vocabSize: 50304, maxSeqLen: 2048, params: 1_141_204_992 },
  'gpt-3b': { nLayer: 28, nHead: 24, nKvHead: 8, dModel: 3072, ffnHidden: 8192, vocabSize: 50304, maxSeqLen: 2048, params: 2_973_281_280 },
} as const satisfies Record<string, GptDims & { params: number }>;

export type TrainerPreset = keyof typeof TRAINER_PRESETS;

/**
 * Parameters of a GPT with tied embeddings (the trainer's default): embeddings, per layer attention
 * (wq, wo: d x d; wk, wv: d x kv_heads x head_dim), SwiGLU FFN (3 x d x ffn) and two RMSNorms, final norm.
 */
export function gptParameterCount(d: GptDims): number {
  const headDim = d.dModel / d.nHead;
  const attention = 2 * d.dModel * d.dModel + 2 * d.dModel * d.nKvHead * headDim;
  const ffn = 3 * d.dModel * d.ffnHidden;
  return d.vocabSize * d.dModel + d.nLayer * (attention + ffn + 2 * d.dModel) + d.dModel;
}

/** The model to train: a preset, or custom dims. */
export type TrainingModel = { readonly preset: TrainerPreset } | { readonly custom: GptDims };

/** Training data: generated (tests, smoke runs), a token file the trainer memory-maps, or chat data to fine-tune on. */
export type TrainingData =
  | { readonly source: 'synthetic' }
  | { readonly source: 'tokens'; readonly store: IModelStore; readonly path: string; readonly dtype?: 'uint16' | 'uint32' }
  | { readonly source: 'tokens'; readonly uri: string; readonly dtype?: 'uint16' | 'uint32' }
  | SftData;

/**
 * Supervised fine-tuning data (compute/src/aiinfra/sft.py): a JSONL or Parquet file of `{prompt, response}` or
 * `{messages: [{role, content}]}` records, rendered with the tokenizer's chat template, the loss on the assistant's
 * tokens only, conversations packed into rows with document masking.
 */
export interface SftData {
  readonly source: 'sft';
  /** The store holding the dataset and the tokenizer (the cluster's cloud; the job may read these paths only). */
  readonly store: IModelStore;
  /** The dataset: `<path>.jsonl` or `<path>.parquet` in `store`. */
  readonly path: string;
  /** A directory in `store` with the Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json). */
  readonly tokenizerPath: string;
  /** Share of the conversations held out for evaluation (in [0, 0.5]). @default 0.05 */
  readonly valFraction?: number;
  /** A Jinja chat template instead of the tokenizer's (ChatML when the tokenizer has none). @default - the tokenizer's */
  readonly chatTemplate?: string;
  /** Several conversations share a row of seqLen tokens (document-masked). @default true */
  readonly pack?: boolean;
}

/** GPT modules LoRA can adapt (their names in the trainer's GPT; the adapter uses the Llama export's names). */
export const LORA_TARGET_MODULES = ['wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3'] as const;
export type LoraTargetModule = typeof LORA_TARGET_MODULES[number];
const LORA_LLAMA_NAMES: Record<LoraTargetModule, string> = {
  wq: 'q_proj', wk: 'k_proj', wv: 'v_proj', wo: 'o_proj', w1: 'gate_proj', w2: 'down_proj', w3: 'up_proj',
};

/** LoRA fine-tuning (PEFT): the base weights stay frozen, only low-rank adapters train. */
export interface LoraProps {
  /** Rank of the adapters, 1-256. */
  readonly rank: number;
  /** Scaling numerator (the update is scaled by alpha / rank). @default 2 x rank */
  readonly alpha?: number;
  /** Dropout on the adapters' input, in [0, 1). @default 0 */
  readonly dropout?: number;
  /** Modules to adapt. @default - all: wq, wk, wv, wo (attention) and w1, w2, w3 (MLP) */
  readonly targetModules?: LoraTargetModule[];
}

/**
 * The LoRA adapter a fine-tuning job writes (`job.adapter()`): every checkpoint `step-XXXXXXXX/` under `path`
 * holds `adapter/adapter_config.json` + `adapter/adapter_model.safetensors` (PEFT's layout, hashed in the
 * checkpoint's manifest), with Llama module names (q_proj ... down_proj), so it applies to the Hugging Face
 * Llama export of `base`.
 */
export interface AdapterReference {
  readonly store: IModelStore;
  /** The job's checkpoint prefix, without trailing slash. */
  readonly path: string;
  /** Full URI of the checkpoint prefix. */
  readonly uri: string;
  /** The adapter's folder inside each checkpoint step. */
  readonly adapterDir: 'adapter';
  /** Which checkpoint's adapter to serve. */
  readonly select: 'newest' | 'best';
  /** The model the adapter was trained on. */
  readonly base: ModelReference;
  readonly rank: number;
  /** Adapted modules, by their Llama names. */
  readonly targetModules: string[];
}

/** Hyperparameters passed to the trainer config. */
export interface TrainingHyperparameters {
  /** @default 10000 */
  readonly steps?: number;
  /** Sequences per micro-batch per GPU. @default 8 */
  readonly microBatchSize?: number;
  /** Sequences per optimizer step; a multiple of microBatchSize x GPUs. @default microBatchSize x GPUs */
  readonly globalBatchSize?: number;
  /** @default min(2048, the model's max sequence length) */
  readonly seqLen?: number;
  /** @default 3e-4 */
  readonly learningRate?: number;
  /** @default 100 */
  readonly warmupSteps?: number;
  /** Steps between checkpoints. @default 500 */
  readonly checkpointInterval?: number;
  /** Steps between evaluations. @default 500 */
  readonly evalInterval?: number;
  /** torch.compile the model. @default true */
  readonly compile?: boolean;
}

export interface TrainingJobProps {
  readonly cluster: IGpuCluster;
  /** Nodes (pods) of the job. */
  readonly nodes: number;
  /** GPUs per node (torchrun processes per pod). */
  readonly gpusPerNode: number;
  /**
   * Where checkpoints go (the job resumes from the newest one). Without it checkpoints stay on the pods'
   * scratch disks and are lost with them: not allowed on spot-only pools.
   * @default - none
   */
  readonly checkpoints?: IModelStore;
  /** Object prefix of this job's checkpoints in `checkpoints`. @default `<tenant prefix>checkpoints/<job name>/` */
  readonly checkpointPrefix?: string;
  /** Allow `checkpoints` on another cloud than the cluster (you provide the cross-cloud credentials). @default false */
  readonly allowCrossCloudCheckpoints?: boolean;
  /** @default { source: 'synthetic' } */
  readonly data?: TrainingData;
  readonly model: TrainingModel;
  /**
   * Start from these weights (a trainer checkpoint, e.g. `pretrainJob.model()`), in a store on the cluster's
   * cloud; its preset must be this job's model. Required with `lora`. @default - random initialisation
   */
  readonly initFrom?: ModelReference;
  /** Train LoRA adapters instead of all weights (needs `initFrom` and `checkpoints`). @default - full training */
  readonly lora?: LoraProps;
  /** @default 'bf16' ('fp16' on GPUs without bf16) */
  readonly precision?: 'bf16' | 'fp16' | 'fp32';
  /** @default 'fsdp' */
  readonly strategy?: 'ddp' | 'fsdp';
  /**
   * torchrun `--max-restarts` (worker group restarts after a failure); the Job's backoffLimit is this times
   * `nodes` (one lost pod fails every node's rendezvous), at most 100. @default 3
   */
  readonly maxRestarts?: number;
  /** Hard limit on the job's run time, hours (activeDeadlineSeconds). @default 168 (7 days) */
  readonly maxRuntimeHours?: number;
  /**
   * Seconds the trainer gets after SIGTERM to finish its step and write its last checkpoint. The container's
   * launcher (`python -m aiinfra.launch`) hands the signal to the workers itself, so torchrun's 30 s
   * SIGTERM-to-SIGKILL limit does not apply; it stops waiting 10 s before this ends. Kueue preemption, spot
   * reclaim and drains all stop pods this way; less than `stopCheckpointSeconds` (+ 10) warns. @default 300, plus 60
   * per billion parameters, at most 3600
   */
  readonly terminationGracePeriodSeconds?: number;
  /** Tenant whose namespace, queue and bucket prefix the job uses. @default - none */
  readonly tenant?: ITenant;
  /** Kueue LocalQueue: the Job is created suspended and Kueue admits it. @default - the tenant's queue, else none */
  readonly queue?: string;
  /** Namespace when there is no tenant (created with restricted Pod Security if missing). @default 'training' */
  readonly namespace?: string;
  /** Cron schedule (UTC) for periodic retraining; each run resumes from the newest checkpoint. @default - run once */
  readonly schedule?: string;
  /** Trainer image: `repo/name:tag`, or an image object. @default - the bundled trainer built from images/trainer */
  readonly image?: string | IContainerImage;
  /** GPU pool to run on (by name). @default - the first pool with enough GPUs per node and nodes */
  readonly pool?: string;
  /** Kubernetes name of the job (DNS label, at most 40 characters). @default - the construct id */
  readonly jobName?: string;
  /** Hyperparameters. @default - see each field */
  readonly training?: TrainingHyperparameters;
  /** Extra environment variables for the trainer. @default - none */
  readonly env?: Record<string, string>;
}

/** Bytes per parameter of AdamW mixed-precision training: fp32 weights (4) + grads (4) + two moments (8). */
export const TRAINING_BYTES_PER_PARAM = 16;
/** Bytes a checkpoint holds per parameter: fp32 weights 4 + AdamW moments 8 (gradients are not saved). */
export const CHECKPOINT_BYTES_PER_PARAM = 12;
/** Object-store write rate of one node the grace-period check assumes, bytes per second (a conservative 200 MB/s). */
export const CHECKPOINT_WRITE_BYTES_PER_SECOND = 200e6;

/**
 * Seconds the stop checkpoint after a SIGTERM (Kueue preemption, spot reclaim, drain) needs: 60 s for the step in
 * flight plus writing the state at CHECKPOINT_WRITE_BYTES_PER_SECOND per writing node (fsdp: every node writes its
 * shard; ddp: the state is written once).
 */
export function stopCheckpointSeconds(params: number, nodes: number, strategy: 'ddp' | 'fsdp'): number {
  const writers = strategy === 'fsdp' ? nodes : 1;
  return 60 + Math.ceil((params * CHECKPOINT_BYTES_PER_PARAM) / writers / CHECKPOINT_WRITE_BYTES_PER_SECOND);
}

/** Bytes per parameter under LoRA: the frozen fp32 weights only. */
export const LORA_BYTES_PER_PARAM = 4;
/** Share of GPU memory weights/grads/optimizer may take; the rest is activations, buffers, fragmentation. */
export const TRAINING_MEMORY_FRACTION = 0.75;

/** Ports the trainer uses (compute/CONTRACT.md). */
export const TRAINER_METRICS_PORT = 9095;
export const RENDEZVOUS_PORT = 29500;
const CONFIG_PATH = '/etc/aiinfra/trainer.json';
const GIB = 1024 ** 3;
const PREFIX = /^([a-z0-9][a-z0-9._-]*\/)+$/;

function fmtBytes(n: number): string {
  return `${(n / GIB).toFixed(1)} GiB`;
}

/** The NCCL environment for a pool's interconnect. */
export function ncclEnvironment(interconnect: GpuPoolInfo['interconnect']): Record<string, string> {
  const common = { NCCL_DEBUG: 'WARN', TORCH_NCCL_ASYNC_ERROR_HANDLING: '1' };
  switch (interconnect) {
    case 'efa':
      // aws-ofi-nccl over EFA with GPUDirect RDMA (p4d/p5); sockets only for bootstrap.
      return { ...common, FI_PROVIDER: 'efa', FI_EFA_USE_DEVICE_RDMA: '1', FI_EFA_FORK_SAFE: '1', NCCL_SOCKET_IFNAME: '^lo,docker' };
    case 'gpudirect-tcpx':
    case 'gpudirect-tcpxo':
      // GPUDirect-TCPX(O) needs the privileged RxDM sidecar and host networking, which the restricted Pod
      // Security Standard forbids: NCCL uses its socket transport on the pod network, tuned for many flows.
      return { ...common, NCCL_SOCKET_IFNAME: 'eth0', NCCL_IB_DISABLE: '1', NCCL_SOCKET_NTHREADS: '4', NCCL_NSOCKS_PERTHREAD: '4', NCCL_CROSS_NIC: '0' };
    case 'infiniband':
      // Azure ND (HDR/NDR InfiniBand): NCCL's IB transport finds the HCAs itself; devices come from the RDMA
      // device plugin (or the Network Operator) the cluster installs.
      return { ...common, NCCL_IB_DISABLE: '0', NCCL_IB_PCI_RELAXED_ORDERING: '1', NCCL_SOCKET_IFNAME: 'eth0' };
    default:
      return { ...common, NCCL_SOCKET_IFNAME: 'eth0', NCCL_IB_DISABLE: '1' };
  }
}

const jobNames = new WeakMap<IGpuCluster, Map<string, string>>();

/**
 * Waits (up to 10 minutes) until the pod's own DNS name `<job>-<index>.<service>.<namespace>.svc` resolves
 * (JOB_COMPLETION_INDEX is set by the Job controller in Indexed Jobs).
 */
const WAIT_FOR_DNS = [
  'import os, socket, sys, time',
  'host = f"{os.environ[\'JOB_NAME\']}-{os.environ[\'JOB_COMPLETION_INDEX\']}.{os.environ[\'DNS_SUFFIX\']}"',
  'deadline = time.monotonic() + 600',
  'while True:',
  '    try:',
  '        socket.getaddrinfo(host, None)',
  '        sys.exit(0)',
  '    except OSError:',
  '        if time.monotonic() > deadline:',
  '            sys.exit(f"{host} did not resolve in 600 s")',
  '        time.sleep(2)',
].join('\n');

/** Where a job runs and under which names. */
interface JobPlacement {
  readonly cluster: IGpuCluster;
  readonly jobName: string;
  readonly namespace: string;
  readonly tenant?: ITenant;
  readonly queue?: string;
}

/** The model's dimensions and size. */
interface ResolvedModel {
  readonly dims: GptDims;
  readonly preset?: TrainerPreset;
  readonly params: number;
}

/** How big each pod is: a share of the node (the rest stays for the kubelet, system daemons and device plugins). */
interface PodSize {
  readonly machine?: GpuMachineType;
  /** The pod's share of the node's GPUs. */
  readonly share: number;
  readonly cpu: number;
  readonly memoryGiB: number;
}

/** Where checkpoints go. */
interface ResolvedCheckpoints {
  readonly store?: IModelStore;
  /** The store is on another cloud than the cluster (the pods' access is granted by the user). */
  readonly crossCloud: boolean;
  readonly checkpointPrefix?: string;
}

/** A TrainingJob's props after validation: everything decided before any child is made. */
interface ResolvedTrainingJob extends JobPlacement, ResolvedModel, ResolvedCheckpoints {
  readonly pool: GpuPoolInfo;
  readonly gpus: number;
  readonly gpuSpec?: Gpu;
  readonly precision: 'bf16' | 'fp16' | 'fp32';
  readonly strategy: 'ddp' | 'fsdp';
  readonly pod: PodSize;
  readonly microBatchSize: number;
  readonly globalBatchSize: number;
  readonly data: TrainingData;
  readonly dataUri?: string;
  readonly initFrom?: ModelReference;
  readonly lora?: Required<Pick<LoraProps, 'rank' | 'alpha' | 'dropout'>> & { readonly targetModules: LoraTargetModule[] };
  /** Undefined: the bundled trainer image. */
  readonly imageUri?: string;
  readonly imageContentHash?: string;
}

/** Checks the sizes, names, namespace, tenant, queue and schedule. */
function resolvePlacement(scope: IConstruct, id: string, props: TrainingJobProps): JobPlacement {
  const cluster = props.cluster;
  if (!cluster || !cluster.gpuPools) throw new InvalidPropError(scope, 'cluster', cluster, 'an IGpuCluster');
  check.integerInRange(scope, 'nodes', props.nodes, 1, 4096);
  check.integerInRange(scope, 'gpusPerNode', props.gpusPerNode, 1, 64);
  if (props.nodes === undefined) throw new InvalidPropError(scope, 'nodes', undefined, 'an integer >= 1');
  if (props.gpusPerNode === undefined) throw new InvalidPropError(scope, 'gpusPerNode', undefined, 'an integer >= 1');
  check.integerInRange(scope, 'maxRestarts', props.maxRestarts, 1, 100);
  check.numberInRange(scope, 'maxRuntimeHours', props.maxRuntimeHours, 0.1, 24 * 90);
  check.integerInRange(scope, 'terminationGracePeriodSeconds', props.terminationGracePeriodSeconds, 60, 7200);
  check.oneOf(scope, 'precision', props.precision, ['bf16', 'fp16', 'fp32']);
  check.oneOf(scope, 'strategy', props.strategy, ['ddp', 'fsdp']);
  const jobName = props.jobName ?? derivedDnsLabel(scope, id, 40, 'jobName');
  checkDnsLabel(scope, 'jobName', jobName, 40);
  const tenant = props.tenant;
  const namespace = tenant ? tenant.namespace : props.namespace ?? 'training';
  checkDnsLabel(scope, 'namespace', namespace);
  if (tenant && props.namespace !== undefined && props.namespace !== tenant.namespace) {
    throw new InvalidPropError(scope, 'namespace', props.namespace, `the tenant's namespace (${tenant.namespace}) or nothing`);
  }
  if (RESERVED_NAMESPACES.includes(namespace) || namespace.startsWith('kube-')) {
    throw new InvalidPropError(scope, 'namespace', namespace, `a workload namespace, not ${RESERVED_NAMESPACES.join(', ')} or kube-*`);
  }
  if (tenant && tenant.cluster !== cluster) {
    throw new InvalidPropError(scope, 'tenant', tenant.node.path, `a tenant of this job's cluster (${cluster.node.path})`);
  }
  if (props.queue !== undefined) {
    checkDnsLabel(scope, 'queue', props.queue);
    if (tenant && props.queue !== tenant.queueName) {
      throw new InvalidPropError(scope, 'queue', props.queue, `the tenant's LocalQueue (${tenant.queueName}) or nothing`);
    }
  }
  check.cron(scope, 'schedule', props.schedule, { macros: true, example: '0 3 * * 0' });
  return { cluster, jobName, namespace, tenant, queue: props.queue ?? tenant?.queueName };
}

/** A preset, or custom dimensions checked for consistency. */
function resolveModel(scope: IConstruct, props: TrainingJobProps): ResolvedModel {
  const model = props.model as { preset?: string; custom?: GptDims } | undefined;
  if (model && typeof model.preset === 'string') {
    if (!(model.preset in TRAINER_PRESETS)) {
      throw new InvalidPropError(scope, 'model.preset', model.preset, `one of ${Object.keys(TRAINER_PRESETS).join(', ')}`);
    }
    const preset = model.preset as TrainerPreset;
    return { dims: TRAINER_PRESETS[preset], preset, params: TRAINER_PRESETS[preset].params };
  }
  if (model && model.custom) {
    const dims = model.custom;
    for (const key of ['nLayer', 'nHead', 'nKvHead', 'dModel', 'ffnHidden', 'vocabSize', 'maxSeqLen'] as const) {
      check.integerInRange(scope, `model.custom.${key}`, dims[key], 1, 10_000_000);
      if (dims[key] === undefined) throw new InvalidPropError(scope, `model.custom.${key}`, undefined, 'a positive integer');
    }
    if (dims.dModel % dims.nHead !== 0) throw new InvalidPropError(scope, 'model.custom.dModel', dims.dModel, `a multiple of nHead (${dims.nHead})`);
    if (dims.nHead % dims.nKvHead !== 0) throw new InvalidPropError(scope, 'model.custom.nKvHead', dims.nKvHead, `a divisor of nHead (${dims.nHead})`);
    return { dims, params: gptParameterCount(dims) };
  }
  throw new InvalidPropError(scope, 'model', props.model, `{ preset: ${Object.keys(TRAINER_PRESETS).map((p) => `'${p}'`).join(' | ')} } or { custom: { nLayer, nHead, nKvHead, dModel, ffnHidden, vocabSize, maxSeqLen } }`);
}

/** The named pool, or the first that fits nodes x GPUs; checked against the tenant's GPU quota. */
function resolvePool(scope: IConstruct, props: TrainingJobProps, { cluster, tenant }: JobPlacement): GpuPoolInfo {
  const pools = cluster.gpuPools;
  const describePools = pools.map((p) => `${p.name} (${p.gpu}: ${p.maxNodes} nodes x ${p.gpusPerNode} GPUs)`).join(', ') || 'none';
  let pool: GpuPoolInfo | undefined;
  if (props.pool !== undefined) {
    pool = pools.find((p) => p.name === props.pool);
    if (!pool) throw new InvalidPropError(scope, 'pool', props.pool, `a GPU pool of the cluster: ${describePools}`);
  } else {
    pool = pools.find((p) => p.gpusPerNode >= props.gpusPerNode && p.maxNodes >= props.nodes);
    if (!pool && pools.length === 0) throw new InvalidPropError(scope, 'cluster', cluster.node.path, 'a cluster with at least one GPU pool');
  }
  if (!pool || props.gpusPerNode > pool.gpusPerNode) {
    const p = pool ?? pools.reduce((a, b) => (b.gpusPerNode > a.gpusPerNode ? b : a));
    if (props.gpusPerNode > p.gpusPerNode) {
      throw new InvalidPropError(scope, 'gpusPerNode', props.gpusPerNode, `at most the GPUs of one node of the pool: ${describePools}`);
    }
    throw new InvalidPropError(scope, 'nodes', props.nodes, `at most the pool's max nodes: ${describePools}`);
  }
  if (props.nodes > pool.maxNodes) {
    throw new InvalidPropError(scope, 'nodes', props.nodes, `at most pool ${pool.name}'s maxNodes (${pool.maxNodes}); nodes x gpusPerNode = ${props.nodes * props.gpusPerNode} GPUs, the pool has ${pool.maxNodes * pool.gpusPerNode}`);
  }
  const gpus = props.nodes * props.gpusPerNode;
  if (tenant && gpus > tenant.gpuQuota) {
    throw new InvalidPropError(scope, 'nodes', props.nodes,
      `nodes x gpusPerNode (${props.nodes} x ${props.gpusPerNode} = ${gpus}) within tenant ${tenant.namespace}'s gpuQuota (${tenant.gpuQuota}): a larger job is never admitted`);
  }
  return pool;
}

/** Precision (bf16 where the GPU has it) and strategy; checks the training state fits GPU memory. */
function resolvePrecision(scope: IConstruct, props: TrainingJobProps, pool: GpuPoolInfo, model: ResolvedModel, gpus: number) {
  const gpuSpec = Gpu.fromId(pool.gpu);
  const precision = props.precision ?? (gpuSpec && !gpuSpec.supportsBf16 ? 'fp16' : 'bf16');
  if (precision === 'bf16' && gpuSpec && !gpuSpec.supportsBf16) {
    throw new InvalidPropError(scope, 'precision', precision, `'fp16' or 'fp32': ${gpuSpec.name} has no bf16 support`);
  }
  const strategy = props.strategy ?? 'fsdp';
  const { params } = model;
  // LoRA: the frozen base has no gradients or optimizer state (the adapters' are negligible).
  const bytesPerParam = props.lora ? LORA_BYTES_PER_PARAM : TRAINING_BYTES_PER_PARAM;
  const stateBytes = params * bytesPerParam;
  const perGpu = strategy === 'fsdp' ? stateBytes / gpus : stateBytes;
  const usable = pool.gpuMemoryGiB * GIB * TRAINING_MEMORY_FRACTION;
  if (perGpu > usable) {
    const need = strategy === 'fsdp' ? Math.ceil(stateBytes / usable) : undefined;
    throw new InvalidPropError(scope, 'model', model.preset ?? 'custom',
      `a model that fits: ${(params / 1e9).toFixed(2)}B params x ${bytesPerParam} bytes (${props.lora ? 'frozen fp32 weights under LoRA' : 'fp32 weights 4 + grads 4 + AdamW moments 8'}) = ${fmtBytes(stateBytes)}` +
      `${strategy === 'fsdp' ? ` sharded over ${gpus} GPUs = ${fmtBytes(perGpu)} per GPU` : ' per GPU under ddp (every GPU holds a full copy)'}` +
      `, but ${TRAINING_MEMORY_FRACTION * 100}% of one ${pool.gpu} (${pool.gpuMemoryGiB} GiB) is ${fmtBytes(usable)}` +
      `; use ${strategy === 'ddp' ? "strategy 'fsdp', " : ''}${need ? `at least ${need} GPUs, ` : ''}a smaller model or a larger GPU`);
  }
  return { gpuSpec, precision, strategy };
}

/** The pod's CPU and memory (a share of the machine), checked against the tenant's quotas. */
function resolvePodSize(scope: IConstruct, props: TrainingJobProps, { cluster, tenant }: JobPlacement, pool: GpuPoolInfo, gpuSpec: Gpu | undefined): PodSize {
  const machine = gpuSpec && pool.machineType ? gpuSpec.machineByName(cluster.cloud.kind, pool.machineType) : undefined;
  const share = props.gpusPerNode / pool.gpusPerNode;
  const cpu = machine ? Math.max(1, Math.floor(machine.vcpus * share * 0.85)) : 6 * props.gpusPerNode;
  const memoryGiB = machine ? Math.max(8, Math.floor(machine.memoryGiB * share * 0.8)) : 48 * props.gpusPerNode;
  if (tenant?.cpuQuota !== undefined && props.nodes * cpu > tenant.cpuQuota) {
    throw new InvalidPropError(scope, 'nodes', props.nodes,
      `a job within tenant ${tenant.namespace}'s cpuQuota (${tenant.cpuQuota}): ${props.nodes} pods x ${cpu} CPUs = ${props.nodes * cpu}; raise the tenant's cpuQuota or use fewer nodes`);
  }
  if (tenant?.memoryQuotaGiB !== undefined && props.nodes * memoryGiB > tenant.memoryQuotaGiB) {
    throw new InvalidPropError(scope, 'nodes', props.nodes,
      `a job within tenant ${tenant.namespace}'s memoryQuotaGiB (${tenant.memoryQuotaGiB}): ${props.nodes} pods x ${memoryGiB} GiB = ${props.nodes * memoryGiB} GiB; raise the tenant's memoryQuotaGiB or use fewer nodes`);
  }
  return { machine, share, cpu, memoryGiB };
}

/** Checks the hyperparameters; returns the micro and global batch sizes. */
function resolveBatch(scope: IConstruct, t: TrainingHyperparameters, dims: GptDims, gpus: number): { microBatchSize: number; globalBatchSize: number } {
  check.integerInRange(scope, 'training.steps', t.steps, 1, 1e9);
  check.integerInRange(scope, 'training.microBatchSize', t.microBatchSize, 1, 65536);
  check.integerInRange(scope, 'training.globalBatchSize', t.globalBatchSize, 1, 1e8);
  check.integerInRange(scope, 'training.seqLen', t.seqLen, 8, dims.maxSeqLen);
  check.numberInRange(scope, 'training.learningRate', t.learningRate, 1e-8, 1);
  check.integerInRange(scope, 'training.warmupSteps', t.warmupSteps, 0, 1e9);
  check.integerInRange(scope, 'training.checkpointInterval', t.checkpointInterval, 1, 1e9);
  check.integerInRange(scope, 'training.evalInterval', t.evalInterval, 0, 1e9);
  const micro = t.microBatchSize ?? 8;
  const global = t.globalBatchSize ?? micro * gpus;
  if (global % (micro * gpus) !== 0) {
    throw new InvalidPropError(scope, 'training.globalBatchSize', global,
      `a multiple of microBatchSize x GPUs (${micro} x ${gpus} = ${micro * gpus}), e.g. ${micro * gpus * Math.max(1, Math.round(global / (micro * gpus)))}`);
  }
  return { microBatchSize: micro, globalBatchSize: global };
}

/** The checkpoint store and prefix: required on spot-only pools and with a schedule, on the cluster's cloud. */
function resolveCheckpoints(scope: IConstruct, props: TrainingJobProps, { cluster, tenant, jobName }: JobPlacement, pool: GpuPoolInfo): ResolvedCheckpoints {
  const store = props.checkpoints;
  const capacity = pool.capacity ?? ['on-demand'];
  if (!store && capacity.length > 0 && capacity.every((c) => c === 'spot')) {
    throw new InvalidPropError(scope, 'checkpoints', undefined,
      `a checkpoint store: pool ${pool.name} is spot-only, and a preempted job without checkpoints loses all progress`);
  }
  if (props.schedule !== undefined && !store) {
    throw new InvalidPropError(scope, 'checkpoints', undefined,
      'a checkpoint store when schedule is set: each scheduled run resumes from the newest checkpoint, which must outlive the pods');
  }
  if (props.checkpointPrefix !== undefined && !store) {
    throw new InvalidPropError(scope, 'checkpointPrefix', props.checkpointPrefix, 'only with checkpoints');
  }
  const crossCloud = store !== undefined && store.cloud.kind !== cluster.cloud.kind;
  if (crossCloud && !props.allowCrossCloudCheckpoints) {
    throw new InvalidPropError(scope, 'checkpoints', store.node.path,
      `a store on the cluster's cloud (${cluster.cloud.kind}, the store is on ${store.cloud.kind}); cross-cloud checkpoints pay egress on every save, set allowCrossCloudCheckpoints: true to accept that`);
  }
  let checkpointPrefix: string | undefined;
  if (store) {
    checkpointPrefix = props.checkpointPrefix ?? `${tenant?.bucketPrefix ?? ''}checkpoints/${jobName}/`;
    check.matches(scope, 'checkpointPrefix', checkpointPrefix, PREFIX, "lowercase path segments ending in '/', e.g. 'research/checkpoints/pretrain/'");
    tenant?.checkPrefix(scope, 'checkpointPrefix', checkpointPrefix);
  }
  return { store, crossCloud, checkpointPrefix };
}

/** The training data: synthetic, a path in a store on the cluster's cloud, or a URI. */
function resolveData(scope: IConstruct, props: TrainingJobProps, { cluster, tenant }: JobPlacement): { data: TrainingData; dataUri?: string } {
  const data = props.data ?? { source: 'synthetic' as const };
  if (data.source !== 'synthetic' && data.source !== 'tokens' && data.source !== 'sft') {
    throw new InvalidPropError(scope, 'data.source', (data as { source: unknown }).source, "'synthetic', 'tokens' or 'sft'");
  }
  if (data.source === 'sft') return resolveSftData(scope, data, { cluster, tenant });
  if (data.source !== 'tokens') return { data };
  if ('store' in data && data.store) {
    const path = data.path;
    check.matches(scope, 'data.path', path, /^[a-z0-9][a-z0-9._\-/]*$/, "a path inside the store, e.g. 'research/data/tokens.bin' or 'research/data/'");
    if (tenant) tenant.checkPrefix(scope, 'data.path', path);
    if (data.store.cloud.kind !== cluster.cloud.kind) {
      throw new InvalidPropError(scope, 'data.store', data.store.node.path, `a store on the cluster's cloud (${cluster.cloud.kind})`);
    }
    return { data, dataUri: `${data.store.uri}/${path}` };
  }
  if ('uri' in data && typeof data.uri === 'string') {
    check.matches(scope, 'data.uri', data.uri, /^(s3|gs|az|abfs|https?):\/\/\S+$/, 'an s3://, gs://, az:// or https:// URI of a token file or directory');
    return { data, dataUri: data.uri };
  }
  throw new InvalidPropError(scope, 'data', data, "{ source: 'tokens', store, path } or { source: 'tokens', uri }");
}

/** SFT data: a .jsonl / .parquet file and a tokenizer directory in a store on the cluster's cloud. */
function resolveSftData(scope: IConstruct, data: SftData, { cluster, tenant }: Pick<JobPlacement, 'cluster' | 'tenant'>): { data: TrainingData; dataUri: string } {
  if (!data.store || typeof data.store.uri !== 'string') throw new InvalidPropError(scope, 'data.store', data.store, 'an IModelStore (e.g. a ModelBackupBucket)');
  if (data.store.cloud.kind !== cluster.cloud.kind) {
    throw new InvalidPropError(scope, 'data.store', data.store.node.path, `a store on the cluster's cloud (${cluster.cloud.kind}, the store is on ${data.store.cloud.kind})`);
  }
  const path = check.objectPath(scope, 'data.path', data.path);
  if (!/\.(jsonl|parquet)$/.test(path)) {
    throw new InvalidPropError(scope, 'data.path', data.path, "a .jsonl or .parquet file of {prompt, response} or {messages} records, e.g. 'research/data/chat.jsonl'");
  }
  const tokenizer = check.objectPath(scope, 'data.tokenizerPath', data.tokenizerPath);
  if (tenant) {
    tenant.checkPrefix(scope, 'data.path', path);
    tenant.checkPrefix(scope, 'data.tokenizerPath', `${tokenizer}/`);
  }
  check.numberInRange(scope, 'data.valFraction', data.valFraction, 0, 0.5);
  if (data.chatTemplate !== undefined && (typeof data.chatTemplate !== 'string' || !data.chatTemplate.includes('messages'))) {
    throw new InvalidPropError(scope, 'data.chatTemplate', data.chatTemplate, 'a Jinja chat template that loops over `messages`');
  }
  return { data: { ...data, path, tokenizerPath: tokenizer }, dataUri: `${data.store.uri}/${path}` };
}

/** initFrom and lora: weights on the cluster's cloud for this model; a rank and modules LoRA can adapt. */
function resolveFineTuning(scope: IConstruct, props: TrainingJobProps, { cluster }: JobPlacement, model: ResolvedModel): Pick<ResolvedTrainingJob, 'initFrom' | 'lora'> {
  const initFrom = props.initFrom;
  if (initFrom !== undefined) {
    if (!initFrom || !initFrom.store || typeof initFrom.uri !== 'string') {
      throw new InvalidPropError(scope, 'initFrom', initFrom, "a ModelReference to a trainer checkpoint, e.g. pretrainJob.model() or bucket.model('research/checkpoints/pretrain')");
    }
    if (initFrom.store.cloud.kind !== cluster.cloud.kind) {
      throw new InvalidPropError(scope, 'initFrom', initFrom.uri, `a checkpoint in a store on the cluster's cloud (${cluster.cloud.kind})`);
    }
    if (initFrom.preset !== undefined && initFrom.preset !== model.preset) {
      throw new InvalidPropError(scope, 'initFrom', `${initFrom.uri} (preset ${initFrom.preset})`, `a checkpoint of this job's model (${model.preset ?? 'custom dims'})`);
    }
  }
  const lora = props.lora;
  if (lora === undefined) return { initFrom };
  if (!lora || typeof lora !== 'object') throw new InvalidPropError(scope, 'lora', lora, '{ rank, alpha?, dropout?, targetModules? }');
  if (lora.rank === undefined) throw new InvalidPropError(scope, 'lora.rank', undefined, 'an integer from 1 to 256');
  check.integerInRange(scope, 'lora.rank', lora.rank, 1, 256);
  const maxRank = Math.min(model.dims.dModel, model.dims.ffnHidden);
  if (lora.rank > maxRank) throw new InvalidPropError(scope, 'lora.rank', lora.rank, `at most the model's smallest adapted dimension (${maxRank})`);
  check.numberInRange(scope, 'lora.alpha', lora.alpha, 0.001, 10_000);
  if (lora.dropout !== undefined && !(lora.dropout >= 0 && lora.dropout < 1)) throw new InvalidPropError(scope, 'lora.dropout', lora.dropout, 'a number in [0, 1)');
  const targets = lora.targetModules ?? [...LORA_TARGET_MODULES];
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new InvalidPropError(scope, 'lora.targetModules', targets, `a non-empty list of ${LORA_TARGET_MODULES.join(', ')}`);
  }
  for (const t of targets) {
    if (!(LORA_TARGET_MODULES as readonly string[]).includes(t)) {
      throw new InvalidPropError(scope, 'lora.targetModules', t,
        `a Linear module of the trainer's GPT (${model.preset ?? 'custom dims'}): ${LORA_TARGET_MODULES.join(', ')} (attention wq wk wv wo, MLP w1 w2 w3)`);
    }
  }
  if (!initFrom) {
    throw new InvalidPropError(scope, 'initFrom', undefined, 'the pre-trained weights LoRA adapts (a ModelReference, e.g. pretrainJob.model()): adapters on random weights learn nothing useful');
  }
  if (!props.checkpoints) {
    throw new InvalidPropError(scope, 'checkpoints', undefined, 'a checkpoint store with lora: the adapters are written into the checkpoints');
  }
  return { initFrom, lora: { rank: lora.rank, alpha: lora.alpha ?? 2 * lora.rank, dropout: lora.dropout ?? 0, targetModules: [...new Set(targets)].sort() } };
}

/** The user's image (a reference or an IContainerImage), and the extra environment's names. */
function resolveImage(scope: IConstruct, props: TrainingJobProps): { imageUri?: string; imageContentHash?: string } {
  let image: { imageUri?: string; imageContentHash?: string } = {};
  if (typeof props.image === 'string') {
    checkImageUri(scope, 'image', props.image);
    image = { imageUri: props.image };
  } else if (props.image !== undefined) {
    if (!props.image || typeof props.image.imageUri !== 'string') throw new InvalidPropError(scope, 'image', props.image, 'an image reference or IContainerImage');
    image = { imageUri: props.image.imageUri, imageContentHash: props.image.contentHash };
  }
  if (props.env) {
    for (const [k, v] of Object.entries(props.env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || typeof v !== 'string') throw new InvalidPropError(scope, `env.${k}`, v, 'a string value under a C identifier name');
    }
  }
  return image;
}

/** Validates every prop, in the order the errors are documented, before any child is made. */
function resolveTrainingJob(scope: IConstruct, id: string, props: TrainingJobProps): ResolvedTrainingJob {
  const placement = resolvePlacement(scope, id, props);
  const model = resolveModel(scope, props);
  const pool = resolvePool(scope, props, placement);
  const gpus = props.nodes * props.gpusPerNode;
  const fineTuning = resolveFineTuning(scope, props, placement, model);
  const { gpuSpec, precision, strategy } = resolvePrecision(scope, props, pool, model, gpus);
  const pod = resolvePodSize(scope, props, placement, pool, gpuSpec);
  const batch = resolveBatch(scope, props.training ?? {}, model.dims, gpus);
  const checkpoints = resolveCheckpoints(scope, props, placement, pool);
  const data = resolveData(scope, props, placement);
  const image = resolveImage(scope, props);
  const names = jobNames.get(placement.cluster);
  const key = `${placement.namespace}/${placement.jobName}`;
  if (names?.has(key)) {
    throw new InvalidPropError(scope, 'jobName', placement.jobName, `a name unique in namespace ${placement.namespace} (${names.get(key)} uses it)`);
  }
  return { ...placement, ...model, pool, gpus, gpuSpec, precision, strategy, pod, ...batch, ...checkpoints, ...data, ...image, ...fineTuning };
}

/** The trainer config (compute/CONTRACT.md), written to the ConfigMap. */
function renderTrainerConfig(r: ResolvedTrainingJob, t: TrainingHyperparameters): Record<string, unknown> {
  const { dims, preset, precision, gpuSpec } = r;
  const config: Record<string, unknown> = {
    run_name: r.jobName,
    seed: 1337,
    steps: t.steps ?? 10_000,
    global_batch_size: r.globalBatchSize,
    micro_batch_size: r.microBatchSize,
    seq_len: t.seqLen ?? Math.min(2048, dims.maxSeqLen),
    lr: t.learningRate ?? 3e-4,
    warmup_steps: t.warmupSteps ?? 100,
    device: 'cuda',
    strategy: r.strategy,
    precision,
    compile: t.compile ?? true,
    eval_interval: t.evalInterval ?? 500,
    checkpoint_interval: t.checkpointInterval ?? 500,
    resume: true,
    verify_checkpoint: true,
    metrics_port: TRAINER_METRICS_PORT,
    ...(gpuSpec ? { peak_tflops: precision === 'fp32' ? undefined : precision === 'bf16' ? gpuSpec.bf16Tflops : gpuSpec.fp16Tflops } : {}),
    model: preset
      ? { preset }
      : {
        preset: null, n_layer: dims.nLayer, n_head: dims.nHead, n_kv_head: dims.nKvHead, d_model: dims.dModel,
        ffn_hidden: dims.ffnHidden, vocab_size: dims.vocabSize, max_seq_len: dims.maxSeqLen,
      },
    data: renderDataConfig(r.data),
  };
  if (config.peak_tflops === undefined) delete config.peak_tflops;
  if (r.initFrom) (config.model as Record<string, unknown>).init_from = r.initFrom.uri;
  if (r.lora) {
    config.lora = { rank: r.lora.rank, alpha: r.lora.alpha, dropout: r.lora.dropout, target_modules: r.lora.targetModules };
  }
  return config;
}

/** The trainer's `data` section (the path itself comes as `--data-path`). */
function renderDataConfig(data: TrainingData): Record<string, unknown> {
  switch (data.source) {
    case 'tokens':
      return { source: 'tokens', dtype: data.dtype ?? 'uint16', cache_dir: '/scratch/data' };
    case 'sft':
      return {
        source: 'sft', tokenizer: `${data.store.uri}/${data.tokenizerPath}`, val_fraction: data.valFraction ?? 0.05, pack: data.pack ?? true,
        cache_dir: '/scratch/data', ...(data.chatTemplate !== undefined ? { chat_template: data.chatTemplate } : {}),
      };
    default:
      return { source: 'synthetic' };
  }
}

/** The ServiceAccount, trainer ConfigMap, headless Service and network policies of the job. */
function renderSupportObjects(chart: Construct, r: ResolvedTrainingJob, o: { labels: Record<string, string>; selector: Record<string, string>; saAnnotations: Record<string, string>; config: Record<string, unknown> }): void {
  const { jobName, namespace } = r;
  const { labels, saAnnotations } = o;
  apiObject(chart, 'ServiceAccount', serviceAccount(jobName, namespace, labels, saAnnotations));
  apiObject(chart, 'Config', configMap({ name: `${jobName}-config`, namespace, labels, data: { 'trainer.json': `${JSON.stringify(o.config, null, 2)}\n` } }));
  apiObject(chart, 'Service', headlessService({
    name: jobName, namespace, labels, selector: o.selector, port: { name: 'rendezvous', port: RENDEZVOUS_PORT },
  }));
  addPeerNetworkPolicy(chart, 'PeerPolicy', { name: `${jobName}-peers`, namespace, podLabels: o.selector });
  // scraped by the metrics scraper only (our Prometheus, the cloud's managed collector), not by every namespace
  addMetricsIngressNetworkPolicy(chart, 'MetricsPolicy', { name: `${jobName}-metrics`, namespace, podLabels: o.selector, port: TRAINER_METRICS_PORT, cloud: r.cluster.cloud });
}

/** The trainer's environment: NCCL for the interconnect, the store's client settings, caches, the user's. */
function trainerEnvironment(r: ResolvedTrainingJob, props: TrainingJobProps, checkpointUri: string | undefined): Record<string, string> {
  return {
    ...ncclEnvironment(r.pool.interconnect),
    ...(r.store ? r.store.clientEnvironment : {}),
    PYTHONUNBUFFERED: '1',
    HOME: '/home/app',
    XDG_CACHE_HOME: '/scratch/cache',
    TRITON_CACHE_DIR: '/scratch/cache/triton',
    TORCHINDUCTOR_CACHE_DIR: '/scratch/cache/inductor',
    AIINFRA_CONFIG: CONFIG_PATH,
    AIINFRA_METRICS_PORT: String(TRAINER_METRICS_PORT),
    AIINFRA_CHECKPOINT_DIR: checkpointUri ?? `/scratch/checkpoints/${r.jobName}`,
    ...(props.env ?? {}),
  };
}

/** torchrun's arguments: c10d rendezvous on pod 0's DNS name, then the trainer. */
function torchrunArgs(r: ResolvedTrainingJob, props: TrainingJobProps, restarts: number): string[] {
  return [
    `--nnodes=${props.nodes}`,
    `--nproc-per-node=${props.gpusPerNode}`,
    '--rdzv-backend=c10d',
    `--rdzv-endpoint=$(JOB_NAME)-0.${r.jobName}.${r.namespace}.svc:${RENDEZVOUS_PORT}`,
    '--rdzv-id=$(JOB_NAME)',
    '--rdzv-conf=join_timeout=900,read_timeout=300',
    `--max-restarts=${restarts}`,
    '--monitor-interval=5',
    '-m', 'aiinfra.cli', 'train',
    '--config', CONFIG_PATH,
    ...(r.dataUri ? ['--data-path', r.dataUri] : []),
  ];
}

/** What the pod spec needs beside the resolved props. */
interface PodOptions {
  readonly imageUri: string;
  readonly grace: number;
  readonly restarts: number;
  readonly env: Record<string, string>;
}

/** The trainer pod: restricted, on the pool's nodes, GPUs (and EFA interfaces) requested, a DNS wait first. */
function renderPodSpec(r: ResolvedTrainingJob, props: TrainingJobProps, o: PodOptions): Record<string, unknown> {
  const { pool, pod, jobName: serviceName, namespace } = r;
  const shmGiB = Math.max(1, Math.min(16 * props.gpusPerNode, Math.floor(pod.memoryGiB / 4)));
  const efa = pool.interconnect === 'efa' && pod.machine?.efaInterfaces ? Math.max(1, Math.floor(pod.machine.efaInterfaces * pod.share)) : 0;
  const dirs = writableEmptyDirs([
    { name: 'tmp', mountPath: '/tmp', sizeLimit: '20Gi' },
    { name: 'home', mountPath: '/home/app', sizeLimit: '5Gi' },
    { name: 'scratch', mountPath: '/scratch', sizeLimit: '200Gi' },
    { name: 'dshm', mountPath: '/dev/shm', sizeLimit: `${shmGiB}Gi`, memory: true },
  ]);
  const tolerations = gpuPodTolerations(pool.taints);
  const gpuResources: Record<string, string> = { 'nvidia.com/gpu': String(props.gpusPerNode) };
  if (efa) gpuResources[EFA_RESOURCE] = String(efa);
  const jobNameEnv = { name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } };
  return {
    serviceAccountName: r.jobName,
    automountServiceAccountToken: false,
    subdomain: serviceName,
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: o.grace,
    securityContext: restrictedPodSecurityContext(),
    nodeSelector: { ...pool.nodeSelector },
    tolerations,
    enableServiceLinks: false,
    volumes: [...dirs.volumes, { name: 'config', configMap: { name: `${r.jobName}-config` } }],
    // torchrun's c10d backend decides which agent hosts the rendezvous store by resolving the endpoint name
    // to its own address: pod 0 must see its DNS record before torchrun starts, or no agent hosts the store.
    initContainers: [{
      name: 'wait-for-dns',
      image: o.imageUri,
      imagePullPolicy: 'IfNotPresent',
      command: ['python', '-c', WAIT_FOR_DNS],
      env: [jobNameEnv, { name: 'DNS_SUFFIX', value: `${serviceName}.${namespace}.svc` }],
      resources: containerResources('100m', '128Mi'),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    }],
    containers: [{
      name: 'trainer',
      image: o.imageUri,
      imagePullPolicy: 'IfNotPresent',
      // torchrun would SIGKILL the workers 30 s after a SIGTERM (the image's torch 2.8 has no option for it):
      // the launcher signals them itself and waits for the stop checkpoint until 10 s before the kubelet's SIGKILL.
      command: ['python', '-m', 'aiinfra.launch'],
      args: [`--stop-timeout=${o.grace - 10}`, ...torchrunArgs(r, props, o.restarts)],
      env: [jobNameEnv, ...Object.entries(o.env).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value }))],
      ports: [
        { name: 'metrics', containerPort: TRAINER_METRICS_PORT, protocol: 'TCP' },
        { name: 'rendezvous', containerPort: RENDEZVOUS_PORT, protocol: 'TCP' },
      ],
      resources: {
        requests: { cpu: String(pod.cpu), memory: `${pod.memoryGiB}Gi`, ...gpuResources },
        limits: { memory: `${pod.memoryGiB}Gi`, ...gpuResources },
      },
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [...dirs.volumeMounts, { name: 'config', mountPath: '/etc/aiinfra', readOnly: true }],
    }],
  };
}

/** The Indexed Job spec: one pod per node, disruptions retried without counting, config errors fail fast. */
function renderJobSpec(props: TrainingJobProps, restarts: number, podLabels: Record<string, string>, podSpec: Record<string, unknown>): Record<string, unknown> {
  return {
    completionMode: 'Indexed',
    completions: props.nodes,
    parallelism: props.nodes,
    // a lost pod takes the rendezvous down for every node: each incident may fail all `nodes` pods
    backoffLimit: Math.min(100, restarts * props.nodes),
    activeDeadlineSeconds: Math.round((props.maxRuntimeHours ?? 168) * 3600),
    podFailurePolicy: trainerPodFailurePolicy(),
    // No `suspend: true` here although Kueue needs the Job created suspended: Kueue's webhook suspends every
    // Job with a queue label on creation, and a suspend in the chart would make each Helm upgrade (a three-way
    // merge against the live object) suspend again a Job Kueue admitted, evicting a running job.
    template: {
      metadata: { labels: podLabels },
      spec: podSpec,
    },
  };
}

/**
 * A distributed training run of the bundled trainer (`aiinfra-train train`) on a GPU cluster, usually made
 * with `cluster.addTrainingJob(id, props)`.
 *
 * Renders, with cdk8s, into one Helm release: a ServiceAccount bound to a new workload identity that may
 * write only the job's checkpoint prefix; a ConfigMap with the trainer config (JSON, per compute/CONTRACT.md);
 * a headless Service; an Indexed Job (completions = parallelism = nodes) running `torchrun` (under
 * `aiinfra.launch`, which gives the SIGTERM checkpoint the whole grace period) with c10d
 * rendezvous on pod 0's DNS name, NCCL settings for the pool's interconnect, GPU limits, the pool's node
 * selector and tolerations, `/dev/shm` in memory, a podFailurePolicy that ignores node disruptions (and
 * fails fast on config errors), bounded backoffLimit and activeDeadlineSeconds, a grace period for the
 * SIGTERM checkpoint, the Kueue queue label when queued (Kueue's webhook creates the Job suspended); restricted
 * Pod Security. The Job's name ends in a hash of its spec and image content: a change is a new Job.
 * With `schedule`, a CronJob runs the same Job periodically, resuming from the newest checkpoint.
 */
export class TrainingJob extends Construct {
  public readonly cluster: IGpuCluster;
  /** Kubernetes name of the Job (CronJob) and prefix of its other objects. */
  public readonly jobName: string;
  public readonly namespace: string;
  /** The pool the job runs on. */
  public readonly pool: GpuPoolInfo;
  /** Parameters of the model. */
  public readonly parameterCount: number;
  /** `<store uri>/<prefix>` the trainer checkpoints to (undefined without `checkpoints`). */
  public readonly checkpointUri?: string;
  /** Object prefix of the checkpoints in the store. */
  public readonly checkpointPrefix?: string;
  /** Identity of the job's pods. */
  public readonly identity: IWorkloadIdentity;
  /** The trainer image reference. */
  public readonly imageUri: string;
  /** The Helm release carrying the job. */
  public readonly workload: KubernetesWorkload;
  /** Kueue LocalQueue (undefined when not queued). */
  public readonly queue?: string;
  /** The trainer config written to the ConfigMap. */
  public readonly trainerConfig: Record<string, unknown>;
  private readonly checkpointStore?: IModelStore;
  private readonly presetName?: TrainerPreset;
  private readonly resolvedLora?: ResolvedTrainingJob['lora'];
  private readonly initFrom?: ModelReference;

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    checkStateLocation(this);
    const r = resolveTrainingJob(this, id, props);
    const { cluster, jobName, namespace, tenant, store, checkpointPrefix } = r;
    const names = jobNames.get(cluster) ?? new Map<string, string>();
    names.set(`${namespace}/${jobName}`, this.node.path);
    jobNames.set(cluster, names);
    this.cluster = cluster;
    this.jobName = jobName;
    this.namespace = namespace;
    this.pool = r.pool;
    this.parameterCount = r.params;
    this.queue = r.queue;
    this.checkpointPrefix = checkpointPrefix;
    this.checkpointStore = store;
    this.presetName = r.preset;
    this.resolvedLora = r.lora;
    this.initFrom = r.initFrom;
    this.checkpointUri = store && checkpointPrefix ? `${store.uri}/${checkpointPrefix.replace(/\/$/, '')}` : undefined;

    const image = r.imageUri !== undefined ? { imageUri: r.imageUri, contentHash: r.imageContentHash } : this.bundledImage();
    this.imageUri = image.imageUri;
    const imageContentHash = image.contentHash;
    this.identity = new WorkloadIdentity(this, 'Identity', {
      cloud: cluster.cloud,
      description: `Training job ${namespace}/${jobName}: writes ${checkpointPrefix ?? 'nothing'}`,
    });
    this.grantStorage(r);
    const saAnnotations = cluster.bindServiceAccount(this.identity, namespace, jobName);
    this.trainerConfig = renderTrainerConfig(r, props.training ?? {});

    this.workload = new KubernetesWorkload(this, 'Workload', {
      cluster,
      namespace,
      timeoutSeconds: 600,
      description: `Training job ${namespace}/${jobName} (cdktf-ai-infra)`,
    });
    this.workload.addDependency(tenant ? tenant.workload : sharedNamespace(cluster, namespace));
    const podLabels = { ...MANAGED_BY_LABELS, 'app.kubernetes.io/name': 'aiinfra-trainer', 'ai-infra/training-job': jobName };
    const selector = { 'ai-infra/training-job': jobName };
    const labels: Record<string, string> = { ...podLabels, ...(tenant ? { 'ai-infra/tenant': tenant.namespace } : {}) };
    renderSupportObjects(this.workload.chart, r, { labels, selector, saAnnotations, config: this.trainerConfig });

    const grace = props.terminationGracePeriodSeconds ?? Math.min(3600, 300 + 60 * Math.ceil(r.params / 1e9));
    this.warnShortGracePeriod(r, props, grace);
    const restarts = props.maxRestarts ?? 3;
    const env = trainerEnvironment(r, props, this.checkpointUri);
    const podSpec = renderPodSpec(r, props, { imageUri: this.imageUri, grace, restarts, env });
    const jobSpec = renderJobSpec(props, restarts, { ...labels, ...(cluster.workloadIdentityPodLabels ?? {}) }, podSpec);
    this.renderJob(props, labels, jobSpec, { saAnnotations, imageContentHash });
    // A running job holds its GPUs until it ends, but serving pods have the higher priority and preempt it: an
    // endpoint rollout on the same pool is warned about (it would cost the job its work since the last checkpoint).
    registerPoolDemand(this.cluster, this.pool.name, { path: this.node.path, kind: 'training-job', floorGpus: 0, peakGpus: props.nodes * props.gpusPerNode });
    contributeSummary(this, () => ({
      kind: 'training-job', path: this.node.path, cluster: this.cluster.node.path, name: this.jobName, namespace: this.namespace, pool: this.pool.name,
      gpus: props.nodes * props.gpusPerNode, checkpointStore: this.checkpointStore?.node.path, checkpointPrefix: this.checkpointPrefix,
    }));
  }

  /**
   * A grace period too short for the stop checkpoint makes every preemption (Kueue reclaiming cohort quota, spot
   * reclaim, a drain) lose the work since the last periodic checkpoint: a warning with the estimate, since the
   * real write rate depends on the store and the network.
   */
  private warnShortGracePeriod(r: ResolvedTrainingJob, props: TrainingJobProps, grace: number): void {
    const need = stopCheckpointSeconds(r.params, props.nodes, r.strategy);
    if (grace - 10 >= need) return;
    const gb = (r.params * CHECKPOINT_BYTES_PER_PARAM) / 1e9;
    Annotations.of(this).addWarning(`${this.node.path}: terminationGracePeriodSeconds ${grace}${props.terminationGracePeriodSeconds === undefined ? ' (default, capped at 3600)' : ''} `
      + `leaves the stop checkpoint ${grace - 10} s, but writing ${gb.toFixed(1)} GB of state (${CHECKPOINT_BYTES_PER_PARAM} bytes per parameter`
      + `${r.strategy === 'fsdp' ? `, ${props.nodes} nodes writing their shards` : ', written once under ddp'}) at ${CHECKPOINT_WRITE_BYTES_PER_SECOND / 1e6} MB/s `
      + `per node plus the step in flight takes about ${need} s: a preemption then loses the work since the last periodic checkpoint. `
      + `Raise terminationGracePeriodSeconds to at least ${need + 10}${r.strategy === 'ddp' ? ', or use strategy "fsdp" (every node writes its shard)' : ''}.`);
  }

  /** Grants the identity the checkpoint prefix and the data (same cloud), and warns what it cannot grant. */
  private grantStorage(r: ResolvedTrainingJob): void {
    const { store, checkpointPrefix, cluster, pool, data } = r;
    if (store && checkpointPrefix) {
      if (r.crossCloud) {
        Annotations.of(this).addWarning(`checkpoints are on ${store.cloud.kind} and the cluster on ${cluster.cloud.kind}: grant the pods access to ${store.uri}/${checkpointPrefix} yourself`);
      } else {
        store.grantWrite(this.identity, checkpointPrefix);
      }
    }
    if (data.source === 'tokens' && 'store' in data && data.store) data.store.grantRead(this.identity, data.path);
    if (data.source === 'sft') {
      data.store.grantRead(this.identity, data.path);
      data.store.grantRead(this.identity, `${data.tokenizerPath}/`);
    }
    if (r.initFrom) r.initFrom.store.grantRead(this.identity, `${r.initFrom.path}/`);
    if (!store) {
      Annotations.of(this).addWarning('no checkpoints store: checkpoints stay on the pods\' scratch disk and are lost when a pod goes');
    }
    if (pool.interconnect === 'gpudirect-tcpx' || pool.interconnect === 'gpudirect-tcpxo') {
      Annotations.of(this).addWarning(`pool ${pool.name} has ${pool.interconnect}: it needs a privileged sidecar and host networking, which restricted pods cannot have; NCCL uses sockets on the pod network`);
    }
  }

  /** The Job, named with a hash of its spec (a changed job is a new Job), or with `schedule` a CronJob. */
  private renderJob(props: TrainingJobProps, labels: Record<string, string>, jobSpec: Record<string, unknown>,
    hashed: { saAnnotations: Record<string, string>; imageContentHash?: string }): void {
    const { jobName, namespace, queue } = this;
    const chart = this.workload.chart;
    const queueLabels: Record<string, string> = queue ? { 'kueue.x-k8s.io/queue-name': queue } : {};
    // Token ids differ between runs: hash the Terraform expressions they stand for. An expression hides its
    // value, though: the image reference reads the tag from the push resource, so the image's content hash
    // (known at synth) goes in too. A changed job or image is a new Job: Job pod templates are immutable.
    const specHash = stableHash(stableTokenText(this, JSON.stringify({
      jobSpec, config: this.trainerConfig, saAnnotations: hashed.saAnnotations, ...(hashed.imageContentHash ? { image: hashed.imageContentHash } : {}),
    })), 6);
    if (props.schedule) {
      apiObject(chart, 'CronJob', cronJob({
        name: jobName, namespace, labels, schedule: props.schedule.trim(), jobLabels: { ...labels, ...queueLabels }, jobSpec,
      }));
    } else {
      // The spec hash in the name: a changed job is a new Job (Job templates are immutable); it resumes
      // from the newest checkpoint.
      apiObject(chart, 'Job', job({ name: `${jobName}-${specHash}`, namespace, labels: { ...labels, ...queueLabels }, spec: jobSpec }));
    }
  }

  /** The bundled trainer image for the cluster's cloud (built and pushed by the docker provider). */
  private bundledImage(): IContainerImage {
    const image = trainerImage(this, this.cluster.cloud);
    image.grantPull(this.cluster);
    return image;
  }

  /**
   * The model this job trains, for an InferenceEndpoint: its checkpoint prefix in the store, with the
   * job's parameter count (for the endpoint's GPU memory check). Serves the best checkpoint by eval loss
   * unless `select: 'newest'`.
   */
  public model(options: { readonly select?: 'newest' | 'best' } = {}): ModelReference {
    if (!this.checkpointStore || !this.checkpointPrefix) {
      throw new InvalidPropError(this, 'checkpoints', undefined, 'a checkpoint store: a job without checkpoints has no model to serve');
    }
    return this.checkpointStore.model(this.checkpointPrefix.replace(/\/$/, ''), {
      parameterCount: this.parameterCount, preset: this.presetName, select: options.select ?? 'best',
    });
  }

  /**
   * The LoRA adapter this job trains (a job with `lora`), for an inference endpoint that serves it on its base
   * model: the adapter of the best checkpoint by eval loss unless `select: 'newest'`.
   */
  public adapter(options: { readonly select?: 'newest' | 'best' } = {}): AdapterReference {
    if (!this.resolvedLora || !this.initFrom || !this.checkpointStore || !this.checkpointPrefix) {
      throw new InvalidPropError(this, 'lora', undefined, 'a LoRA job (lora, initFrom and checkpoints set): only it writes an adapter');
    }
    const path = this.checkpointPrefix.replace(/\/$/, '');
    return {
      store: this.checkpointStore, path, uri: `${this.checkpointStore.uri}/${path}`, adapterDir: 'adapter',
      select: options.select ?? 'best', base: this.initFrom, rank: this.resolvedLora.rank,
      targetModules: this.resolvedLora.targetModules.map((m) => LORA_LLAMA_NAMES[m]).sort(),
    };
  }
}
