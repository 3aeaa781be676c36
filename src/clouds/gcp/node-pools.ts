import { Construct, IConstruct } from 'constructs';
import { ContainerNodePool, ContainerNodePoolNodeConfig } from '@cdktf/provider-google/lib/container-node-pool';
import { GcpCloud } from '../../core/cloud';
import { resolvedHash } from '../../core/hash';
import { resourceTags } from '../../core/tags';
import { CAPACITY_SUFFIX, CapacityKind } from '../../core/capacity';
import { GPU_TAINT, LABEL_CAPACITY, LABEL_POOL } from '../../k8s/node-labels';
import type { ClusterBuildSpec, ResolvedGpuPool } from '../../training/spi';
import { GKE_COMPUTE_CLASS_KEY, gkeUsesComputeClass } from './compute-class';
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

/**
 * Node settings every pool shares that GKE cannot change in place. Part of each pool's replace-only
 * settings below, so a change here also renames (and replaces, new pool first) every pool.
 */
const FIXED_NODE_SETTINGS = {
  oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
  imageType: 'COS_CONTAINERD',
  diskType: 'pd-balanced',
  shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
  gvnic: { enabled: true },
  metadata: { 'disable-legacy-endpoints': 'true' },
} satisfies ContainerNodePoolNodeConfig;

/** What replaces a node pool when it changes: node settings, placement and provisioning mode. */
interface ReplaceSettings {
  readonly nodeConfig: ContainerNodePoolNodeConfig;
  readonly placementPolicy?: { type: string };
  readonly queuedProvisioning?: { enabled: boolean };
}

/**
 * A node pool name keyed on the pool's replace-only settings, as terraform-google-modules/kubernetes-engine
 * does (its random_id keepers: machine type, disk, accelerators, spot...), but a hash instead of a random
 * suffix (synth stays deterministic). A change makes a new name, so Terraform replaces the pool, and
 * `create_before_destroy` brings the new pool up before the old one drains: the add-ons on the system
 * pool never lose their nodes. The per-cluster node service account and disk key (references) are not
 * hashed: they change only with the cluster.
 */
function keyedPoolName(scope: IConstruct, base: string, settings: ReplaceSettings): string {
  // Resolved: a reservation given as a reference hashes as its Terraform expression, not a token number.
  return `${base}-${resolvedHash(scope, settings, 4)}`;
}

function systemSettings(spec: ClusterBuildSpec): ReplaceSettings {
  return { nodeConfig: { ...FIXED_NODE_SETTINGS, machineType: spec.systemPool.machineType, diskSizeGb: spec.systemPool.diskSizeGiB } };
}

function gpuSettings(pool: ResolvedGpuPool, rungs: readonly CapacityKind[]): ReplaceSettings {
  const spot = rungs.includes('spot');
  const computeClass = gkeUsesComputeClass(pool.capacity, pool.queuedProvisioning);
  return {
    nodeConfig: {
      ...FIXED_NODE_SETTINGS,
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
    placementPolicy: pool.compactPlacement ? { type: 'COMPACT' } : undefined,
    queuedProvisioning: pool.queuedProvisioning ? { enabled: true } : undefined,
  };
}

/** GKE node pool name of a GPU pool's rung group: `<pool>-<od|rsv|spot>-<settings hash>`. */
export function gkeNodePoolName(scope: IConstruct, pool: ResolvedGpuPool, rungs: readonly CapacityKind[]): string {
  return keyedPoolName(scope, `${pool.name}-${CAPACITY_SUFFIX[rungs.includes('on-demand') ? 'on-demand' : rungs[0]]}`, gpuSettings(pool, rungs));
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
  // What GKE updates in place (labels, workload metadata) plus the per-cluster references.
  const perCluster = (labels: Record<string, string>): ContainerNodePoolNodeConfig => ({
    serviceAccount: plane.nodeServiceAccount.email,
    bootDiskKmsKey: plane.diskKey.id,
    workloadMetadataConfig: { mode: 'GKE_METADATA' },
    labels,
    resourceLabels,
  });
  const lifecycle = { createBeforeDestroy: true, ignoreChanges: ['initial_node_count'] };
  const dependsOn = [...plane.nodeRoles, plane.diskKeyGrant];

  const system = new ContainerNodePool(scope, 'SystemNodes', {
    provider,
    project: cloud.project,
    cluster: plane.cluster.id,
    location: cloud.region,
    name: keyedPoolName(scope, 'system', systemSettings(spec)),
    nodeLocations: spec.zones ? [...spec.zones] : undefined,
    initialNodeCount: 1,
    autoscaling: { totalMinNodeCount: spec.systemPool.minNodes, totalMaxNodeCount: spec.systemPool.maxNodes, locationPolicy: 'BALANCED' },
    management: { autoRepair: true, autoUpgrade: true },
    upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
    nodeConfig: { ...systemSettings(spec).nodeConfig, ...perCluster({ [LABEL_POOL]: 'system' }) },
    lifecycle,
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
      const settings = gpuSettings(pool, rungs);
      const nodePool = new ContainerNodePool(scope, `Pool-${pool.name}-${spot ? 'spot' : 'standard'}`, {
        provider,
        project: cloud.project,
        cluster: plane.cluster.id,
        location: cloud.region,
        name: gkeNodePoolName(scope, pool, rungs),
        nodeLocations,
        initialNodeCount: 0,
        autoscaling: {
          totalMinNodeCount: groupIndex === 0 ? pool.minNodes : 0,
          totalMaxNodeCount: pool.maxNodes,
          locationPolicy: 'ANY',
        },
        management: { autoRepair: !pool.queuedProvisioning, autoUpgrade: true },
        upgradeSettings: { maxSurge: 0, maxUnavailable: 1 },
        placementPolicy: settings.placementPolicy,
        queuedProvisioning: settings.queuedProvisioning,
        nodeConfig: {
          ...settings.nodeConfig,
          ...perCluster({
            ...pool.labels, [LABEL_CAPACITY]: spot ? 'spot' : rungs.includes('on-demand') ? 'on-demand' : 'reserved',
            ...(computeClass ? { [GKE_COMPUTE_CLASS_KEY]: pool.name } : {}),
          }),
        },
        lifecycle,
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
export function gkeComputeClasses(scope: IConstruct, spec: ClusterBuildSpec): Record<string, unknown>[] {
  return spec.gpuPools.filter((p) => gkeUsesComputeClass(p.capacity, p.queuedProvisioning)).map((pool) => ({
    apiVersion: 'cloud.google.com/v1',
    kind: 'ComputeClass',
    metadata: { name: pool.name, labels: { 'app.kubernetes.io/managed-by': 'cdktf-ai-infra' } },
    spec: {
      priorities: [
        { nodepools: [gkeNodePoolName(scope, pool, pool.capacity.filter((r) => r !== 'spot'))] },
        { nodepools: [gkeNodePoolName(scope, pool, ['spot'])] },
      ],
      nodePoolAutoCreation: { enabled: false },
      whenUnsatisfiable: 'DoNotScaleUp',
    },
  }));
}
