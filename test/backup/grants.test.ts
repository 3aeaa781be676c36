import { TerraformStack } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { IWorkloadIdentity } from '../../src/core/identity';
import { WorkloadIdentity } from '../../src/core/workload-identity';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';
import { all, aws, azure, expectInvalid, gcp, Json, newStack, synth } from './helpers';

function setup(cloud: Cloud): { stack: TerraformStack; bucket: ModelBackupBucket; identity: IWorkloadIdentity } {
  const stack = newStack();
  const bucket = new ModelBackupBucket(stack, 'models', { cloud });
  const identity = new WorkloadIdentity(stack, 'trainer', { cloud });
  return { stack, bucket, identity };
}

const grantPolicies = (json: Json) => Object.entries(json.resource.aws_iam_role_policy ?? {})
  .filter(([k]) => /Grant/.test(k)).map(([, v]) => v as Json);

describe('grants on AWS: an inline policy on the identity role, scoped to the bucket, prefix and key', () => {
  test('grantWrite with a prefix', () => {
    const { stack, bucket, identity } = setup(aws());
    bucket.grantWrite(identity, 'research');
    const [grant] = grantPolicies(synth(stack));
    expect(grant.role).toBe('${aws_iam_role.trainer_A426292C.name}');
    expect(grant.name.length).toBeLessThanOrEqual(128);
    const policy = JSON.parse(grant.policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'ListObjects', Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: '${aws_s3_bucket.models_3A8DAD06.arn}', Condition: { StringLike: { 's3:prefix': ['research/*'] } },
      },
      { Sid: 'ReadObjects', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '${aws_s3_bucket.models_3A8DAD06.arn}/research/*' },
      {
        Sid: 'WriteObjects', Effect: 'Allow',
        Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: '${aws_s3_bucket.models_3A8DAD06.arn}/research/*',
      },
      {
        Sid: 'UseBucketKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '${aws_kms_key.models_Key_F5140393.arn}', Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      },
    ]);
  });

  test('grantRead of the whole store: list, get and decrypt only', () => {
    const { stack, bucket, identity } = setup(aws());
    bucket.grantRead(identity);
    const policy = JSON.parse(grantPolicies(synth(stack))[0].policy);
    expect(policy.Statement.flatMap((s: Json) => s.Action)).toEqual(['s3:ListBucket', 's3:GetObject', 'kms:Decrypt']);
    expect(policy.Statement[0].Condition).toBeUndefined();
    expect(policy.Statement[1].Resource).toBe('${aws_s3_bucket.models_3A8DAD06.arn}/*');
  });

  test('a repeated grant is made once; different prefixes are separate policies', () => {
    const { stack, bucket, identity } = setup(aws());
    bucket.grantRead(identity, 'a/');
    bucket.grantRead(identity, 'a');
    bucket.grantRead(identity, 'b/');
    expect(grantPolicies(synth(stack))).toHaveLength(2);
  });

  test('a role of another account is granted with a warning', () => {
    const stack = newStack();
    const bucket = new ModelBackupBucket(stack, 'models', { cloud: Cloud.aws({ region: 'us-east-1', accountId: '111111111111' }) });
    const role = new WorkloadIdentity(stack, 'other', { cloud: Cloud.aws({ region: 'us-east-1', accountId: '222222222222' }) });
    bucket.grantRead(role);
    const warnings = bucket.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/in account 222222222222, the bucket in 111111111111: an IAM policy alone does not grant cross-account access/)]);
    expect(grantPolicies(synth(stack))).toHaveLength(1);
  });

  test('an imported role works', () => {
    const stack = newStack();
    const bucket = new ModelBackupBucket(stack, 'models', { cloud: aws() });
    const role = WorkloadIdentity.fromAttributes(stack, 'ext', {
      cloud: aws(), identityKind: 'aws-iam-role', principal: 'arn:aws:iam::123456789012:role/ext', workloadRef: 'ext', resourceId: 'ext',
    });
    bucket.grantRead(role, 'models/');
    expect(grantPolicies(synth(stack))[0].role).toBe('ext');
  });
});

describe('grants on GCP: a bucket IAM member with an object-prefix condition', () => {
  test('grantRead of the whole store: Storage Object Viewer without a condition', () => {
    const { stack, bucket, identity } = setup(gcp());
    bucket.grantRead(identity);
    const members = all(synth(stack), 'google_storage_bucket_iam_member').filter((m: Json) => m.member.startsWith('serviceAccount:'));
    expect(members).toEqual([expect.objectContaining({
      bucket: '${google_storage_bucket.models_3A8DAD06.name}',
      role: 'roles/storage.objectViewer',
      member: 'serviceAccount:${google_service_account.trainer_A426292C.email}',
    })]);
    expect(members[0].condition).toBeUndefined();
  });

  test('grantWrite with a prefix: Storage Object User limited to objects and listings under it', () => {
    const { stack, bucket, identity } = setup(gcp());
    bucket.grantWrite(identity, 'research/');
    const [member] = all(synth(stack), 'google_storage_bucket_iam_member').filter((m: Json) => m.member.startsWith('serviceAccount:'));
    expect(member.role).toBe('roles/storage.objectUser');
    expect(member.condition.title).toBe('write-research/');
    expect(member.condition.expression).toBe(
      '(resource.type == "storage.googleapis.com/Object" && resource.name.startsWith("projects/_/buckets/${google_storage_bucket.models_3A8DAD06.name}/objects/research/"))'
      + ' || (resource.type == "storage.googleapis.com/Bucket" && api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("research/"))');
  });
});

