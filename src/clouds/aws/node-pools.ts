import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { AutoscalingGroupTagA as AutoscalingGroupTag } from '@cdktf/provider-aws/lib/autoscaling-group-tag';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate, LaunchTemplateConfig } from '@cdktf/provider-aws/lib/launch-template';
import { PlacementGroup } from '@cdktf/provider-aws/lib/placement-group';
import type { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { AwsCloud } from '../../core/cloud';
import { stableHash } from '../../core/hash';
import { resourceTags } from '../../core/tags';
import { CAPACITY_SUFFIX, CapacityKind } from '../../core/capacity';
import { GPU_TAINT, LABEL_CAPACITY, LABEL_POOL } from '../../k8s/node-labels';
import type { ClusterBuildSpec, ResolvedGpuPool } from '../../training/spi';
import { AwsClusterNetwork } from './network';
import { awsProvider } from './provider';

/** AMI types of managed node groups: AL2023 for system nodes, AL2023 NVIDIA (driver + toolkit) for GPUs. */
export const SYSTEM_AMI_TYPE = 'AL2023_x86_64_STANDARD';
export const GPU_AMI_TYPE = 'AL2023_x86_64_NVIDIA';

/** One managed node group of a GPU pool: one rung of its capacity ladder. */
export interface AwsGpuNodeGroup {
  readonly pool: ResolvedGpuPool;
  readonly rung: CapacityKind;
  readonly nodeGroup: EksNodeGroup;
  readonly launchTemplate: LaunchTemplate;
}

export interface AwsNodePools {
  readonly nodeRole: IamRole;
  readonly system: EksNodeGroup;
  readonly gpu: AwsGpuNodeGroup[];
}

/**
 * Node group name prefix of a rung: `<pool>-<rsv|od|spot>-` (the autoscaler's priority expander matches it;
 * Terraform appends a 26-character unique suffix).
 */
export function awsNodeGroupNamePrefix(pool: string, rung: CapacityKind): string {
  return `${pool}-${CAPACITY_SUFFIX[rung]}-`;
}

/**
 * What lets Terraform replace a node group (a machine-type or AMI-type change, subnets...) without an outage:
 * a name prefix instead of a fixed name, so the new group can exist beside the old one, and
 * create_before_destroy, so it does (as terraform-aws-modules/eks). The launch template gets the same.
 */
const REPLACE_SAFELY = { createBeforeDestroy: true } as const;

/**
 * The cluster-autoscaler node-template tags that make scale-from-zero work: the labels, taints and GPU
 * count of a node the group would make, so the autoscaler can simulate a pod on it with no node running.
 */
export function autoscalerNodeTemplateTags(clusterName: string, labels: Record<string, string>, taints: readonly { key: string; value: string; effect: string }[], gpus: number): Record<string, string> {
  const prefix = 'k8s.io/cluster-autoscaler/node-template';
  return {
    'k8s.io/cluster-autoscaler/enabled': 'true',
    [`k8s.io/cluster-autoscaler/${clusterName}`]: 'owned',
    ...Object.fromEntries(Object.entries(labels).map(([k, v]) => [`${prefix}/label/${k}`, v])),
    ...Object.fromEntries(taints.map((t) => [`${prefix}/taint/${t.key}`, `${t.value}:${t.effect}`])),
    [`${prefix}/resources/nvidia.com/gpu`]: String(gpus),
  };
}

function launchTemplate(scope: Construct, id: string, cloud: AwsCloud, name: string, diskGiB: number, volumeKeyArn: string, tags: Record<string, string>,
  extra: Partial<LaunchTemplateConfig> = {}): LaunchTemplate {
  return new LaunchTemplate(scope, id, {
    provider: awsProvider(scope, cloud.region),
    namePrefix: `${name}-`,
    description: `EKS nodes ${name} (cdktf-ai-infra)`,
    updateDefaultVersion: true,
    metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
    blockDeviceMappings: [{
      deviceName: '/dev/xvda',
      ebs: { volumeSize: diskGiB, volumeType: 'gp3', encrypted: 'true', kmsKeyId: volumeKeyArn, deleteOnTermination: 'true', iops: 3000, throughput: 250 },
    }],
    monitoring: { enabled: true },
    tagSpecifications: [{ resourceType: 'instance', tags }, { resourceType: 'volume', tags }],
    tags,
    lifecycle: REPLACE_SAFELY,
    ...extra,
  });
}

/**
 * Node groups: the system group (on-demand, across all private subnets, >= 2 nodes) and, per GPU pool,
 * one managed node group per capacity rung on the AL2023 NVIDIA AMI: tainted `nvidia.com/gpu=present:NoSchedule`,
 * labelled with GPU id / pool / capacity, root volumes encrypted with the node-volume key, min 0 (the first rung may keep `minNodes`), tagged with the
 * cluster-autoscaler node templates (on the group and, because EKS does not copy group tags to the Auto
 * Scaling group, on the ASG itself). EFA pools get EFA interfaces, an all-traffic-within-group security
 * group and a cluster placement group in one subnet.
 */
export function awsNodePools(scope: Construct, cloud: AwsCloud, spec: ClusterBuildSpec, plane: { cluster: EksCluster; partition: string; volumeKeyArn: string },
  network: AwsClusterNetwork, name: string): AwsNodePools {
  const provider = awsProvider(scope, cloud.region);
  const tags = resourceTags(scope, cloud, spec.tags);
  const clusterName = plane.cluster.name;

  const nodeRole = new IamRole(scope, 'NodeRole', {
    provider,
    name: `${name}-node`.slice(0, 64),
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }),
    tags,
  });
  const attachments = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEKS_CNI_Policy'].map((p) =>
    new IamRolePolicyAttachment(scope, `NodeRole${p}`, { provider, role: nodeRole.name, policyArn: `arn:${plane.partition}:iam::aws:policy/${p}` }));

  const sysLt = launchTemplate(scope, 'SystemLaunchTemplate', cloud, `${name}-system`, spec.systemPool.diskSizeGiB, plane.volumeKeyArn, tags);
  const system = new EksNodeGroup(scope, 'SystemNodes', {
    provider,
    clusterName,
    nodeGroupNamePrefix: 'system-',
    nodeRoleArn: nodeRole.arn,
    subnetIds: network.privateSubnetIds,
    amiType: SYSTEM_AMI_TYPE,
    capacityType: 'ON_DEMAND',
    instanceTypes: [spec.systemPool.machineType],
    scalingConfig: { minSize: spec.systemPool.minNodes, maxSize: spec.systemPool.maxNodes, desiredSize: spec.systemPool.minNodes },
    updateConfig: { maxUnavailable: 1 },
    launchTemplate: { id: sysLt.id, version: Token.asString(sysLt.latestVersion) },
    labels: { [LABEL_POOL]: 'system' },
    nodeRepairConfig: { enabled: true },
    tags,
    lifecycle: { ...REPLACE_SAFELY, ignoreChanges: ['scaling_config[0].desired_size'] },
    dependsOn: attachments,
  });

  const context: GpuPoolContext = { cloud, spec, plane, network, name, provider, tags, nodeRole, system };
  const gpu = spec.gpuPools.flatMap((pool) => awsGpuPool(scope, context, pool));
  return { nodeRole, system, gpu };
}

