import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { Cloud, InvalidPropError } from '../../src';
import { GpuPoolInfo } from '../../src/core/cluster';
import {
  gptParameterCount, ncclEnvironment, TRAINER_PRESETS, TrainingJob, TrainingJobProps,
} from '../../src/training/training-job';
import { Tenant } from '../../src/training/tenant';
import { FakeGpuCluster, H100_POOL } from '../k8s/fake-cluster';
import { findObject, findObjects, manifestsOf, podSpecOf, restrictedPssProblems, validateManifests } from '../k8s/validate';
import { runPythonJobs } from '../python-fork';
import { FakeStore } from './fakes';
import { SynthQuery } from '../synth-query';

function setup(pools?: GpuPoolInfo[], cloud?: Cloud) {
  const stack = new TerraformStack(Testing.app(), 'train');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { pools, cloud });
  const store = new FakeStore(stack, 'Models', cloud);
  return { stack, cluster, store };
}

function job(overrides: Partial<TrainingJobProps> = {}, pools?: GpuPoolInfo[]) {
  const env = setup(pools);
  const j = new TrainingJob(env.stack, 'pretrain', {
    cluster: env.cluster, nodes: 2, gpusPerNode: 8, checkpoints: env.store,
    model: { preset: 'gpt-1b' }, precision: 'bf16', strategy: 'fsdp', image: 'ghcr.io/acme/trainer:1.0.0', ...overrides,
  });
  return { ...env, job: j, objects: j.workload.render().objects };
}

