import { Construct } from 'constructs';
import { apiObject } from '../k8s/cdk8s';
import { Annotations } from 'cdktf';
import { GpuPoolInfo, IGpuCluster } from '../core/cluster';
import { check, InvalidPropError } from '../core/errors';
import { Gpu } from '../core/gpu';
import { stableHash } from '../core/hash';
import { IWorkloadIdentity, WorkloadIdentity } from '../core/identity';
import { checkImageUri, IContainerImage } from '../core/image';
import { IModelStore, ModelReference } from '../core/model-store';
import { KubernetesWorkload, stableTokenText } from '../k8s/delivery';
import { addMetricsIngressNetworkPolicy, addPeerNetworkPolicy, MANAGED_BY_LABELS } from '../k8s/namespace';
import { checkDnsLabel, derivedDnsLabel, RESERVED_NAMESPACES } from '../k8s/names';
import { sharedNamespace } from '../k8s/shared-namespace';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext, writableEmptyDirs } from '../k8s/security';
import { ITenant } from './tenant';
import { checkStateLocation } from '../core/state-backend';

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

/** Training data: generated (tests, smoke runs) or a token file the trainer memory-maps. */
export type TrainingData =
  | { readonly source: 'synthetic' }
  | { readonly source: 'tokens'; readonly store: IModelStore; readonly path: string; readonly dtype?: 'uint16' | 'uint32' }
  | { readonly source: 'tokens'; readonly uri: string; readonly dtype?: 'uint16' | 'uint32' };

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
   * SIGTERM-to-SIGKILL limit does not apply; it stops waiting 10 s before this ends. @default 300, plus 60 per
   * billion parameters
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

  constructor(scope: Construct, id: string, props: TrainingJobProps) {
    super(scope, id);
    checkStateLocation(this);
    // ===== validation (everything before any child is created) =======================================
    const cluster = props.cluster;
    if (!cluster || !cluster.gpuPools) throw new InvalidPropError(this, 'cluster', cluster, 'an IGpuCluster');
    check.integerInRange(this, 'nodes', props.nodes, 1, 4096);
    check.integerInRange(this, 'gpusPerNode', props.gpusPerNode, 1, 64);
    if (props.nodes === undefined) throw new InvalidPropError(this, 'nodes', undefined, 'an integer >= 1');
    if (props.gpusPerNode === undefined) throw new InvalidPropError(this, 'gpusPerNode', undefined, 'an integer >= 1');
    check.integerInRange(this, 'maxRestarts', props.maxRestarts, 1, 100);
    check.numberInRange(this, 'maxRuntimeHours', props.maxRuntimeHours, 0.1, 24 * 90);
    check.integerInRange(this, 'terminationGracePeriodSeconds', props.terminationGracePeriodSeconds, 60, 7200);
    check.oneOf(this, 'precision', props.precision, ['bf16', 'fp16', 'fp32']);
    check.oneOf(this, 'strategy', props.strategy, ['ddp', 'fsdp']);
    const jobName = props.jobName ?? derivedDnsLabel(this, id, 40, 'jobName');
    checkDnsLabel(this, 'jobName', jobName, 40);
    const tenant = props.tenant;
    const namespace = tenant ? tenant.namespace : props.namespace ?? 'training';
    checkDnsLabel(this, 'namespace', namespace);
    if (tenant && props.namespace !== undefined && props.namespace !== tenant.namespace) {
      throw new InvalidPropError(this, 'namespace', props.namespace, `the tenant's namespace (${tenant.namespace}) or nothing`);
    }
    if (RESERVED_NAMESPACES.includes(namespace) || namespace.startsWith('kube-')) {
      throw new InvalidPropError(this, 'namespace', namespace, `a workload namespace, not ${RESERVED_NAMESPACES.join(', ')} or kube-*`);
    }
    if (tenant && tenant.cluster !== cluster) {
      throw new InvalidPropError(this, 'tenant', tenant.node.path, `a tenant of this job's cluster (${cluster.node.path})`);
    }
    if (props.queue !== undefined) {
      checkDnsLabel(this, 'queue', props.queue);
      if (tenant && props.queue !== tenant.queueName) {
        throw new InvalidPropError(this, 'queue', props.queue, `the tenant's LocalQueue (${tenant.queueName}) or nothing`);
      }
    }
    const queue = props.queue ?? tenant?.queueName;
    check.cron(this, 'schedule', props.schedule, { macros: true, example: '0 3 * * 0' });

    // model
    const model = props.model as { preset?: string; custom?: GptDims } | undefined;
    let dims: GptDims;
    let preset: TrainerPreset | undefined;
    if (model && typeof model.preset === 'string') {
      if (!(model.preset in TRAINER_PRESETS)) {
        throw new InvalidPropError(this, 'model.preset', model.preset, `one of ${Object.keys(TRAINER_PRESETS).join(', ')}`);
      }
      preset = model.preset as TrainerPreset;
      dims = TRAINER_PRESETS[preset];
    } else if (model && model.custom) {
      dims = model.custom;
      for (const key of ['nLayer', 'nHead', 'nKvHead', 'dModel', 'ffnHidden', 'vocabSize', 'maxSeqLen'] as const) {
        check.integerInRange(this, `model.custom.${key}`, dims[key], 1, 10_000_000);
        if (dims[key] === undefined) throw new InvalidPropError(this, `model.custom.${key}`, undefined, 'a positive integer');
      }
      if (dims.dModel % dims.nHead !== 0) throw new InvalidPropError(this, 'model.custom.dModel', dims.dModel, `a multiple of nHead (${dims.nHead})`);
      if (dims.nHead % dims.nKvHead !== 0) throw new InvalidPropError(this, 'model.custom.nKvHead', dims.nKvHead, `a divisor of nHead (${dims.nHead})`);
    } else {
      throw new InvalidPropError(this, 'model', props.model, `{ preset: ${Object.keys(TRAINER_PRESETS).map((p) => `'${p}'`).join(' | ')} } or { custom: { nLayer, nHead, nKvHead, dModel, ffnHidden, vocabSize, maxSeqLen } }`);
    }
    const params = preset ? TRAINER_PRESETS[preset].params : gptParameterCount(dims);

    // pool
    const pools = cluster.gpuPools;
    const describePools = pools.map((p) => `${p.name} (${p.gpu}: ${p.maxNodes} nodes x ${p.gpusPerNode} GPUs)`).join(', ') || 'none';
    let pool: GpuPoolInfo | undefined;
    if (props.pool !== undefined) {
      pool = pools.find((p) => p.name === props.pool);
      if (!pool) throw new InvalidPropError(this, 'pool', props.pool, `a GPU pool of the cluster: ${describePools}`);
    } else {
      pool = pools.find((p) => p.gpusPerNode >= props.gpusPerNode && p.maxNodes >= props.nodes);
      if (!pool && pools.length === 0) throw new InvalidPropError(this, 'cluster', cluster.node.path, 'a cluster with at least one GPU pool');
    }
    if (!pool || props.gpusPerNode > pool.gpusPerNode) {
      const p = pool ?? pools.reduce((a, b) => (b.gpusPerNode > a.gpusPerNode ? b : a));
      if (props.gpusPerNode > p.gpusPerNode) {
        throw new InvalidPropError(this, 'gpusPerNode', props.gpusPerNode, `at most the GPUs of one node of the pool: ${describePools}`);
      }
      throw new InvalidPropError(this, 'nodes', props.nodes, `at most the pool's max nodes: ${describePools}`);
    }
    if (props.nodes > pool.maxNodes) {
      throw new InvalidPropError(this, 'nodes', props.nodes, `at most pool ${pool.name}'s maxNodes (${pool.maxNodes}); nodes x gpusPerNode = ${props.nodes * props.gpusPerNode} GPUs, the pool has ${pool.maxNodes * pool.gpusPerNode}`);
    }
    const gpus = props.nodes * props.gpusPerNode;
    if (tenant && gpus > tenant.gpuQuota) {
      throw new InvalidPropError(this, 'nodes', props.nodes,
        `nodes x gpusPerNode (${props.nodes} x ${props.gpusPerNode} = ${gpus}) within tenant ${tenant.namespace}'s gpuQuota (${tenant.gpuQuota}): a larger job is never admitted`);
    }

    // precision and memory fit
    const gpuSpec = Gpu.fromId(pool.gpu);
    const precision = props.precision ?? (gpuSpec && !gpuSpec.supportsBf16 ? 'fp16' : 'bf16');
    if (precision === 'bf16' && gpuSpec && !gpuSpec.supportsBf16) {
      throw new InvalidPropError(this, 'precision', precision, `'fp16' or 'fp32': ${gpuSpec.name} has no bf16 support`);
    }
    const strategy = props.strategy ?? 'fsdp';
    const stateBytes = params * TRAINING_BYTES_PER_PARAM;
    const perGpu = strategy === 'fsdp' ? stateBytes / gpus : stateBytes;
    const usable = pool.gpuMemoryGiB * GIB * TRAINING_MEMORY_FRACTION;
    if (perGpu > usable) {
      const need = strategy === 'fsdp' ? Math.ceil(stateBytes / usable) : undefined;
      throw new InvalidPropError(this, 'model', preset ?? 'custom',
        `a model that fits: ${(params / 1e9).toFixed(2)}B params x ${TRAINING_BYTES_PER_PARAM} bytes (fp32 weights 4 + grads 4 + AdamW moments 8) = ${fmtBytes(stateBytes)}` +
        `${strategy === 'fsdp' ? ` sharded over ${gpus} GPUs = ${fmtBytes(perGpu)} per GPU` : ' per GPU under ddp (every GPU holds a full copy)'}` +
        `, but ${TRAINING_MEMORY_FRACTION * 100}% of one ${pool.gpu} (${pool.gpuMemoryGiB} GiB) is ${fmtBytes(usable)}` +
        `; use ${strategy === 'ddp' ? "strategy 'fsdp', " : ''}${need ? `at least ${need} GPUs, ` : ''}a smaller model or a larger GPU`);
    }

    // pod size: a share of the node (the rest stays for the kubelet, system daemons and the device plugins)
    const machine = gpuSpec && pool.machineType ? gpuSpec.machineByName(cluster.cloud.kind, pool.machineType) : undefined;
    const share = props.gpusPerNode / pool.gpusPerNode;
    const cpu = machine ? Math.max(1, Math.floor(machine.vcpus * share * 0.85)) : 6 * props.gpusPerNode;
    const memoryGiB = machine ? Math.max(8, Math.floor(machine.memoryGiB * share * 0.8)) : 48 * props.gpusPerNode;
    if (tenant?.cpuQuota !== undefined && props.nodes * cpu > tenant.cpuQuota) {
      throw new InvalidPropError(this, 'nodes', props.nodes,
        `a job within tenant ${tenant.namespace}'s cpuQuota (${tenant.cpuQuota}): ${props.nodes} pods x ${cpu} CPUs = ${props.nodes * cpu}; raise the tenant's cpuQuota or use fewer nodes`);
    }
    if (tenant?.memoryQuotaGiB !== undefined && props.nodes * memoryGiB > tenant.memoryQuotaGiB) {
      throw new InvalidPropError(this, 'nodes', props.nodes,
        `a job within tenant ${tenant.namespace}'s memoryQuotaGiB (${tenant.memoryQuotaGiB}): ${props.nodes} pods x ${memoryGiB} GiB = ${props.nodes * memoryGiB} GiB; raise the tenant's memoryQuotaGiB or use fewer nodes`);
    }

    // hyperparameters
    const t = props.training ?? {};
    check.integerInRange(this, 'training.steps', t.steps, 1, 1e9);
    check.integerInRange(this, 'training.microBatchSize', t.microBatchSize, 1, 65536);
    check.integerInRange(this, 'training.globalBatchSize', t.globalBatchSize, 1, 1e8);
    check.integerInRange(this, 'training.seqLen', t.seqLen, 8, dims.maxSeqLen);
    check.numberInRange(this, 'training.learningRate', t.learningRate, 1e-8, 1);
    check.integerInRange(this, 'training.warmupSteps', t.warmupSteps, 0, 1e9);
    check.integerInRange(this, 'training.checkpointInterval', t.checkpointInterval, 1, 1e9);
    check.integerInRange(this, 'training.evalInterval', t.evalInterval, 0, 1e9);
    const micro = t.microBatchSize ?? 8;
    const global = t.globalBatchSize ?? micro * gpus;
    if (global % (micro * gpus) !== 0) {
      throw new InvalidPropError(this, 'training.globalBatchSize', global,
        `a multiple of microBatchSize x GPUs (${micro} x ${gpus} = ${micro * gpus}), e.g. ${micro * gpus * Math.max(1, Math.round(global / (micro * gpus)))}`);
    }

    // checkpoints, data
    const store = props.checkpoints;
    const capacity = pool.capacity ?? ['on-demand'];
    if (!store && capacity.length > 0 && capacity.every((c) => c === 'spot')) {
      throw new InvalidPropError(this, 'checkpoints', undefined,
        `a checkpoint store: pool ${pool.name} is spot-only, and a preempted job without checkpoints loses all progress`);
    }
    if (props.schedule !== undefined && !store) {
      throw new InvalidPropError(this, 'checkpoints', undefined,
        'a checkpoint store when schedule is set: each scheduled run resumes from the newest checkpoint, which must outlive the pods');
    }
    if (props.checkpointPrefix !== undefined && !store) {
      throw new InvalidPropError(this, 'checkpointPrefix', props.checkpointPrefix, 'only with checkpoints');
    }
    const crossCloud = store !== undefined && store.cloud.kind !== cluster.cloud.kind;
    if (crossCloud && !props.allowCrossCloudCheckpoints) {
      throw new InvalidPropError(this, 'checkpoints', store.node.path,
        `a store on the cluster's cloud (${cluster.cloud.kind}, the store is on ${store.cloud.kind}); cross-cloud checkpoints pay egress on every save, set allowCrossCloudCheckpoints: true to accept that`);
    }
    let checkpointPrefix: string | undefined;
    if (store) {
      checkpointPrefix = props.checkpointPrefix ?? `${tenant?.bucketPrefix ?? ''}checkpoints/${jobName}/`;
      check.matches(this, 'checkpointPrefix', checkpointPrefix, PREFIX, "lowercase path segments ending in '/', e.g. 'research/checkpoints/pretrain/'");
      tenant?.checkPrefix(this, 'checkpointPrefix', checkpointPrefix);
    }
    const data = props.data ?? { source: 'synthetic' as const };
    if (data.source !== 'synthetic' && data.source !== 'tokens') {
      throw new InvalidPropError(this, 'data.source', (data as { source: unknown }).source, "'synthetic' or 'tokens'");
    }
    let dataUri: string | undefined;
    if (data.source === 'tokens') {
      if ('store' in data && data.store) {
        const path = data.path;
        check.matches(this, 'data.path', path, /^[a-z0-9][a-z0-9._\-/]*$/, "a path inside the store, e.g. 'research/data/tokens.bin' or 'research/data/'");
        if (tenant) tenant.checkPrefix(this, 'data.path', path);
        if (data.store.cloud.kind !== cluster.cloud.kind) {
          throw new InvalidPropError(this, 'data.store', data.store.node.path, `a store on the cluster's cloud (${cluster.cloud.kind})`);
        }
        dataUri = `${data.store.uri}/${path}`;
      } else if ('uri' in data && typeof data.uri === 'string') {
        check.matches(this, 'data.uri', data.uri, /^(s3|gs|az|abfs|https?):\/\/\S+$/, 'an s3://, gs://, az:// or https:// URI of a token file or directory');
        dataUri = data.uri;
      } else {
        throw new InvalidPropError(this, 'data', data, "{ source: 'tokens', store, path } or { source: 'tokens', uri }");
      }
    }
    let imageUri: string | undefined;
    let imageContentHash: string | undefined;
    if (typeof props.image === 'string') {
      checkImageUri(this, 'image', props.image);
      imageUri = props.image;
    } else if (props.image !== undefined) {
      if (!props.image || typeof props.image.imageUri !== 'string') throw new InvalidPropError(this, 'image', props.image, 'an image reference or IContainerImage');
      imageUri = props.image.imageUri;
      imageContentHash = props.image.contentHash;
    }
    if (props.env) {
      for (const [k, v] of Object.entries(props.env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || typeof v !== 'string') throw new InvalidPropError(this, `env.${k}`, v, 'a string value under a C identifier name');
      }
    }
    const names = jobNames.get(cluster) ?? new Map<string, string>();
    const key = `${namespace}/${jobName}`;
    if (names.has(key)) {
      throw new InvalidPropError(this, 'jobName', jobName, `a name unique in namespace ${namespace} (${names.get(key)} uses it)`);
    }

    // ===== resources ===================================================================================
    names.set(key, this.node.path);
    jobNames.set(cluster, names);
    this.cluster = cluster;
    this.jobName = jobName;
    this.namespace = namespace;
    this.pool = pool;
    this.parameterCount = params;
    this.queue = queue;
    this.checkpointPrefix = checkpointPrefix;
    this.checkpointStore = store;
    this.presetName = preset;
    this.checkpointUri = store && checkpointPrefix ? `${store.uri}/${checkpointPrefix.replace(/\/$/, '')}` : undefined;

    if (imageUri === undefined) {
      const bundled = this.bundledImage();
      imageUri = bundled.imageUri;
      imageContentHash = bundled.contentHash;
    }
    this.imageUri = imageUri;
    this.identity = new WorkloadIdentity(this, 'Identity', {
      cloud: cluster.cloud,
      description: `Training job ${namespace}/${jobName}: writes ${checkpointPrefix ?? 'nothing'}`,
    });
    if (store && checkpointPrefix) {
      if (crossCloud) {
        Annotations.of(this).addWarning(`checkpoints are on ${store.cloud.kind} and the cluster on ${cluster.cloud.kind}: grant the pods access to ${store.uri}/${checkpointPrefix} yourself`);
      } else {
        store.grantWrite(this.identity, checkpointPrefix);
      }
    }
    if (data.source === 'tokens' && 'store' in data && data.store) data.store.grantRead(this.identity, data.path);
    if (!store) {
      Annotations.of(this).addWarning('no checkpoints store: checkpoints stay on the pods\' scratch disk and are lost when a pod goes');
    }
    if (pool.interconnect === 'gpudirect-tcpx' || pool.interconnect === 'gpudirect-tcpxo') {
      Annotations.of(this).addWarning(`pool ${pool.name} has ${pool.interconnect}: it needs a privileged sidecar and host networking, which restricted pods cannot have; NCCL uses sockets on the pod network`);
    }

    const saName = jobName;
    const saAnnotations = cluster.bindServiceAccount(this.identity, namespace, saName);

    this.trainerConfig = {
      run_name: jobName,
      seed: 1337,
      steps: t.steps ?? 10_000,
      global_batch_size: global,
      micro_batch_size: micro,
      seq_len: t.seqLen ?? Math.min(2048, dims.maxSeqLen),
      lr: t.learningRate ?? 3e-4,
      warmup_steps: t.warmupSteps ?? 100,
      device: 'cuda',
      strategy,
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
      data: data.source === 'tokens'
        ? { source: 'tokens', dtype: data.dtype ?? 'uint16', cache_dir: '/scratch/data' }
        : { source: 'synthetic' },
    };
    if (this.trainerConfig.peak_tflops === undefined) delete this.trainerConfig.peak_tflops;

    // ---- Kubernetes objects --------------------------------------------------------------------------
    this.workload = new KubernetesWorkload(this, 'Workload', {
      cluster,
      namespace,
      timeoutSeconds: 600,
      description: `Training job ${namespace}/${jobName} (cdktf-ai-infra)`,
    });
    this.workload.addDependency(tenant ? tenant.workload : sharedNamespace(cluster, namespace));
    const chart = this.workload.chart;
    const podLabels = { ...MANAGED_BY_LABELS, 'app.kubernetes.io/name': 'aiinfra-trainer', 'ai-infra/training-job': jobName };
    const selector = { 'ai-infra/training-job': jobName };
    const labels: Record<string, string> = { ...podLabels, ...(tenant ? { 'ai-infra/tenant': tenant.namespace } : {}) };

    apiObject(chart, 'ServiceAccount', {
      apiVersion: 'v1', kind: 'ServiceAccount',
      metadata: { name: saName, namespace, labels, ...(Object.keys(saAnnotations).length ? { annotations: saAnnotations } : {}) },
      automountServiceAccountToken: false,
    });
    const configName = `${jobName}-config`;
    apiObject(chart, 'Config', {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: configName, namespace, labels },
      data: { 'trainer.json': `${JSON.stringify(this.trainerConfig, null, 2)}\n` },
    });
    const serviceName = jobName;
    apiObject(chart, 'Service', {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: serviceName, namespace, labels },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector,
        ports: [{ name: 'rendezvous', port: RENDEZVOUS_PORT, targetPort: RENDEZVOUS_PORT, protocol: 'TCP' }],
      },
    });
    addPeerNetworkPolicy(chart, 'PeerPolicy', { name: `${jobName}-peers`, namespace, podLabels: selector });
    addMetricsIngressNetworkPolicy(chart, 'MetricsPolicy', { name: `${jobName}-metrics`, namespace, podLabels: selector, port: TRAINER_METRICS_PORT });

    // ---- pod ---------------------------------------------------------------------------------------
    const shmGiB = Math.max(1, Math.min(16 * props.gpusPerNode, Math.floor(memoryGiB / 4)));
    const efa = pool.interconnect === 'efa' && machine?.efaInterfaces ? Math.max(1, Math.floor(machine.efaInterfaces * share)) : 0;
    const dirs = writableEmptyDirs([
      { name: 'tmp', mountPath: '/tmp', sizeLimit: '20Gi' },
      { name: 'home', mountPath: '/home/app', sizeLimit: '5Gi' },
      { name: 'scratch', mountPath: '/scratch', sizeLimit: '200Gi' },
      { name: 'dshm', mountPath: '/dev/shm', sizeLimit: `${shmGiB}Gi`, memory: true },
    ]);
    const grace = props.terminationGracePeriodSeconds ?? Math.min(3600, 300 + 60 * Math.ceil(params / 1e9));
    const restarts = props.maxRestarts ?? 3;
    const env: Record<string, string> = {
      ...ncclEnvironment(pool.interconnect),
      ...(store ? store.clientEnvironment : {}),
      PYTHONUNBUFFERED: '1',
      HOME: '/home/app',
      XDG_CACHE_HOME: '/scratch/cache',
      TRITON_CACHE_DIR: '/scratch/cache/triton',
      TORCHINDUCTOR_CACHE_DIR: '/scratch/cache/inductor',
      AIINFRA_CONFIG: CONFIG_PATH,
      AIINFRA_METRICS_PORT: String(TRAINER_METRICS_PORT),
      AIINFRA_CHECKPOINT_DIR: this.checkpointUri ?? `/scratch/checkpoints/${jobName}`,
      ...(props.env ?? {}),
    };
    const args = [
      `--nnodes=${props.nodes}`,
      `--nproc-per-node=${props.gpusPerNode}`,
      '--rdzv-backend=c10d',
      `--rdzv-endpoint=$(JOB_NAME)-0.${serviceName}.${namespace}.svc:${RENDEZVOUS_PORT}`,
      '--rdzv-id=$(JOB_NAME)',
      '--rdzv-conf=join_timeout=900,read_timeout=300',
      `--max-restarts=${restarts}`,
      '--monitor-interval=5',
      '-m', 'aiinfra.cli', 'train',
      '--config', CONFIG_PATH,
      ...(dataUri ? ['--data-path', dataUri] : []),
    ];
    const tolerations = [
      ...pool.taints.map((taint) => ({ key: taint.key, operator: 'Equal', value: taint.value, effect: taint.effect })),
      ...(pool.taints.some((taint) => taint.key === 'nvidia.com/gpu') ? [] : [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]),
    ];
    const gpuResources: Record<string, string> = { 'nvidia.com/gpu': String(props.gpusPerNode) };
    if (efa) gpuResources['vpc.amazonaws.com/efa'] = String(efa);
    const podSpec = {
      serviceAccountName: saName,
      automountServiceAccountToken: false,
      subdomain: serviceName,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: grace,
      securityContext: restrictedPodSecurityContext(),
      nodeSelector: { ...pool.nodeSelector },
      tolerations,
      enableServiceLinks: false,
      volumes: [...dirs.volumes, { name: 'config', configMap: { name: configName } }],
      // torchrun's c10d backend decides which agent hosts the rendezvous store by resolving the endpoint name
      // to its own address: pod 0 must see its DNS record before torchrun starts, or no agent hosts the store.
      initContainers: [{
        name: 'wait-for-dns',
        image: this.imageUri,
        imagePullPolicy: 'IfNotPresent',
        command: ['python', '-c', WAIT_FOR_DNS],
        env: [
          { name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
          { name: 'DNS_SUFFIX', value: `${serviceName}.${namespace}.svc` },
        ],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '128Mi' } },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      }],
      containers: [{
        name: 'trainer',
        image: this.imageUri,
        imagePullPolicy: 'IfNotPresent',
        // torchrun would SIGKILL the workers 30 s after a SIGTERM (the image's torch 2.8 has no option for it):
        // the launcher signals them itself and waits for the stop checkpoint until 10 s before the kubelet's SIGKILL.
        command: ['python', '-m', 'aiinfra.launch'],
        args: [`--stop-timeout=${grace - 10}`, ...args],
        env: [
          { name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
          ...Object.entries(env).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value })),
        ],
        ports: [
          { name: 'metrics', containerPort: TRAINER_METRICS_PORT, protocol: 'TCP' },
          { name: 'rendezvous', containerPort: RENDEZVOUS_PORT, protocol: 'TCP' },
        ],
        resources: {
          requests: { cpu: String(cpu), memory: `${memoryGiB}Gi`, ...gpuResources },
          limits: { memory: `${memoryGiB}Gi`, ...gpuResources },
        },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [...dirs.volumeMounts, { name: 'config', mountPath: '/etc/aiinfra', readOnly: true }],
      }],
    };
    const jobSpec = {
      completionMode: 'Indexed',
      completions: props.nodes,
      parallelism: props.nodes,
      // a lost pod takes the rendezvous down for every node: each incident may fail all `nodes` pods
      backoffLimit: Math.min(100, restarts * props.nodes),
      activeDeadlineSeconds: Math.round((props.maxRuntimeHours ?? 168) * 3600),
      podFailurePolicy: {
        rules: [
          // node drain, preemption, spot reclaim: not the job's fault, retry without counting
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          // exit 2 = invalid trainer config: retrying cannot help
          { action: 'FailJob', onExitCodes: { containerName: 'trainer', operator: 'In', values: [2] } },
        ],
      },
      // No `suspend: true` here although Kueue needs the Job created suspended: Kueue's webhook suspends every
      // Job with a queue label on creation, and a suspend in the chart would make each Helm upgrade (a three-way
      // merge against the live object) suspend again a Job Kueue admitted, evicting a running job.
      template: {
        metadata: { labels: { ...labels, ...(cluster.workloadIdentityPodLabels ?? {}) } },
        spec: podSpec,
      },
    };
    const queueLabels: Record<string, string> = queue ? { 'kueue.x-k8s.io/queue-name': queue } : {};
    // Token ids differ between runs: hash the Terraform expressions they stand for. An expression hides its
    // value, though: the image reference reads the tag from the push resource, so the image's content hash
    // (known at synth) goes in too. A changed job or image is a new Job: Job pod templates are immutable.
    const specHash = stableHash(stableTokenText(this, JSON.stringify({
      jobSpec, config: this.trainerConfig, saAnnotations, ...(imageContentHash ? { image: imageContentHash } : {}),
    })), 6);
    if (props.schedule) {
      apiObject(chart, 'CronJob', {
        apiVersion: 'batch/v1', kind: 'CronJob',
        metadata: { name: jobName, namespace, labels },
        spec: {
          schedule: props.schedule.trim(),
          timeZone: 'Etc/UTC',
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: 3600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: { metadata: { labels: { ...labels, ...queueLabels } }, spec: jobSpec },
        },
      });
    } else {
      // The spec hash in the name: a changed job is a new Job (Job templates are immutable); it resumes
      // from the newest checkpoint.
      apiObject(chart, 'Job', {
        apiVersion: 'batch/v1', kind: 'Job',
        metadata: { name: `${jobName}-${specHash}`, namespace, labels: { ...labels, ...queueLabels } },
        spec: jobSpec,
      });
    }
  }

  /** The bundled trainer image for the cluster's cloud (built and pushed by the docker provider). */
  private bundledImage(): IContainerImage {
    const { trainerImage } = require('../core/image-build') as typeof import('../core/image-build');
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
}
