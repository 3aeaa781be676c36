import { TerraformStack, Testing } from 'cdktf';
import { Cloud, InvalidPropError } from '../../src';
import { GpuPoolInfo } from '../../src/core/cluster';
import { TrainingJob, TrainingJobProps } from '../../src/training/training-job';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { findObjects, podSpecOf } from '../k8s/validate';
import { FakeStore } from './fakes';

// Fine-tuning: SFT data in a store, LoRA adapters on a pre-trained checkpoint, the adapter as a typed reference.
function setup(pools?: GpuPoolInfo[]) {
  const stack = new TerraformStack(Testing.app(), 'ft');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { pools });
  const store = new FakeStore(stack, 'Models');
  return { stack, cluster, store };
}

function sftJob(over: (store: FakeStore) => Partial<TrainingJobProps> = () => ({})) {
  const env = setup();
  const props: TrainingJobProps = {
    cluster: env.cluster, nodes: 1, gpusPerNode: 8, checkpoints: env.store, image: 'ghcr.io/acme/trainer:1.0.0',
    model: { preset: 'gpt-1b' },
    data: { source: 'sft', store: env.store, path: 'data/chat.jsonl', tokenizerPath: 'tokenizers/gpt' },
    initFrom: env.store.model('checkpoints/pretrain', { preset: 'gpt-1b', select: 'best' }),
    lora: { rank: 16 },
    ...over(env.store),
  };
  return { ...env, props, make: () => new TrainingJob(env.stack, 'chat', props) };
}

