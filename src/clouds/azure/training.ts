// AKS's GpuTrainingCluster: the cloud facts generic validation reads, and the builders (src/training/spi.ts).
import type { AzureCloud } from '../../core/cloud';
import { check, InvalidPropError } from '../../core/errors';
import type { ClusterSpi } from '../../training/spi';
import { AKS_POD_CIDR } from './cluster';
import { azureGpuCluster, azureImportedCluster } from './gpu-cluster';

export const cluster: ClusterSpi<AzureCloud> = {
  checkAdmins(scope, admins) {
    admins.forEach((a) => check.matches(scope, 'admins', a, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'Entra ID group object ids (lowercase GUIDs)'));
  },
  checkExistingNetwork(scope, existing) {
    const subnets = existing.subnetIds ?? [];
    if (subnets.length !== 1) throw new InvalidPropError(scope, 'network.existing.subnetIds', subnets, 'one subnet resource id (with egress through NAT already attached)');
    if (existing.podCidrs !== undefined) {
      throw new InvalidPropError(scope, 'network.existing.podCidrs', existing.podCidrs, `unset on Azure (pods take IPs from the cluster's own overlay range, ${AKS_POD_CIDR}, whatever the VNet)`);
    }
  },
  zonePattern: () => ({ re: /^[1-3]$/, what: 'availability zone numbers "1", "2", "3"' }),
  // Some GPU sizes are not zonal in every region.
  regionalPoolsAllowed: true,
  defaultSystemMachineType: 'Standard_D4ds_v5',
  reservationId: {
    re: /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/capacityReservationGroups\/[^/]+$/i,
    what: 'a Capacity Reservation Group resource id',
  },
  reservationRequired: 'a Capacity Reservation Group ({ id }) for a \'reserved\' rung on Azure (AKS cannot consume reservations otherwise)',
  queuedProvisioningUnsupported: 'false on Azure',
  compactPlacementUnsupported: 'false on Azure (ND-series VMs are already placed on one InfiniBand fabric)',
  // AKS taints spot nodes itself.
  poolPlacement: (_name, capacity) => ({
    taints: capacity.includes('spot') ? [{ key: 'kubernetes.azure.com/scalesetpriority', value: 'spot', effect: 'NoSchedule' }] : [],
    nodeSelector: {},
  }),
  // Every rung is its own node pool.
  separatelyCappedGroups: (capacity) => capacity.length,
  gatewayApiByDefault: false,
  // None: the projected token is exchanged with Entra ID over HTTPS (covered by the 443 egress policy).
  workloadIdentityEndpoints: [],
  build: azureGpuCluster,
  checkImported(scope, spec) {
    if (!spec.oidcIssuerUrl) throw new InvalidPropError(scope, 'oidcIssuerUrl', spec.oidcIssuerUrl, 'the AKS OIDC issuer URL (cluster.oidcIssuerUrl of the making stack)');
  },
  buildImported: azureImportedCluster,
};
