// GKE's GpuTrainingCluster: the cloud facts generic validation reads, and the builders (src/training/spi.ts).
import type { GcpCloud } from '../../core/cloud';
import type { GpuPoolInfo } from '../../core/cluster';
import { InvalidPropError } from '../../core/errors';
import type { ClusterSpi } from '../../training/spi';
import { GKE_COMPUTE_CLASS_KEY, gkeUsesComputeClass } from './compute-class';
import { gcpGpuCluster, gcpImportedCluster } from './gpu-cluster';

export const cluster: ClusterSpi<GcpCloud> = {
  checkAdmins(scope, admins) {
    if (admins.length > 0) throw new InvalidPropError(scope, 'admins', admins, 'none on GKE: grant roles/container.developer or roles/container.clusterViewer in project IAM');
  },
  gpuOperatorUnsupported: '"device-plugin" on GKE (GKE installs the driver and its device plugin through gpu_driver_installation_config)',
  checkExistingNetwork(scope, existing) {
    const subnets = existing.subnetIds ?? [];
    if (subnets.length !== 1 || !existing.podsRangeName || !existing.servicesRangeName) {
      throw new InvalidPropError(scope, 'network.existing', existing, 'one subnetwork in subnetIds plus podsRangeName and servicesRangeName (its secondary ranges)');
    }
  },
  zonePattern: (c) => ({ re: new RegExp(`^${c.region}-[a-z]$`), what: `zones of ${c.region}, e.g. "${c.region}-a"` }),
  regionalPoolsAllowed: false,
  defaultSystemMachineType: 'n2-standard-4',
  reservationId: { re: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, what: 'a Compute Engine reservation name' },
  // A pool with spot and non-spot rungs is a custom ComputeClass: its node pools are labelled and tainted with
  // the class, and the class orders them.
  poolPlacement(name, capacity, queued): Pick<GpuPoolInfo, 'taints' | 'nodeSelector'> {
    if (!gkeUsesComputeClass(capacity, queued)) return { taints: [], nodeSelector: {} };
    return { taints: [{ key: GKE_COMPUTE_CLASS_KEY, value: name, effect: 'NoSchedule' }], nodeSelector: { [GKE_COMPUTE_CLASS_KEY]: name } };
  },
  // Reserved and on-demand share one node pool; spot is another.
  separatelyCappedGroups: (capacity) => (capacity.some((r) => r !== 'spot') ? 1 : 0) + (capacity.includes('spot') ? 1 : 0),
  // A free managed setting.
  gatewayApiByDefault: true,
  gkeSecurityOptions: true,
  // The GKE metadata server, and 169.254.169.254:80 which GKE serves for pods.
  workloadIdentityEndpoints: [{ cidr: '169.254.169.252/32', port: 988 }, { cidr: '169.254.169.254/32', port: 80 }],
  build: gcpGpuCluster,
  buildImported: gcpImportedCluster,
};
