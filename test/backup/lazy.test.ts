// A one-cloud stack loads only its own per-cloud part and provider bindings (they are required lazily).
const PARTS = { aws: '../../src/clouds/aws/backup', gcp: '../../src/clouds/gcp/backup', azure: '../../src/clouds/azure/backup' } as const;
const PROBES = {
  aws: '@cdktf/provider-aws/lib/s3-bucket',
  gcp: '@cdktf/provider-google/lib/storage-bucket',
  azure: '@cdktf/provider-azurerm/lib/storage-account',
} as const;

test.each(['aws', 'gcp', 'azure'] as const)('a %s bucket never loads the other clouds', (kind) => {
  jest.isolateModules(() => {
    jest.dontMock(PARTS[kind]);
    jest.dontMock(PROBES[kind]);
    for (const other of (['aws', 'gcp', 'azure'] as const).filter((k) => k !== kind)) {
      jest.doMock(PARTS[other], () => {
        throw new Error(`${other} part loaded`);
      });
      jest.doMock(PROBES[other], () => {
        throw new Error(`${other} provider loaded`);
      });
    }
    const { Testing, TerraformStack } = require('cdktf') as typeof import('cdktf');
    const { Cloud } = require('../../src/core/cloud') as typeof import('../../src/core/cloud');
    const { ModelBackupBucket } = require('../../src/backup/model-backup-bucket') as typeof import('../../src/backup/model-backup-bucket');
    const cloud = {
      aws: () => Cloud.aws({ region: 'us-east-1' }),
      gcp: () => Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }),
      azure: () => Cloud.azure({ location: 'eastus2' }),
    }[kind]();
    const stack = new TerraformStack(Testing.app(), 's');
    new ModelBackupBucket(stack, 'models', { cloud, replication: { region: kind === 'aws' ? 'us-west-2' : kind === 'gcp' ? 'us-east1' : 'westus3' } });
    expect(JSON.parse(Testing.synth(stack)).resource).toBeDefined();
  });
  jest.resetModules();
});
