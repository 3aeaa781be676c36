import { Construct } from 'constructs';
import { ContainerNodePool, ContainerNodePoolNodeConfig } from '@cdktf/provider-google/lib/container-node-pool';
import { GcpCloud } from '../../core/cloud';
import { resourceTags } from '../../core/tags';
import { CAPACITY_SUFFIX, CapacityKind } from '../../training/capacity';
import {
  ClusterBuildSpec, GKE_COMPUTE_CLASS_KEY, gkeUsesComputeClass, GPU_TAINT, LABEL_CAPACITY, LABEL_POOL, ResolvedGpuPool,
} from '../../training/cluster-impl';
import { GcpControlPlane } from './cluster';
import { gcpProvider } from './provider';

/** One GKE node pool of a GPU pool: reserved + on-demand share one (reservation first), spot is another. */
export interface GcpGpuNodePool {
  readonly pool: ResolvedGpuPool;
  readonly rungs: readonly CapacityKind[];
  readonly nodePool: ContainerNodePool;
}

export interface GcpNodePools {
  readonly system: ContainerNodePool;
  readonly gpu: GcpGpuNodePool[];
}

/** GKE node pool name of a GPU pool's rung group. */
export function gkeNodePoolName(pool: string, rungs: readonly CapacityKind[]): string {
  return `${pool}-${CAPACITY_SUFFIX[rungs.includes('on-demand') ? 'on-demand' : rungs[0]]}`;
}

function reservationAffinity(pool: ResolvedGpuPool, rungs: readonly CapacityKind[]): ContainerNodePoolNodeConfig['reservationAffinity'] {
  if (!rungs.includes('reserved') || pool.queuedProvisioning) return { consumeReservationType: 'NO_RESERVATION' };
  if (pool.reservation) {
    return { consumeReservationType: 'SPECIFIC_RESERVATION', key: 'compute.googleapis.com/reservation-name', values: [pool.reservation.id] };
  }
  return { consumeReservationType: 'ANY_RESERVATION' };
}

/**
 * The system pool (on-demand, across the cluster's zones, autoscaled between min and max in total) and
 * the GPU node pools: `guest_accelerator` with GKE-managed driver installation (LATEST), tainted
 * `nvidia.com/gpu=present:NoSchedule`, autoscaling 0..max (any zone with capacity), shielded nodes,
 * GKE metadata server (workload identity), CMEK boot disks, gVNIC; spot, reservation affinity, queued
 * provisioning (DWS) and compact placement as asked.
 */
