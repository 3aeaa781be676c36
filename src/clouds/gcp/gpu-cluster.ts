import { Construct } from 'constructs';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { cidrsOverlap } from '../../core/cidr';
import { GcpCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { IWorkloadIdentity } from '../../core/identity';
import { GKE_COMPUTE_CLASS_KEY, gkeUsesComputeClass } from './compute-class';
import { physicalName } from '../../core/naming';
import { GPU_TAINT } from '../../k8s/node-labels';
import type { ClusterBuildSpec, ClusterImpl, ImportedClusterImpl, ImportedClusterSpec } from '../../training/spi';
import { installGpuAddOns } from '../helm/add-ons';
import { gcpControlPlane } from './cluster';
import { gkeHelmProvider } from './helm';
import { gcpClusterNetwork } from './network';
import { gcpNodePools, gkeComputeClasses } from './node-pools';
import { gcpProvider } from './provider';
import { requireGcpApis } from './services';

/** The proxy-only subnet of internal gateways in a network the cluster makes. */
export const GKE_PROXY_ONLY_CIDR = '10.69.0.0/23';

/** Where GKE installs the NVIDIA driver on COS nodes. */
export const GKE_DRIVER_HOST_PATH = '/home/kubernetes/bin/nvidia';

/** ServiceAccount annotation naming the workload identity binding of the account (orders its release after it). */
export const WORKLOAD_IDENTITY_BINDING_ANNOTATION = 'cdktf-ai-infra/workload-identity-binding';

/** GKE workload identity: the KSA may impersonate the Google service account. */
function workloadIdentityBinder(scope: Construct, cloud: GcpCloud) {
  return (identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string> => {
    const id = `WorkloadIdentity-${namespace}-${serviceAccount}-${identity.node.addr.slice(0, 8)}`;
    const binding = (scope.node.tryFindChild(id) as ServiceAccountIamMember | undefined) ?? new ServiceAccountIamMember(scope, id, {
      provider: gcpProvider(scope, cloud),
      serviceAccountId: identity.resourceId,
      role: 'roles/iam.workloadIdentityUser',
      member: `serviceAccount:${cloud.project}.svc.id.goog[${namespace}/${serviceAccount}]`,
    });
    // The binding's id as an annotation: the release that makes the ServiceAccount (and its pods) depends on the
    // binding, so pods never start before they may impersonate the Google service account.
    return { 'iam.gke.io/gcp-service-account': identity.workloadRef, [WORKLOAD_IDENTITY_BINDING_ANNOTATION]: binding.id };
  };
}

/** GKE: network, control plane, node pools, workload identity and the GPU add-ons (GKE runs the device plugin). */
export function gcpGpuCluster(scope: Construct, cloud: GcpCloud, spec: ClusterBuildSpec): ClusterImpl {
  if (!spec.network.existing) {
    if (cidrsOverlap(spec.network.cidr ?? '10.0.0.0/16', '10.64.0.0/13')) {
      throw new InvalidPropError(scope, 'network.cidr', spec.network.cidr, 'a CIDR outside 10.64.0.0/13 (the pod and service ranges)');
    }
  }
  spec.gpuPools.forEach((pool, i) => {
    if (pool.compactPlacement && !(pool.zones ?? spec.zones)) {
      throw new InvalidPropError(scope, `gpuPools[${i}].zones`, pool.zones, 'a zone for compact placement (set the pool\'s zones, or the cluster\'s)');
    }
  });
  const name = physicalName(scope, cloud, { maxLength: 40, startWithLetter: true });
  const network = gcpClusterNetwork(scope, cloud, spec, name);
  const plane = gcpControlPlane(scope, cloud, spec, name, network);
  const pools = gcpNodePools(scope, cloud, spec, plane);
  const cluster = plane.cluster;
  const caData = cluster.masterAuth.clusterCaCertificate;
  const helmProvider = gkeHelmProvider(scope, cloud, cluster.endpoint, caData);
  const ready = [pools.system];
  // Pools of a compute class carry its taint beside the GPU one: the DaemonSets that must run on every GPU node
  // (DCGM exporter) tolerate it, or the pool has no GPU metrics and the GPU alerts are blind exactly there.
  const computeClassTolerations = spec.gpuPools.some((p) => gkeUsesComputeClass(p.capacity, p.queuedProvisioning))
    ? [{ key: GKE_COMPUTE_CLASS_KEY, operator: 'Exists' as const, effect: 'NoSchedule' }] : [];
  const addOns = installGpuAddOns(scope, {
    helmProvider,
    gpuSoftware: 'cloud-managed',
    toolkitOnNodes: true,
    dcgmExporter: spec.dcgmExporter,
    kueue: spec.kueue,
    tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }, ...computeClassTolerations],
    driverHostPath: GKE_DRIVER_HOST_PATH,
    dependsOn: ready,
  });
  const resources: Record<string, Construct> = {
    cluster, secretsKey: plane.secretsKey, diskKey: plane.diskKey, nodeServiceAccount: plane.nodeServiceAccount, systemNodes: pools.system, helmProvider,
  };
  if (network.resource) resources.network = network.resource;
  for (const g of pools.gpu) resources[`${g.pool.name}/${g.rungs.join('+')}`] = g.nodePool;
  return {
    clusterName: cluster.name,
    endpoint: `https://${cluster.endpoint}`,
    certificateAuthorityData: caData,
    oidcIssuerUrl: '',
    helmProvider,
    addOnDependencies: [...ready, ...addOns],
    workloadIdentityPodLabels: {},
    podCidrs: network.podCidrs,
    resources,
    clusterObjects: gkeComputeClasses(scope, spec),
    bindServiceAccount: workloadIdentityBinder(scope, cloud),
    // Cluster settings: the node pools (in addOnDependencies) come after the cluster, so nothing to wait for.
    enableGatewayApi: () => {
      cluster.putGatewayApiConfig({ channel: 'CHANNEL_STANDARD' });
      // Internal gateways (gke-l7-rilb) run their Envoy proxies in the region's proxy-only subnet; one per
      // network and region, so only in a network the cluster made. Inside the block reserved for pods and
      // services (10.64.0.0/13, which the node CIDR may not overlap), after both ranges.
      if (network.resource && !scope.node.tryFindChild('ProxyOnlySubnet')) {
        const proxyOnly = new ComputeSubnetwork(scope, 'ProxyOnlySubnet', {
          provider: gcpProvider(scope, cloud), project: cloud.project, region: cloud.region, name: `${name}-proxy-only`,
          network: network.network, ipCidrRange: GKE_PROXY_ONLY_CIDR, purpose: 'REGIONAL_MANAGED_PROXY', role: 'ACTIVE',
        });
        resources.proxyOnlySubnet = proxyOnly;
      }
      return [];
    },
    enableSecretStore: () => {
      cluster.putSecretManagerConfig({ enabled: true });
      requireGcpApis(cluster, 'secretmanager.googleapis.com');
    },
  };
}

/** A helm provider and workload-identity binder for a GKE cluster made elsewhere. */
export function gcpImportedCluster(scope: Construct, cloud: GcpCloud, spec: ImportedClusterSpec): ImportedClusterImpl {
  const host = spec.endpoint.replace(/^https:\/\//, '');
  return {
    helmProvider: gkeHelmProvider(scope, cloud, host, spec.certificateAuthorityData),
    workloadIdentityPodLabels: {},
    bindServiceAccount: workloadIdentityBinder(scope, cloud),
  };
}