/** What every GPU node group of the cluster shares. */
interface GpuPoolContext {
  readonly cloud: AwsCloud;
  readonly spec: ClusterBuildSpec;
  readonly plane: { cluster: EksCluster; partition: string; volumeKeyArn: string };
  readonly network: AwsClusterNetwork;
  readonly name: string;
  readonly provider: AwsProvider;
  readonly tags: Record<string, string>;
  readonly nodeRole: IamRole;
  readonly system: EksNodeGroup;
}

/** One GPU pool: its subnets, EFA security group and placement group, and one node group per capacity rung. */
function awsGpuPool(scope: Construct, ctx: GpuPoolContext, pool: ResolvedGpuPool): AwsGpuNodeGroup[] {
  const { spec, network, name, provider, tags } = ctx;
  const poolScope = new Construct(scope, `Pool-${pool.name}`);
  const zoneIndexes = pool.zones && spec.zones ? pool.zones.map((z) => spec.zones!.indexOf(z)) : undefined;
  let subnetIds = zoneIndexes ? zoneIndexes.map((i) => network.privateSubnetIds[i]) : network.privateSubnetIds;
  if (pool.efa || pool.compactPlacement) subnetIds = subnetIds.slice(0, 1);
  const efaSg = pool.efa ? new SecurityGroup(poolScope, 'EfaSecurityGroup', {
    provider,
    name: `${name}-${pool.name}-efa`,
    description: 'EFA: all traffic between members of this group (NCCL over libfabric)',
    vpcId: network.vpcId,
    ingress: [{ fromPort: 0, toPort: 0, protocol: '-1', selfAttribute: true, description: 'EFA within the group' }],
    egress: [{ fromPort: 0, toPort: 0, protocol: '-1', selfAttribute: true, description: 'EFA within the group' }],
    tags,
  }) : undefined;
  const placement = pool.efa || pool.compactPlacement ? new PlacementGroup(poolScope, 'PlacementGroup', {
    provider, name: `${name}-${pool.name}`, strategy: 'cluster', tags,
  }) : undefined;
  return pool.capacity.map((rung, rungIndex) => awsGpuNodeGroup(poolScope, ctx, pool, { rung, rungIndex, subnetIds, efaSg, placement }));
}

/** Where one rung's node group goes. */
interface RungPlacement {
  readonly rung: CapacityKind;
  readonly rungIndex: number;
  readonly subnetIds: string[];
  readonly efaSg?: SecurityGroup;
  readonly placement?: PlacementGroup;
}

