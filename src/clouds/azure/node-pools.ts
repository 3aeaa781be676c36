import { Construct, IConstruct } from 'constructs';
import { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import { AzureCloud } from '../../core/cloud';
import { resolvedHash } from '../../core/hash';
import { resourceTags } from '../../core/tags';
import { CAPACITY_PRIORITY, CAPACITY_SUFFIX, CapacityKind } from '../../core/capacity';
import { GPU_TAINT, LABEL_CAPACITY } from '../../k8s/node-labels';
import { configMap } from '../../k8s/objects/config-map';
import type { ClusterBuildSpec, ResolvedGpuPool } from '../../training/spi';
import { azureProvider } from './provider';

/** Default Azure zones (the system pool's, and a GPU pool's without zones of its own or the cluster's). */
export const AZURE_DEFAULT_ZONES = ['1', '2', '3'];

/** The taint AKS puts on spot nodes (declared, so Terraform does not see drift). */
export const AKS_SPOT_TAINT = 'kubernetes.azure.com/scalesetpriority=spot:NoSchedule';

export interface AzureGpuNodePool {
  readonly pool: ResolvedGpuPool;
  readonly rung: CapacityKind;
  readonly nodePool: KubernetesClusterNodePool;
}

/** What replaces an AKS user node pool when it changes (VM size, disk, OS, zones, priority, reservation...). */
function replaceSettings(spec: ClusterBuildSpec, pool: ResolvedGpuPool, rung: CapacityKind) {
  const spot = rung === 'spot';
  return {
    vmSize: pool.machine.machine,
    zones: pool.zones ? (pool.zones.length > 0 ? [...pool.zones] : undefined) : spec.zones ? [...spec.zones] : AZURE_DEFAULT_ZONES,
    gpuDriver: 'Install',
    osSku: 'Ubuntu',
    osDiskSizeGb: pool.diskSizeGiB,
    maxPods: 50,
    nodeTaints: [`${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`, ...(spot ? [AKS_SPOT_TAINT] : [])],
    priority: spot ? 'Spot' : 'Regular',
    evictionPolicy: spot ? 'Delete' : undefined,
    spotMaxPrice: spot ? -1 : undefined,
    capacityReservationGroupId: rung === 'reserved' ? pool.reservation?.id : undefined,
  };
}

/**
 * AKS node pool names: at most 12 lowercase letters and digits: `g<pool index><rsv|od|spot><hash>`, the
 * hash (4 hex digits) taken over the pool's replace-only settings. This is Azure/terraform-azurerm-aks's
 * `create_before_destroy` mode (a short name plus 4 characters that change with the pool), with a
 * deterministic hash where the module draws a uuid: a change gives a new name, Terraform replaces the pool
 * and `create_before_destroy` brings the new one up before the old one is deleted.
 */
export function aksNodePoolName(scope: IConstruct, spec: ClusterBuildSpec, poolIndex: number, rung: CapacityKind): string {
  const pool = spec.gpuPools[poolIndex];
  // Resolved: a reservation given as a reference hashes as its Terraform expression, not a token number.
  return `g${poolIndex}${CAPACITY_SUFFIX[rung]}${resolvedHash(scope, replaceSettings(spec, pool, rung), 4)}`;
}

/**
 * One user node pool per GPU pool and rung: the GPU VM size, AKS-installed NVIDIA driver
 * (`gpu_driver = Install`), taint `nvidia.com/gpu=present:NoSchedule`, labels, autoscaling 0..max (the
 * first rung may keep minNodes), zones; reserved rungs draw from a Capacity Reservation Group, spot rungs
 * are Spot priority (evicted by deletion, pay up to the on-demand price).
 */
export function azureGpuNodePools(scope: Construct, cloud: AzureCloud, spec: ClusterBuildSpec, cluster: KubernetesCluster, subnetId: string): AzureGpuNodePool[] {
  const provider = azureProvider(scope, cloud);
  const tags = resourceTags(scope, cloud, spec.tags);
  const out: AzureGpuNodePool[] = [];
  spec.gpuPools.forEach((pool, poolIndex) => {
    pool.capacity.forEach((rung, rungIndex) => {
      const spot = rung === 'spot';
      const minCount = rungIndex === 0 ? pool.minNodes : 0;
      const nodePool = new KubernetesClusterNodePool(scope, `Pool-${pool.name}-${rung}`, {
        provider,
        name: aksNodePoolName(scope, spec, poolIndex, rung),
        kubernetesClusterId: cluster.id,
        mode: 'User',
        ...replaceSettings(spec, pool, rung),
        vnetSubnetId: subnetId,
        autoScalingEnabled: true,
        minCount,
        maxCount: pool.maxNodes,
        nodeCount: minCount,
        nodeLabels: { ...pool.labels, [LABEL_CAPACITY]: rung },
        upgradeSettings: spot ? undefined : { maxSurge: '1' },
        tags,
        lifecycle: { createBeforeDestroy: true, ignoreChanges: ['node_count'] },
      });
      out.push({ pool, rung, nodePool });
    });
  });
  return out;
}

/** True when some pool has more than one rung: the autoscaler then expands by priority. */
export function aksUsesPriorityExpander(spec: ClusterBuildSpec): boolean {
  return spec.gpuPools.some((p) => p.capacity.length > 1);
}

/**
 * The AKS cluster-autoscaler priority-expander ConfigMap: node pools `g<i>rsv<hash>` (100) before `g<i>od<hash>`
 * (50) before `g<i>spot<hash>` (10). AKS names a node pool's scale set `aks-<pool>-<hash>-vmss`.
 */
export function aksPriorityExpanderConfigMap(scope: IConstruct, spec: ClusterBuildSpec): Record<string, unknown> {
  const byPriority = new Map<number, string[]>();
  spec.gpuPools.forEach((pool, i) => {
    for (const rung of pool.capacity) {
      const p = CAPACITY_PRIORITY[rung];
      byPriority.set(p, [...(byPriority.get(p) ?? []), `^aks-${aksNodePoolName(scope, spec, i, rung)}-.*`]);
    }
  });
  byPriority.set(1, ['.*']);
  const priorities = [...byPriority.entries()].sort((a, b) => a[0] - b[0])
    .map(([p, patterns]) => `${p}:\n${patterns.map((r) => `  - ${r}`).join('\n')}`).join('\n');
  return configMap({
    name: 'cluster-autoscaler-priority-expander', namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' },
    data: { priorities: `${priorities}\n` },
  });
}
