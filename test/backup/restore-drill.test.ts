import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { InvalidPropError } from '../../src';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { RESTORE_DRILL_SCRIPT, RestoreDrill, RestoreDrillProps } from '../../src/backup/restore-drill';
import { Tenant } from '../../src/training/tenant';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { findObject, podSpecOf, restrictedPssProblems, validateManifests } from '../k8s/validate';
import { haveComputeVenv, runPythonJobs } from '../python-fork';
import { FakeStore } from '../training/fakes';

function setup() {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  const store = new FakeStore(stack, 'Models');
  return { stack, cluster, store };
}

describe('RestoreDrill', () => {
  test('a daily CronJob verifies and loads the newest checkpoint of each run with a read-only identity', () => {
    const { stack, cluster, store } = setup();
    const drill = new RestoreDrill(stack, 'drill', { cluster, store, image: 'ghcr.io/acme/trainer:1.0.0' });
    const objects = drill.workload.render().objects;
    validateManifests(objects, { strict: true });
    expect(drill.jobName).toBe('restore-drill-drill');
    expect(drill.roots).toEqual(['s3://bucket-models/checkpoints']);
    expect(store.grants).toEqual([{ kind: 'read', identity: drill.identity, prefix: 'checkpoints/' }]);
    const cron = findObject(objects, 'CronJob', 'restore-drill-drill');
    expect(cron.spec).toMatchObject({ schedule: '17 4 * * *', concurrencyPolicy: 'Forbid', timeZone: 'Etc/UTC' });
    expect(cron.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 10800 });
    const pod = podSpecOf(cron);
    expect(restrictedPssProblems(pod)).toEqual([]);
    expect(pod.containers[0].command).toEqual(['python', '/etc/aiinfra-drill/drill.py']);
    expect(pod.containers[0].env).toContainEqual({ name: 'DRILL_ROOTS', value: 's3://bucket-models/checkpoints' });
    expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBeUndefined();
    expect(findObject(objects, 'ConfigMap', 'restore-drill-drill-script').data['drill.py']).toBe(RESTORE_DRILL_SCRIPT);
    expect(cluster.bindings).toContainEqual({ identity: drill.identity, namespace: 'training', serviceAccount: 'restore-drill-drill' });
    expect(Testing.synth(stack)).toContain('helm_release');
  });

  test('in a tenant the drill reads only the tenant prefix', () => {
    const { stack, cluster, store } = setup();
    const tenant = new Tenant(stack, 'research', { cluster, gpuQuota: 8 });
    const drill = new RestoreDrill(stack, 'Drill', { cluster, store, tenant, image: 'a/b:1', schedule: '@weekly' });
    expect(drill.namespace).toBe('research');
    expect(store.grants).toEqual([{ kind: 'read', identity: drill.identity, prefix: 'research/checkpoints/' }]);
    expect(() => new RestoreDrill(stack, 'Other', { cluster, store, tenant, image: 'a/b:1', prefixes: ['checkpoints/'] }))
      .toThrow(/invalid prefixes\[0\] = "checkpoints\/"\. Allowed: a prefix inside tenant research's 'research\/'/);
  });

  test('bucket.addRestoreDrill drills that bucket, is its restoreDrill, and is one per bucket', () => {
    const { stack, cluster } = setup();
    const models = new ModelBackupBucket(stack, 'Bucket', { cloud: cluster.cloud, bucketName: 'acme-models' });
    expect(models.restoreDrill).toBeUndefined();
    const drill = models.addRestoreDrill('Drill', { cluster, image: 'a/b:1', prefixes: ['research/checkpoints/'] });
    expect(drill).toBeInstanceOf(RestoreDrill);
    expect(models.restoreDrill).toBe(drill);
    expect(drill.node.path).toBe('plat/Bucket/Drill');
    expect(drill.roots).toEqual(['s3://acme-models/research/checkpoints']);
    // The grant is the bucket's own: an IAM policy on the drill's role, limited to the prefix.
    const policies = JSON.parse(Testing.synth(stack)).resource.aws_iam_role_policy as Record<string, { policy: string }>;
    expect(Object.values(policies).map((p) => p.policy).join()).toMatch(/aws_s3_bucket\.Bucket[^.]*\.arn}\/research\/checkpoints\/\*/);
    expect(() => models.addRestoreDrill('Again', { cluster, image: 'a/b:1' })).toThrow(/invalid addRestoreDrill\(id\) = "Again"/);
  });

  test('the ConfigMap carries compute/src/aiinfra/drill.py byte for byte (pytest tests that file)', () => {
    const file = fs.readFileSync(path.join(__dirname, '..', '..', 'compute', 'src', 'aiinfra', 'drill.py'), 'utf8');
    expect(RESTORE_DRILL_SCRIPT).toBe(file);
    const { stack, cluster, store } = setup();
    const drill = new RestoreDrill(stack, 'drill', { cluster, store, image: 'a/b:1' });
    expect(findObject(drill.workload.render().objects, 'ConfigMap', 'restore-drill-drill-script').data).toEqual({ 'drill.py': file });
  });

  const bad: [string, Partial<RestoreDrillProps>, RegExp][] = [
    ['bad schedule', { schedule: 'daily' }, /invalid schedule = "daily"/],
    ['bad prefix', { prefixes: ['/abs'] }, /invalid prefixes\[0\] = "\/abs"/],
    ['no prefixes', { prefixes: [] }, /invalid prefixes = \[\]/],
    ['bad memory', { memoryGiB: 0 }, /invalid memoryGiB = 0/],
    ['latest image', { image: 'a/b:latest' }, /invalid image = "a\/b:latest"/],
  ];
  for (const [name, props, message] of bad) {
    test(`bad input: ${name}`, () => {
      const { stack, cluster, store } = setup();
      expect(() => new RestoreDrill(stack, 'Drill', { cluster, store, image: 'a/b:1', ...props })).toThrow(InvalidPropError);
      expect(() => new RestoreDrill(stack, 'Drill2', { cluster, store, image: 'a/b:1', ...props })).toThrow(message);
      expect(store.grants.length).toBe(0);
    });
  }

  // The drill script against the real compute core (the venv `npm test` makes): passes on a good
  // checkpoint, fails on a corrupted file and on a store without checkpoints. The programs run in forks of one
  // interpreter that imports torch once (test/python-fork.ts), each as `python <script>` would run it.
  (haveComputeVenv() ? test : test.skip)('the drill script verifies sha256s and loads weights with aiinfra.checkpoint', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-'));
    try {
      // A small model: verifying and loading do not depend on its size. Prints the number of weights saved.
      const make = [
        'import sys, torch',
        'from aiinfra.checkpoint import CheckpointStore, save_checkpoint',
        'from aiinfra.model import GPT, GPTConfig',
        'cfg = GPTConfig(vocab_size=512, n_layer=2, n_head=4, n_kv_head=2, d_model=128, ffn_hidden=384, max_seq_len=64)',
        'm = GPT(cfg)',
        'save_checkpoint(CheckpointStore(sys.argv[1]), 10, m, torch.optim.AdamW(m.parameters()), {"step": 10}, {"run_name": "x"}, cfg, None, keep_last=3)',
        'print(sum(t.numel() for t in m.state_dict().values()))',
      ].join('\n');
      const stepDir = path.join(dir, 'checkpoints', 'run-a', 'step-00000010');
      // Appends a byte to one file of the checkpoint (not the manifest).
      const corrupt = [
        'import os, sys',
        "victim = next(f for f in sorted(os.listdir(sys.argv[1])) if f != 'manifest.json')",
        "open(os.path.join(sys.argv[1], victim), 'ab').write(b'x')",
        'print(victim)',
      ].join('\n');
      const script = path.join(dir, 'drill.py');
      fs.writeFileSync(script, RESTORE_DRILL_SCRIPT);
      const drill = (roots: string) => ({ argv: [script], env: { DRILL_ROOTS: roots } });
      const { preloadStderr, results } = runPythonJobs(['torch', 'aiinfra.checkpoint', 'aiinfra.model'], [
        { argv: ['-c', make, path.join(dir, 'checkpoints', 'run-a')] },
        drill(path.join(dir, 'checkpoints')),
        { argv: ['-c', corrupt, stepDir] },
        drill(path.join(dir, 'checkpoints')),
        drill(path.join(dir, 'empty')),
      ]);
      expect(preloadStderr).toBe('');
      const [made, ok, corrupted, bad, empty] = results;
      expect({ status: made.status, stderr: made.stderr }).toEqual({ status: 0, stderr: '' });
      expect({ status: corrupted.status, stderr: corrupted.stderr }).toEqual({ status: 0, stderr: '' });
      expect(corrupted.stdout.trim()).not.toBe('manifest.json');
      expect(ok.status).toBe(0);
      const line = JSON.parse(ok.stdout.split('\n')[0]);
      expect(line).toMatchObject({ event: 'drill_run', step: 10, ok: true });
      expect(line.parameters).toBe(Number(made.stdout.trim()));
      expect(line.parameters).toBeGreaterThan(100_000);
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain('sha256 verification failed');
      expect(empty.status).toBe(1);
      expect(empty.stdout).toContain('drill_no_checkpoints');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
