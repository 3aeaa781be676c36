// Shared set-up for MonitoringStack tests: a stack with a fake GPU cluster per cloud, and synth helpers.
import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud } from '../../src/core/cloud';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { SynthQuery } from '../synth-query';
export { expectInvalid } from '../expect-invalid';

export const CLOUDS: Record<'aws' | 'gcp' | 'azure', () => Cloud> = {
  aws: () => Cloud.aws({ region: 'us-east-1', accountId: '123456789012' }),
  gcp: () => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }),
  azure: () => Cloud.azure({ location: 'eastus2' }),
};

export type CloudName = keyof typeof CLOUDS;

export interface Fixture {
  readonly app: App;
  readonly stack: TerraformStack;
  readonly cluster: FakeGpuCluster;
  readonly cloud: Cloud;
}

export function fixture(cloudName: CloudName): Fixture {
  const app = Testing.app();
  const stack = new TerraformStack(app, `mon-${cloudName}`);
  const cloud = CLOUDS[cloudName]();
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud });
  return { app, stack, cluster, cloud };
}

/** A plain construct that looks like an InferenceEndpoint to `watch`. */
export class FakeEndpoint extends Construct {
  constructor(scope: Construct, id: string, public readonly cluster: FakeGpuCluster, public readonly name: string,
    public readonly namespace: string, public readonly runtime = 'builtin') {
    super(scope, id);
  }
  public selector(): string {
    return `namespace="${this.namespace}",service="${this.name}"`;
  }
}

/** A plain construct that looks like a TrainingJob to `watch`. */
export class FakeTrainingJob extends Construct {
  constructor(scope: Construct, id: string, public readonly cluster: FakeGpuCluster, public readonly jobName: string,
    public readonly namespace: string) {
    super(scope, id);
  }
}

/** A plain construct that looks like a ModelBackupBucket (with a restore drill) to `watch`. */
export class FakeBucket extends Construct {
  public readonly restoreDrill = { namespace: 'ai-backup', jobName: 'models-restore-drill' };
  constructor(scope: Construct, id: string, public readonly cloud: Cloud, public readonly bucketName: string) {
    super(scope, id);
  }
}

export type Synth = Record<string, Record<string, Record<string, Record<string, unknown>>>>;

export function synth(stack: TerraformStack): Synth {
  return SynthQuery.fromStack(stack).json as Synth;
}

/** Every resource (or data source with `data: true`) of a type. */
export function ofType(out: Synth, type: string, data = false): Record<string, Record<string, unknown>> {
  return SynthQuery.fromJson(out).byId(type, data ? 'data' : 'resource');
}

/**
 * The Terraform blocks a construct made, by type (`data.<type>` for data sources, `ephemeral.<type>` for ephemeral resources): their construct ids below
 * `prefix` (the construct's path, `_`-joined), without cdktf's hash suffix. Construct ids are API: this is what
 * a renamed or added child shows as.
 */
export function blocksById(out: Synth, prefix = 'obs_'): Record<string, string[]> {
  return SynthQuery.fromJson(out).blocksById(prefix);
}

/** The metric names of compute/CONTRACT.md (trainer and server). */
export const CONTRACT_METRICS: readonly string[] = [
  'aiinfra_train_step', 'aiinfra_train_loss', 'aiinfra_train_tokens_per_second', 'aiinfra_train_mfu', 'aiinfra_train_step_seconds',
  'aiinfra_train_last_checkpoint_timestamp_seconds', 'aiinfra_train_start_timestamp_seconds', 'aiinfra_train_restarts_total', 'aiinfra_train_gpu_memory_bytes',
  'aiinfra_server_requests_total', 'aiinfra_server_request_duration_seconds', 'aiinfra_server_time_to_first_token_seconds',
  'aiinfra_server_inter_token_latency_seconds', 'aiinfra_server_queue_depth', 'aiinfra_server_running_requests',
  'aiinfra_server_batch_size', 'aiinfra_server_kv_cache_usage_ratio', 'aiinfra_server_prompt_tokens_total',
  'aiinfra_server_generation_tokens_total',
];

