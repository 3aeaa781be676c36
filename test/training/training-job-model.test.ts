import { TerraformStack, Testing } from 'cdktf';
import { Cloud, Gpu, GpuTrainingCluster, InvalidPropError, ModelBackupBucket } from '../../src';

describe('TrainingJob.model()', () => {
  function setup() {
    const stack = new TerraformStack(Testing.app(), 'p');
    const cloud = Cloud.aws({ region: 'us-east-1' });
    const models = new ModelBackupBucket(stack, 'models', { cloud });
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    return { models, cluster };
  }

  test('refers to the job\'s checkpoints with its parameter count, best checkpoint by default', () => {
    const { models, cluster } = setup();
    const job = cluster.addTrainingJob('pretrain', { nodes: 1, gpusPerNode: 8, checkpoints: models, model: { preset: 'gpt-1b' } });
    const ref = job.model();
    expect(ref.store).toBe(models);
    expect(ref.path).toBe(job.checkpointPrefix!.replace(/\/$/, ''));
    expect(ref.uri).toBe(job.checkpointUri);
    expect(ref.select).toBe('best');
    expect(ref.preset).toBe('gpt-1b');
    expect(ref.parameterCount).toBe(job.parameterCount);
    expect(job.model({ select: 'newest' }).select).toBe('newest');
  });

  test('a job without checkpoints has no model', () => {
    const { cluster } = setup();
    const job = cluster.addTrainingJob('scratch', { nodes: 1, gpusPerNode: 8, model: { preset: 'gpt-tiny' } });
    expect(() => job.model()).toThrow(InvalidPropError);
    expect(() => job.model()).toThrow(/p\/train\/scratch: invalid checkpoints = undefined\. Allowed: a checkpoint store/);
  });
});
