import { IConstruct } from 'constructs';
import { Cloud } from './cloud';
import { IWorkloadIdentity } from './identity';

/**
 * A store for checkpoints and model artifacts: a `ModelBackupBucket`, one imported with
 * `ModelBackupBucket.fromBucketAttributes`, or your own implementation.
 */
export interface IModelStore extends IConstruct {
  readonly cloud: Cloud;
  /** Bucket (S3, GCS) or container (Azure) name. */
  readonly bucketName: string;
  /** `s3://bucket`, `gs://bucket`, `az://account/container`: what the compute core opens with fsspec. */
  readonly uri: string;
  /** `<uri>/checkpoints`: where training jobs write. */
  readonly checkpointsUri: string;
  /** `<uri>/models`: where released models live. */
  readonly modelsUri: string;
  /**
   * Environment a pod needs beside its workload identity to reach the store with fsspec
   * (e.g. `AZURE_STORAGE_ACCOUNT_NAME`). No secrets.
   */
  readonly clientEnvironment: Record<string, string>;
  /** Read objects under `prefix` (default: the whole store). Least privilege: list + get (+ decrypt). */
  grantRead(identity: IWorkloadIdentity, prefix?: string): void;
  /** Read, write and delete objects under `prefix` (default: the whole store). */
  grantWrite(identity: IWorkloadIdentity, prefix?: string): void;
  /** A typed reference to a model under this store, for an InferenceEndpoint. */
  model(path: string, options?: ModelReferenceOptions): ModelReference;
  /**
   * The model a registry alias points at (`models/<name>/`, compute/src/aiinfra/registry.py), for an endpoint's
   * `model`: its pods resolve the version when they start, so a promotion needs no deploy.
   */
  registry(name: string, options?: RegistryModelOptions): RegistryModelReference;
}

export interface RegistryModelOptions {
  /** The alias the endpoint serves. @default 'production' */
  readonly alias?: string;
  /** A folder the registry lives under (a tenant's prefix, e.g. `research`: `research/models/<name>`). @default - the store's root */
  readonly prefix?: string;
  /** Parameters of the registered models (GPU memory check), as in `ModelReferenceOptions`. @default - from `preset`, else unknown */
  readonly parameterCount?: number;
  /** The trainer preset the registered models were trained with (vLLM serves their export). @default - none */
  readonly preset?: string;
}

/**
 * A registry alias as an endpoint's model: `bucket.registry('chat-model')`. It is a `ModelRegistryReference`
 * (src/core/deploy-target.ts) with the model's size for the synth-time checks.
 */
export interface RegistryModelReference {
  readonly store: IModelStore;
  /** `[<prefix>/]models/<name>` */
  readonly path: string;
  readonly uri: string;
  readonly alias: string;
  readonly parameterCount?: number;
  readonly preset?: string;
}

export interface ModelReferenceOptions {
  /**
   * Parameters of the model (for synth-time GPU memory checks): a raw count, `7_000_000_000` for a 7B model. An
   * endpoint rejects a count under 1000 or one more than 2x off its `preset`, and warns under 10M.
   * @default - derived from `preset` when given, else unknown (no fit check)
   */
  readonly parameterCount?: number;
  /** The trainer preset the model was trained with (e.g. `gpt-1b`). @default - none */
  readonly preset?: string;
  /** Which checkpoint of a training run to serve. @default 'newest' */
  readonly select?: 'newest' | 'best';
}

/** A model in a store: `bucket.model('research/gpt-1b')`. */
export interface ModelReference {
  readonly store: IModelStore;
  /** Path under the store, without leading or trailing slash. */
  readonly path: string;
  /** Full URI of the model directory. */
  readonly uri: string;
  readonly parameterCount?: number;
  readonly preset?: string;
  readonly select: 'newest' | 'best';
}
