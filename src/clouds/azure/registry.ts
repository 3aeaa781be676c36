import { Construct } from 'constructs';
import { ContainerRegistry } from '@cdktf/provider-azurerm/lib/container-registry';
import { ContainerRegistryScopeMap } from '@cdktf/provider-azurerm/lib/container-registry-scope-map';
import { ContainerRegistryToken } from '@cdktf/provider-azurerm/lib/container-registry-token';
import { ContainerRegistryTokenPassword } from '@cdktf/provider-azurerm/lib/container-registry-token-password';
import { AzureCloud } from '../../core/cloud';
import { ImageRepository } from '../../core/image-build';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { azureProvider, azureResourceGroupName } from './provider';

/**
 * An Azure Container Registry (Premium: retention of untagged manifests, zone redundancy, content trust
 * available) with the admin user and anonymous pull disabled; pushes use a repository-scoped token
 * (scope map: write and read on this image's repository only). Images are encrypted at rest by the service;
 * Microsoft Defender for Containers scans them when enabled on the subscription.
 */
export function azureImageRepository(scope: Construct, cloud: AzureCloud, imageName: string): ImageRepository {
  const provider = azureProvider(scope, cloud);
  const resourceGroupName = azureResourceGroupName(scope, cloud);
  const registry = new ContainerRegistry(scope, 'Registry', {
    provider,
    name: physicalName(scope, cloud, { maxLength: 50, separator: '', minLength: 5 }),
    resourceGroupName,
    location: cloud.location,
    sku: 'Premium',
    adminEnabled: false,
    anonymousPullEnabled: false,
    retentionPolicyInDays: 30,
    zoneRedundancyEnabled: true,
    quarantinePolicyEnabled: false,
    tags: resourceTags(scope, cloud),
  });
  const scopeMap = new ContainerRegistryScopeMap(scope, 'PushScope', {
    provider,
    name: `${imageName}-push`,
    containerRegistryName: registry.name,
    resourceGroupName,
    actions: [`repositories/${imageName}/content/read`, `repositories/${imageName}/content/write`, `repositories/${imageName}/metadata/read`],
  });
  const token = new ContainerRegistryToken(scope, 'PushToken', {
    provider,
    name: `${imageName}-push`,
    containerRegistryName: registry.name,
    resourceGroupName,
    scopeMapId: scopeMap.id,
  });
  const password = new ContainerRegistryTokenPassword(scope, 'PushTokenPassword', {
    provider,
    containerRegistryTokenId: token.id,
    password1: {},
  });
  return {
    url: `${registry.loginServer}/${imageName}`,
    address: registry.loginServer,
    username: token.name,
    password: password.password1.value,
  };
}
