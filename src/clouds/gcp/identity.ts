import { Construct } from 'constructs';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { GcpCloud } from '../../core/cloud';
import type { IdentitySpi, WorkloadIdentityImpl, WorkloadIdentitySpec } from '../../core/spi';
import { physicalName } from '../../core/naming';
import { gcpProvider } from './provider';

/** A Google service account with no roles until granted; GKE workload identity binds it to a KSA. */
export function gcpWorkloadIdentity(scope: Construct, cloud: GcpCloud, props: WorkloadIdentitySpec): WorkloadIdentityImpl {
  const sa = new ServiceAccount(scope, 'Resource', {
    provider: gcpProvider(scope, cloud),
    project: cloud.project,
    accountId: physicalName(scope, cloud, { maxLength: 30, startWithLetter: true }),
    displayName: scope.node.path.slice(-100),
    description: props.description ?? `Workload identity ${scope.node.path} (cdktf-ai-infra)`,
  });
  return { identityKind: 'gcp-service-account', principal: `serviceAccount:${sa.email}`, workloadRef: sa.email, resourceId: sa.name };
}

/** Gcp's WorkloadIdentity (src/core/spi.ts). */
export const identity: IdentitySpi<GcpCloud> = { create: gcpWorkloadIdentity };
