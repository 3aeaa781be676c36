// How a vLLM pod gets its weights and adapters: the export of a trainer checkpoint to a Hugging Face directory
// (once per checkpoint, in the bucket), then either the Run:ai streamer (the cloud streams) or a copy to local disk,
// and the LoRA adapters copied into a shared volume.
import { ModelReference } from '../core/model-store';
import { initContainer, mergeEnv } from '../k8s/objects/container';
import { EnvVar } from '../k8s/objects/object';
import { ADAPTER_DISK_GIB, ADAPTERS_DIR, EndpointAdapter } from './lora';
import { MODEL_CACHE_DIR } from './manifests';
import type { InferenceSpi } from './spi';
import { InferencePrecision } from './types';

/** Folder of a trainer checkpoint root that holds its Hugging Face export (compute/CONTRACT.md, aiinfra.export). */
export const EXPORT_DIR = 'hf';

type Volume = Record<string, unknown>;
type Mount = { name: string; mountPath: string; readOnly?: boolean };

export interface VllmModelInput {
  readonly model: ModelReference;
  /** The model is a trainer checkpoint root (a trainer preset): export it first. */
  readonly trainerCheckpoint: boolean;
  readonly cloud: InferenceSpi;
  /** The store's client environment (fsspec needs it beside the workload identity). */
  readonly storeEnv: readonly EnvVar[];
  readonly precision: InferencePrecision;
  /** Parameters of the model (export memory); 0 when unknown. */
  readonly parameterCount: number;
  /** Weight bytes as served (GiB; local disk of a copy, export scratch). */
  readonly weightsGiB: number;
  /** The trainer image (contains compute/), asked for only when an export is needed. */
  readonly trainerImage: () => string;
  readonly adapters: readonly EndpointAdapter[];
}

export interface VllmModelParts {
  /** What vLLM's `--model` takes: a local directory or a streamable URI. */
  readonly modelPath: string;
  readonly stream: boolean;
  /** Environment of the vLLM container (the streamer's). */
  readonly env: readonly EnvVar[];
  readonly initContainers: Record<string, unknown>[];
  readonly volumes: Volume[];
  /** Mounts of the vLLM container. */
  readonly mounts: Mount[];
  /** Local disk of copies and scratch space (GiB), for the pod's ephemeral-storage request. */
  readonly diskGiB: number;
  /** Local directory of each adapter, by name. */
  readonly adapterPaths: readonly { name: string; path: string }[];
}

const GIB = 1024 ** 3;

/** The Hugging Face export of a trainer checkpoint root: `<root>/hf`. */
export function exportedModel(model: ModelReference): ModelReference {
  return { ...model, path: `${model.path}/${EXPORT_DIR}`, uri: `${model.uri}/${EXPORT_DIR}` };
}

/**
 * The export init step: `python -m aiinfra.export` in the trainer image writes `<root>/hf` for the checkpoint
 * `select` picks. It skips an export of that same checkpoint (so every pod start runs it, and only the first one
 * works); when the export holds another checkpoint (training moved on), it replaces it with `--force`.
 */
export function exportInitContainer(input: VllmModelInput): Record<string, unknown> {
  const { model } = input;
  // Memory: the checkpoint's fp32 state plus the exported copy.
  const memoryGiB = Math.max(4, Math.ceil((input.parameterCount * 6) / GIB) + 2);
  return initContainer({
    name: 'export-model',
    image: input.trainerImage(),
    command: ['/bin/sh', '-c',
      'python -m aiinfra.export "$@" || { echo "export: replacing the export of another checkpoint" >&2; exec python -m aiinfra.export "$@" --force; }',
      'export'],
    args: ['--checkpoint', model.uri, '--output', `${model.uri}/${EXPORT_DIR}`, '--select', model.select, '--dtype', input.precision],
    env: mergeEnv(input.storeEnv, [
      { name: 'HOME', value: '/tmp' },
      { name: 'HF_HOME', value: '/tmp/hf' },
      { name: 'TMPDIR', value: '/tmp' },
    ]),
    volumeMounts: [{ name: 'export-scratch', mountPath: '/tmp' }],
    resources: { requests: { cpu: '2', memory: `${memoryGiB}Gi` }, limits: { memory: `${memoryGiB}Gi` } },
  });
}

