// An endpoint that serves a model registry alias (`bucket.registry('chat-model')`): the pods resolve the version
// when they start, so a promotion (the alias moved by a pipeline) or a canary (the version annotation on the pod
// template, set by a pipeline) needs no Terraform change, and the synthesized objects name no version.
// The version comes from the pod's own annotation through the downward API; empty, the alias decides
// (`python -m aiinfra.registry resolve`, compute/src/aiinfra/registry.py).
import { ModelReference, RegistryModelReference } from '../core/model-store';
import { initContainer, mergeEnv } from '../k8s/objects/container';
import { EnvVar } from '../k8s/objects/object';
import { MODEL_CACHE_DIR } from './manifests';
import type { ModelImage } from './types';

/** Where the builtin server's init container writes the resolved model URI. */
export const RESOLVED_MODEL_DIR = '/run/aiinfra-model';
export const RESOLVED_MODEL_FILE = `${RESOLVED_MODEL_DIR}/uri`;

export type EndpointModel = ModelReference | ModelImage | RegistryModelReference;

/** True for `bucket.registry(name)`. */
export function isRegistryModel(model: unknown): model is RegistryModelReference {
  const m = model as Partial<RegistryModelReference> & { select?: unknown } | undefined;
  return !!m && typeof m.alias === 'string' && m.store !== undefined && m.select === undefined;
}

/** The registry root as a plain model reference (grants, served name, size checks); the version is resolved in the pod. */
export function registryAsModel(r: RegistryModelReference): ModelReference {
  return { store: r.store, path: r.path, uri: r.uri, select: 'newest', parameterCount: r.parameterCount, preset: r.preset };
}

/** `AIINFRA_MODEL_VERSION` from the pod's annotation (empty when the annotation is absent). */
function versionEnv(annotation: string): Record<string, unknown> {
  return { name: 'AIINFRA_MODEL_VERSION', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${annotation}']` } } };
}

const RESOLVE = 'python -m aiinfra.registry --root "$AIINFRA_REGISTRY_ROOT" resolve --alias "$AIINFRA_REGISTRY_ALIAS" --version "$AIINFRA_MODEL_VERSION"';

function registryEnv(r: RegistryModelReference, storeEnv: readonly EnvVar[]): EnvVar[] {
  return mergeEnv(storeEnv, [
    { name: 'AIINFRA_REGISTRY_ROOT', value: r.uri },
    { name: 'AIINFRA_REGISTRY_ALIAS', value: r.alias },
    { name: 'HOME', value: '/tmp' },
    { name: 'TMPDIR', value: '/tmp' },
  ]);
}

function withVersion(container: Record<string, unknown>, annotation: string): Record<string, unknown> {
  return { ...container, env: [...(container.env as unknown[]), versionEnv(annotation)] };
}

/**
 * Builtin server: an init container (the server image, which holds aiinfra.registry) writes the URI to a shared
 * volume; the server reads it at start (`serverCommand`).
 */
export function builtinResolveParts(r: RegistryModelReference, image: string, storeEnv: readonly EnvVar[], annotation: string) {
  return {
    initContainer: withVersion(initContainer({
      name: 'resolve-model', image,
      command: ['/bin/sh', '-c', `exec ${RESOLVE} --out ${RESOLVED_MODEL_FILE}`],
      env: registryEnv(r, storeEnv),
      volumeMounts: [{ name: 'resolved-model', mountPath: RESOLVED_MODEL_DIR }, { name: 'tmp', mountPath: '/tmp' }],
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
    }), annotation),
    volume: { name: 'resolved-model', emptyDir: { sizeLimit: '1Mi' } },
    mount: { name: 'resolved-model', mountPath: RESOLVED_MODEL_DIR, readOnly: true },
    serverCommand: ['/bin/sh', '-c', `AIINFRA_MODEL_URI="$(cat ${RESOLVED_MODEL_FILE})"; export AIINFRA_MODEL_URI; exec aiinfra-serve "$@"`, 'aiinfra-serve'],
  };
}

/**
 * vLLM: an init container in the trainer image resolves the version and writes the weights vLLM loads to local disk:
 * the Hugging Face export of a trainer checkpoint (a preset; the registry keeps versions immutable, so the export
 * is local, not beside the version), or a copy of a Hugging Face directory (`resolve --download`).
 */
export function vllmResolveParts(
  r: RegistryModelReference, trainerImage: string, storeEnv: readonly EnvVar[], annotation: string,
  o: { trainerCheckpoint: boolean; precision: string; weightsGiB: number; parameterCount: number },
) {
  const modelPath = `${MODEL_CACHE_DIR}/model`;
  const script = o.trainerCheckpoint
    ? `set -e; uri="$(${RESOLVE})"; echo "serving $uri" >&2; exec python -m aiinfra.export --checkpoint "$uri" --output ${modelPath} --select newest --dtype ${o.precision}`
    : `exec ${RESOLVE} --download ${modelPath}`;
  const cacheGiB = Math.max(20, Math.ceil(o.weightsGiB * 1.3) + 5);
  const scratchGiB = o.trainerCheckpoint ? Math.max(8, Math.ceil(o.weightsGiB * 1.2) + 4) : 0;
  const memoryGiB = o.trainerCheckpoint ? Math.max(4, Math.ceil((o.parameterCount * 6) / 1024 ** 3) + 2) : 4;
  const volumes: Record<string, unknown>[] = [{ name: 'model-cache', emptyDir: { sizeLimit: `${cacheGiB}Gi` } }];
  if (scratchGiB > 0) volumes.push({ name: 'export-scratch', emptyDir: { sizeLimit: `${scratchGiB}Gi` } });
  return {
    modelPath,
    initContainer: withVersion(initContainer({
      name: 'resolve-model', image: trainerImage,
      command: ['/bin/sh', '-c', script],
      env: registryEnv(r, storeEnv),
      volumeMounts: [{ name: 'model-cache', mountPath: MODEL_CACHE_DIR }, { name: scratchGiB > 0 ? 'export-scratch' : 'tmp', mountPath: '/tmp' }],
      resources: { requests: { cpu: '2', memory: `${memoryGiB}Gi` }, limits: { memory: `${memoryGiB}Gi` } },
    }), annotation),
    volumes,
    mounts: [{ name: 'model-cache', mountPath: MODEL_CACHE_DIR, readOnly: true }],
    diskGiB: cacheGiB + scratchGiB,
  };
}
