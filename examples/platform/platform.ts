import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  CanaryOptions, Cloud, Gpu, GpuTrainingCluster, LocalStateBackend, InferenceEndpoint, InferenceEndpointProps, loraAdapter, ModelBackupBucket, ModelPipeline, ModelPipelineProps,
  MonitoringStack, RestoreDrill, Tenant, TrainingJob,
} from '../../src';
import { applyPolicy } from './policy';

/** The chat endpoint's canary: three steps, ten minutes each, the endpoint's SLO as the gate. */
const CHAT_CANARY: CanaryOptions = { steps: [5, 25, 50], interval: '10m', slo: { errorRatio: 0.001, p95TtftMs: 1000 } };

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
  /** Daily restore drill of the research checkpoints: the newest of each run must verify (sha256) and load. */
  public readonly restoreDrill: RestoreDrill;
  /** kube-prometheus-stack in the cluster: GPU, training and SLO alerts, dashboards, routing, a monthly budget. */
  public readonly monitoring: MonitoringStack;
  /** gpt-1b on vLLM: internal, 2-4 replicas on queue depth, SLO alerts; on AWS and GCP the chat-model registry's production version with canary rollouts, on Azure the pretrained checkpoint. */
  public readonly chat: InferenceEndpoint;
  /** An 8B open-weights model on vLLM: internal, warm on weekdays 7-19 New York time, scaled to zero otherwise. */
  public readonly llm: InferenceEndpoint;
  /**
   * The model lifecycle of the research team, weekly: new chat data under `research/raw/chat/` -> prep -> fine-tune the
   * pretrained gpt-1b -> evaluate on the held-out split -> gate against production -> move the `production` alias.
   */
  public readonly chatPipeline: ModelPipeline;

  constructor(scope: Construct, id: string, props: PlatformProps) {
    super(scope, id);
    // State beside cdktf.out (terraform-state/<stack>.tfstate), by a relative path: cdk.tf.json stays identical on
    // every machine and `cdktf synth` never deletes it. In production use a remote backend (README: Deploy).
    new LocalStateBackend(this);
    this.models = new ModelBackupBucket(this, 'models', {
      cloud: props.cloud,
      // A second region per cloud: S3 cross-region replication, a GCS dual-region, the Azure pair (GZRS).
      replication: { region: props.cloud.select({ aws: () => 'us-west-2', gcp: () => 'us-east1', azure: () => 'centralus' }) },
    });
    this.cluster = new GpuTrainingCluster(this, 'train', {
      cloud: props.cloud,
      gpuPools: [
        { gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] },
        // Serving: one GPU a node, on demand (Azure has no L4: its A10 twin).
        props.cloud.select({
          aws: () => ({ name: 'serve', gpu: Gpu.L4, machineType: 'g6.4xlarge', maxNodes: 8 }),
          gcp: () => ({ name: 'serve', gpu: Gpu.L4, machineType: 'g2-standard-16', maxNodes: 8 }),
          azure: () => ({ name: 'serve', gpu: Gpu.A10G, machineType: 'Standard_NV36ads_A10_v5', maxNodes: 8 }),
        }),
      ],
    });
    // monthlyBudgetUsd: the monitoring stack alerts when the team's GPU spend (priced by pool and capacity type) runs over it.
    this.research = this.cluster.addTenant('research', { gpuQuota: 16, store: this.models, admins: ['ml-research-admins'], monthlyBudgetUsd: 40_000 });
    this.pretrain = this.cluster.addTrainingJob('pretrain', {
      tenant: this.research, nodes: 2, gpusPerNode: 8, checkpoints: this.models,
      model: { preset: 'gpt-1b' }, precision: 'bf16', strategy: 'fsdp',
    });
    this.restoreDrill = new RestoreDrill(this, 'restore-drill', { cluster: this.cluster, store: this.models, tenant: this.research });
    this.monitoring = new MonitoringStack(this, 'obs', {
      cluster: this.cluster,
      // GCP budgets belong to a billing account; AWS and Azure budget the account / resource group.
      budget: { monthlyUsd: 50_000, billingAccountId: props.cloud.select({ aws: () => undefined, gcp: () => '012345-6789AB-CDEF01', azure: () => undefined }) },
      routing: {
        // The PagerDuty key lives in the cloud's secret manager; only its name is in the stack. Alertmanager reads
        // it at runtime (Terraform never does); on Azure, name your own Key Vault (this id is a placeholder).
        receivers: [{ name: 'ml-oncall', pagerDutyRoutingKey: props.cloud.select({
          aws: () => ({ secretName: 'ml-oncall/pagerduty' }),
          gcp: () => ({ secretName: 'ml-oncall-pagerduty' }),
          azure: () => ({ secretName: 'ml-oncall-pagerduty', keyVaultId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.KeyVault/vaults/ops-kv' }),
        }) }],
        routes: { critical: ['ml-oncall'] },
      },
    });
    this.monitoring.watch(this.models, { restoreDrill: this.restoreDrill });
    // Stalled steps, stale checkpoints, failures and restart loops of the pretraining run.
    this.monitoring.watch(this.pretrain, { stalledAfter: '20m', checkpointStaleAfter: '90m' });
    // The team's GPU cost (dashboard, budget alerts, idle quota) and queue (a job waiting over 4 h alerts with Kueue's reason).
    this.monitoring.watch(this.research, { queuePendingLimit: '4h' });
    // Serving (each endpoint registers itself with the monitoring stack).
    const servingGpu = props.cloud.select({ aws: () => Gpu.L4, gcp: () => Gpu.L4, azure: () => Gpu.A10G });
    // Where the chat-model pipeline registers versions, inside the research tenant's prefix: `research/models/chat-model/`.
    const chatRegistry = this.models.registry('chat-model', { prefix: 'research', preset: 'gpt-1b' });
    // The chat model on vLLM (the default runtime). With a canary (AWS, GCP) it serves the registry's `production`
    // alias: the pipeline rolls each accepted version out through the canary and moves the alias, with no deploy.
    // Seed the alias once before the first deploy (register the pretrained checkpoint and promote it:
    // src/pipeline/README.md, "First version"); until then the pods cannot resolve a model. Without a canary (Azure)
    // the endpoint serves the pretrained checkpoint (an init step exports the best one to <checkpoints>/hf once).
    const chatModel = props.cloud.select<Partial<InferenceEndpointProps>>({
      aws: () => ({ model: chatRegistry, canary: CHAT_CANARY }),
      gcp: () => ({ model: chatRegistry, canary: CHAT_CANARY }),
      azure: () => ({}),
    });
    this.chat = new InferenceEndpoint(this, 'chat', {
      cluster: this.cluster, monitoring: this.monitoring, gpu: servingGpu,
      model: this.pretrain.model({ select: 'best' }),
      replicas: { min: 2, max: 4 },
      slo: { latencyP95Seconds: 10, ttftP95Seconds: 1, availability: 0.999 },
      // Progressive delivery (Flagger): a new model version or image reaches 5%, 25%, 50% of requests, 10 minutes each,
      // and is promoted only while its own error ratio and TTFT stay within the endpoint's SLO; a breach rolls it back.
      // Azure: Application Gateway for Containers has no private frontend, so an internal canary there needs a
      // Gateway class you run (exposure.gatewayClassName).
      ...chatModel,
    });
    const llama = this.models.model('models/llama-3.1-8b-instruct', { parameterCount: 8_030_000_000 });
    this.llm = new InferenceEndpoint(this, 'llm', {
      cluster: this.cluster, monitoring: this.monitoring, runtime: 'vllm', gpu: servingGpu,
      model: llama,
      // A LoRA adapter clients select with `"model": "llama-support"`.
      adapters: [{ name: 'llama-support', adapter: loraAdapter(this.models, 'adapters/llama-3.1-8b-support', { rank: 16, base: llama }) }],
      maxModelLength: 8192,
      // Idle at zero outside working hours; a request at zero is held by the activator (the KEDA HTTP add-on) while a
      // GPU node and a replica start, behind the cluster's internal gateway. Azure's gateway (Application Gateway for
      // Containers) has public frontends only, and this example installs no private Gateway class there: on Azure the
      // endpoint keeps two replicas instead (with a class, set exposure.gatewayClassName and scaleToZero there too).
      ...props.cloud.select<Partial<InferenceEndpointProps>>({
        aws: () => scaleToZeroInWorkingHours,
        gcp: () => scaleToZeroInWorkingHours,
        azure: () => ({ replicas: { min: 2, max: 3 } }),
      }),
    });
    // The loop on Argo Workflows (installed once on the cluster), in the research tenant's namespace and GPU quota.
    this.chatPipeline = this.cluster.addModelPipeline('chat-model', {
      tenant: this.research,
      data: { store: this.models, prefix: 'research/raw/chat/', format: 'jsonl', split: { validation: 0.02, test: 0.02 } },
      train: { preset: 'gpt-1b', baseModel: this.pretrain.model({ select: 'best' }), gpusPerNode: 8, steps: 2000 },
      evaluate: { maxLossRegression: 0.01 },
      // Hand accepted versions to the chat endpoint's canary (Flagger): promoted when it passes, rolled back when not.
      // Azure: the example's chat endpoint has no canary (no private Gateway class, see above), so an accepted
      // version moves the registry's `production` alias directly and no endpoint serves it yet.
      ...props.cloud.select<Partial<ModelPipelineProps>>({ aws: () => ({ deploy: { endpoint: this.chat } }), gcp: () => ({ deploy: { endpoint: this.chat } }), azure: () => ({}) }),
      trigger: { schedule: '0 3 * * 1', onNewData: true },
    });
    // Failed runs, gate rejections in a row, no successful run in two weeks.
    this.monitoring.watch(this.chatPipeline);
    // The policy pack checks the whole stack at synth (errors fail `cdktf synth`); suppressions and their
    // reasons: examples/platform/policy.ts and src/policy/README.md.
    applyPolicy(this);
  }
}

/** Zero replicas outside working hours (New York), two inside; up to three under load. */
const scaleToZeroInWorkingHours: Partial<InferenceEndpointProps> = {
  replicas: { max: 3 },
  autoscaling: { scaleToZero: true },
  schedule: [{ start: '0 7 * * 1-5', end: '0 19 * * 1-5', timezone: 'America/New_York', replicas: 2 }],
};

/** The example app: one platform stack per cloud. Used by main.ts and by the snapshot tests. */
export function buildPlatformApp(app: App): Platform[] {
  return [
    new Platform(app, 'platform-aws', { cloud: Cloud.aws({ region: 'us-east-1' }) }),
    new Platform(app, 'platform-gcp', { cloud: Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }) }),
    new Platform(app, 'platform-azure', { cloud: Cloud.azure({ location: 'eastus2' }) }),
  ];
}
