import { Construct, IConstruct } from 'constructs';
import { Lazy } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsCloud } from '../../core/cloud';
import type { IdentitySpi, WorkloadIdentityImpl, WorkloadIdentitySpec } from '../../core/spi';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { awsProvider } from './provider';

/** A Kubernetes ServiceAccount an EKS Pod Identity association hands a role to. */
export interface PodIdentitySubject {
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

const subjects = new WeakMap<IamRole, PodIdentitySubject[]>();

/**
 * Lets pods running as `subject` assume the role of `identity` (a role this library made: its trust policy lists
 * the subjects bound to it). An imported identity's trust policy is its owner's: nothing to do.
 */
export function trustPodIdentitySubject(identity: IConstruct, subject: PodIdentitySubject): void {
  const role = identity.node.tryFindChild('Resource');
  if (role instanceof IamRole) subjects.get(role)?.push(subject);
}

/**
 * The trust policy of a workload role: EKS Pod Identity may assume it only with the session tags of a bound
 * ServiceAccount (cluster, namespace, name). Without them any Pod Identity association in the account (another
 * namespace's or ServiceAccount's pods) could be pointed at the role. A role bound to nothing trusts no pod.
 */
export function podIdentityTrustPolicy(bound: readonly PodIdentitySubject[]): Record<string, unknown> {
  const principal = { Service: 'pods.eks.amazonaws.com' };
  if (bound.length === 0) {
    return { Version: '2012-10-17', Statement: [{ Sid: 'NotBoundToAServiceAccount', Effect: 'Deny', Principal: principal, Action: 'sts:AssumeRole' }] };
  }
  return {
    Version: '2012-10-17',
    Statement: bound.map((b, i) => ({
      Sid: `EksPodIdentity${i}`,
      Effect: 'Allow',
      Principal: principal,
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: {
        StringEquals: {
          'aws:RequestTag/eks-cluster-name': b.clusterName,
          'aws:RequestTag/kubernetes-namespace': b.namespace,
          'aws:RequestTag/kubernetes-service-account': b.serviceAccount,
        },
      },
    })),
  };
}

/** An IAM role that EKS Pod Identity hands to the ServiceAccounts bound to it, and to no other; no permissions until granted. */
export function awsWorkloadIdentity(scope: Construct, cloud: AwsCloud, props: WorkloadIdentitySpec): WorkloadIdentityImpl {
  const bound: PodIdentitySubject[] = [];
  const role = new IamRole(scope, 'Resource', {
    provider: awsProvider(scope, cloud.region),
    name: physicalName(scope, cloud, { maxLength: 64, lowercase: false }),
    description: props.description ?? `Workload identity ${scope.node.path} (cdktf-ai-infra)`,
    // Bindings come after the role (cluster.bindServiceAccount), so the policy is written at synth.
    assumeRolePolicy: Lazy.stringValue({ produce: () => JSON.stringify(podIdentityTrustPolicy(bound)) }),
    maxSessionDuration: 3600,
    tags: resourceTags(scope, cloud, props.tags),
  });
  subjects.set(role, bound);
  return { identityKind: 'aws-iam-role', principal: role.arn, workloadRef: role.name, resourceId: role.name };
}

/** Aws's WorkloadIdentity (src/core/spi.ts). */
export const identity: IdentitySpi<AwsCloud> = { create: awsWorkloadIdentity };
