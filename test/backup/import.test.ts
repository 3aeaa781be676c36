import { Cloud } from '../../src/core/cloud';
import { WorkloadIdentity } from '../../src/core/workload-identity';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { all, aws, expectInvalid, gcp, Json, newStack, synth } from './helpers';

const SUB = '00000000-0000-0000-0000-000000000000';

describe('ModelBackupBucket.fromBucketAttributes', () => {
  test('AWS: an imported bucket grants on its ARN and key, and makes no bucket', () => {
    const stack = newStack();
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-1111-2222-3333-444455556666';
    const store = ModelBackupBucket.fromBucketAttributes(stack, 'models', { cloud: aws(), bucketName: 'acme-models', kmsKeyArn: keyArn });
    expect(store.uri).toBe('s3://acme-models');
    expect(store.checkpointsUri).toBe('s3://acme-models/checkpoints');
    expect(store.clientEnvironment).toEqual({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' });
    const identity = new WorkloadIdentity(stack, 'trainer', { cloud: aws() });
    store.grantWrite(identity, 'ckpt/');
    const json = synth(stack);
    expect(all(json, 'aws_s3_bucket')).toHaveLength(0);
    const policy = JSON.parse(all(json, 'aws_iam_role_policy')[0].policy);
    expect(policy.Statement[0]).toMatchObject({ Resource: 'arn:aws:s3:::acme-models', Condition: { StringLike: { 's3:prefix': ['ckpt/*'] } } });
    expect(policy.Statement[1].Resource).toBe('arn:aws:s3:::acme-models/ckpt/*');
    expect(policy.Statement[3]).toMatchObject({ Resource: keyArn, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] });
  });

  test('AWS: without a key no KMS statement; GovCloud uses its partition', () => {
    const stack = newStack();
    const store = ModelBackupBucket.fromBucketAttributes(stack, 'models', { cloud: Cloud.aws({ region: 'us-gov-west-1' }), bucketName: 'gov-models' });
    store.grantRead(new WorkloadIdentity(stack, 'reader', { cloud: Cloud.aws({ region: 'us-gov-west-1' }) }));
    const policy = JSON.parse(all(synth(stack), 'aws_iam_role_policy')[0].policy);
    expect(policy.Statement.map((s: Json) => s.Sid)).toEqual(['ListObjects', 'ReadObjects']);
    expect(policy.Statement[0].Resource).toBe('arn:aws-us-gov:s3:::gov-models');
  });

  test('GCP: grants name the bucket', () => {
    const stack = newStack();
    const store = ModelBackupBucket.fromBucketAttributes(stack, 'models', { cloud: gcp(), bucketName: 'acme-models' });
    store.grantRead(new WorkloadIdentity(stack, 'server', { cloud: gcp() }), 'models/');
    const [member] = all(synth(stack), 'google_storage_bucket_iam_member');
    expect(member.bucket).toBe('acme-models');
    expect(member.role).toBe('roles/storage.objectViewer');
    expect(member.condition.expression).toContain('projects/_/buckets/acme-models/objects/models/');
    expect(store.model('models/llm').uri).toBe('gs://acme-models/models/llm');
  });

  test('Azure: the account id is built from the cloud target, or given', () => {
    const stack = newStack();
    const cloud = Cloud.azure({ location: 'eastus2', subscriptionId: SUB, resourceGroupName: 'rg-ml' });
    const store = ModelBackupBucket.fromBucketAttributes(stack, 'models', { cloud, bucketName: 'models', storageAccountName: 'acmemodels' });
    expect(store.uri).toBe('az://acmemodels/models');
    expect(store.clientEnvironment).toEqual({ AZURE_STORAGE_ACCOUNT_NAME: 'acmemodels', AZURE_STORAGE_ANON: 'false' });
    store.grantWrite(new WorkloadIdentity(stack, 'trainer', { cloud }));
    const [ra] = all(synth(stack), 'azurerm_role_assignment');
    expect(ra.scope).toBe(`/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/acmemodels/blobServices/default/containers/models`);
    expect(ra.role_definition_name).toBe('Storage Blob Data Contributor');

    const other = newStack('other');
    const id = `/subscriptions/${SUB}/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/shared01`;
    const given = ModelBackupBucket.fromBucketAttributes(other, 'models', {
      cloud: Cloud.azure({ location: 'eastus2' }), bucketName: 'ckpt', storageAccountName: 'shared01', storageAccountId: id,
    });
    given.grantRead(new WorkloadIdentity(other, 'server', { cloud: Cloud.azure({ location: 'eastus2' }) }), 'llm/');
    expect(all(synth(other), 'azurerm_role_assignment')[0].scope).toBe(`${id}/blobServices/default/containers/ckpt`);
  });

  test('bad attributes are rejected', () => {
    const stack = newStack();
    expectInvalid(() => ModelBackupBucket.fromBucketAttributes(stack, 'a', { cloud: aws(), bucketName: 'Bad_Name' }),
      /^platform\/a: invalid bucketName = "Bad_Name"\. Allowed: an S3 bucket name/);
    expectInvalid(() => ModelBackupBucket.fromBucketAttributes(stack, 'b', { cloud: aws(), bucketName: 'ok-name', kmsKeyArn: 'alias/x' }),
      /invalid kmsKeyArn = "alias\/x"\. Allowed: a KMS key ARN/);
    expectInvalid(() => ModelBackupBucket.fromBucketAttributes(stack, 'c', { cloud: Cloud.azure({ location: 'eastus2' }), bucketName: 'models' }),
      /invalid storageAccountName = undefined\. Allowed: the storage account that holds the container/);
    expectInvalid(() => ModelBackupBucket.fromBucketAttributes(stack, 'd', {
      cloud: Cloud.azure({ location: 'eastus2' }), bucketName: 'models', storageAccountName: 'acmemodels',
    }), /invalid storageAccountId = undefined\. Allowed: the storage account resource id, or a cloud target with subscriptionId/);
    expectInvalid(() => ModelBackupBucket.fromBucketAttributes(stack, 'e', { cloud: gcp(), bucketName: '' }), /invalid bucketName = ""/);
  });

  test('an identity of another cloud cannot be granted on an imported store', () => {
    const stack = newStack();
    const store = ModelBackupBucket.fromBucketAttributes(stack, 'models', { cloud: gcp(), bucketName: 'acme-models' });
    expectInvalid(() => store.grantRead(new WorkloadIdentity(stack, 'x', { cloud: aws() })), /invalid identity = .*aws-iam-role/);
  });
});
