// The README's stack file: the whole platform on Google Cloud in one stack.
// Change the `Cloud.gcp(...)` line to `Cloud.aws({ region: 'us-east-1' })` or
// `Cloud.azure({ location: 'eastus2' })` (with an A10G serving GPU: Azure has no L4) for another cloud.
import { App, Aspects, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  AiInfraPolicyPack, Cloud, Gpu, GpuTrainingCluster, InferenceEndpoint, ModelBackupBucket, MonitoringStack,
} from '../../src'; // in your repo: from 'cdktf-ai-infra'

export class QuickstartPlatform extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const cloud = Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
    const models = new ModelBackupBucket(this, 'models', { cloud, replication: { region: 'us-east1' } });
    const cluster = new GpuTrainingCluster(this, 'train', {
      cloud,
      gpuPools: [
        { gpu: Gpu.H100_80GB, maxNodes: 4, capacity: ['reserved', 'on-demand', 'spot'] },
        { name: 'serve', gpu: Gpu.L4, maxNodes: 10 },
      ],
    });
    const team = cluster.addTenant('research', { gpuQuota: 16, store: models, bucketPrefix: 'research/' });
    const pretrain = cluster.addTrainingJob('pretrain', {
      tenant: team, nodes: 2, gpusPerNode: 8, checkpoints: models,
      model: { preset: 'gpt-1b' }, precision: 'bf16', strategy: 'fsdp',
    });
    const monitoring = new MonitoringStack(this, 'obs', {
      cluster, budget: { monthlyUsd: 50_000, billingAccountId: '012345-6789AB-CDEF01' },
    });
    monitoring.watch(pretrain);
    new InferenceEndpoint(this, 'chat', {
      cluster, monitoring, gpu: Gpu.L4, replicas: { min: 2, max: 10 },   // vLLM, the default runtime
      model: pretrain.model({ select: 'best' }),
    });
    Aspects.of(this).add(new AiInfraPolicyPack());
  }
}

if (require.main === module) {
  const app = new App({ stackTraces: false }); // no machine paths in manifest.json
  new QuickstartPlatform(app, 'platform-gcp');
  app.synth();
}
