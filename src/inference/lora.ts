// LoRA adapters on a vLLM endpoint: the typed reference, its synth-time checks, and how the adapters reach the pod.
//
// Delivery: one init container per adapter copies it (the cloud's copy tool, as for models) into a shared emptyDir
// that vLLM reads with `--lora-modules name=/adapters/<name>`. Not vLLM's runtime loading
// (`VLLM_ALLOW_RUNTIME_LORA_UPDATING` + `/v1/load_lora_adapter`): that needs an unauthenticated admin call per pod
// after every start, and a restarted pod forgets its adapters. The Run:ai streamer loads base weights only.
import { IModelStore, ModelReference } from '../core/model-store';

/** `--max-lora-rank` values vLLM accepts (its LoRAConfig); an adapter's rank must be at most the value chosen. */
export const VLLM_LORA_RANKS: readonly number[] = [8, 16, 32, 64, 128, 256, 320, 512];

/**
 * A LoRA adapter in a bucket. Either a PEFT directory (`adapter_config.json` + `adapter_model.safetensors`):
 * `loraAdapter(bucket, 'adapters/support-v2', { rank: 16 })`; or a fine-tuning job's output (`job.adapter()`), a
 * checkpoint root whose step directories each hold the adapter in `adapterDir` (picked by `select`).
 */
export interface LoraAdapterSource {
  readonly store: IModelStore;
  /** Path under the store, without leading or trailing slash. */
  readonly path: string;
  /** Full URI of `path`. */
  readonly uri: string;
  /** The adapter's rank (`r` in adapter_config.json). */
  readonly rank: number;
  /** The model the adapter was trained on: the endpoint's model must be it. @default - not checked */
  readonly base?: ModelReference;
  /** Set for a checkpoint root: the adapter's folder inside each `step-XXXXXXXX/`. @default - `path` is the adapter */
  readonly adapterDir?: string;
  /** Which checkpoint's adapter, for a checkpoint root. @default 'best' */
  readonly select?: 'newest' | 'best';
}

/** One adapter an endpoint serves, addressable by `name` in the OpenAI API's `model` field. */
export interface EndpointAdapter {
  /** The `model` name clients send; letters, digits, `.`, `_`, `-`, at most 64 characters, unique per endpoint. */
  readonly name: string;
  /** Where the adapter lies. */
  readonly adapter: LoraAdapterSource;
}

/** Options of `loraAdapter`. */
export interface LoraAdapterOptions {
  /** The adapter's rank (`r` in its adapter_config.json), 1-512. */
  readonly rank: number;
  /** The model it was trained on. @default - not checked */
  readonly base?: ModelReference;
}

/** A PEFT adapter directory in a bucket, for `InferenceEndpoint`'s `adapters`. */
export function loraAdapter(store: IModelStore, path: string, options: LoraAdapterOptions): LoraAdapterSource {
  const clean = path.replace(/^\/+|\/+$/g, '');
  return { store, path: clean, uri: `${store.uri}/${clean}`, rank: options.rank, ...(options.base ? { base: options.base } : {}) };
}

/** Most adapters one endpoint serves: vLLM keeps every one in its CPU LoRA cache (`--max-cpu-loras`). */
export const MAX_ADAPTERS = 32;
/** Adapters one batch may mix on the GPU (`--max-loras`): each slot reserves GPU memory at the max rank. */
export const MAX_GPU_LORAS = 4;
/** Where adapters are copied in the pod. */
export const ADAPTERS_DIR = '/adapters';
/** Local disk per adapter (GiB): a rank-64 adapter of every projection of a 70B model is about 1.6 GB in fp32. */
export const ADAPTER_DISK_GIB = 2;

/** Adapter names the OpenAI API's `model` field can carry and a directory can hold. */
export const ADAPTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `--max-lora-rank` for a set of adapter ranks. */
export function maxLoraRankFor(ranks: readonly number[]): number {
  const top = Math.max(1, ...ranks);
  return VLLM_LORA_RANKS.find((r) => r >= top) ?? VLLM_LORA_RANKS[VLLM_LORA_RANKS.length - 1];
}

/** True when two model references name the same model (same store, same path). */
export function sameModel(a: ModelReference, b: ModelReference): boolean {
  return (a.store === b.store || a.store.node.path === b.store.node.path) && a.path === b.path;
}
