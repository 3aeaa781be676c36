import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { ContainerRegistry } from '@cdktf/provider-azurerm/lib/container-registry';
import { ContainerRegistryScopeMap } from '@cdktf/provider-azurerm/lib/container-registry-scope-map';
import { ContainerRegistryToken } from '@cdktf/provider-azurerm/lib/container-registry-token';
import { ContainerRegistryTokenPassword } from '@cdktf/provider-azurerm/lib/container-registry-token-password';
import { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Annotations } from 'cdktf';
import { IGpuCluster } from '../../core/cluster';
import { AzureCloud } from '../../core/cloud';
import { Policy } from '../../policy/suppress';
import type { ImageRepository, ImageRepositorySpi } from '../../core/spi';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { azureProvider, azureResourceGroupName } from './provider';
import { warnRegistryToken } from '../docker/image';

/** The user name of an ACR access token from `az acr login --expose-token` (the token is the password). */
export const ACR_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';

/** Each stack registry's name as synthesized (its login server is `<name>.azurecr.io`). */
const registryNames = new WeakMap<ContainerRegistry, string>();

/** The stack's registry for `cloud.location` (one Premium registry serves every bundled image). */
function stackRegistry(scope: Construct, cloud: AzureCloud): ContainerRegistry {
  const stack = TerraformStack.of(scope);
  const id = `AiInfraRegistry-${cloud.location}`;
  const existing = stack.node.tryFindChild(id) as ContainerRegistry | undefined;
  if (existing) return existing;
  const provider = azureProvider(scope, cloud);
  const resourceGroupName = azureResourceGroupName(scope, cloud);
  const name = physicalName(stack, cloud, { maxLength: 50, separator: '' }, 'images', cloud.location);
  const registry = new ContainerRegistry(stack, id, {
    provider,
    name,
    resourceGroupName,
    location: cloud.location,
    sku: 'Premium',
    adminEnabled: false,
    anonymousPullEnabled: false,
    retentionPolicyInDays: 30,
    zoneRedundancyEnabled: true,
    quarantinePolicyEnabled: false,
    trustPolicyEnabled: true,
    dataEndpointEnabled: true,
    tags: resourceTags(stack, cloud),
  });
  registryNames.set(registry, name);
  Policy.suppress(registry, 'AI-AZ-ACR-3', 'Terraform pushes the image from the deploying machine (docker provider), which has no '
    + 'private line of sight to a private endpoint; the registry has admin and anonymous access off, and pushes use the '
    + 'deploying identity\'s Entra ID token (or, with registryAuth \'terraform-token\', a token scoped to one repository). '
    + 'Production restricts network_rule_set to the deploy runner and the cluster egress.');
  Policy.skipCheckov(registry, ['CKV_AZURE_165'], 'Images are rebuilt from source with a content-hash tag in any region; '
    + 'one registry per platform region, no geo-replication needed.');
  Policy.skipCheckov(registry, ['CKV_AZURE_166'], 'Quarantine blocks pulls until an external scanner marks each image verified; '
    + 'this platform has no such scanner in the push path (Defender for Containers scans pushed images when enabled).');
  return registry;
}

/**
 * A repository in the stack's Azure Container Registry (one per location; Premium: retention of untagged manifests, zone redundancy, content trust,
 * dedicated data endpoints) with the admin user and anonymous pull disabled. Pushes authenticate with the deploying
 * identity's ACR token (`az acr login --name <registry> --expose-token`) that the docker provider reads from
 * `DOCKER_REGISTRY_PASS`: ACR's credential helpers and `az acr login` hand docker an identity token, which the
 * pinned provider (kreuzwerker/docker 3.6.2) does not pass on, so a docker config file cannot serve here. With
 * `registryAuth: 'terraform-token'` pushes use a repository-scoped token (scope map: write and read on this
 * image's repository only) whose password Terraform creates (in state). Images are encrypted at rest with
 * service-managed keys: a customer-managed key needs a Key Vault the deploy machine can reach, which a
 * default-deny vault (AI-AZ-KV-2) forbids, so AI-AZ-ACR-4 stays a warning. Microsoft Defender for Containers
 * scans images when enabled on the subscription.
 */
export function azureImageRepository(scope: Construct, cloud: AzureCloud, imageName: string): ImageRepository {
  const registry = stackRegistry(scope, cloud);
  // The login server, known at synth (the provider's registry_auth needs it at plan); the push waits for the registry.
  const address = `${registryNames.get(registry)}.azurecr.io`;
  const url = `${address}/${imageName}`;
  if (cloud.registryAuth !== 'terraform-token') {
    return { url, address, auth: { kind: 'environment', username: ACR_TOKEN_USERNAME }, dependsOn: [registry] };
  }
  warnRegistryToken(scope, cloud, `the password of the push token of ${imageName} (azurerm_container_registry_token_password, no expiry)`);
  const provider = azureProvider(scope, cloud);
  const resourceGroupName = azureResourceGroupName(scope, cloud);
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
  return { url, address, auth: { kind: 'terraform-token', username: token.name, password: password.password1.value }, dependsOn: [registry] };
}

/**
 * Lets the AKS cluster's kubelet identity pull from the stack's registry (AcrPull on the registry only), once per
 * cluster. A cluster made elsewhere (no AKS resource in this stack) gets a warning saying what to grant.
 */
export function azureGrantImagePull(scope: Construct, cloud: AzureCloud, cluster: IGpuCluster): void {
  const registry = stackRegistry(scope, cloud);
  const aks = (cluster as unknown as { resources?: Record<string, unknown> }).resources?.cluster;
  if (!(aks instanceof KubernetesCluster)) {
    Annotations.of(cluster).addWarning(`grant AcrPull on ${registry.node.path} to the kubelet identity of ${cluster.clusterName}: it was made in another stack`);
    return;
  }
  const id = `AcrPull-${cluster.node.addr.slice(0, 12)}`;
  if (registry.node.tryFindChild(id)) return;
  new RoleAssignment(registry, id, {
    provider: azureProvider(scope, cloud),
    scope: registry.id,
    roleDefinitionName: 'AcrPull',
    principalId: aks.kubeletIdentity.objectId,
    principalType: 'ServicePrincipal',
    description: `Lets the nodes of ${cluster.node.path} pull the bundled images (cdktf-ai-infra)`,
  });
}

/** Azure's image registry, for BundledImage (src/core/spi.ts). */
export const images: ImageRepositorySpi<AzureCloud> = { repository: azureImageRepository, grantPull: azureGrantImagePull };