describe('TrainingJob fine-tuning', () => {
  test('SFT + LoRA renders the trainer config, the data path and least-privilege reads', () => {
    const { store, make } = sftJob();
    const job = make();
    expect(job.trainerConfig).toMatchObject({
      model: { preset: 'gpt-1b', init_from: 's3://bucket-models/checkpoints/pretrain' },
      data: { source: 'sft', tokenizer: 's3://bucket-models/tokenizers/gpt', val_fraction: 0.05, pack: true, cache_dir: '/scratch/data' },
      lora: { rank: 16, alpha: 32, dropout: 0, target_modules: ['w1', 'w2', 'w3', 'wk', 'wo', 'wq', 'wv'] },
    });
    const c = podSpecOf(findObjects(job.workload.render().objects, 'Job')[0]).containers[0];
    expect(c.args.slice(-2)).toEqual(['--data-path', 's3://bucket-models/data/chat.jsonl']);
    const reads = store.grants.filter((g) => g.kind === 'read').map((g) => g.prefix).sort();
    expect(reads).toEqual(['checkpoints/pretrain/', 'data/chat.jsonl', 'tokenizers/gpt/']);
    expect(store.grants.filter((g) => g.kind === 'write').map((g) => g.prefix)).toEqual(['checkpoints/chat/']);
  });

  test('job.adapter() is a typed reference to the adapters in the checkpoints, with Llama module names', () => {
    const { store, make } = sftJob(() => ({ lora: { rank: 8, alpha: 8, targetModules: ['wq', 'wv', 'w2'] } }));
    const job = make();
    const adapter = job.adapter();
    expect(adapter).toMatchObject({
      store, path: 'checkpoints/chat', uri: 's3://bucket-models/checkpoints/chat', adapterDir: 'adapter', select: 'best', rank: 8,
      targetModules: ['down_proj', 'q_proj', 'v_proj'],
    });
    expect(adapter.base.uri).toBe('s3://bucket-models/checkpoints/pretrain');
    expect(job.adapter({ select: 'newest' }).select).toBe('newest');
  });

  test('a job without lora has no adapter', () => {
    const { make } = sftJob(() => ({ lora: undefined }));
    const job = make();
    expect(job.trainerConfig.lora).toBeUndefined();
    expect(() => job.adapter()).toThrow(/ft\/chat: invalid lora = undefined\. Allowed: a LoRA job/);
  });

  test('LoRA needs only the frozen weights in memory: a model too big to train fully fits under LoRA', () => {
    const pools = [{ ...new FakeGpuCluster(new TerraformStack(Testing.app(), 'x'), 'C', {}).gpuPools[0], gpusPerNode: 1, gpuMemoryGiB: 16 }];
    const env = setup(pools);
    const base = { cluster: env.cluster, nodes: 1, gpusPerNode: 1, checkpoints: env.store, image: 'a/b:1', model: { preset: 'gpt-1b' as const }, strategy: 'ddp' as const };
    expect(() => new TrainingJob(env.stack, 'full', base)).toThrow(/16 bytes/);
    const j = new TrainingJob(env.stack, 'lora', { ...base, initFrom: env.store.model('checkpoints/pretrain', { preset: 'gpt-1b' }), lora: { rank: 8 } });
    expect(j.trainerConfig.lora).toBeDefined();
  });

  test.each<[string, (store: FakeStore) => Partial<TrainingJobProps>, RegExp]>([
    ['a dataset of another format', (s) => ({ data: { source: 'sft', store: s, path: 'data/chat.csv', tokenizerPath: 'tok' } }), /invalid data\.path = "data\/chat\.csv"\. Allowed: a \.jsonl or \.parquet file/],
    ['a bad tokenizer path', (s) => ({ data: { source: 'sft', store: s, path: 'data/chat.jsonl', tokenizerPath: '/abs' } }), /invalid data\.tokenizerPath = "\/abs"/],
    ['a val fraction past 0.5', (s) => ({ data: { source: 'sft', store: s, path: 'data/chat.jsonl', tokenizerPath: 'tok', valFraction: 0.9 } }), /invalid data\.valFraction = 0\.9/],
    ['rank 0', () => ({ lora: { rank: 0 } }), /invalid lora\.rank = 0\. Allowed: an integer >= 1 and <= 256/],
    ['rank 512', () => ({ lora: { rank: 512 } }), /invalid lora\.rank = 512\. Allowed: an integer >= 1 and <= 256/],
    ['a fractional rank', () => ({ lora: { rank: 4.5 } }), /invalid lora\.rank = 4\.5/],
    ['dropout 1', () => ({ lora: { rank: 8, dropout: 1 } }), /invalid lora\.dropout = 1\. Allowed: a number in \[0, 1\)/],
    ['a module the GPT does not have', () => ({ lora: { rank: 8, targetModules: ['q_proj' as never] } }),
      /invalid lora\.targetModules = "q_proj"\. Allowed: a Linear module of the trainer's GPT \(gpt-1b\): wq, wk, wv, wo, w1, w2, w3/],
    ['no modules', () => ({ lora: { rank: 8, targetModules: [] } }), /invalid lora\.targetModules = \[\]/],
    ['lora without initFrom', () => ({ initFrom: undefined }), /invalid initFrom = undefined\. Allowed: the pre-trained weights LoRA adapts/],
    ['lora without checkpoints', () => ({ checkpoints: undefined }), /invalid checkpoints = undefined\. Allowed: a checkpoint store with lora/],
    ['initFrom of another preset', (s) => ({ initFrom: s.model('checkpoints/small', { preset: 'gpt-125m' }) }),
      /invalid initFrom = "s3:\/\/bucket-models\/checkpoints\/small \(preset gpt-125m\)"\. Allowed: a checkpoint of this job's model \(gpt-1b\)/],
  ])('rejects %s with the path, prop and what is allowed', (_name, over, message) => {
    let error: unknown;
    try {
      sftJob(over).make();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidPropError);
    expect((error as Error).message).toMatch(/^ft\/chat: invalid /);
    expect((error as Error).message).toMatch(message);
  });

  test('data and initFrom must be on the cluster\'s cloud', () => {
    const { stack, make } = sftJob((s) => {
      const gcs = new FakeStore(s.node.scope!, 'Gcs', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }));
      return { data: { source: 'sft', store: gcs, path: 'data/chat.jsonl', tokenizerPath: 'tok' } };
    });
    expect(make).toThrow(/invalid data\.store = "ft\/Gcs"\. Allowed: a store on the cluster's cloud \(aws, the store is on gcp\)/);
    const gcs2 = new FakeStore(stack, 'Gcs2', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }));
    const other = sftJob(() => ({ initFrom: gcs2.model('checkpoints/pretrain', { preset: 'gpt-1b' }) }));
    expect(other.make).toThrow(/invalid initFrom = "gs:\/\/bucket-gcs2\/checkpoints\/pretrain"\. Allowed: a checkpoint in a store on the cluster's cloud \(aws\)/);
  });
});
