import { Construct } from 'constructs';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { AzureCloud } from '../../core/cloud';
import type { IdentitySpi, WorkloadIdentityImpl, WorkloadIdentitySpec } from '../../core/spi';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { azureProvider, azureResourceGroupName } from './provider';

/** A user-assigned managed identity with no role assignments until granted; AKS federates a KSA to it. */
export function azureWorkloadIdentity(scope: Construct, cloud: AzureCloud, props: WorkloadIdentitySpec): WorkloadIdentityImpl {
  const identity = new UserAssignedIdentity(scope, 'Resource', {
    provider: azureProvider(scope, cloud),
    name: `id-${physicalName(scope, cloud, { maxLength: 125 })}`,
    location: cloud.location,
    resourceGroupName: azureResourceGroupName(scope, cloud),
    tags: resourceTags(scope, cloud, props.tags),
  });
  return {
    identityKind: 'azure-user-assigned-identity',
    principal: identity.principalId,
    workloadRef: identity.clientId,
    resourceId: identity.id,
  };
}

/** Azure's WorkloadIdentity (src/core/spi.ts). */
export const identity: IdentitySpi<AzureCloud> = { create: azureWorkloadIdentity };
