// Issue 22 item 5: a rollout at replicas.max (maxSurge pods more, plus a running canary) must fit the serving pool
// beside the other workloads on it, checked at synth with the fixes named; `rollout` sets the Deployment strategy.
import { TerraformStack, Testing } from 'cdktf';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { InvalidPropError } from '../../src/core/errors';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { rolloutHeadroom } from '../../src/inference/rollout';
import { InferenceEndpointProps } from '../../src/inference/types';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { CLOUDS, CloudName, Json, pools, SERVER_IMAGE } from './helpers';
import { manifestsOf } from '../k8s/validate';

/** A stack with the test pools (l4: 8 nodes x 1 GPU) and one endpoint per entry of `endpoints`. */
function platform(cloud: CloudName, endpoints: Record<string, (m: ModelBackupBucket) => Json>): { stack: TerraformStack; eps: InferenceEndpoint[] } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'platform');
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud: CLOUDS[cloud](), pools: pools(cloud) });
  const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS[cloud]() });
  const eps = Object.entries(endpoints).map(([id, props]) => new InferenceEndpoint(stack, id, {
    cluster, model: models.model('research/gpt-1b', { parameterCount: 1_210_000_000 }), image: SERVER_IMAGE, ...props(models),
  } as InferenceEndpointProps));
  return { stack, eps };
}

