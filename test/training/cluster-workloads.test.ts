// addTrainingJob / addTenant on a real GpuTrainingCluster, per cloud: the job's synth-time checks run
// against the cluster's actual pools (GPU counts, memory, capacity ladder, taints) before anything is made.
import { TerraformStack, Testing } from 'cdktf';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { Cloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { GpuPoolProps, GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { manifestsOf, podSpecOf, findObjects } from '../k8s/validate';
import { aws, azure, expectInvalid, gcp, Json } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

const IMAGE = 'ghcr.io/acme/trainer:1.0.0';

function setup(cloud: Cloud, pools: GpuPoolProps[] = [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] }]) {
  const stack = new TerraformStack(Testing.app(), 'platform');
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: pools });
  return { stack, models, cluster };
}

describe.each([['aws', aws()], ['gcp', gcp()], ['azure', azure()]] as const)('%s: jobs and tenants on the cluster', (_name, cloud) => {
  test('a job lands on the pool: its node selector and tolerations are the pool\'s, its SA is bound by the cluster', () => {
    const { cluster, models, stack } = setup(cloud);
    const team = cluster.addTenant('research', { gpuQuota: 16, store: models });
    const job = cluster.addTrainingJob('pretrain', {
      tenant: team, nodes: 2, gpusPerNode: 8, checkpoints: models, model: { preset: 'gpt-1b' }, image: IMAGE,
    });
    expect(job.node.scope).toBe(cluster);
    expect(job.pool).toBe(cluster.gpuPools[0]);
    const k8sJob = findObjects(manifestsOf(job), 'Job')[0] as Json;
    const pod = podSpecOf(k8sJob);
    expect(pod.nodeSelector).toMatchObject(cluster.gpuPools[0].nodeSelector);
    for (const t of cluster.gpuPools[0].taints) {
      expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: t.key, effect: t.effect }));
    }
    expect(k8sJob.spec.template.metadata.labels).toMatchObject(cluster.workloadIdentityPodLabels);
    const json = SynthQuery.fromStack(stack).json;
    const releases = Object.values(json.resource.helm_release) as Json[];
    const jobRelease = releases.find((r) => String(r.name).startsWith('pretrain') || String(r.description ?? '').includes('pretrain'));
    expect(jobRelease).toBeDefined();
    expect(jobRelease.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/helm_release\..*Kueue/)]));
  });

  test('nodes x GPUs beyond the pool: an error naming the pool\'s size', () => {
    const { cluster, models } = setup(cloud);
    expectInvalid(() => cluster.addTrainingJob('big', { nodes: 3, gpusPerNode: 8, checkpoints: models, model: { preset: 'gpt-1b' }, image: IMAGE }),
      /invalid nodes = 3/, /h100-80gb: 2 nodes x 8 GPUs/);
    expectInvalid(() => cluster.addTrainingJob('wide', { nodes: 1, gpusPerNode: 16, checkpoints: models, model: { preset: 'gpt-1b' }, image: IMAGE }),
      /gpusPerNode = 16/);
  });

  test('a model that does not fit: the numbers are in the message', () => {
    const { cluster, models } = setup(cloud);
    expectInvalid(() => cluster.addTrainingJob('ddp', {
      nodes: 1, gpusPerNode: 8, checkpoints: models, strategy: 'ddp', image: IMAGE,
      model: { custom: { nLayer: 48, nHead: 32, nKvHead: 32, dModel: 4096, ffnHidden: 11008, vocabSize: 50304, maxSeqLen: 2048 } },
    }), /invalid model = "custom"/, /B params x 16 bytes/, /per GPU under ddp/, /80 GiB/);
  });

  test('a checkpoint bucket on another cloud needs the opt-in; a spot-only pool needs checkpoints', () => {
    const { cluster, stack } = setup(cloud, [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['spot'] }]);
    const other = cloud.kind === 'aws' ? gcp() : aws();
    const foreign = new ModelBackupBucket(stack, 'elsewhere', { cloud: other });
    expectInvalid(() => cluster.addTrainingJob('x', { nodes: 1, gpusPerNode: 8, checkpoints: foreign, model: { preset: 'gpt-125m' }, image: IMAGE }),
      /invalid checkpoints/, /allowCrossCloudCheckpoints/);
    expectInvalid(() => cluster.addTrainingJob('y', { nodes: 1, gpusPerNode: 8, model: { preset: 'gpt-125m' }, image: IMAGE }),
      /invalid checkpoints = undefined/, /spot-only/);
  });
});

test('the stack file of the design document synthesizes on GCP (reserved -> on-demand -> spot, tenant, job)', () => {
  const cloud = Cloud.gcp({ project: 'acme-ml', region: 'us-central1' });
  const stack = new TerraformStack(Testing.app(), 'platform-gcp');
  const models = new ModelBackupBucket(stack, 'models', { cloud, replication: { region: 'us-east1' } });
  const cluster = new GpuTrainingCluster(stack, 'train', {
    cloud,
    gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 4, capacity: ['reserved', 'on-demand', 'spot'] }],
  });
  const team = cluster.addTenant('research', { gpuQuota: 16, bucketPrefix: 'research/', store: models });
  const job = cluster.addTrainingJob('pretrain', {
    tenant: team, nodes: 2, gpusPerNode: 8, checkpoints: models,
    model: { preset: 'gpt-1b' }, precision: 'bf16', strategy: 'fsdp', image: IMAGE,
  });
  const json = SynthQuery.fromStack(stack).json;
  expect(Object.keys(json.resource.google_container_node_pool)).toHaveLength(3);
  expect(job.pool.nodeSelector).toEqual({ 'cdktf-ai-infra/pool': 'h100-80gb', 'cloud.google.com/compute-class': 'h100-80gb' });
  expect(cluster.estimatedMonthlyCost).toBe(516854.6);
});
