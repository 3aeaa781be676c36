import { Construct } from 'constructs';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeRouter } from '@cdktf/provider-google/lib/compute-router';
import { ComputeRouterNat } from '@cdktf/provider-google/lib/compute-router-nat';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { GcpCloud } from '../../core/cloud';
import type { ClusterBuildSpec } from '../../training/spi';
import { gcpProvider } from './provider';

export const PODS_RANGE = 'pods';
export const SERVICES_RANGE = 'services';
/** The pods secondary range of a network the cluster makes. */
export const GKE_POD_CIDR = '10.64.0.0/14';

export interface GcpClusterNetwork {
  readonly network: string;
  readonly subnetwork: string;
  readonly podsRangeName: string;
  readonly servicesRangeName: string;
  /** The pods range's CIDR; unknown for an existing network without `podCidrs`. */
  readonly podCidrs?: readonly string[];
  readonly resource?: ComputeNetwork;
}

/**
 * A new custom-mode VPC: one regional subnetwork for nodes (the given CIDR, Private Google Access on,
 * flow logs on) with secondary ranges for pods (/14) and services (/20), a Cloud Router and Cloud NAT
 * so private nodes reach the internet. Or an existing network with its ranges.
 */
export function gcpClusterNetwork(scope: Construct, cloud: GcpCloud, spec: ClusterBuildSpec, name: string): GcpClusterNetwork {
  const existing = spec.network.existing;
  if (existing) {
    return {
      network: existing.networkId, subnetwork: existing.subnetIds[0],
      podsRangeName: existing.podsRangeName ?? PODS_RANGE, servicesRangeName: existing.servicesRangeName ?? SERVICES_RANGE,
      podCidrs: existing.podCidrs,
    };
  }
  const provider = gcpProvider(scope, cloud);
  const net = new Construct(scope, 'Network');
  const network = new ComputeNetwork(net, 'Vpc', {
    provider, project: cloud.project, name, autoCreateSubnetworks: false, routingMode: 'REGIONAL',
  });
  const subnet = new ComputeSubnetwork(net, 'Nodes', {
    provider, project: cloud.project, region: cloud.region, name: `${name}-nodes`, network: network.id,
    ipCidrRange: spec.network.cidr ?? '10.0.0.0/16',
    privateIpGoogleAccess: true,
    secondaryIpRange: [
      { rangeName: PODS_RANGE, ipCidrRange: GKE_POD_CIDR },
      { rangeName: SERVICES_RANGE, ipCidrRange: '10.68.0.0/20' },
    ],
    logConfig: { aggregationInterval: 'INTERVAL_10_MIN', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' },
  });
  const router = new ComputeRouter(net, 'Router', { provider, project: cloud.project, region: cloud.region, name: `${name}-router`, network: network.id });
  new ComputeRouterNat(net, 'Nat', {
    provider, project: cloud.project, region: cloud.region, name: `${name}-nat`, router: router.name,
    natIpAllocateOption: 'AUTO_ONLY', sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES',
    enableEndpointIndependentMapping: false, enableDynamicPortAllocation: true, minPortsPerVm: 64, maxPortsPerVm: 4096,
    logConfig: { enable: true, filter: 'ERRORS_ONLY' },
  });
  return { network: network.id, subnetwork: subnet.id, podsRangeName: PODS_RANGE, servicesRangeName: SERVICES_RANGE, podCidrs: [GKE_POD_CIDR], resource: network };
}