function validationError(stack: TerraformStack): string {
  try {
    Testing.synth(stack, true);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

function warnings(stack: TerraformStack): string {
  Testing.synth(stack, true);
  return stack.node.findAll().flatMap((c) => c.node.metadata.filter((e) => e.type === '@cdktf/warn').map((e) => String(e.data))).join('\n');
}

describe.each(['aws', 'gcp', 'azure'] as const)('rollout headroom on %s', (cloud) => {
  const small = cloud === 'azure' ? 'a10g' : 'l4';

  test('replicas.max filling the pool leaves no room for the surge pod: an error with the fixes', () => {
    const { stack } = platform(cloud, { chat: () => ({ replicas: { min: 2, max: 8 } }) });
    const msg = validationError(stack);
    expect(msg).toMatch(/platform\/chat: invalid rollout = \{"maxSurge":1,"maxUnavailable":0,"canaryReplicas":0\}/);
    expect(msg).toContain(`replicas.max 8 + maxSurge 1 replicas x 1 GPU = 9 GPUs, but pool ${small} holds 8 x 1 = 8 ${small} GPUs`);
    expect(msg).toContain(`Fixes: raise pool ${small}'s maxNodes to 9; or roll in place with rollout { maxSurge: 0, maxUnavailable: 1 }; or lower replicas.max to 7`);
  });

  test('rolling in place fits, and the Deployment rolls that way', () => {
    const { stack, eps } = platform(cloud, { chat: () => ({ replicas: { min: 2, max: 8 }, rollout: { maxSurge: 0, maxUnavailable: 1 } }) });
    expect(validationError(stack)).toBe('');
    const objects = manifestsOf(eps[0].workload);
    const dep = objects.find((o) => o.kind === 'Deployment') as Json;
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
  });

  test('another endpoint\'s replicas.min counts: the error names it', () => {
    const { stack } = platform(cloud, {
      chat: () => ({ replicas: { min: 4, max: 4 } }),
      llm: () => ({ replicas: { min: 2, max: 4 } }),
    });
    // llm: 4 + 1 surge beside chat's 4 = 9 > 8; chat: 4 + 1 beside llm's min 2 = 7 fits.
    const msg = validationError(stack);
    expect(msg).toContain('[platform/llm] platform/llm: invalid rollout');
    expect(msg).toContain('the other workloads on it hold at least 4 (platform/chat 4)');
    expect(msg).not.toContain('[platform/chat]');
  });

  test('a canary counts at the autoscaler floor (Flagger starts it there); rolling in place is offered when it fits', () => {
    // An internal Azure canary needs a Gateway class with a private frontend.
    const exposure = { gateway: true, ...(cloud === 'azure' ? { gatewayClassName: 'internal-gw' } : {}) };
    const canary = { canary: {}, monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090' }, exposure };
    const { stack } = platform(cloud, { chat: () => ({ replicas: { min: 2, max: 6 }, ...canary }) });
    const msg = validationError(stack);
    expect(msg).toContain('replicas.max 6 + maxSurge 1 + canary 2 replicas x 1 GPU = 9 GPUs');
    expect(msg).toContain('roll in place with rollout { maxSurge: 0, maxUnavailable: 1 }');
    const fixed = platform(cloud, { chat: () => ({ replicas: { min: 2, max: 6 }, rollout: { maxSurge: 0, maxUnavailable: 1 }, ...canary }) });
    expect(validationError(fixed.stack)).toBe('');
  });

  test('fitting only while the others stay below their peak is a warning', () => {
    const { stack } = platform(cloud, {
      chat: () => ({ replicas: { min: 2, max: 4 } }),
      llm: () => ({ replicas: { min: 1, max: 4 } }),
    });
    expect(warnings(stack)).toMatch(new RegExp(`platform/chat: a rollout at replicas.max 4 \\+ maxSurge 1 replicas x 1 GPU = 5 GPUs fits ${small} \\(8 GPUs\\) only while`));
  });
});

describe('rollout props', () => {
  test.each([
    [{ maxSurge: 0, maxUnavailable: 0 }, 'rollout', /maxSurge or maxUnavailable above 0/],
    [{ maxSurge: -1 }, 'rollout.maxSurge', /an integer >= 0 and <= 4/],
    [{ maxUnavailable: 1.5 }, 'rollout.maxUnavailable', /an integer >= 0/],
  ])('%p is rejected', (rollout, prop, allowed) => {
    let err: unknown;
    try {
      platform('aws', { chat: () => ({ replicas: { min: 2, max: 4 }, rollout }) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPropError);
    expect((err as InvalidPropError).prop).toBe(prop);
    expect((err as Error).message).toMatch(allowed);
  });

  test('a serving cluster made for the endpoint is sized for the surge and the canary', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'platform');
    const models = new ModelBackupBucket(stack, 'models', { cloud: CLOUDS.gcp() });
    const ep = new InferenceEndpoint(stack, 'chat', {
      cloud: CLOUDS.gcp(), model: models.model('research/gpt-1b', { parameterCount: 1_210_000_000 }), image: SERVER_IMAGE,
      replicas: { min: 2, max: 4 }, rollout: { maxSurge: 2 }, canary: {}, autoscaling: { prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090' },
    } as InferenceEndpointProps);
    // 4 + 2 surge + 2 canary, one GPU a node
    expect(ep.pool.maxNodes).toBe(8);
    expect(validationError(stack)).toBe('');
  });
});

describe('rolloutHeadroom', () => {
  const pool = pools('aws')[1]; // h100: 2 nodes x 8
  test('a training job on the pool is no floor (serving preempts it) but its peak warns', () => {
    const r = rolloutHeadroom({
      path: 'p/chat', pool, gpusPerReplica: 4, maxReplicas: 2, canaryReplicas: 0, rollout: { maxSurge: 1, maxUnavailable: 0 },
      others: [{ path: 'p/train/pretrain', kind: 'training-job', floorGpus: 0, peakGpus: 8 }],
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings.join()).toMatch(/\(8 GPUs at peak: p\/train\/pretrain 8\).*preempt training pods/);
  });

  test('no fix but maxNodes when even one replica cannot roll', () => {
    const r = rolloutHeadroom({
      path: 'p/chat', pool, gpusPerReplica: 8, maxReplicas: 2, canaryReplicas: 0, rollout: { maxSurge: 1, maxUnavailable: 0 },
      others: [{ path: 'p/other', kind: 'endpoint', floorGpus: 8, peakGpus: 8 }],
    });
    expect(r.errors.join()).toMatch(/Fixes: raise pool h100's maxNodes to 4$/);
  });
});
