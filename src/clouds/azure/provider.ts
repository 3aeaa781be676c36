import { IConstruct } from 'constructs';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { TerraformStack } from 'cdktf';
import { providerFor } from '../../core/providers';
import { AzureCloud } from '../../core/cloud';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';

/**
 * The azurerm provider of the stack (reused, or added once). Storage is reached with Entra ID, not
 * shared keys (`storage_use_azuread`), because our storage accounts disable shared keys.
 */
export function azureProvider(scope: IConstruct, cloud: AzureCloud): AzurermProvider {
  const provider = providerFor<AzurermProvider>(scope, 'azurerm', 'default',
    (p) => cloud.subscriptionId === undefined || p.subscriptionId === undefined || p.subscriptionId === cloud.subscriptionId,
    (stack, id, alias) => new AzurermProvider(stack, id, {
      features: [{}], alias, storageUseAzuread: true, subscriptionId: cloud.subscriptionId,
    }));
  if (provider.storageUseAzuread === undefined) provider.storageUseAzuread = true;
  return provider;
}

const groups = new WeakMap<TerraformStack, Map<string, ResourceGroup>>();

/**
 * The resource group to deploy into: the user's (by name) or one per stack and location, made once.
 * Returns its name (a plain string or a reference).
 */
export function azureResourceGroupName(scope: IConstruct, cloud: AzureCloud): string {
  if (cloud.resourceGroupName) return cloud.resourceGroupName;
  const stack = TerraformStack.of(scope);
  let byLocation = groups.get(stack);
  if (!byLocation) groups.set(stack, (byLocation = new Map()));
  let group = byLocation.get(cloud.location);
  if (!group) {
    const id = `ai-infra-rg-${cloud.location}`;
    group = (stack.node.tryFindChild(id) as ResourceGroup | undefined) ?? new ResourceGroup(stack, id, {
      provider: azureProvider(stack, cloud),
      name: `rg-${physicalName(stack, cloud, { maxLength: 80 }, cloud.location)}`,
      location: cloud.location,
      tags: resourceTags(stack, cloud),
    });
    byLocation.set(cloud.location, group);
  }
  return group.name;
}
