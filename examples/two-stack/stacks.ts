// The two-stack form: an infra stack makes the network, the GPU cluster (with its add-ons) and the
// checkpoint bucket; a workloads stack, applied after it, targets the cluster through
// `GpuTrainingCluster.fromClusterAttributes` and runs a training job. cdktf turns the references between
// the stacks into outputs of the first and `terraform_remote_state` reads in the second, so the
// workloads stack's helm provider is configured from values that exist before it plans: no
// provider-bootstrap problem, and the cluster can be upgraded without touching the jobs.
import { App, Aspects, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  AiInfraPolicyPack, Cloud, Gpu, GpuTrainingCluster, IGpuCluster, IModelStore, LocalStateBackend, ModelBackupBucket, Policy,
} from '../../src';
import { TrainingJob } from '../../src/training/training-job';

export interface InfraStackProps {
  readonly cloud: Cloud;
}

/** Long-lived infrastructure: network, cluster, add-ons, checkpoint bucket. */
export class InfraStack extends TerraformStack {
  public readonly cluster: GpuTrainingCluster;
  public readonly models: ModelBackupBucket;

  constructor(scope: Construct, id: string, props: InfraStackProps) {
    super(scope, id);
    new LocalStateBackend(this);
    this.models = new ModelBackupBucket(this, 'models', { cloud: props.cloud });
    this.cluster = new GpuTrainingCluster(this, 'train', {
      cloud: props.cloud,
      gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 4, capacity: ['on-demand', 'spot'] }],
    });
  }
}

export interface WorkloadsStackProps {
  readonly infra: InfraStack;
}

/** Workloads on the infra stack's cluster: a tenant and a training job checkpointing to the bucket. */
export class WorkloadsStack extends TerraformStack {
  public readonly cluster: IGpuCluster;
  public readonly models: IModelStore;
  public readonly job: TrainingJob;

  constructor(scope: Construct, id: string, props: WorkloadsStackProps) {
    super(scope, id);
    new LocalStateBackend(this);
    const infra = props.infra;
    this.cluster = GpuTrainingCluster.fromClusterAttributes(this, 'train', infra.cluster.attributes);
    this.models = ModelBackupBucket.fromBucketAttributes(this, 'models', {
      cloud: infra.models.cloud,
      bucketName: infra.models.bucketName,
      kmsKeyArn: infra.models.aws?.keyArn,
    });
    this.job = new TrainingJob(this, 'pretrain', {
      cluster: this.cluster,
      nodes: 2,
      gpusPerNode: 8,
      checkpoints: this.models,
      model: { preset: 'gpt-1b' },
      precision: 'bf16',
      strategy: 'fsdp',
    });
  }
}

/** The example app: `cdktf deploy infra-aws` first, then `cdktf deploy workloads-aws`. */
export function buildTwoStackApp(app: App): { infra: InfraStack; workloads: WorkloadsStack } {
  const infra = new InfraStack(app, 'infra-aws', { cloud: Cloud.aws({ region: 'us-east-1' }) });
  const workloads = new WorkloadsStack(app, 'workloads-aws', { infra });
  workloads.addDependency(infra);
  // The policy pack checks both stacks at synth (errors fail `cdktf synth`); see src/policy/README.md.
  for (const stack of [infra, workloads]) Aspects.of(stack).add(new AiInfraPolicyPack());
  Policy.skipCheckov(infra.models, ['CKV_AWS_144'], 'The two-stack example stays in one region to stay small; cross-region '
    + 'replication is the ModelBackupBucket `replication` prop, shown in examples/platform.', { resourceTypes: ['aws_s3_bucket'] });
  return { infra, workloads };
}
