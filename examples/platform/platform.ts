import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud, Gpu, GpuTrainingCluster, ModelBackupBucket, MonitoringStack, Tenant, TrainingJob } from '../../src';
import { applyPolicy } from './policy';

/** What differs between the three example stacks: only the cloud target. */
export interface PlatformProps {
  readonly cloud: Cloud;
}

/** One AI platform; each construct issue adds its part here. */
export class Platform extends TerraformStack {
  /** Checkpoints and model artifacts, replicated to a second region. */
  public readonly models: ModelBackupBucket;
  /** The GPU training cluster: one H100 pool (8 GPUs a node) scaling 0..2 nodes, on-demand first, then spot. */
  public readonly cluster: GpuTrainingCluster;
  /** The research team: its namespace (restricted pods, default-deny network), 16-GPU quota and Kueue queue, bucket prefix `research/`. */
  public readonly research: Tenant;
  /** Pretraining gpt-1b with FSDP in bf16 on 2 nodes x 8 H100, queued in the research tenant, checkpointing to `models`. */
  public readonly pretrain: TrainingJob;
  /** kube-prometheus-stack in the cluster: GPU, training and SLO alerts, dashboards, routing, a monthly budget. */
  public readonly monitoring: MonitoringStack;

  constructor(scope: Construct, id: string, props: PlatformProps) {
    super(scope, id);
    // cdktf's implicit local backend records the absolute working directory; a relative path keeps
    // cdk.tf.json identical on every machine (use a remote backend in production).
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    this.models = new ModelBackupBucket(this, 'models', {
      cloud: props.cloud,
      // A second region per cloud: S3 cross-region replication, a GCS dual-region, the Azure pair (GZRS).
      replication: { region: props.cloud.select({ aws: () => 'us-west-2', gcp: () => 'us-east1', azure: () => 'centralus' }) },
    });
    this.cluster = new GpuTrainingCluster(this, 'train', {
      cloud: props.cloud,
      gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] }],
    });
    this.research = this.cluster.addTenant('research', { gpuQuota: 16, store: this.models, admins: ['ml-research-admins'] });
    this.pretrain = this.cluster.addTrainingJob('pretrain', {
      tenant: this.research, nodes: 2, gpusPerNode: 8, checkpoints: this.models,
      model: { preset: 'gpt-1b' }, precision: 'bf16', strategy: 'fsdp',
    });
    this.monitoring = new MonitoringStack(this, 'obs', {
      cluster: this.cluster,
      // GCP budgets belong to a billing account; AWS and Azure budget the account / resource group.
      budget: { monthlyUsd: 50_000, billingAccountId: props.cloud.select({ aws: () => undefined, gcp: () => '012345-6789AB-CDEF01', azure: () => undefined }) },
      routing: {
        // The PagerDuty key lives in the cloud's secret manager; only its name is in the stack.
        receivers: [{ name: 'ml-oncall', pagerDutyRoutingKey: props.cloud.select({
          aws: () => ({ secretName: 'ml-oncall/pagerduty' }),
          gcp: () => ({ secretName: 'ml-oncall-pagerduty' }),
          azure: () => ({ secretName: 'ml-oncall-pagerduty', keyVaultId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.KeyVault/vaults/ops-kv' }),
        }) }],
        routes: { critical: ['ml-oncall'] },
      },
    });
    this.monitoring.watch(this.models);
    // The policy pack checks the whole stack at synth (errors fail `cdktf synth`); suppressions and their
    // reasons: examples/platform/policy.ts and src/policy/README.md.
    applyPolicy(this);
  }
}

/** The example app: one platform stack per cloud. Used by main.ts and by the snapshot tests. */
export function buildPlatformApp(app: App): Platform[] {
  return [
    new Platform(app, 'platform-aws', { cloud: Cloud.aws({ region: 'us-east-1' }) }),
    new Platform(app, 'platform-gcp', { cloud: Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }) }),
    new Platform(app, 'platform-azure', { cloud: Cloud.azure({ location: 'eastus2' }) }),
  ];
}
