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
  readonly vpc?: Vpc;
}

/**
 * A new VPC: a private subnet per zone (a /19 each from the VPC CIDR, tagged for internal load
 * balancers), a small public subnet per zone for NAT gateways and public load balancers, NAT per zone
 * (or one), a default security group with no rules, and flow logs (all traffic) to a KMS-encrypted log
 * group through a role that may only write there. Or an existing VPC, untouched.
 */
/** The flow-log group name of a cluster's VPC (the logs key policy names it). */
export function flowLogGroupName(clusterName: string): string {
  return `/aws/vpc/${clusterName}/flow-logs`;
}

export function awsClusterNetwork(scope: Construct, cloud: AwsCloud, spec: ClusterBuildSpec, clusterName: string, logsKeyArn: string): AwsClusterNetwork {
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