describe('TrainingJob', () => {
  test('an Indexed Job runs torchrun with c10d rendezvous on pod 0 and the trainer per the contract', () => {
    const { objects, job: j } = job();
    const k8sJob = findObjects(objects, 'Job')[0];
    expect(k8sJob.metadata.name).toMatch(/^pretrain-[0-9a-f]{6}$/);
    expect(k8sJob.spec).toMatchObject({ completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimit: 6, activeDeadlineSeconds: 604800 });
    const pod = podSpecOf(k8sJob);
    const c = pod.containers[0];
    // the launcher hands SIGTERM to the workers: the stop checkpoint gets the grace period (420 s) less 10 s
    expect(c.command).toEqual(['python', '-m', 'aiinfra.launch']);
    expect(c.args).toEqual([
      '--stop-timeout=410', '--nnodes=2', '--nproc-per-node=8', '--rdzv-backend=c10d',
      '--rdzv-endpoint=$(JOB_NAME)-0.pretrain.training.svc:29500', '--rdzv-id=$(JOB_NAME)',
      '--rdzv-conf=join_timeout=900,read_timeout=300', '--max-restarts=3', '--monitor-interval=5',
      '-m', 'aiinfra.cli', 'train', '--config', '/etc/aiinfra/trainer.json',
    ]);
    expect(c.env[0]).toEqual({ name: 'JOB_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } });
    const env = Object.fromEntries(c.env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({
      AIINFRA_CONFIG: '/etc/aiinfra/trainer.json', AIINFRA_METRICS_PORT: '9095',
      AIINFRA_CHECKPOINT_DIR: 's3://bucket-models/checkpoints/pretrain', FI_PROVIDER: 'efa',
    });
    expect(pod.subdomain).toBe('pretrain');
    // pod 0 must resolve its own name before torchrun decides who hosts the rendezvous store
    expect(pod.initContainers.map((i: { name: string }) => i.name)).toEqual(['wait-for-dns']);
    expect(pod.initContainers[0].env).toContainEqual({ name: 'DNS_SUFFIX', value: 'pretrain.training.svc' });
    expect(pod.initContainers[0].command.slice(0, 2)).toEqual(['python', '-c']);
    expect(pod.restartPolicy).toBe('Never');
    expect(c.resources.limits['nvidia.com/gpu']).toBe('8');
    expect(c.resources.requests['nvidia.com/gpu']).toBe('8');
    expect(c.ports).toEqual([
      { containerPort: 9095, name: 'metrics', protocol: 'TCP' },
      { containerPort: 29500, name: 'rendezvous', protocol: 'TCP' },
    ]);
    expect(j.checkpointUri).toBe('s3://bucket-models/checkpoints/pretrain');
    const svc = findObject(objects, 'Service', 'pretrain');
    expect(svc.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: { 'ai-infra/training-job': 'pretrain' } });
  });

  test('pool placement, /dev/shm in memory, podFailurePolicy, grace period', () => {
    const { objects } = job();
    const k8sJob = findObjects(objects, 'Job')[0];
    const pod = podSpecOf(k8sJob);
    expect(pod.nodeSelector).toEqual(H100_POOL.nodeSelector);
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'present', effect: 'NoSchedule' }]);
    expect(pod.volumes.find((v: { name: string }) => v.name === 'dshm')).toEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '96Gi' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
    expect(k8sJob.spec.podFailurePolicy.rules).toEqual([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'trainer', operator: 'In', values: [2] } },
    ]);
    // 300 s + 60 s per billion parameters (gpt-1b: 1.14 B -> 2)
    expect(pod.terminationGracePeriodSeconds).toBe(420);
    // an explicit grace period reaches the launcher too (its stop timeout ends 10 s before the kubelet's SIGKILL)
    const long = podSpecOf(findObjects(job({ terminationGracePeriodSeconds: 1800 }).objects, 'Job')[0]);
    expect(long.terminationGracePeriodSeconds).toBe(1800);
    expect(long.containers[0].args[0]).toBe('--stop-timeout=1790');
  });

  test('restricted Pod Security, every object schema-valid (job, namespace release)', () => {
    const { stack, objects } = job();
    expect(restrictedPssProblems(podSpecOf(findObjects(objects, 'Job')[0]))).toEqual([]);
    const all = manifestsOf(stack);
    validateManifests(all, { strict: true });
    const ns = findObject(all, 'Namespace', 'training');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(findObject(all, 'NetworkPolicy', 'default-deny-all').metadata.namespace).toBe('training');
  });

  test('the trainer config (ConfigMap) follows the contract', () => {
    const { objects, job: j } = job({ training: { steps: 500, microBatchSize: 4, globalBatchSize: 128, seqLen: 1024 } });
    const cm = findObject(objects, 'ConfigMap', 'pretrain-config');
    const config = JSON.parse(cm.data['trainer.json']);
    expect(config).toEqual(j.trainerConfig);
    expect(config).toMatchObject({
      run_name: 'pretrain', steps: 500, micro_batch_size: 4, global_batch_size: 128, seq_len: 1024,
      strategy: 'fsdp', precision: 'bf16', device: 'cuda', resume: true, metrics_port: 9095,
      model: { preset: 'gpt-1b' }, data: { source: 'synthetic' }, peak_tflops: 989,
    });
  });

  test('the identity may write only its checkpoint prefix and is bound to the ServiceAccount', () => {
    const { objects, store, cluster, job: j } = job();
    expect(store.grants).toEqual([{ kind: 'write', identity: j.identity, prefix: 'checkpoints/pretrain/' }]);
    expect(cluster.bindings).toEqual([{ identity: j.identity, namespace: 'training', serviceAccount: 'pretrain' }]);
    const sa = findObject(objects, 'ServiceAccount', 'pretrain');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(sa.metadata.annotations['fake.ai-infra/identity']).toMatch(/^__AIINFRA_TF_PLACEHOLDER_\d+__$/);
    expect(podSpecOf(findObjects(objects, 'Job')[0]).serviceAccountName).toBe('pretrain');
  });

  test('Kueue: queue label when queued (Kueue\'s webhook creates it suspended; the chart never sets suspend), none otherwise', () => {
    const queued = findObjects(job({ queue: 'team-a' }).objects, 'Job')[0];
    expect(queued.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('team-a');
    expect(queued.spec.suspend).toBeUndefined();
    const plain = findObjects(job().objects, 'Job')[0];
    expect(plain.metadata.labels['kueue.x-k8s.io/queue-name']).toBeUndefined();
    expect(plain.spec.suspend).toBeUndefined();
  });

  test('schedule makes a CronJob that resumes from the newest checkpoint', () => {
    const { objects, job: j } = job({ schedule: '0 3 * * 0', queue: 'q' });
    expect(findObjects(objects, 'Job')).toEqual([]);
    const cron = findObject(objects, 'CronJob', 'pretrain');
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * 0', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    expect(cron.spec.jobTemplate.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('q');
    expect(cron.spec.jobTemplate.spec.completionMode).toBe('Indexed');
    expect(j.trainerConfig.resume).toBe(true);
    validateManifests(objects);
  });

  test('NCCL settings follow the interconnect', () => {
    expect(ncclEnvironment('efa')).toMatchObject({ FI_PROVIDER: 'efa', FI_EFA_USE_DEVICE_RDMA: '1' });
    expect(ncclEnvironment('infiniband')).toMatchObject({ NCCL_IB_DISABLE: '0' });
    expect(ncclEnvironment('ethernet')).toMatchObject({ NCCL_IB_DISABLE: '1', NCCL_SOCKET_IFNAME: 'eth0' });
    expect(ncclEnvironment('gpudirect-tcpxo')).toMatchObject({ NCCL_SOCKET_IFNAME: 'eth0' });
    const ib = job({}, [{ ...H100_POOL, interconnect: 'infiniband' }]);
    const env = podSpecOf(findObjects(ib.objects, 'Job')[0]).containers[0].env.map((e: { name: string }) => e.name);
    expect(env).toContain('NCCL_IB_PCI_RELAXED_ORDERING');
    expect(env).not.toContain('FI_PROVIDER');
  });

  test('sizes requests from the machine type in the GPU catalog and requests EFA devices', () => {
    const { objects } = job({}, [{ ...H100_POOL, machineType: 'p5.48xlarge' }]);
    const res = podSpecOf(findObjects(objects, 'Job')[0]).containers[0].resources;
    expect(res.requests['vpc.amazonaws.com/efa']).toBe('32');
    expect(Number(res.requests.cpu)).toBeGreaterThan(100);
  });

  test('the trainer image: a user image skips the build; by default the bundled image is built and pushed', () => {
    const user = job();
    expect(podSpecOf(findObjects(user.objects, 'Job')[0]).containers[0].image).toBe('ghcr.io/acme/trainer:1.0.0');
    SynthQuery.fromStack(user.stack).resourceCountIs('docker_image', 0);
    const bundled = job({ image: undefined });
    const synth = SynthQuery.fromStack(bundled.stack).json;
    const image = Object.values(synth.resource.docker_image)[0] as { name: string; build: { dockerfile: string; context: string } };
    expect(image.name).toMatch(/^\$\{aws_ecr_repository\.[^}]+\.repository_url\}:ctx-[0-9a-f]{20}$/);
    expect(image.build.dockerfile).toBe('aiinfra.Dockerfile');
    expect(image.build.context).toMatch(/^\.\/assets\/[^/]+\/[0-9a-f]{32}$/);
    // the Job runs `<repository>:ctx-<tag read from the push>`: applied after the push, tag visible in the chart
    const k8sImage = podSpecOf(findObjects(bundled.objects, 'Job')[0]).containers[0].image;
    expect(k8sImage).toMatch(/^__AIINFRA_TF_PLACEHOLDER_\d+__:ctx-__AIINFRA_TF_PLACEHOLDER_\d+__$/);
    const values = (Object.values(synth.resource.helm_release) as { values?: string[] }[]).map((r) => (r.values ?? []).join('')).join('');
    expect(values).toMatch(/substr\(docker_registry_image\.[^.]+\.triggers\.context_sha256, 0, 20\)/);
  });

  test('in a tenant: its namespace, queue and prefix; depends on the tenant release', () => {
    const { stack, cluster, store } = setup();
    const tenant = new Tenant(stack, 'research', { cluster, gpuQuota: 16 });
    const j = new TrainingJob(stack, 'pretrain', {
      cluster, tenant, nodes: 2, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'ghcr.io/a/t:1',
    });
    expect(j.namespace).toBe('research');
    expect(j.queue).toBe('research');
    expect(j.checkpointPrefix).toBe('research/checkpoints/pretrain/');
    expect(store.grants.filter((g) => g.identity === j.identity)).toEqual([{ kind: 'write', identity: j.identity, prefix: 'research/checkpoints/pretrain/' }]);
    const rel = SynthQuery.fromStack(stack).helmRelease(j.workload.releaseName);
    expect(rel.namespace).toBe('research');
    expect(rel.depends_on).toEqual([expect.stringMatching(/^helm_release\.research_Resources_Release_[0-9A-F]{8}$/)]);
    expect(findObjects(j.workload.render().objects, 'Job')[0].metadata.labels['kueue.x-k8s.io/queue-name']).toBe('research');
  });

  test('model presets match compute/src/aiinfra/presets.json, and the parameter formula matches the trainer', () => {
    const file = JSON.parse(fs.readFileSync(path.join(__dirname, '../../compute/src/aiinfra/presets.json'), 'utf8')) as Record<string, Record<string, number>>;
    expect(Object.keys(TRAINER_PRESETS).sort()).toEqual(Object.keys(file).sort());
    for (const [name, p] of Object.entries(TRAINER_PRESETS)) {
      const f = file[name];
      expect({
        n_layer: p.nLayer, n_head: p.nHead, n_kv_head: p.nKvHead, d_model: p.dModel, ffn_hidden: p.ffnHidden,
        vocab_size: p.vocabSize, max_seq_len: p.maxSeqLen, params: p.params,
      }).toEqual({
        n_layer: f.n_layer, n_head: f.n_head, n_kv_head: f.n_kv_head, d_model: f.d_model, ffn_hidden: f.ffn_hidden,
        vocab_size: f.vocab_size, max_seq_len: f.max_seq_len, params: f.params,
      });
      expect(gptParameterCount(p)).toBe(p.params);
    }
  });

  test('a model that does not fit says the numbers', () => {
    const pools = [{ ...H100_POOL, name: 'l4', gpu: 'l4', gpusPerNode: 1, gpuMemoryGiB: 24, maxNodes: 2 }];
    expect(() => job({ model: { preset: 'gpt-3b' }, strategy: 'ddp', nodes: 1, gpusPerNode: 1 }, pools)).toThrow(
      /invalid model = "gpt-3b"\. Allowed: a model that fits: 2\.97B params x 16 bytes \(fp32 weights 4 \+ grads 4 \+ AdamW moments 8\) = 44\.3 GiB per GPU under ddp .*75% of one l4 \(24 GiB\) is 18\.0 GiB; use strategy 'fsdp', a smaller model or a larger GPU/);
    expect(() => job({ model: { preset: 'gpt-3b' }, strategy: 'fsdp', nodes: 2, gpusPerNode: 1 }, pools)).toThrow(/sharded over 2 GPUs = 22\.2 GiB per GPU.*at least 3 GPUs/);
    expect(job({ model: { preset: 'gpt-1b' }, strategy: 'fsdp', nodes: 2, gpusPerNode: 1 }, pools).job.parameterCount).toBe(1_141_204_992);
  });

  const bad: [string, Partial<TrainingJobProps>, RegExp, GpuPoolInfo[]?][] = [
    ['zero nodes', { nodes: 0 }, /invalid nodes = 0\. Allowed: an integer >= 1/],
    ['fractional GPUs', { gpusPerNode: 1.5 }, /invalid gpusPerNode = 1\.5/],
    ['more GPUs per node than the pool has', { gpusPerNode: 16 }, /invalid gpusPerNode = 16\. Allowed: at most the GPUs of one node of the pool: h100 \(h100-80gb: 4 nodes x 8 GPUs\)/],
    ['more nodes than the pool', { nodes: 5 }, /invalid nodes = 5\. Allowed: at most the pool's max nodes/],
    ['more nodes than the named pool', { nodes: 5, pool: 'h100' }, /invalid nodes = 5\. Allowed: at most pool h100's maxNodes \(4\); nodes x gpusPerNode = 40 GPUs, the pool has 32/],
    ['unknown pool', { pool: 'a100' }, /invalid pool = "a100"\. Allowed: a GPU pool of the cluster: h100/],
    ['unknown preset', { model: { preset: 'gpt-7b' } as never }, /invalid model\.preset = "gpt-7b"\. Allowed: one of gpt-tiny, gpt-125m, gpt-350m, gpt-1b, gpt-3b/],
    ['custom dims not divisible', { model: { custom: { nLayer: 2, nHead: 3, nKvHead: 3, dModel: 64, ffnHidden: 128, vocabSize: 100, maxSeqLen: 64 } } }, /invalid model\.custom\.dModel = 64\. Allowed: a multiple of nHead \(3\)/],
    ['no model', { model: undefined as never }, /invalid model = undefined\. Allowed: \{ preset:/],
    ['maxRestarts 0', { maxRestarts: 0 }, /invalid maxRestarts = 0\. Allowed: an integer >= 1/],
    ['bad precision', { precision: 'int8' as never }, /invalid precision = "int8"\. Allowed: one of "bf16", "fp16", "fp32"/],
    ['bf16 on T4', { precision: 'bf16', nodes: 1, gpusPerNode: 1, model: { preset: 'gpt-125m' } }, /invalid precision = "bf16"\. Allowed: 'fp16' or 'fp32': NVIDIA T4/,
      [{ ...H100_POOL, name: 't4', gpu: 't4', gpusPerNode: 1, gpuMemoryGiB: 16 }]],
    ['bad cron', { schedule: 'every sunday' }, /invalid schedule = "every sunday"\. Allowed: a 5-field cron expression/],
    ['latest image', { image: 'acme/trainer:latest' }, /invalid image = "acme\/trainer:latest"\. Allowed: an image reference with a tag or digest/],
    ['untagged image', { image: 'acme/trainer' }, /invalid image = "acme\/trainer"/],
    ['spot-only pool without checkpoints', { checkpoints: undefined }, /invalid checkpoints = undefined\. Allowed: a checkpoint store: pool h100 is spot-only/,
      [{ ...H100_POOL, capacity: ['spot'] }]],
    ['schedule without checkpoints', { schedule: '@weekly', checkpoints: undefined }, /invalid checkpoints = undefined\. Allowed: a checkpoint store when schedule is set/],
    ['global batch not a multiple', { training: { microBatchSize: 8, globalBatchSize: 100 } }, /invalid training\.globalBatchSize = 100\. Allowed: a multiple of microBatchSize x GPUs \(8 x 16 = 128\)/],
    ['seq len beyond the model', { training: { seqLen: 4096 } }, /invalid training\.seqLen = 4096\. Allowed: an integer >= 8 and <= 2048/],
    ['system namespace', { namespace: 'kube-system' }, /invalid namespace = "kube-system"/],
    ['bad job name', { jobName: 'Pretrain_1' }, /invalid jobName = "Pretrain_1"\. Allowed: a DNS label: 1-40 characters/],
    ['bad checkpoint prefix', { checkpointPrefix: '/abs/' }, /invalid checkpointPrefix = "\/abs\/"/],
    ['bad data uri', { data: { source: 'tokens', uri: 'ftp://x/y' } }, /invalid data\.uri = "ftp:\/\/x\/y"/],
  ];
  for (const [name, props, message, pools] of bad) test(`bad input: ${name}`, () => {
    let err: unknown;
    const env = setup(pools);
    try {
      new TrainingJob(env.stack, 'pretrain', {
        cluster: env.cluster, nodes: 2, gpusPerNode: 8, checkpoints: env.store, model: { preset: 'gpt-1b' },
        image: 'ghcr.io/acme/trainer:1.0.0', ...props,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPropError);
    expect((err as Error).message).toMatch(/^train\/pretrain: invalid /);
    expect((err as Error).message).toMatch(message);
    // nothing half-created
    expect(env.stack.node.tryFindChild('pretrain')?.node.children.length ?? 0).toBe(0);
    expect(env.store.grants.length).toBe(0);
  });

  test('checkpoints on another cloud need an explicit opt-in', () => {
    const { stack, cluster } = setup();
    const gcs = new FakeStore(stack, 'Gcs', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }));
    const props = { cluster, nodes: 1, gpusPerNode: 8, checkpoints: gcs, model: { preset: 'gpt-125m' as const }, image: 'a/b:1' };
    expect(() => new TrainingJob(stack, 'x', props)).toThrow(/invalid checkpoints = "train\/Gcs"\. Allowed: a store on the cluster's cloud \(aws, the store is on gcp\).*allowCrossCloudCheckpoints: true/);
    const j = new TrainingJob(stack, 'y', { ...props, allowCrossCloudCheckpoints: true });
    expect(j.checkpointUri).toBe('gs://bucket-gcs/checkpoints/y');
    expect(gcs.grants).toEqual([]);
  });

  test('two jobs with one name in one namespace are rejected', () => {
    const { stack, cluster, store } = setup();
    const props = { cluster, nodes: 1, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-125m' as const }, image: 'a/b:1' };
    new TrainingJob(stack, 'a', { ...props, jobName: 'same' });
    expect(() => new TrainingJob(stack, 'b', { ...props, jobName: 'same' })).toThrow(/invalid jobName = "same"\. Allowed: a name unique in namespace training \(train\/a uses it\)/);
  });

  // The rendered trainer config against the real compute core (the venv `npm test` makes): the trainer's
  // typed config accepts every key and value, for a preset, custom dims and token data. The console script
  // runs once per variant in a fork of one interpreter that imports the trainer once (test/python-fork.ts).
  const trainerCli = path.join(__dirname, '../../.venv/bin/aiinfra-train');
  (fs.existsSync(trainerCli) ? test : test.skip)('the trainer accepts the rendered config (aiinfra-train train --print-config)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-config-'));
    try {
      const variants: ((store: FakeStore) => Partial<TrainingJobProps>)[] = [
        () => ({}),
        () => ({ model: { custom: { nLayer: 2, nHead: 4, nKvHead: 2, dModel: 128, ffnHidden: 384, vocabSize: 1024, maxSeqLen: 256 } }, training: { seqLen: 128 } }),
        () => ({ data: { source: 'tokens', uri: 's3://datasets/tokens/' }, precision: 'fp16', strategy: 'ddp', model: { preset: 'gpt-125m' } }),
        (store) => ({
          data: { source: 'sft', store, path: 'data/chat.jsonl', tokenizerPath: 'tokenizers/gpt', valFraction: 0.1 },
          initFrom: store.model('checkpoints/base', { preset: 'gpt-1b' }), lora: { rank: 16, targetModules: ['wq', 'wv'] },
        }),
      ];
      const jobs = variants.map((variant, i) => {
        const env = setup();
        const v = variant(env.store);
        const j = new TrainingJob(env.stack, 'pretrain', {
          cluster: env.cluster, nodes: 2, gpusPerNode: 8, checkpoints: env.store,
          model: { preset: 'gpt-1b' }, precision: 'bf16', strategy: 'fsdp', image: 'ghcr.io/acme/trainer:1.0.0', ...v,
        });
        const file = path.join(dir, `trainer-${i}.json`);
        fs.writeFileSync(file, JSON.stringify(j.trainerConfig));
        const extra = v.data ? ['--data-path', 's3://datasets/tokens/'] : [];
        return { config: j.trainerConfig, argv: [trainerCli, 'train', '--config', file, '--print-config', ...extra] };
      });
      const { preloadStderr, results } = runPythonJobs(['aiinfra.cli'], jobs.map(({ argv }) => ({ argv })), 60_000);
      expect(preloadStderr).toBe('');
      results.forEach((run, i) => {
        expect({ variant: i, status: run.status, stderr: run.stderr }).toEqual({ variant: i, status: 0, stderr: '' });
        const resolved = JSON.parse(run.stdout);
        const config = jobs[i].config;
        expect(resolved).toMatchObject({ strategy: config.strategy, precision: config.precision, steps: config.steps, metrics_port: 9095 });
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
