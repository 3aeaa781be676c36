import { Construct } from 'constructs';
import { KubernetesCluster } from '@cdktf/provider-azurerm/lib/kubernetes-cluster';
import { KubernetesClusterNodePool } from '@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool';
import { AzureCloud } from '../../core/cloud';
import { resourceTags } from '../../core/tags';
import { CAPACITY_PRIORITY, CAPACITY_SUFFIX, CapacityKind } from '../../training/capacity';
import { ClusterBuildSpec, GPU_TAINT, LABEL_CAPACITY, ResolvedGpuPool } from '../../training/cluster-impl';
import { AZURE_DEFAULT_ZONES } from './cluster';
import { azureProvider } from './provider';

/** The taint AKS puts on spot nodes (declared, so Terraform does not see drift). */
export const AKS_SPOT_TAINT = 'kubernetes.azure.com/scalesetpriority=spot:NoSchedule';

export interface AzureGpuNodePool {
  readonly pool: ResolvedGpuPool;
  readonly rung: CapacityKind;
  readonly nodePool: KubernetesClusterNodePool;
}

/** AKS node pool names: at most 12 lowercase letters and digits: `g<pool index><rsv|od|spot>`. */
export function aksNodePoolName(poolIndex: number, rung: CapacityKind): string {
  return `g${poolIndex}${CAPACITY_SUFFIX[rung]}`;
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
        name: aksNodePoolName(poolIndex, rung),
        kubernetesClusterId: cluster.id,
        mode: 'User',
        vmSize: pool.machine.machine,
        zones: pool.zones ? (pool.zones.length > 0 ? [...pool.zones] : undefined) : spec.zones ? [...spec.zones] : AZURE_DEFAULT_ZONES,
        vnetSubnetId: subnetId,
        autoScalingEnabled: true,
        minCount,
        maxCount: pool.maxNodes,
        nodeCount: minCount,
        gpuDriver: 'Install',
        osSku: 'Ubuntu',
        osDiskSizeGb: pool.diskSizeGiB,
        maxPods: 50,
        nodeLabels: { ...pool.labels, [LABEL_CAPACITY]: rung },
        nodeTaints: [`${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`, ...(spot ? [AKS_SPOT_TAINT] : [])],
        priority: spot ? 'Spot' : 'Regular',
        evictionPolicy: spot ? 'Delete' : undefined,
        spotMaxPrice: spot ? -1 : undefined,
        capacityReservationGroupId: rung === 'reserved' ? pool.reservation?.id : undefined,
        upgradeSettings: spot ? undefined : { maxSurge: '1' },
        tags,
        lifecycle: { ignoreChanges: ['node_count'] },
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
 * The AKS cluster-autoscaler priority-expander ConfigMap: node pools `g<i>rsv` (100) before `g<i>od` (50)
 * before `g<i>spot` (10). AKS names a node pool's scale set `aks-<pool>-<hash>-vmss`.
 */
export function aksPriorityExpanderConfigMap(spec: ClusterBuildSpec): Record<string, unknown> {
  const byPriority = new Map<number, string[]>();
  spec.gpuPools.forEach((pool, i) => {
    for (const rung of pool.capacity) {
      const p = CAPACITY_PRIORITY[rung];
      byPriority.set(p, [...(byPriority.get(p) ?? []), `^aks-${aksNodePoolName(i, rung)}-.*`]);
    }
  });
  byPriority.set(1, ['.*']);
  const priorities = [...byPriority.entries()].sort((a, b) => a[0] - b[0])
    .map(([p, patterns]) => `${p}:\n${patterns.map((r) => `  - ${r}`).join('\n')}`).join('\n');
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cluster-autoscaler-priority-expander', namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' } },
    data: { priorities: `${priorities}\n` },
  };
}
