// vLLM: the pinned image, the server arguments derived from the endpoint's props, and the rules that tie vLLM
// features (quantization kernels, LoRA ranks) to the GPU catalog.
import { Gpu } from '../core/gpu';
import { InferencePrecision, InferenceQuantization, InferenceRuntime } from './types';
import { VLLM_LORA_RANKS } from './lora';

/**
 * The vLLM OpenAI-compatible server image, pinned by digest (the multi-arch index of v0.11.0: a tag can be pushed
 * again, a digest cannot). Bump deliberately, with the README's version table, reading the digest with
 * `crane digest vllm/vllm-openai:<tag>`.
 */
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.11.0@sha256:014a95f21c9edf6abe0aea6b07353f96baa4ec291c427bb1176dc7c93a85845c';

/** Quantization methods vLLM takes from our props (the model must be quantized that way for awq/gptq). */
export const VLLM_QUANTIZATIONS: readonly InferenceQuantization[] = ['none', 'fp8', 'awq', 'gptq'];

/** Quantization methods the builtin server takes. */
export const BUILTIN_QUANTIZATIONS: readonly InferenceQuantization[] = ['none', 'int8'];

/**
 * Lowest CUDA compute capability each vLLM quantization runs on (vLLM's supported-hardware table): fp8 W8A8
 * needs Ada or Hopper (8.9+: L4, L40S, H100), AWQ Turing (7.5+), GPTQ Volta (7.0+).
 */
export const VLLM_QUANTIZATION_MIN_CAPABILITY: Record<'fp8' | 'awq' | 'gptq', number> = { fp8: 8.9, awq: 7.5, gptq: 7.0 };

/** Models below this many parameters default to the builtin runtime: vLLM's start (CUDA graphs, profiling) buys them nothing. */
export const TINY_MODEL_PARAMS = 50_000_000;

export interface LoraArgs {
  /** `name=local path` per adapter, in prop order. */
  readonly modules: readonly { name: string; path: string }[];
  /** `--max-lora-rank`: one of VLLM_LORA_RANKS. */
  readonly maxRank: number;
  /** Adapters one batch may mix (`--max-loras`). */
  readonly maxLoras: number;
}

export interface VllmArgsInput {
  /** Local directory of the HF-format model, or an `s3://` / `gs://` URI the streamer reads. */
  readonly modelPath: string;
  readonly servedModelName: string;
  readonly port: number;
  readonly tensorParallelSize: number;
  readonly pipelineParallelSize: number;
  readonly precision: InferencePrecision;
  readonly quantization: InferenceQuantization;
  readonly maxModelLength?: number;
  /** Stream the safetensors from object storage with the Run:ai model streamer. @default false */
  readonly stream?: boolean;
  readonly lora?: LoraArgs;
}

const DTYPE: Record<InferencePrecision, string> = { bf16: 'bfloat16', fp16: 'float16', fp32: 'float32' };

/** `vllm serve` arguments (the entrypoint of the image is the OpenAI API server). */
export function vllmArgs(input: VllmArgsInput): string[] {
  const args = [
    '--model', input.modelPath,
    '--served-model-name', input.servedModelName,
    '--host', '0.0.0.0',
    '--port', String(input.port),
    '--tensor-parallel-size', String(input.tensorParallelSize),
  ];
  if (input.pipelineParallelSize > 1) args.push('--pipeline-parallel-size', String(input.pipelineParallelSize));
  args.push('--dtype', DTYPE[input.precision]);
  if (input.quantization !== 'none') args.push('--quantization', input.quantization);
  if (input.maxModelLength !== undefined) args.push('--max-model-len', String(input.maxModelLength));
  if (input.stream) args.push('--load-format', 'runai_streamer');
  if (input.lora) {
    args.push('--enable-lora', '--max-lora-rank', String(input.lora.maxRank), '--max-loras', String(input.lora.maxLoras),
      '--max-cpu-loras', String(Math.max(input.lora.maxLoras, input.lora.modules.length)),
      '--lora-modules', ...input.lora.modules.map((m) => `${m.name}=${m.path}`));
  }
  args.push('--gpu-memory-utilization', '0.90');
  return args;
}

/** The smallest `--max-lora-rank` vLLM accepts that holds `rank`; undefined above the largest. */
export function vllmMaxLoraRank(rank: number): number | undefined {
  return VLLM_LORA_RANKS.find((r) => r >= rank);
}

/**
 * Why a quantization cannot run on a GPU under vLLM (undefined when it can): the kernel's compute capability,
 * and AWQ/GPTQ's activation dtypes (fp16; bf16 only through the Marlin kernels on Ampere and newer).
 */
export function vllmQuantizationProblem(quantization: InferenceQuantization, precision: InferencePrecision, gpu: Gpu): string | undefined {
  if (quantization === 'none' || quantization === 'int8') return undefined;
  const min = VLLM_QUANTIZATION_MIN_CAPABILITY[quantization];
  if (gpu.computeCapability < min) {
    const able = Gpu.all.filter((g) => g.computeCapability >= min).map((g) => g.id).join(', ');
    return `${quantization} needs compute capability ${min.toFixed(1)}+ in vLLM and ${gpu.id} has ${gpu.computeCapability.toFixed(1)}: `
      + `use a GPU such as ${able}, or quantization "none"`;
  }
  if ((quantization === 'awq' || quantization === 'gptq') && precision === 'fp32') {
    return `${quantization} computes in fp16 or bf16: set precision "fp16" or "bf16"`;
  }
  if ((quantization === 'awq' || quantization === 'gptq') && precision === 'bf16' && gpu.computeCapability < 8.0) {
    return `${quantization} in bf16 needs the Marlin kernels (compute capability 8.0+); ${gpu.id} has ${gpu.computeCapability.toFixed(1)}: set precision "fp16"`;
  }
  return undefined;
}

/** What the default runtime rule looked at, and what it chose. */
export interface RuntimeChoice {
  readonly runtime: InferenceRuntime;
  /** Why, for the README's rule and for warnings. */
  readonly reason: string;
}

/**
 * The default runtime: vLLM wherever it applies (every model in a bucket, trainer checkpoints included, which an
 * init step exports), builtin for a model baked into an image (the image is a builtin server build), int8
 * (builtin-only) and tiny models (under TINY_MODEL_PARAMS parameters: tests and smoke endpoints).
 */
export function defaultRuntime(input: { readonly quantization?: InferenceQuantization; readonly modelImage: boolean; readonly parameterCount?: number }): RuntimeChoice {
  if (input.modelImage) return { runtime: 'builtin', reason: 'a model baked into an image is served by that image (a builtin server build)' };
  if (input.quantization === 'int8') return { runtime: 'builtin', reason: 'int8 weight quantization is the builtin server\'s' };
  if (input.parameterCount !== undefined && input.parameterCount < TINY_MODEL_PARAMS) {
    return { runtime: 'builtin', reason: `a tiny model (${input.parameterCount} parameters, under ${TINY_MODEL_PARAMS}) gains nothing from vLLM's start-up work` };
  }
  return { runtime: 'vllm', reason: 'vLLM is the default on GPUs (paged KV cache, prefix caching, CUDA graphs)' };
}
