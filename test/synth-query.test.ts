// The shared query helper must find what is there and fail on what is not (every construct test relies on it).
import { TerraformStack, Testing } from 'cdktf';
import { ModelBackupBucket } from '../src/backup/model-backup-bucket';
import { RestoreDrill } from '../src/backup/restore-drill';
import { Cloud } from '../src/core/cloud';
import { FakeGpuCluster } from './k8s/fake-cluster';
import { SynthQuery } from './synth-query';

function platform(): SynthQuery {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cloud = Cloud.aws({ region: 'us-east-1' });
  const cluster = new FakeGpuCluster(stack, 'Cluster', { cloud });
  const models = new ModelBackupBucket(stack, 'models', { cloud });
  new RestoreDrill(stack, 'drill', { cluster, store: models, image: 'ghcr.io/acme/trainer:1.0.0' });
  return SynthQuery.fromStack(stack);
}

describe('SynthQuery', () => {
  const q = platform();

  test('resources by type and id part, exactly-one lookups and counts', () => {
    expect(q.resources('aws_s3_bucket').length).toBeGreaterThan(0);
    expect(q.resources('aws_s3_bucket', 'no-such-id')).toEqual([]);
    expect(q.resource('aws_s3_bucket', /^models_[0-9A-F]{8}$/).bucket).toBeDefined();
    expect(() => q.resource('aws_s3_bucket', 'no-such-id')).toThrow(/0 found/);
    q.resourceCountIs('helm_release', q.resources('helm_release').length);
    expect(() => q.resourceCountIs('helm_release', 99)).toThrow(/expected 99 helm_release/);
  });

  test('hasResourceProperties matches deep partially and fails on a wrong or missing value', () => {
    q.hasResourceProperties('aws_s3_bucket_versioning', { versioning_configuration: { status: 'Enabled' } });
    expect(() => q.hasResourceProperties('aws_s3_bucket_versioning', { versioning_configuration: { status: 'Suspended' } })).toThrow(/no aws_s3_bucket_versioning has/);
    expect(() => q.hasResourceProperties('aws_no_such_type', {})).toThrow(/no aws_no_such_type in the stack/);
  });

  test('k8sObjects reads what the charts deliver, by kind and name', () => {
    expect(q.k8sObjects('CronJob').map((o) => o.metadata.name)).toEqual(['restore-drill-drill']);
    expect(q.k8sObject('ConfigMap', 'restore-drill-drill-script').data['drill.py']).toContain('def ');
    expect(q.k8sObjects('Deployment')).toEqual([]);
    expect(() => q.k8sObject('Deployment')).toThrow(/expected one Deployment, found 0/);
    expect(() => SynthQuery.fromJson(q.json).k8sObjects()).toThrow(/needs the synthesized scope/);
  });

  test('blocksById lists construct ids below a path without the hash suffix', () => {
    const ids = q.blocksById('models_');
    expect(ids.aws_s3_bucket_versioning).toBeDefined();
    expect(Object.values(ids).flat().every((id) => !/_[A-F0-9]{8}$/.test(id))).toBe(true);
  });
});
