import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { AzureCloud } from '../../core/cloud';
import { IWorkloadIdentity } from '../../core/identity';
import { physicalName } from '../../core/naming';
import { GPU_TAINT } from '../../k8s/node-labels';
import type { ClusterBuildSpec, ClusterImpl, ImportedClusterImpl, ImportedClusterSpec } from '../../training/spi';
import { installGpuAddOns } from '../helm/add-ons';
import { AKS_POD_CIDR, azureControlPlane } from './cluster';
import { aksHelmProvider } from './helm';
import { azureClusterNetwork } from './network';
import { aksPriorityExpanderConfigMap, aksUsesPriorityExpander, azureGpuNodePools } from './node-pools';
import { azureProvider } from './provider';

/** The label a pod needs for the AKS workload identity webhook to inject its token. */
export const AKS_WORKLOAD_IDENTITY_POD_LABELS = { 'azure.workload.identity/use': 'true' };

/** ServiceAccount annotation naming the federated credential of the account (orders its release after it). */
export const FEDERATED_CREDENTIAL_ANNOTATION = 'cdktf-ai-infra/federated-credential';

/** AKS workload identity: a federated credential on the managed identity for the cluster's OIDC issuer and the KSA. */
function federatedCredentialBinder(scope: Construct, cloud: AzureCloud, issuer: string) {
  return (identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string> => {
    const id = `Federation-${namespace}-${serviceAccount}-${identity.node.addr.slice(0, 8)}`;
    const credential = (scope.node.tryFindChild(id) as FederatedIdentityCredential | undefined) ?? new FederatedIdentityCredential(scope, id, {
      provider: azureProvider(scope, cloud),
      name: `${namespace}-${serviceAccount}`.slice(0, 120),
      resourceGroupName: Fn.element(Fn.split('/', identity.resourceId), 4),
      parentId: identity.resourceId,
      issuer,
      subject: `system:serviceaccount:${namespace}:${serviceAccount}`,
      audience: ['api://AzureADTokenExchange'],
    });
    // The credential's id as an annotation: the release that makes the ServiceAccount (and its pods) depends on it,
    // so pods never exchange their token before Entra ID trusts it.
    return { 'azure.workload.identity/client-id': identity.workloadRef, [FEDERATED_CREDENTIAL_ANNOTATION]: credential.id };
  };
}

/** AKS: network, control plane, GPU node pools, workload identity and the GPU add-ons. */
export function azureGpuCluster(scope: Construct, cloud: AzureCloud, spec: ClusterBuildSpec): ClusterImpl {
  const name = physicalName(scope, cloud, { maxLength: 40, startWithLetter: true });
  const network = azureClusterNetwork(scope, cloud, spec, name);
  const plane = azureControlPlane(scope, cloud, spec, name, network);
  const cluster = plane.cluster;
  const gpuPools = azureGpuNodePools(scope, cloud, spec, cluster, network.subnetId);
  const kubeConfig = cluster.kubeConfig.get(0);
  const helmProvider = aksHelmProvider(scope, cloud, kubeConfig.host, kubeConfig.clusterCaCertificate);
  // The releases call the API server as the deployer: after its cluster-admin role is effective (the
  // propagation wait depends on the assignment, which depends on the cluster).
  const ready = [plane.apiAccess];
  const spotTolerations = spec.gpuPools.some((p) => p.capacity.includes('spot'))
    ? [{ key: 'kubernetes.azure.com/scalesetpriority', operator: 'Equal' as const, value: 'spot', effect: 'NoSchedule' }] : [];
  const addOns = installGpuAddOns(scope, {
    helmProvider,
    gpuSoftware: spec.gpuSoftware,
    toolkitOnNodes: true,
    dcgmExporter: spec.dcgmExporter,
    kueue: spec.kueue,
    tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }, ...spotTolerations],
    dependsOn: ready,
  });
  const resources: Record<string, Construct> = {
    cluster, identity: plane.identity, keyVault: plane.keyVault, secretsKey: plane.secretsKey, diskEncryptionSet: plane.diskEncryptionSet,
    logs: plane.logs, helmProvider,
  };
  if (network.vnet) resources.vnet = network.vnet;
  // A model pipeline's new-data queue puts its private endpoint here (src/clouds/azure/pipeline.ts).
  if (network.subnet) resources.nodeSubnet = network.subnet;
  for (const g of gpuPools) resources[`${g.pool.name}/${g.rung}`] = g.nodePool;
  return {
    clusterName: cluster.name,
    endpoint: kubeConfig.host,
    certificateAuthorityData: kubeConfig.clusterCaCertificate,
    oidcIssuerUrl: cluster.oidcIssuerUrl,
    helmProvider,
    addOnDependencies: [...ready, ...gpuPools.map((g) => g.nodePool), ...addOns],
    apiAccess: ready,
    workloadIdentityPodLabels: { ...AKS_WORKLOAD_IDENTITY_POD_LABELS },
    podCidrs: [AKS_POD_CIDR],
    resources,
    clusterObjects: aksUsesPriorityExpander(spec) ? [aksPriorityExpanderConfigMap(scope, spec)] : [],
    bindServiceAccount: federatedCredentialBinder(scope, cloud, cluster.oidcIssuerUrl),
  };
}

/** A helm provider and federated-credential binder for an AKS cluster made elsewhere. */
export function azureImportedCluster(scope: Construct, cloud: AzureCloud, spec: ImportedClusterSpec): ImportedClusterImpl {
  return {
    helmProvider: aksHelmProvider(scope, cloud, spec.endpoint, spec.certificateAuthorityData),
    workloadIdentityPodLabels: { ...AKS_WORKLOAD_IDENTITY_POD_LABELS },
    bindServiceAccount: federatedCredentialBinder(scope, cloud, spec.oidcIssuerUrl ?? ''),
  };
}

