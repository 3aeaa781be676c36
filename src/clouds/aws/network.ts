import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { AwsCloud } from '../../core/cloud';
import { resourceTags } from '../../core/tags';
import { ClusterBuildSpec } from '../../training/cluster-impl';
import { awsProvider } from './provider';

/** The network an EKS cluster runs in. */
export interface AwsClusterNetwork {
  readonly vpcId: string;
  /** Private subnets, one per zone (nodes and the control-plane ENIs live here). */
  readonly privateSubnetIds: string[];
  /** The zone of each private subnet (tokens for a new network; unknown for an existing one). */
  readonly zoneOf: (index: number) => string | undefined;
  readonly vpc?: Vpc;
}

/**
 * A new VPC: a private subnet per zone (a /19 each from the VPC CIDR, tagged for internal load
 * balancers), a small public subnet per zone for NAT gateways and public load balancers, NAT per zone
 * (or one), and a default security group with no rules. Or an existing VPC, untouched.
 */
export function awsClusterNetwork(scope: Construct, cloud: AwsCloud, spec: ClusterBuildSpec, clusterName: string): AwsClusterNetwork {
  const existing = spec.network.existing;
  if (existing) {
    return { vpcId: existing.networkId, privateSubnetIds: [...existing.subnetIds], zoneOf: () => undefined };
  }
  const provider = awsProvider(scope, cloud.region);
  const net = new Construct(scope, 'Network');
  const tags = (extra: Record<string, string> = {}) => ({ ...resourceTags(net, cloud, spec.tags), ...extra });
  const cidr = spec.network.cidr ?? '10.0.0.0/16';
  const azs = spec.zones ? undefined : new DataAwsAvailabilityZones(net, 'Zones', {
    provider, state: 'available', filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
  });
  const zone = (i: number): string => spec.zones ? spec.zones[i] : Fn.element(azs!.names, i);
  const vpc = new Vpc(net, 'Vpc', {
    provider, cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags({ Name: clusterName }),
  });
  new DefaultSecurityGroup(net, 'DefaultSecurityGroup', { provider, vpcId: vpc.id, ingress: [], egress: [], tags: tags() });
  const igw = new InternetGateway(net, 'InternetGateway', { provider, vpcId: vpc.id, tags: tags({ Name: clusterName }) });
  const publicRt = new RouteTable(net, 'PublicRoutes', { provider, vpcId: vpc.id, tags: tags({ Name: `${clusterName}-public` }) });
  new Route(net, 'PublicDefaultRoute', { provider, routeTableId: publicRt.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });
  const privateSubnetIds: string[] = [];
  const nats: NatGateway[] = [];
  const natCount = spec.network.natGateways === 'single' ? 1 : spec.zoneCount;
  for (let i = 0; i < spec.zoneCount; i++) {
    const pub = new Subnet(net, `Public${i}`, {
      provider, vpcId: vpc.id, availabilityZone: zone(i), cidrBlock: Fn.cidrsubnet(Fn.cidrsubnet(cidr, 3, 7), 5, i),
      mapPublicIpOnLaunch: false, tags: tags({ Name: `${clusterName}-public-${i}`, 'kubernetes.io/role/elb': '1' }),
    });
    new RouteTableAssociation(net, `Public${i}Routes`, { provider, subnetId: pub.id, routeTableId: publicRt.id });
    if (i < natCount) {
      const eip = new Eip(net, `NatIp${i}`, { provider, domain: 'vpc', tags: tags({ Name: `${clusterName}-nat-${i}` }) });
      nats.push(new NatGateway(net, `Nat${i}`, {
        provider, allocationId: eip.allocationId, subnetId: pub.id, tags: tags({ Name: `${clusterName}-nat-${i}` }), dependsOn: [igw],
      }));
    }
    const priv = new Subnet(net, `Private${i}`, {
      provider, vpcId: vpc.id, availabilityZone: zone(i), cidrBlock: Fn.cidrsubnet(cidr, 3, i),
      tags: tags({ Name: `${clusterName}-private-${i}`, 'kubernetes.io/role/internal-elb': '1', [`kubernetes.io/cluster/${clusterName}`]: 'shared' }),
    });
    const rt = new RouteTable(net, `Private${i}RouteTable`, { provider, vpcId: vpc.id, tags: tags({ Name: `${clusterName}-private-${i}` }) });
    new Route(net, `Private${i}DefaultRoute`, { provider, routeTableId: rt.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nats[Math.min(i, nats.length - 1)].id });
    new RouteTableAssociation(net, `Private${i}Routes`, { provider, subnetId: priv.id, routeTableId: rt.id });
    privateSubnetIds.push(priv.id);
  }
  return { vpcId: vpc.id, privateSubnetIds, zoneOf: zone, vpc };
}