/** The model and adapter halves of a vLLM pod. */
export function vllmModelParts(input: VllmModelInput): VllmModelParts {
  const initContainers: Record<string, unknown>[] = [];
  const volumes: Volume[] = [];
  const mounts: Mount[] = [];
  let diskGiB = 0;
  const weightsGiB = input.weightsGiB;
  if (input.trainerCheckpoint) {
    // The export stages the safetensors locally before the upload.
    const scratchGiB = Math.max(8, Math.ceil(weightsGiB * 1.2) + 4);
    volumes.push({ name: 'export-scratch', emptyDir: { sizeLimit: `${scratchGiB}Gi` } });
    initContainers.push(exportInitContainer(input));
    diskGiB += scratchGiB;
  }
  const served = input.trainerCheckpoint ? exportedModel(input.model) : input.model;
  const stream = input.cloud.modelStream?.(served);
  let modelPath: string;
  let env: readonly EnvVar[] = [];
  if (stream) {
    modelPath = stream.uri;
    env = mergeEnv(input.storeEnv, stream.env);
  } else {
    modelPath = `${MODEL_CACHE_DIR}/model`;
    const cacheGiB = Math.max(20, Math.ceil(weightsGiB * 1.3) + 5);
    diskGiB += cacheGiB;
    volumes.push({ name: 'model-cache', emptyDir: { sizeLimit: `${cacheGiB}Gi` } });
    mounts.push({ name: 'model-cache', mountPath: MODEL_CACHE_DIR, readOnly: true });
    initContainers.push(copyInitContainer('fetch-model', input, served, modelPath, 'model-cache', MODEL_CACHE_DIR));
  }
  const adapterPaths = input.adapters.map((a) => ({ name: a.name, path: `${ADAPTERS_DIR}/${a.name}` }));
  if (input.adapters.length > 0) {
    const adaptersGiB = ADAPTER_DISK_GIB * input.adapters.length;
    diskGiB += adaptersGiB;
    volumes.push({ name: 'adapters', emptyDir: { sizeLimit: `${adaptersGiB}Gi` } });
    mounts.push({ name: 'adapters', mountPath: ADAPTERS_DIR, readOnly: true });
    input.adapters.forEach((a, i) => {
      const dest = `${ADAPTERS_DIR}/${a.name}`;
      if (a.adapter.adapterDir !== undefined) {
        initContainers.push(checkpointAdapterInitContainer(`fetch-adapter-${i}`, input, a, dest));
        return;
      }
      const ref: ModelReference = { store: a.adapter.store, path: a.adapter.path, uri: a.adapter.uri, select: a.adapter.select ?? 'best' };
      initContainers.push(copyInitContainer(`fetch-adapter-${i}`, input, ref, dest, 'adapters', ADAPTERS_DIR));
    });
  }
  return { modelPath, stream: stream !== undefined, env, initContainers, volumes, mounts, diskGiB, adapterPaths };
}

/**
 * A fine-tuning job's adapter (`job.adapter()`): its checkpoint root holds one adapter per step, so the trainer
 * image's `aiinfra.fetch_adapter` picks the step (`select`), checks each file against the manifest's sha256 and
 * writes the adapter to `dest`.
 */
function checkpointAdapterInitContainer(name: string, input: VllmModelInput, a: EndpointAdapter, dest: string): Record<string, unknown> {
  return initContainer({
    name,
    image: input.trainerImage(),
    command: ['python', '-m', 'aiinfra.fetch_adapter'],
    args: ['--checkpoint', a.adapter.uri, '--select', a.adapter.select ?? 'best', '--subdir', a.adapter.adapterDir ?? 'adapter', '--dest', dest],
    env: mergeEnv(input.storeEnv, [{ name: 'HOME', value: '/tmp' }, { name: 'TMPDIR', value: '/tmp' }]),
    volumeMounts: [{ name: 'adapters', mountPath: ADAPTERS_DIR }, { name: 'tmp', mountPath: '/tmp' }],
    resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } },
  });
}

/** An init container that copies `ref` into `dest` with the cloud's copy tool. */
function copyInitContainer(name: string, input: VllmModelInput, ref: ModelReference, dest: string, volume: string, mountPath: string): Record<string, unknown> {
  const copy = input.cloud.modelCopy(ref, dest);
  return initContainer({
    name,
    image: copy.image,
    command: [...copy.command],
    env: mergeEnv(input.storeEnv, copy.env),
    volumeMounts: [{ name: volume, mountPath }, ...(copy.scratchDirs.length > 0 ? [{ name: 'tmp', mountPath: '/tmp' }] : [])],
    resources: { requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '4Gi' } },
  });
}
