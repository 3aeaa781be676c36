import { Construct } from 'constructs';
import { Fn, ITerraformDependable } from 'cdktf';
import { NatGateway } from '@cdktf/provider-azurerm/lib/nat-gateway';
import { NatGatewayPublicIpAssociation } from '@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association';
import { PublicIp } from '@cdktf/provider-azurerm/lib/public-ip';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { SubnetNatGatewayAssociation } from '@cdktf/provider-azurerm/lib/subnet-nat-gateway-association';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { AzureCloud } from '../../core/cloud';
import { resourceTags } from '../../core/tags';
import type { ClusterBuildSpec } from '../../training/spi';
import { azureProvider, azureResourceGroupName } from './provider';

export interface AzureClusterNetwork {
  readonly vnetId: string;
  readonly subnetId: string;
  /** What the cluster must wait for (the NAT association), so egress exists before nodes boot. */
  readonly ready: ITerraformDependable[];
  readonly vnet?: VirtualNetwork;
  /** The node subnet, when this stack made it. */
  readonly subnet?: Subnet;
}

/** The VNet resource id of a subnet resource id (`.../virtualNetworks/<vnet>/subnets/<subnet>`). */
export function vnetIdOfSubnet(subnetId: string): string {
  return subnetId.replace(/\/subnets\/[^/]+$/i, '');
}

/**
 * A new VNet with one node subnet (Azure CNI overlay: pods take addresses from the overlay, nodes from
 * the subnet; no default outbound access) and a NAT gateway with a static public IP for egress. Or an
 * existing subnet (with egress already attached).
 */
export function azureClusterNetwork(scope: Construct, cloud: AzureCloud, spec: ClusterBuildSpec, name: string): AzureClusterNetwork {
  const existing = spec.network.existing;
  if (existing) return { vnetId: existing.networkId, subnetId: existing.subnetIds[0], ready: [] };
  const provider = azureProvider(scope, cloud);
  const resourceGroupName = azureResourceGroupName(scope, cloud);
  const net = new Construct(scope, 'Network');
  const tags = resourceTags(net, cloud, spec.tags);
  const cidr = spec.network.cidr ?? '10.0.0.0/16';
  const vnet = new VirtualNetwork(net, 'Vnet', {
    provider, name: `vnet-${name}`, location: cloud.location, resourceGroupName, addressSpace: [cidr], tags,
  });
  const subnet = new Subnet(net, 'Nodes', {
    provider, name: 'nodes', resourceGroupName, virtualNetworkName: vnet.name,
    addressPrefixes: [Fn.cidrsubnet(cidr, 4, 0)], defaultOutboundAccessEnabled: false,
  });
  const ip = new PublicIp(net, 'NatIp', {
    provider, name: `pip-nat-${name}`, location: cloud.location, resourceGroupName, allocationMethod: 'Static', sku: 'Standard', tags,
  });
  const nat = new NatGateway(net, 'Nat', {
    provider, name: `ng-${name}`, location: cloud.location, resourceGroupName, skuName: 'Standard', idleTimeoutInMinutes: 10, tags,
  });
  const ipAssoc = new NatGatewayPublicIpAssociation(net, 'NatIpAssociation', { provider, natGatewayId: nat.id, publicIpAddressId: ip.id });
  const assoc = new SubnetNatGatewayAssociation(net, 'NatAssociation', { provider, subnetId: subnet.id, natGatewayId: nat.id });
  return { vnetId: vnet.id, subnetId: subnet.id, ready: [ipAssoc, assoc], vnet, subnet };
}
