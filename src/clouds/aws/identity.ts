import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsCloud } from '../../core/cloud';
import type { IdentitySpi, WorkloadIdentityImpl, WorkloadIdentitySpec } from '../../core/spi';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { awsProvider } from './provider';

/** An IAM role that EKS Pod Identity can hand to a pod; no permissions until granted. */
export function awsWorkloadIdentity(scope: Construct, cloud: AwsCloud, props: WorkloadIdentitySpec): WorkloadIdentityImpl {
  const role = new IamRole(scope, 'Resource', {
    provider: awsProvider(scope, cloud.region),
    name: physicalName(scope, cloud, { maxLength: 64, lowercase: false }),
    description: props.description ?? `Workload identity ${scope.node.path} (cdktf-ai-infra)`,
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Sid: 'EksPodIdentity',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      }],
    }),
    maxSessionDuration: 3600,
    tags: resourceTags(scope, cloud, props.tags),
  });
  return { identityKind: 'aws-iam-role', principal: role.arn, workloadRef: role.name, resourceId: role.name };
}

/** Aws's WorkloadIdentity (src/core/spi.ts). */
export const identity: IdentitySpi<AwsCloud> = { create: awsWorkloadIdentity };
