import { App, TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Construct } from 'constructs';
import { Cloud, WorkloadIdentity } from '../../src';
import { physicalName } from '../../src/core/naming';
import { resourceTags, checkUserTags } from '../../src/core/tags';
import { expectInvalid } from '../expect-invalid';


describe('Cloud targets', () => {
  test('valid targets', () => {
    expect(Cloud.aws({ region: 'us-east-1' }).toString()).toBe('aws us-east-1');
    expect(Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }).region).toBe('us-central1');
    expect(Cloud.azure({ location: 'eastus2' }).location).toBe('eastus2');
  });

  test('select runs the implementation of the target cloud', () => {
    const impls = { aws: () => 'a', gcp: () => 'g', azure: () => 'z' };
    expect(Cloud.aws({ region: 'us-west-2' }).select(impls)).toBe('a');
    expect(Cloud.gcp({ project: 'acme-ml', region: 'europe-west4' }).select(impls)).toBe('g');
    expect(Cloud.azure({ location: 'westeurope' }).select(impls)).toBe('z');
  });

  test.each([
    [() => Cloud.aws({ region: 'US East' }), /Cloud\.aws: invalid region = "US East"\. Allowed: a region name/],
    [() => Cloud.aws({ region: 'us-east-9' }), /Cloud\.aws: invalid region = "us-east-9"\. Allowed: one of the known regions/],
    [() => Cloud.aws({ region: 'us-east-1', accountId: '123' }), /accountId = "123".*12-digit/],
    [() => Cloud.gcp({ project: 'Acme', region: 'us-central1' }), /Cloud\.gcp: invalid project = "Acme"/],
    [() => Cloud.gcp({ project: 'acme-ml', region: 'us-central' }), /invalid region = "us-central"/],
    [() => Cloud.azure({ location: 'East US' }), /Cloud\.azure: invalid location = "East US"/],
    [() => Cloud.azure({ location: 'eastus', resourceGroupName: 'bad.' }), /invalid resourceGroupName = "bad\."/],
  ])('bad target %#', (fn, match) => {
    expectInvalid(fn, match);
  });

  test('a newer region is accepted when allowed explicitly', () => {
    expect(Cloud.aws({ region: 'us-east-9', allowUnknownRegion: true }).region).toBe('us-east-9');
  });
});

describe('naming', () => {
  function scopeAt(...ids: string[]): Construct {
    const app = Testing.app();
    let scope: Construct = new TerraformStack(app, ids[0]);
    for (const id of ids.slice(1)) scope = new Construct(scope, id);
    return scope;
  }

  test('derived names are stable, readable and within limits', () => {
    const cloud = Cloud.aws({ region: 'us-east-1' });
    const a = physicalName(scopeAt('platform-aws', 'Models'), cloud, { maxLength: 63 });
    const b = physicalName(scopeAt('platform-aws', 'Models'), cloud, { maxLength: 63 });
    expect(a).toBe(b);
    expect(a).toMatch(/^platform-aws-models-[0-9a-f]{8}$/);
    expect(physicalName(scopeAt('platform-aws', 'Other'), cloud, { maxLength: 63 })).not.toBe(a);
  });

  test('long paths are cut to the limit and stay unique', () => {
    const cloud = Cloud.azure({ location: 'eastus' });
    const long = scopeAt('a-very-long-stack-name-for-platform', 'AndAVeryLongConstructIdToo', 'Bucket');
    const name = physicalName(long, cloud, { maxLength: 24, separator: '' });
    expect(name).toMatch(/^[a-z0-9]{3,24}$/);
    expect(name.length).toBe(24);
    const other = physicalName(scopeAt('a-very-long-stack-name-for-platform', 'AndAVeryLongConstructIdToo', 'Bucket2'), cloud,
      { maxLength: 24, separator: '' });
    expect(other).not.toBe(name);
  });

  test('the uniqueness key (account, project) changes global names', () => {
    const scope = scopeAt('s', 'm');
    const plain = physicalName(scope, Cloud.aws({ region: 'us-east-1' }), { maxLength: 63 });
    const withAccount = physicalName(scope, Cloud.aws({ region: 'us-east-1', accountId: '123456789012' }), { maxLength: 63 });
    expect(plain).not.toBe(withAccount);
  });
});

describe('tags', () => {
  test('GCP labels are sanitized and bounded', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'Platform-GCP');
    const scope = new Construct(stack, 'Checkpoints'.repeat(8));
    const labels = resourceTags(scope, Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), { team: 'research' });
    expect(labels.team).toBe('research');
    expect(labels['managed-by']).toBe('cdktf-ai-infra');
    expect(labels['cdktf-ai-infra-path']).toMatch(/^[a-z0-9_-]{1,63}$/);
  });

  test('a GCP label with uppercase is rejected with what is allowed', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 's');
    expectInvalid(() => checkUserTags(stack, Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), { Team: 'x' }),
      /^s: invalid tags key = "Team"\. Allowed: gcp label keys: start with a lowercase letter/);
    expectInvalid(() => checkUserTags(stack, Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), { team: 'Research' }),
      /invalid tags\.team = "Research"/);
  });
});

describe('providers', () => {
  test('a stack gets exactly one default provider, and reuses the user\'s', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'p');
    const cloud = Cloud.aws({ region: 'eu-west-1' });
    new AwsProvider(stack, 'mine', { region: 'eu-west-1' });
    new WorkloadIdentity(stack, 'a', { cloud });
    new WorkloadIdentity(stack, 'b', { cloud });
    const synth = JSON.parse(Testing.synth(stack));
    expect(synth.provider.aws).toHaveLength(1);
    const roles = Object.values(synth.resource.aws_iam_role) as { provider: string }[];
    expect(roles.map((r) => r.provider)).toEqual(['aws', 'aws']);
  });

  test('another region gets one aliased provider beside the default', () => {
    const app = new App();
    const stack = new TerraformStack(app, 'p');
    new WorkloadIdentity(stack, 'a', { cloud: Cloud.aws({ region: 'us-east-1' }) });
    new WorkloadIdentity(stack, 'b', { cloud: Cloud.aws({ region: 'us-west-2' }) });
    new WorkloadIdentity(stack, 'c', { cloud: Cloud.aws({ region: 'us-west-2' }) });
    const synth = JSON.parse(Testing.synth(stack));
    expect(synth.provider.aws).toEqual([{ region: 'us-east-1' }, { alias: 'us-west-2', region: 'us-west-2' }]);
  });
});
