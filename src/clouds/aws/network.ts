import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { cidrSubnet } from '../../core/cidr';
import { AwsCloud } from '../../core/cloud';
import { resourceTags } from '../../core/tags';
import type { ClusterBuildSpec } from '../../training/spi';
import { awsProvider } from './provider';

/** The network an EKS cluster runs in. */
export interface AwsClusterNetwork {
  readonly vpcId: string;
  /** Private subnets, one per zone (nodes and the control-plane ENIs live here). */
  readonly privateSubnetIds: string[];
  /** The zone of each private subnet (tokens for a new network; unknown for an existing one). */
  readonly zoneOf: (index: number) => string | undefined;
  /** Where pods take IPs from (the VPC CNI gives them addresses of the node subnets); unknown for an existing VPC without `podCidrs`. */
  readonly podCidrs?: readonly string[];
  readonly vpc?: Vpc;
}

/**
 * The layout of a new VPC: a private /19 (for a /16) per zone for nodes and pods, and in the last /19 a small
 * public subnet per zone (NAT gateways, internet-facing load balancers) and a small subnet per zone for internal
 * load balancers. Load balancers never share a subnet with pods, so the NetworkPolicies that admit the load
 * balancers' range can except the pods' (src/k8s/objects/network-policy.ts `ipBlockPeers`).
 */
export function awsSubnetLayout(cidr: string, zone: number): { private: string; public: string; loadBalancer: string } {
  const edge = cidrSubnet(cidr, 3, 7);
  return { private: cidrSubnet(cidr, 3, zone), public: cidrSubnet(edge, 5, zone), loadBalancer: cidrSubnet(edge, 5, 8 + zone) };
}

/** The flow-log group name of a cluster's VPC (the logs key policy names it). */
export function flowLogGroupName(clusterName: string): string {
  return `/aws/vpc/${clusterName}/flow-logs`;
}

/**
 * A new VPC (`awsSubnetLayout`): private subnets with a NAT route, public subnets (tagged for internet-facing
 * load balancers) and internal load balancer subnets (tagged for internal ones; local routes only), NAT per zone
 * (or one), a default security group with no rules, and flow logs (all traffic) to a KMS-encrypted log group
 * through a role that may only write there. Or an existing VPC, untouched.
 */
export function awsClusterNetwork(scope: Construct, cloud: AwsCloud, spec: ClusterBuildSpec, clusterName: string, logsKeyArn: string): AwsClusterNetwork {
  const existing = spec.network.existing;
  if (existing) {
    return { vpcId: existing.networkId, privateSubnetIds: [...existing.subnetIds], zoneOf: () => undefined, podCidrs: existing.podCidrs };
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
  vpcFlowLogs(net, vpc, clusterName, logsKeyArn, tags);
  const igw = new InternetGateway(net, 'InternetGateway', { provider, vpcId: vpc.id, tags: tags({ Name: clusterName }) });
  const publicRt = new RouteTable(net, 'PublicRoutes', { provider, vpcId: vpc.id, tags: tags({ Name: `${clusterName}-public` }) });
  new Route(net, 'PublicDefaultRoute', { provider, routeTableId: publicRt.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });
  const privateSubnetIds: string[] = [];
  const podCidrs: string[] = [];
  const nats: NatGateway[] = [];
  // Internal load balancers answer clients inside the VPC only: the local route is all they need.
  const loadBalancerRt = new RouteTable(net, 'LoadBalancerRoutes', { provider, vpcId: vpc.id, tags: tags({ Name: `${clusterName}-load-balancers` }) });
  const natCount = spec.network.natGateways === 'single' ? 1 : spec.zoneCount;
  for (let i = 0; i < spec.zoneCount; i++) {
    const layout = awsSubnetLayout(cidr, i);
    const pub = new Subnet(net, `Public${i}`, {
      provider, vpcId: vpc.id, availabilityZone: zone(i), cidrBlock: layout.public,
      mapPublicIpOnLaunch: false, tags: tags({ Name: `${clusterName}-public-${i}`, 'kubernetes.io/role/elb': '1' }),
    });
    new RouteTableAssociation(net, `Public${i}Routes`, { provider, subnetId: pub.id, routeTableId: publicRt.id });
    if (i < natCount) {
      const eip = new Eip(net, `NatIp${i}`, { provider, domain: 'vpc', tags: tags({ Name: `${clusterName}-nat-${i}` }) });
      nats.push(new NatGateway(net, `Nat${i}`, {
        provider, allocationId: eip.allocationId, subnetId: pub.id, tags: tags({ Name: `${clusterName}-nat-${i}` }), dependsOn: [igw],
      }));
    }
    const lb = new Subnet(net, `LoadBalancer${i}`, {
      provider, vpcId: vpc.id, availabilityZone: zone(i), cidrBlock: layout.loadBalancer, mapPublicIpOnLaunch: false,
      tags: tags({ Name: `${clusterName}-load-balancers-${i}`, 'kubernetes.io/role/internal-elb': '1' }),
    });
    new RouteTableAssociation(net, `LoadBalancer${i}Routes`, { provider, subnetId: lb.id, routeTableId: loadBalancerRt.id });
    const priv = new Subnet(net, `Private${i}`, {
      provider, vpcId: vpc.id, availabilityZone: zone(i), cidrBlock: layout.private,
      tags: tags({ Name: `${clusterName}-private-${i}`, [`kubernetes.io/cluster/${clusterName}`]: 'shared' }),
    });
    podCidrs.push(layout.private);
    const rt = new RouteTable(net, `Private${i}RouteTable`, { provider, vpcId: vpc.id, tags: tags({ Name: `${clusterName}-private-${i}` }) });
    new Route(net, `Private${i}DefaultRoute`, { provider, routeTableId: rt.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nats[Math.min(i, nats.length - 1)].id });
    new RouteTableAssociation(net, `Private${i}Routes`, { provider, subnetId: priv.id, routeTableId: rt.id });
    privateSubnetIds.push(priv.id);
  }
  return { vpcId: vpc.id, privateSubnetIds, zoneOf: zone, podCidrs, vpc };
}

/** Flow logs of every connection (ALL), to a KMS-encrypted group, through a role that may only write there. */
function vpcFlowLogs(net: Construct, vpc: Vpc, clusterName: string, logsKeyArn: string, tags: () => Record<string, string>): void {
  const provider = vpc.provider;
  const flowLogs = new CloudwatchLogGroup(net, 'FlowLogs', {
    provider, name: flowLogGroupName(clusterName), retentionInDays: 365, kmsKeyId: logsKeyArn, tags: tags(),
  });
  const flowRole = new IamRole(net, 'FlowLogsRole', {
    provider,
    name: `${clusterName}-flow-logs`.slice(0, 64),
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }),
    tags: tags(),
  });
  new IamRolePolicy(net, 'FlowLogsPolicy', {
    provider,
    role: flowRole.name,
    name: 'write-flow-logs',
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
        Resource: [flowLogs.arn, `${flowLogs.arn}:*`],
      }],
    }),
  });
  new FlowLog(net, 'FlowLog', {
    provider, vpcId: vpc.id, trafficType: 'ALL', logDestinationType: 'cloud-watch-logs', logDestination: flowLogs.arn,
    iamRoleArn: flowRole.arn, maxAggregationInterval: 600, tags: tags(),
  });
}
