import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsCloud } from '../../core/cloud';
import { resourceTags } from '../../core/tags';
import type { ClusterBuildSpec } from '../../training/spi';
import { clusterKey } from './keys';
import { AwsClusterNetwork } from './network';
import { awsProvider } from './provider';

/** Control-plane log types EKS ships to CloudWatch (all of them). */
export const EKS_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];

export interface AwsControlPlane {
  readonly cluster: EksCluster;
  readonly secretsKey: KmsKey;
  readonly logGroup: CloudwatchLogGroup;
}

/** The account the cluster lives in (from the cloud target, or looked up). */
export interface AwsAccount {
  readonly partition: string;
  readonly accountId: string;
}

/** The control-plane log group name EKS writes to. */
export function eksLogGroupName(clusterName: string): string {
  return `/aws/eks/${clusterName}/cluster`;
}

/**
 * The EKS control plane: API authentication mode (access entries only, no aws-auth ConfigMap), Kubernetes
 * secrets envelope-encrypted with a customer-managed KMS key (rotated yearly) only the cluster role may
 * use, all control-plane log types to a KMS-encrypted log group with a retention, endpoint private (or
 * public + private, limited to authorized networks), and cluster-admin access entries for the given
 * principals.
 */
export function awsControlPlane(scope: Construct, cloud: AwsCloud, spec: ClusterBuildSpec, name: string, network: AwsClusterNetwork,
  account: AwsAccount, logsKeyArn: string): AwsControlPlane {
  const provider = awsProvider(scope, cloud.region);
  const tags = resourceTags(scope, cloud, spec.tags);
  const partition = account.partition;

  const logGroup = new CloudwatchLogGroup(scope, 'ControlPlaneLogs', {
    provider, name: eksLogGroupName(name), retentionInDays: 365, kmsKeyId: logsKeyArn, tags,
  });

  const role = new IamRole(scope, 'ClusterRole', {
    provider,
    name: `${name}-cluster`.slice(0, 64),
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
    }),
    tags,
  });
  const policy = new IamRolePolicyAttachment(scope, 'ClusterPolicy', {
    provider, role: role.name, policyArn: `arn:${partition}:iam::aws:policy/AmazonEKSClusterPolicy`,
  });
  const secretsKey = clusterKey(scope, 'SecretsKey', cloud, {
    ...account,
    description: `EKS secrets envelope encryption for ${name} (cdktf-ai-infra)`,
    alias: `alias/eks/${name}`,
    tags,
    uses: [{
      sid: 'ClusterRoleEncryptsSecrets',
      principal: { AWS: role.arn },
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ListGrants'],
    }],
  });
  const keyPolicy = new IamRolePolicy(scope, 'ClusterKeyPolicy', {
    provider,
    role: role.name,
    name: 'secrets-key',
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ListGrants'], Resource: secretsKey.arn }],
    }),
  });

  const cluster = new EksCluster(scope, 'Resource', {
    provider,
    name,
    version: spec.kubernetesVersion,
    roleArn: role.arn,
    accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
    encryptionConfig: { resources: ['secrets'], provider: { keyArn: secretsKey.arn } },
    enabledClusterLogTypes: EKS_LOG_TYPES,
    vpcConfig: {
      subnetIds: network.privateSubnetIds,
      endpointPrivateAccess: true,
      endpointPublicAccess: spec.endpointAccess === 'public',
      publicAccessCidrs: spec.endpointAccess === 'public' && spec.authorizedNetworks.length > 0 ? [...spec.authorizedNetworks] : undefined,
    },
    kubernetesNetworkConfig: { ipFamily: 'ipv4' },
    upgradePolicy: { supportType: 'STANDARD' },
    deletionProtection: spec.deletionProtection,
    // Deletion protection makes EKS refuse the delete only after `cdktf destroy` has removed every workload and
    // add-on; prevent_destroy makes Terraform refuse the whole destroy plan up front instead.
    lifecycle: spec.deletionProtection ? { preventDestroy: true } : undefined,
    tags,
    dependsOn: [policy, keyPolicy, logGroup],
  });

  spec.admins.forEach((principalArn, i) => {
    const entry = new EksAccessEntry(scope, `Admin${i}`, { provider, clusterName: cluster.name, principalArn, type: 'STANDARD', tags });
    new EksAccessPolicyAssociation(scope, `Admin${i}Policy`, {
      provider, clusterName: cluster.name, principalArn: entry.principalArn,
      policyArn: `arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
      accessScope: { type: 'cluster' },
    });
  });
  return { cluster, secretsKey, logGroup };
}
