import { Construct } from 'constructs';
import { DataAwsEcrAuthorizationToken } from '@cdktf/provider-aws/lib/data-aws-ecr-authorization-token';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { awsPartition } from './partition';
import { AwsCloud } from '../../core/cloud';
import type { ImageRepository, ImageRepositorySpi } from '../../core/spi';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { awsProvider } from './provider';
import { keyPolicy } from './keys';
import { warnRegistryToken } from '../docker/image';


/**
 * An ECR repository for one bundled image: immutable tags, scan on push, encrypted with a customer-managed
 * KMS key (rotation on), a lifecycle policy keeping the newest 30 images. Pushes authenticate with the
 * deploying machine's ECR credential helper (`docker-credential-ecr-login`, named in `~/.docker/config.json`),
 * or with `registryAuth: 'terraform-token'` a 12-hour ECR authorization token read by a data source (in state).
 */
export function awsImageRepository(scope: Construct, cloud: AwsCloud, imageName: string): ImageRepository {
  const provider = awsProvider(scope, cloud.region);
  const tags = resourceTags(scope, cloud);
  const account = cloud.accountId ?? new DataAwsCallerIdentity(scope, 'RegistryAccount', { provider }).accountId;
  const root = `arn:${awsPartition(cloud.region)}:iam::${account}:root`;
  const key = new KmsKey(scope, 'RegistryKey', {
    provider,
    description: `ECR encryption for ${scope.node.path} (cdktf-ai-infra)`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    // The account (through IAM) administers the key and may use it only through ECR in this region.
    policy: keyPolicy(root, [{
      sid: 'UseOnlyThroughEcr',
      principal: { AWS: root },
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:CreateGrant', 'kms:RetireGrant'],
      condition: { StringEquals: { 'kms:ViaService': `ecr.${cloud.region}.amazonaws.com`, 'kms:CallerAccount': account } },
    }]),
    tags,
  });
  const repo = new EcrRepository(scope, 'Repository', {
    provider,
    name: `${physicalName(scope, cloud, { maxLength: 200 })}/${imageName}`,
    imageTagMutability: 'IMMUTABLE',
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: key.arn }],
    // Images are rebuilt from compute/ on every apply: `cdktf destroy` deletes the repository with its images
    // instead of failing half-way (RepositoryNotEmptyException).
    forceDelete: true,
    tags,
  });
  new EcrLifecyclePolicy(scope, 'RepositoryLifecycle', {
    provider,
    repository: repo.name,
    policy: JSON.stringify({
      rules: [{
        rulePriority: 1,
        description: 'Keep the newest 30 images',
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 },
        action: { type: 'expire' },
      }],
    }),
  });
  // The registry host, known at plan (the provider's registry_auth needs it before the repository exists).
  const address = `${account}.dkr.ecr.${cloud.region}.${awsPartition(cloud.region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
  if (cloud.registryAuth === 'terraform-token') {
    warnRegistryToken(scope, cloud, 'the ECR authorization token (aws_ecr_authorization_token, valid 12 hours, pushes to every repository of the account)');
    const auth = new DataAwsEcrAuthorizationToken(scope, 'RegistryAuth', { provider, registryId: repo.registryId });
    return { url: repo.repositoryUrl, address, auth: { kind: 'terraform-token', username: auth.userName, password: auth.password } };
  }
  return { url: repo.repositoryUrl, address, auth: { kind: 'docker-config' } };
}

/** Aws's image registry, for BundledImage (src/core/spi.ts). */
export const images: ImageRepositorySpi<AwsCloud> = { repository: awsImageRepository };
