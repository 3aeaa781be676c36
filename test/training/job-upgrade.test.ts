// Issue 15 item 9: a training Job is renamed whenever its pod template changes, including the trainer image's
// content (its reference is a Terraform expression that reads the same whatever the build), and a Helm upgrade
// never suspends again a Job that Kueue admitted.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { IContainerImage } from '../../src/core/image';
import { TrainingJob, TrainingJobProps } from '../../src/training/training-job';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { findObjects, podSpecOf } from '../k8s/validate';
import { FakeStore } from './fakes';

const realRoot = path.resolve(__dirname, '../..');
let mockPackageRoot = realRoot;
jest.mock('../../src/core/package-root', () => ({ packageRoot: () => mockPackageRoot }));

function renderJob(overrides: Partial<TrainingJobProps> = {}): { name: string; image: string; spec: Record<string, unknown> } {
  const stack = new TerraformStack(Testing.app(), 'train');
  const cluster = new FakeGpuCluster(stack, 'Cluster', {});
  const store = new FakeStore(stack, 'Models');
  const job = new TrainingJob(stack, 'pretrain', {
    cluster, nodes: 2, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, ...overrides,
  });
  const k8sJob = findObjects(job.workload.render().objects, 'Job')[0];
  return { name: k8sJob.metadata.name, image: podSpecOf(k8sJob).containers[0].image, spec: k8sJob.spec };
}

describe('training Job upgrades', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'job-upgrade-'));
    fs.cpSync(path.join(realRoot, 'compute'), path.join(tmp, 'compute'), { recursive: true });
    fs.cpSync(path.join(realRoot, 'images'), path.join(tmp, 'images'), { recursive: true });
    mockPackageRoot = tmp;
  });
  afterEach(() => {
    mockPackageRoot = realRoot;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a change under compute/ (the bundled image) renames the Job; the same tree keeps its name', () => {
    const first = renderJob();
    expect(renderJob().name).toBe(first.name);
    // the next synth (its own process: a new checkout path stands in for the per-process hash cache)
    const next = path.join(tmp, 'next');
    fs.cpSync(path.join(tmp, 'compute'), path.join(next, 'compute'), { recursive: true });
    fs.cpSync(path.join(tmp, 'images'), path.join(next, 'images'), { recursive: true });
    mockPackageRoot = next;
    expect(renderJob().name).toBe(first.name);
    fs.appendFileSync(path.join(next, 'compute', 'src', 'aiinfra', '__init__.py'), '\n# trainer rebuilt\n');
    mockPackageRoot = path.join(tmp, 'next2');
    fs.cpSync(next, mockPackageRoot, { recursive: true });
    const second = renderJob();
    // the image field is the same Terraform expression (the tag is read from the push resource) ...
    expect(second.image).toBe(first.image);
    // ... and still the Job is a new object, not a patch of an immutable pod template
    expect(second.name).toMatch(/^pretrain-[0-9a-f]{6}$/);
    expect(second.name).not.toBe(first.name);
  });

  test('an IContainerImage whose reference is an expression: its contentHash names the Job', () => {
    const image = (contentHash: string): IContainerImage => ({ imageUri: 'registry.example.com/trainer:built', contentHash });
    expect(renderJob({ image: image('a') }).name).toBe(renderJob({ image: image('a') }).name);
    expect(renderJob({ image: image('a') }).name).not.toBe(renderJob({ image: image('b') }).name);
  });

  test('a queued Job carries the queue label and no suspend: Kueue\'s webhook suspends it at creation only', () => {
    const queued = renderJob({ image: 'ghcr.io/acme/trainer:1.0.0', queue: 'team-a' });
    expect(queued.spec.suspend).toBeUndefined();
  });
});
