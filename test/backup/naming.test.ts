import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { Cloud } from '../../src/core/cloud';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { aws, azure, gcp } from './helpers';

function deep(app: App, stackId: string, ...ids: string[]): Construct {
  let scope: Construct = new TerraformStack(app, stackId);
  for (const id of ids) scope = new Construct(scope, id);
  return scope;
}

const LONG_STACK = 'a-very-long-platform-stack-name-for-the-research-organisation';
const LONG_IDS = ['TeamWithAVeryLongConstructIdentifier', 'AnotherLevelOfNestingHere'];

describe('derived names stay within each cloud limit', () => {
  test('S3 bucket, log bucket and replica: 3-63 valid characters', () => {
    const b = new ModelBackupBucket(deep(Testing.app(), LONG_STACK, ...LONG_IDS), 'CheckpointsAndModels', { cloud: aws(), replication: { region: 'us-west-2' } });
    const names = [b.bucketName, b.aws!.logBucket!.bucketInput!, b.aws!.replicaBucket!.bucketInput!];
    for (const n of names) expect(n).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    expect(new Set(names).size).toBe(3);
    expect(b.aws!.replicationRole!.nameInput!.length).toBeLessThanOrEqual(64);
  });

  test('GCS bucket and key ring: 3-63 valid characters', () => {
    const b = new ModelBackupBucket(deep(Testing.app(), LONG_STACK, ...LONG_IDS), 'CheckpointsAndModels', { cloud: gcp() });
    expect(b.bucketName).toMatch(/^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/);
    expect(b.gcp!.logBucket!.nameInput).toMatch(/^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/);
    expect(b.gcp!.keyRing!.nameInput!.length).toBeLessThanOrEqual(63);
  });

  test('Azure storage accounts: 3-24 lowercase letters and digits; key vaults: 3-24, starting with a letter', () => {
    const b = new ModelBackupBucket(deep(Testing.app(), LONG_STACK, ...LONG_IDS), 'CheckpointsAndModels', {
      cloud: azure(), replication: { region: 'westus3' },
    });
    const account = b.azure!.storageAccount.nameInput!;
    const replica = b.azure!.replica!.storageAccount.nameInput!;
    for (const n of [account, replica]) expect(n).toMatch(/^[a-z0-9]{3,24}$/);
    expect(account).not.toBe(replica);
    for (const v of [b.azure!.keyVault!.nameInput!, b.azure!.replica!.keyVault!.nameInput!]) expect(v).toMatch(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/);
    expect(b.uri).toBe(`az://${account}/models`);
  });

  test('names are stable for a path and differ between paths and accounts', () => {
    const name = (stack: string, id: string, cloud = aws()) => new ModelBackupBucket(new TerraformStack(Testing.app(), stack), id, { cloud }).bucketName;
    expect(name('platform', 'models')).toBe(name('platform', 'models'));
    expect(name('platform', 'models')).not.toBe(name('platform', 'models2'));
    expect(name('platform', 'models')).not.toBe(name('platform', 'models', Cloud.aws({ region: 'us-east-1', accountId: '123456789012' })));
    expect(name('platform', 'models')).toBe('platform-models-' + name('platform', 'models').slice(-8));
  });

  test('user names at the limit are accepted', () => {
    const stack = new TerraformStack(Testing.app(), 's');
    expect(new ModelBackupBucket(stack, 'a', { cloud: aws(), bucketName: 'a'.repeat(63) }).bucketName).toHaveLength(63);
    expect(new ModelBackupBucket(stack, 'b', { cloud: aws(), bucketName: 'b'.repeat(55), replication: { region: 'us-west-2' } }).aws!.replicaBucket!.bucketInput)
      .toBe(`${'b'.repeat(55)}-replica`);
    expect(new ModelBackupBucket(stack, 'c', { cloud: azure(), azure: { storageAccountName: 'abc' } }).uri).toBe('az://abc/models');
  });
});

describe('determinism', () => {
  test('two synths of the same stack are identical', () => {
    const make = () => {
      const stack = new TerraformStack(Testing.app(), 'platform');
      new ModelBackupBucket(stack, 'models', { cloud: aws(), replication: { region: 'us-west-2' }, objectLock: { mode: 'governance', days: 7 } });
      return Testing.synth(stack);
    };
    expect(make()).toBe(make());
  });
});