describe('grants on Azure: a container-scoped role assignment with an ABAC path condition', () => {
  test('grantRead with a prefix: Storage Blob Data Reader on the container, reads and listings under the prefix', () => {
    const { stack, bucket, identity } = setup(azure());
    bucket.grantRead(identity, 'models/llm');
    const [ra] = Object.entries(synth(stack).resource.azurerm_role_assignment).filter(([k]) => /Grant/.test(k)).map(([, v]) => v as Json);
    expect(ra).toMatchObject({
      role_definition_name: 'Storage Blob Data Reader',
      scope: '${azurerm_storage_account.models_3A8DAD06.id}/blobServices/default/containers/${azurerm_storage_container.models_Container_575F510A.name}',
      principal_id: '${azurerm_user_assigned_identity.trainer_A426292C.principal_id}',
      principal_type: 'ServicePrincipal',
      condition_version: '2.0',
    });
    const blobs = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';
    expect(ra.condition).toBe(
      `((!(ActionMatches{'${blobs}/read'} AND NOT SubOperationMatches{'Blob.List'})) OR (@Resource[${blobs}:path] StringStartsWith 'models/llm/'))`
      + ` AND ((!(ActionMatches{'${blobs}/read'} AND SubOperationMatches{'Blob.List'})) OR (@Request[${blobs}:prefix] StringStartsWith 'models/llm/'))`);
  });

  test('grantWrite of the whole store: Storage Blob Data Contributor without a condition', () => {
    const { stack, bucket, identity } = setup(azure());
    bucket.grantWrite(identity);
    const [ra] = Object.entries(synth(stack).resource.azurerm_role_assignment).filter(([k]) => /Grant/.test(k)).map(([, v]) => v as Json);
    expect(ra.role_definition_name).toBe('Storage Blob Data Contributor');
    expect(ra.condition).toBeUndefined();
  });

  test('grantWrite with a prefix conditions writes, adds, deletes and moves on the path', () => {
    const { stack, bucket, identity } = setup(azure());
    bucket.grantWrite(identity, 'checkpoints/');
    const [ra] = Object.entries(synth(stack).resource.azurerm_role_assignment).filter(([k]) => /Grant/.test(k)).map(([, v]) => v as Json);
    for (const action of ['write', 'add/action', 'delete', 'move/action']) {
      expect(ra.condition).toContain(`!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/${action}'})`);
    }
    expect(ra.condition).toContain("StringStartsWith 'checkpoints/'");
  });
});

describe('grants: no wildcard actions and no broad roles on any cloud', () => {
  test.each([['aws', aws()], ['gcp', gcp()], ['azure', azure()]] as const)('%s', (_kind, cloud) => {
    const { stack, bucket, identity } = setup(cloud);
    bucket.grantRead(identity, 'a/');
    bucket.grantWrite(identity, 'b/');
    const text = synthText(stack);
    expect(text).not.toMatch(/roles\/(owner|editor|storage\.admin|storage\.objectAdmin)/);
    expect(text).not.toMatch(/"(Owner|Contributor|Storage Account Contributor)"/);
    expect(text).not.toMatch(/FullAccess/);
    for (const p of grantPolicies(JSON.parse(text))) {
      for (const s of JSON.parse(p.policy).Statement) for (const a of [s.Action].flat()) expect(a).not.toContain('*');
    }
  });
});

function synthText(stack: TerraformStack): string {
  return JSON.stringify(synth(stack));
}

describe('grants: bad input', () => {
  test.each([
    ['aws', aws(), gcp(), /identity = .*gcp-service-account.*Allowed: an AWS IAM role identity/],
    ['gcp', gcp(), azure(), /identity = .*azure-user-assigned-identity.*Allowed: a Google service account identity/],
    ['azure', azure(), aws(), /identity = .*aws-iam-role.*Allowed: an Azure managed identity/],
  ] as const)('an identity from another cloud is rejected on %s, before anything is added', (_k, cloud, other, message) => {
    const stack = newStack();
    const bucket = new ModelBackupBucket(stack, 'models', { cloud });
    const foreign = new WorkloadIdentity(stack, 'foreign', { cloud: other });
    const before = bucket.node.children.length;
    const err = expectInvalid(() => bucket.grantRead(foreign, 'x/'), /^platform\/models: invalid identity/, message);
    expect(err.prop).toBe('identity');
    expect(bucket.node.children.length).toBe(before);
  });

  test.each(['/abs', '../up', 'a/../b', 'a//b', '', 'sp ace/'])('prefix %p is rejected', (prefix) => {
    const { bucket, identity } = setup(aws());
    expectInvalid(() => bucket.grantRead(identity, prefix), /^platform\/models: invalid prefix = /, /Allowed: a relative path/);
  });
});