/**
 * The placement group of one rung's launch template. Reserved capacity is placed when it is reserved: an instance
 * forced into our cluster placement group cannot use a Capacity Block or an ODCR made outside it, and the launch
 * fails with InsufficientInstanceCapacity (terraform-aws-eks PR #3730). So a reserved rung uses the placement
 * group its ODCR was created in (`reservation.awsPlacementGroup`) or none (a Capacity Block's instances are
 * already co-located); on-demand and spot rungs use the pool's.
 */
export function rungPlacement(pool: ResolvedGpuPool, rung: CapacityKind, placement: PlacementGroup | undefined): { groupName: string } | undefined {
  if (rung === 'reserved') {
    const own = pool.reservation?.awsType === 'odcr' ? pool.reservation.awsPlacementGroup : undefined;
    return own ? { groupName: own } : undefined;
  }
  return placement ? { groupName: placement.name } : undefined;
}

/** One rung's launch template, node group and autoscaler ASG tags. */
function awsGpuNodeGroup(poolScope: Construct, ctx: GpuPoolContext, pool: ResolvedGpuPool, where: RungPlacement): AwsGpuNodeGroup {
  const { cloud, plane, name, provider, tags } = ctx;
  const { rung, rungIndex, efaSg, placement } = where;
  const groupPrefix = awsNodeGroupNamePrefix(pool.name, rung);
  const groupName = groupPrefix.slice(0, -1);
  const labels = { ...pool.labels, [LABEL_CAPACITY]: rung };
  const templateTags = autoscalerNodeTemplateTags(name, labels, [GPU_TAINT], pool.machine.gpusPerNode);
  const capacityBlock = rung === 'reserved' && pool.reservation !== undefined && (pool.reservation.awsType ?? 'capacity-block') === 'capacity-block';
  const reservationSpec = rung === 'reserved'
    ? (pool.reservation
      ? { capacityReservationTarget: { capacityReservationId: pool.reservation.id } }
      : { capacityReservationPreference: 'open' })
    : rung === 'on-demand' ? { capacityReservationPreference: 'none' } : undefined;
  const lt = launchTemplate(poolScope, `LaunchTemplate-${rung}`, cloud, `${name}-${groupName}`, pool.diskSizeGiB, plane.volumeKeyArn, { ...tags, ...templateTags }, {
    capacityReservationSpecification: reservationSpec,
    instanceMarketOptions: capacityBlock ? { marketType: 'capacity-block' } : undefined,
    // A Capacity Block node group takes its instance type from the launch template, not the group.
    instanceType: capacityBlock ? pool.machine.machine : undefined,
    placement: rungPlacement(pool, rung, placement),
    networkInterfaces: efaSg ? Array.from({ length: pool.machine.efaInterfaces ?? 1 }, (_, i) => ({
      deviceIndex: i === 0 ? 0 : 1,
      networkCardIndex: i,
      interfaceType: i === 0 ? 'efa' : 'efa-only',
      deleteOnTermination: 'true',
      securityGroups: [plane.cluster.vpcConfig.clusterSecurityGroupId, efaSg.id],
    })) : undefined,
  });
  const minSize = rungIndex === 0 ? pool.minNodes : 0;
  const nodeGroup = new EksNodeGroup(poolScope, `NodeGroup-${rung}`, {
    provider,
    clusterName: plane.cluster.name,
    nodeGroupNamePrefix: groupPrefix,
    nodeRoleArn: ctx.nodeRole.arn,
    subnetIds: where.subnetIds,
    amiType: GPU_AMI_TYPE,
    capacityType: capacityBlock ? 'CAPACITY_BLOCK' : rung === 'spot' ? 'SPOT' : 'ON_DEMAND',
    instanceTypes: capacityBlock ? undefined : [pool.machine.machine],
    scalingConfig: { minSize, maxSize: pool.maxNodes, desiredSize: minSize },
    updateConfig: { maxUnavailable: 1 },
    launchTemplate: { id: lt.id, version: Token.asString(lt.latestVersion) },
    labels,
    taint: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: 'NO_SCHEDULE' }],
    nodeRepairConfig: { enabled: true },
    tags: { ...tags, ...templateTags },
    lifecycle: { ...REPLACE_SAFELY, ignoreChanges: ['scaling_config[0].desired_size'] },
    dependsOn: [ctx.system],
  });
  // One tag resource per key, its id from the key: adding a label does not renumber the others.
  Object.entries(templateTags).forEach(([key, value]) => {
    new AutoscalingGroupTag(poolScope, `AsgTag-${rung}-${stableHash(key)}`, {
      provider,
      autoscalingGroupName: nodeGroup.resources.get(0).autoscalingGroups.get(0).name,
      tag: { key, value, propagateAtLaunch: false },
    });
  });
  return { pool, rung, nodeGroup, launchTemplate: lt };
}

