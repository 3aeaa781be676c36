// One cron validator (src/core/cron.ts) for every schedule the library writes; each schedule prop uses it.
import { TerraformStack, Testing } from 'cdktf';
import { RestoreDrill } from '../../src/backup/restore-drill';
import { cronProblem } from '../../src/core/cron';
import { InvalidPropError } from '../../src/core/errors';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { Cloud } from '../../src/core/cloud';
import { InferenceEndpoint } from '../../src/inference/inference-endpoint';
import { TrainingJob } from '../../src/training/training-job';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { FakeStore } from '../training/fakes';

describe('cronProblem', () => {
  test.each([
    '0 3 * * 0', '*/15 * * * *', '0 8-18/2 * * 1-5', '0,30 9 1,15 * *', '0 0 1 JAN,jul *', '0 9 * * MON-FRI', '0 0 ? * *',
    '5/10 * * * *', '59 23 31 12 6', '  0 3 * * 0  ',
  ])('accepts %p', (expr) => {
    expect(cronProblem(expr, false)).toBeUndefined();
  });

  test.each([
    ['0 25 * * *', /hour field "25": 25 is outside 0-23/],
    ['60 * * * *', /minute field "60"/],
    ['0 0 0 * *', /day of month field "0"/],
    ['0 0 * 13 *', /month field "13"/],
    ['0 0 * * 7', /day of week field "7": 7 is outside 0-6/],
    ['0 0 * * FUN', /not a number 0-6 or a name \(SUN-SAT\)/],
    ['*/0 * * * *', /step "\/0"/],
    ['0 5-2 * * *', /runs backwards/],
    ['0 3 * *', /4 fields/],
    ['0 3 * * * *', /6 fields/],
    ['0 3 * * 1--2', /not a range/],
    ['0 3,, * * *', /is not a value/],
    ['TZ=UTC 0 3 * * *', /time zone prefix/],
    ['', /not a string/],
  ])('rejects %p', (expr, why) => {
    expect(cronProblem(expr, true)).toMatch(why);
  });

  test('macros only where the consumer parses them', () => {
    expect(cronProblem('@daily', true)).toBeUndefined();
    expect(cronProblem('@Weekly', true)).toBeUndefined();
    expect(cronProblem('@every 1h', true)).toMatch(/unknown macro/);
    expect(cronProblem('@daily', false)).toMatch(/macros are not accepted/);
  });
});

describe('every schedule prop uses it', () => {
  function invalid(fn: () => unknown, prop: string): InvalidPropError {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPropError);
    expect((err as InvalidPropError).prop).toBe(prop);
    expect((err as Error).message).toMatch(/0 25 \* \* \*.*hour field "25"/);
    return err as InvalidPropError;
  }
  const setup = () => {
    const stack = new TerraformStack(Testing.app(), 'plat');
    return { stack, cluster: new FakeGpuCluster(stack, 'Cluster'), store: new FakeStore(stack, 'Models') };
  };

  test('TrainingJob.schedule', () => {
    const { stack, cluster, store } = setup();
    invalid(() => new TrainingJob(stack, 'job', {
      cluster, nodes: 1, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-tiny' }, image: 'ghcr.io/acme/trainer:1.0.0', schedule: '0 25 * * *',
    }), 'schedule');
  });

  test('RestoreDrill.schedule', () => {
    const { stack, cluster, store } = setup();
    invalid(() => new RestoreDrill(stack, 'drill', { cluster, store, image: 'ghcr.io/acme/trainer:1.0.0', schedule: '0 25 * * *' }), 'schedule');
  });

  test('InferenceEndpoint.schedule[].start and .end (no macros: KEDA does not parse them)', () => {
    const { stack, cluster } = setup();
    const models = new ModelBackupBucket(stack, 'models', { cloud: Cloud.aws({ region: 'us-east-1' }) });
    const endpoint = (start: string, end: string) => () => new InferenceEndpoint(stack, `chat${stack.node.children.length}`, {
      cluster, model: models.model('llm/v1'), image: 'ghcr.io/acme/server:1.0.0', autoscaling: { metric: 'cpu' }, schedule: [{ start, end }],
    });
    invalid(endpoint('0 25 * * *', '0 20 * * *'), 'schedule[0].start');
    invalid(endpoint('0 8 * * *', '0 25 * * *'), 'schedule[0].end');
    let err: unknown;
    try {
      endpoint('@daily', '0 20 * * *')();
    } catch (e) {
      err = e;
    }
    expect((err as InvalidPropError).prop).toBe('schedule[0].start');
  });
});
