import { TerraformStack, TerraformVariable } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { ModelBackupBucket, ModelBackupBucketProps } from '../../src/backup/model-backup-bucket';
import { aws, azure, expectInvalid, gcp, newStack } from './helpers';

/** Builds a bucket with bad props; checks the error and that nothing was added to the stack. */
function rejects(props: ModelBackupBucketProps, prop: string, value: string, allowed: RegExp) {
  const stack: TerraformStack = newStack();
  const err = expectInvalid(() => new ModelBackupBucket(stack, 'models', props),
    new RegExp(`^platform/models: invalid ${prop.replace(/[.()]/g, '\\$&')} = ${value.replace(/[.*+?()[\]{}|\\^$]/g, '\\$&')}\\. Allowed: `), allowed);
  expect(err.constructPath).toBe('platform/models');
  expect(err.prop).toBe(prop);
  const models = stack.node.tryFindChild('models');
  expect(models?.node.children ?? []).toHaveLength(0);
  expect(stack.node.children.map((c) => c.node.id)).toEqual(['models']);
}

describe('ModelBackupBucket rejects bad props before creating anything', () => {
  test.each<[string, ModelBackupBucketProps, string, string, RegExp]>([
    ['zero noncurrent expiry', { cloud: aws(), noncurrentVersionExpirationDays: 0 }, 'noncurrentVersionExpirationDays', '0', /an integer >= 1/],
    ['negative noncurrent expiry', { cloud: gcp(), noncurrentVersionExpirationDays: -5 }, 'noncurrentVersionExpirationDays', '-5', /an integer >= 1/],
    ['fractional noncurrent expiry', { cloud: azure(), noncurrentVersionExpirationDays: 1.5 }, 'noncurrentVersionExpirationDays', '1.5', /an integer/],
    ['zero cold storage days', { cloud: aws(), coldStorageAfterDays: 0 }, 'coldStorageAfterDays', '0', /an integer >= 1/],
    ['negative cold storage days', { cloud: gcp(), coldStorageAfterDays: -1 }, 'coldStorageAfterDays', '-1', /an integer >= 1/],
    ['STANDARD_IA before 30 days', { cloud: aws(), coldStorageAfterDays: 10 }, 'coldStorageAfterDays', '10', /at least 30 with coldStorageClass 'infrequent'/],
    ['soft delete too short', { cloud: gcp(), softDeleteDays: 3 }, 'softDeleteDays', '3', /an integer >= 7 and <= 90/],
    ['key rotation too short', { cloud: aws(), keyRotationDays: 30 }, 'keyRotationDays', '30', /an integer >= 90 and <= 2560/],
    ['object lock days 0', { cloud: aws(), objectLock: { mode: 'governance', days: 0 } }, 'objectLock.days', '0', /an integer >= 1/],
    ['object lock negative days', { cloud: azure(), objectLock: { mode: 'compliance', days: -30 } }, 'objectLock.days', '-30', /an integer >= 1/],
    ['object lock bad mode', { cloud: aws(), objectLock: { mode: 'strict' as 'governance', days: 3 } }, 'objectLock.mode', '"strict"', /one of "governance", "compliance"/],
    ['object lock without versioning (AWS)', { cloud: aws(), versioned: false, objectLock: { mode: 'governance', days: 3 } },
      'objectLock', '{"mode":"governance","days":3}', /S3 Object Lock only on a versioned bucket/],
    ['object lock without versioning (Azure)', { cloud: azure(), versioned: false, objectLock: { mode: 'governance', days: 3 } },
      'objectLock', '{"mode":"governance","days":3}', /immutability policy only with versioning/],
    ['retention policy with versioning (GCP)', { cloud: gcp(), versioned: true, objectLock: { mode: 'governance', days: 3 } },
      'versioned', 'true', /retention policy and Object Versioning exclude each other/],
    ['replication to the same region (AWS)', { cloud: aws(), replication: { region: 'us-east-1' } }, 'replication.region', '"us-east-1"',
      /a region other than the bucket's own \(us-east-1\)/],
    ['replication to the same region (Azure)', { cloud: azure(), replication: { region: 'eastus2' } }, 'replication.region', '"eastus2"',
      /a region other than the bucket's own/],
    ['replication to an unknown region', { cloud: aws(), replication: { region: 'us-east-9' } }, 'replication.region', '"us-east-9"',
      /one of the known regions/],
    ['replication without versioning (AWS)', { cloud: aws(), versioned: false, replication: { region: 'us-west-2' } },
      'replication', '{"region":"us-west-2"}', /S3 replication only on a versioned bucket/],
    ['GCP dual-region across continents', { cloud: gcp(), replication: { region: 'europe-west1' } }, 'replication.region', '"europe-west1"',
      /a region that forms a configurable dual-region with us-central1/],
    ['GCP multi-region that does not hold the region', { cloud: gcp(), replication: { region: 'EU' } }, 'replication.region', '"EU"',
      /the multi-region that holds us-central1 \(US\)/],
    ['GCP cold tier not colder than the base class', { cloud: gcp(), coldStorageAfterDays: 30, gcp: { storageClass: 'NEARLINE' } },
      'coldStorageClass', '"infrequent"', /a tier colder than gcp.storageClass NEARLINE/],
    ['turbo on Azure', { cloud: azure(), replication: { region: 'centralus', rpo: 'turbo' } }, 'replication.rpo', '"turbo"', /'default' on Azure/],
    ['bad rpo', { cloud: aws(), replication: { region: 'us-west-2', rpo: 'fast' as 'turbo' } }, 'replication.rpo', '"fast"', /one of "default", "turbo"/],
    ['bucketName too long', { cloud: aws(), bucketName: 'a'.repeat(64) }, 'bucketName', `"${'a'.repeat(64)}"`, /an S3 bucket name: 3-63 characters/],
    ['bucketName too long for a replica', { cloud: aws(), bucketName: 'a'.repeat(56), replication: { region: 'us-west-2' } },
      'bucketName', `"${'a'.repeat(56)}"`, /3-55 characters \(the replica adds -replica\)/],
    ['bucketName too short', { cloud: gcp(), bucketName: 'ab' }, 'bucketName', '"ab"', /a GCS bucket name: 3-63 characters/],
    ['bucketName with invalid characters (S3)', { cloud: aws(), bucketName: 'Models_Bucket' }, 'bucketName', '"Models_Bucket"', /lowercase letters, digits, hyphens/],
    ['bucketName with google (GCS)', { cloud: gcp(), bucketName: 'my-google-models' }, 'bucketName', '"my-google-models"', /no 'google'/],
    ['bucketName an IP address (S3)', { cloud: aws(), bucketName: '192.168.1.1' }, 'bucketName', '"192.168.1.1"', /not an IP address/],
    ['container name with double hyphen', { cloud: azure(), bucketName: 'my--models' }, 'bucketName', '"my--models"', /an Azure container name/],
    ['storage account name with capitals', { cloud: azure(), azure: { storageAccountName: 'Bad-Name' } }, 'azure.storageAccountName', '"Bad-Name"',
      /3-24 lowercase letters and digits/],
    ['storage account name too long', { cloud: azure(), azure: { storageAccountName: 'a'.repeat(25) } }, 'azure.storageAccountName',
      `"${'a'.repeat(25)}"`, /3-24 lowercase letters and digits/],
    ['GCP label with uppercase via tags', { cloud: gcp(), tags: { Team: 'ml' } }, 'tags key', '"Team"', /gcp label keys: start with a lowercase letter/],
    ['GCP label value with uppercase', { cloud: gcp(), tags: { team: 'ML' } }, 'tags.team', '"ML"', /gcp label values: lowercase letters/],
    ['a key of another cloud', { cloud: aws(), encryptionKey: { kind: 'gcp-kms', cryptoKeyId: 'projects/p/locations/us/keyRings/r/cryptoKeys/k' } },
      'encryptionKey.kind', '"gcp-kms"', /'aws-kms' on an AWS bucket/],
    ['a KMS key in another region', { cloud: aws(), encryptionKey: { kind: 'aws-kms', keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-1111-2222-3333-444455556666' } },
      'encryptionKey.keyArn', '"arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-1111-2222-3333-444455556666"', /in the bucket's region us-east-1/],
    ['a KMS alias instead of a key ARN', { cloud: aws(), encryptionKey: { kind: 'aws-kms', keyArn: 'alias/models' } },
      'encryptionKey.keyArn', '"alias/models"', /a KMS key ARN/],
    ['a GCP key outside the bucket location', { cloud: gcp(), encryptionKey: { kind: 'gcp-kms', cryptoKeyId: 'projects/p/locations/us-east1/keyRings/r/cryptoKeys/k' } },
      'encryptionKey.cryptoKeyId', '"projects/p/locations/us-east1/keyRings/r/cryptoKeys/k"', /a key in the bucket's location us-central1/],
    ['an Azure vault id that is not one', { cloud: azure(), encryptionKey: { kind: 'azure-key-vault', keyVaultId: 'acme-kv', keyName: 'k' } },
      'encryptionKey.keyVaultId', '"acme-kv"', /a Key Vault resource id/],
    ['Azure log retention below 30 days', { cloud: azure(), accessLogRetentionDays: 10 }, 'accessLogRetentionDays', '10', /a number from 30 to 730/],
    ['locking an Azure governance policy', { cloud: azure(), objectLock: { mode: 'governance', days: 3 }, azure: { lockImmutabilityPolicy: true } },
      'azure.lockImmutabilityPolicy', 'true', /only with objectLock.mode 'compliance'/],
    ['Azure object replication without versioning', { cloud: azure(), versioned: false, replication: { region: 'westus3' } },
      'replication', '{"region":"westus3"}', /versioned: true for object replication to westus3 \(or replicate to the pair centralus/],
    ['missing cloud', { cloud: undefined as unknown as Cloud }, 'cloud', 'undefined', /a target from Cloud.aws/],
  ])('%s', (_name, props, prop, value, allowed) => {
    rejects(props, prop, value, allowed);
  });
});

describe('model references', () => {
  const stack = newStack();
  const bucket = new ModelBackupBucket(stack, 'models', { cloud: gcp(), bucketName: 'acme-models' });

  test('a typed reference with the full URI and defaults', () => {
    const ref = bucket.model('research/gpt-1b/latest/', { preset: 'gpt-1b', parameterCount: 1_000_000_000 });
    expect(ref).toEqual({
      store: bucket, path: 'research/gpt-1b/latest', uri: 'gs://acme-models/research/gpt-1b/latest',
      parameterCount: 1_000_000_000, preset: 'gpt-1b', select: 'newest',
    });
    expect(bucket.model('llm', { select: 'best' }).select).toBe('best');
  });

  test.each(['/research/gpt', '../secrets', 'a/../../b', 'a//b', './a', '', 'white space'])('path %p is rejected', (path) => {
    expectInvalid(() => bucket.model(path), /^platform\/models: invalid model\(path\) = /, /Allowed: a relative path such as 'research\/gpt-1b'/);
  });

  test('bad options are rejected', () => {
    expectInvalid(() => bucket.model('llm', { parameterCount: 0 }), /invalid model\(options.parameterCount\) = 0/);
    expectInvalid(() => bucket.model('llm', { select: 'oldest' as 'best' }), /invalid model\(options.select\) = "oldest"/);
    expectInvalid(() => bucket.model('llm', { preset: 'GPT 1B' }), /invalid model\(options.preset\) = "GPT 1B"/);
  });
});

describe('a bucket name that is a Terraform reference is not checked at synth time', () => {
  test('tokens pass through to Terraform', () => {
    const stack = newStack();
    const name = new TerraformVariable(stack, 'bucket_name', { type: 'string' }).stringValue;
    const bucket = new ModelBackupBucket(stack, 'models', { cloud: aws(), bucketName: name });
    expect(bucket.uri).toBe(`s3://${name}`);
  });
});