export function gcpNodePools(scope: Construct, cloud: GcpCloud, spec: ClusterBuildSpec, plane: GcpControlPlane): GcpNodePools {
  const provider = gcpProvider(scope, cloud);
  const resourceLabels = resourceTags(scope, cloud, spec.tags);
  const base = (labels: Record<string, string>): ContainerNodePoolNodeConfig => ({
    serviceAccount: plane.nodeServiceAccount.email,
    oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
    imageType: 'COS_CONTAINERD',
    diskType: 'pd-balanced',
    bootDiskKmsKey: plane.diskKey.id,
    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
    workloadMetadataConfig: { mode: 'GKE_METADATA' },
    gvnic: { enabled: true },
    labels,
    resourceLabels,
    metadata: { 'disable-legacy-endpoints': 'true' },
  });
  const dependsOn = [...plane.nodeRoles, plane.diskKeyGrant];

  const system = new ContainerNodePool(scope, 'SystemNodes', {
    provider,
    project: cloud.project,
    cluster: plane.cluster.id,
    location: cloud.region,
    name: 'system',
    nodeLocations: spec.zones ? [...spec.zones] : undefined,
    initialNodeCount: 1,
    autoscaling: { totalMinNodeCount: spec.systemPool.minNodes, totalMaxNodeCount: spec.systemPool.maxNodes, locationPolicy: 'BALANCED' },
    management: { autoRepair: true, autoUpgrade: true },
    upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
    nodeConfig: { ...base({ [LABEL_POOL]: 'system' }), machineType: spec.systemPool.machineType, diskSizeGb: spec.systemPool.diskSizeGiB },
    lifecycle: { ignoreChanges: ['initial_node_count'] },
    dependsOn,
  });

  const gpu: GcpGpuNodePool[] = [];
  for (const pool of spec.gpuPools) {
    const computeClass = gkeUsesComputeClass(pool.capacity, pool.queuedProvisioning);
    const groups: CapacityKind[][] = [];
    const nonSpot = pool.capacity.filter((r) => r !== 'spot');
    if (nonSpot.length) groups.push(nonSpot);
    if (pool.capacity.includes('spot')) groups.push(['spot']);
    groups.forEach((rungs, groupIndex) => {
      const spot = rungs.includes('spot');
      const zones = pool.zones ?? spec.zones;
      const nodeLocations = pool.compactPlacement && zones ? [zones[0]] : zones ? [...zones] : undefined;
      const name = gkeNodePoolName(pool.name, rungs);
      const nodePool = new ContainerNodePool(scope, `Pool-${pool.name}-${spot ? 'spot' : 'standard'}`, {
        provider,
        project: cloud.project,
        cluster: plane.cluster.id,
        location: cloud.region,
        name,
        nodeLocations,
        initialNodeCount: 0,
        autoscaling: {
          totalMinNodeCount: groupIndex === 0 ? pool.minNodes : 0,
          totalMaxNodeCount: pool.maxNodes,
          locationPolicy: 'ANY',
        },
        management: { autoRepair: !pool.queuedProvisioning, autoUpgrade: true },
        upgradeSettings: { maxSurge: 0, maxUnavailable: 1 },
        placementPolicy: pool.compactPlacement ? { type: 'COMPACT' } : undefined,
        queuedProvisioning: pool.queuedProvisioning ? { enabled: true } : undefined,
        nodeConfig: {
          ...base({
            ...pool.labels, [LABEL_CAPACITY]: spot ? 'spot' : rungs.includes('on-demand') ? 'on-demand' : 'reserved',
            ...(computeClass ? { [GKE_COMPUTE_CLASS_KEY]: pool.name } : {}),
          }),
          machineType: pool.machine.machine,
          diskSizeGb: pool.diskSizeGiB,
          guestAccelerator: [{
            type: pool.machine.acceleratorType ?? pool.gpu.id,
            count: pool.machine.gpusPerNode,
            gpuDriverInstallationConfig: { gpuDriverVersion: 'LATEST' },
          }],
          spot,
          taint: [
            { key: GPU_TAINT.key, value: GPU_TAINT.value, effect: 'NO_SCHEDULE' },
            ...(computeClass ? [{ key: GKE_COMPUTE_CLASS_KEY, value: pool.name, effect: 'NO_SCHEDULE' }] : []),
          ],
          reservationAffinity: spot ? { consumeReservationType: 'NO_RESERVATION' } : reservationAffinity(pool, rungs),
        },
        lifecycle: { ignoreChanges: ['initial_node_count'] },
        dependsOn: [system],
      });
      gpu.push({ pool, rungs, nodePool });
    });
  }
  return { system, gpu };
}

/**
 * A GKE custom ComputeClass per GPU pool with spot and non-spot rungs: the pool's node pools in ladder
 * order (reserved + on-demand first, then spot), no auto-created node pools, no scale-up outside them.
 * Pods select the class (`cloud.google.com/compute-class: <pool>`), which the pool info carries.
 */
export function gkeComputeClasses(spec: ClusterBuildSpec): Record<string, unknown>[] {
  return spec.gpuPools.filter((p) => gkeUsesComputeClass(p.capacity, p.queuedProvisioning)).map((pool) => ({
    apiVersion: 'cloud.google.com/v1',
    kind: 'ComputeClass',
    metadata: { name: pool.name, labels: { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' } },
    spec: {
      priorities: [
        { nodepools: [gkeNodePoolName(pool.name, pool.capacity.filter((r) => r !== 'spot'))] },
        { nodepools: [gkeNodePoolName(pool.name, ['spot'])] },
      ],
      nodePoolAutoCreation: { enabled: false },
      whenUnsatisfiable: 'DoNotScaleUp',
    },
  }));
}
