import { Construct } from 'constructs';
import { ITerraformDependable, TerraformProvider } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { AwsCloud } from '../../core/cloud';
import { InvalidPropError } from '../../core/errors';
import { IWorkloadIdentity } from '../../core/identity';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { AWS_EFA_DEVICE_PLUGIN } from '../../k8s/charts';
import { GPU_TAINT } from '../../k8s/node-labels';
import type { ClusterBuildSpec, ClusterImpl, ImportedClusterImpl, ImportedClusterSpec } from '../../training/spi';
import { installGpuAddOns, pinnedRelease } from '../helm/add-ons';
import { AwsAccount, awsControlPlane, eksLogGroupName } from './cluster';
import { clusterKey, KEY_USE_ACTIONS } from './keys';
import { awsClusterAutoscaler, AWS_GPU_TYPE_LABEL } from './cluster-autoscaler';
import { eksHelmProvider } from './helm';
import { awsLoadBalancerController } from './load-balancer-controller';
import { awsClusterNetwork, flowLogGroupName } from './network';
import { awsNodePools } from './node-pools';
import { trustPodIdentitySubject } from './identity';
import { awsProvider } from './provider';

/** Node label of EFA nodes (the EFA device plugin runs only there). */
export const LABEL_EFA = 'cdktf-ai-infra/efa';

/**
 * ServiceAccount annotation naming the Pod Identity association of the account. Its value is a reference to the
 * association, so the release that makes the ServiceAccount (and its pods) depends on it: the pods never start
 * before their credentials exist (the Pod Identity agent answers without credentials until then).
 */
export const POD_IDENTITY_ASSOCIATION_ANNOTATION = 'cdktf-ai-infra/pod-identity-association';

/** A Pod Identity binding: the association, and the annotations that order a release after it. */
export interface PodIdentityBinding {
  readonly association: EksPodIdentityAssociation;
  readonly annotations: Record<string, string>;
}

/** An EKS Pod Identity association: pods running as namespace/serviceAccount get the role's credentials. */
function podIdentityBinder(scope: Construct, cloud: AwsCloud, clusterName: string, tags: Record<string, string>, dependsOn: Construct[] = []) {
  return (identity: IWorkloadIdentity, namespace: string, serviceAccount: string): PodIdentityBinding => {
    const id = `PodIdentity-${namespace}-${serviceAccount}`;
    if (scope.node.tryFindChild(id)) {
      throw new InvalidPropError(scope, 'serviceAccount', `${namespace}/${serviceAccount}`, 'a ServiceAccount not bound yet (EKS allows one role per ServiceAccount)');
    }
    const association = new EksPodIdentityAssociation(scope, id, {
      provider: awsProvider(scope, cloud.region), clusterName, namespace, serviceAccount, roleArn: identity.principal, tags,
      dependsOn: dependsOn.length ? dependsOn.map((d) => d as EksAddon) : undefined,
    });
    trustPodIdentitySubject(identity, { clusterName, namespace, serviceAccount });
    return { association, annotations: { [POD_IDENTITY_ASSOCIATION_ANNOTATION]: association.associationArn } };
  };
}

/** Pool zones on AWS must be among the cluster's `zones` (so subnets can be chosen), and unset with an existing network. */
function checkPoolZones(scope: Construct, spec: ClusterBuildSpec): void {
  // The new VPC's layout (awsSubnetLayout) has room for seven private /19s beside the edge block; AWS regions have at most six zones.
  if (!spec.network.existing && spec.zoneCount > 6) {
    throw new InvalidPropError(scope, 'zones', spec.zones, 'at most 6 zones (the most an AWS region has; each gets a private, a public and a load balancer subnet)');
  }
  spec.gpuPools.forEach((pool, i) => {
    if (pool.zones && (!spec.zones || pool.zones.some((z) => !spec.zones!.includes(z)))) {
      throw new InvalidPropError(scope, `gpuPools[${i}].zones`, pool.zones, `zones among the cluster's zones prop (${spec.zones?.join(', ') ?? 'not set: set zones on the cluster first'})`);
    }
    if (pool.zones && spec.network.existing) {
      throw new InvalidPropError(scope, `gpuPools[${i}].zones`, pool.zones, 'unset with an existing network on AWS (the pool uses the given subnets)');
    }
  });
}

/** The KMS key of the control-plane and VPC flow log groups (CloudWatch Logs may use it for those groups only). */
function awsLogsKey(scope: Construct, cloud: AwsCloud, name: string, account: AwsAccount, tags: Record<string, string>) {
  const logArn = (group: string) => `arn:${account.partition}:logs:${cloud.region}:${account.accountId}:log-group:${group}`;
  return clusterKey(scope, 'LogsKey', cloud, {
    ...account,
    description: `Control-plane and VPC flow logs of EKS cluster ${name} (cdktf-ai-infra)`,
    alias: `alias/eks/${name}-logs`,
    tags,
    uses: [{
      sid: 'CloudWatchLogsEncryptsTheClusterLogGroups',
      principal: { Service: `logs.${cloud.region}.amazonaws.com` },
      actions: KEY_USE_ACTIONS,
      condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [logArn(eksLogGroupName(name)), logArn(flowLogGroupName(name))] } },
    }],
  });
}

/** The KMS key of the nodes' root volumes (Auto Scaling and EC2 on the account's behalf may use it). */
function awsNodeVolumeKey(scope: Construct, cloud: AwsCloud, name: string, account: AwsAccount, tags: Record<string, string>) {
  // Auto Scaling launches the node groups' instances as its service-linked role, so it must be able to use the
  // key. That role exists only once the account had an Auto Scaling group: naming it as a Principal makes KMS
  // reject the policy in a fresh account (MalformedPolicyDocumentException, terraform-aws-eks #3013). So the
  // statements match it by aws:PrincipalArn, which KMS does not resolve, within this account only.
  const autoScalingRole = {
    principal: { AWS: '*' },
    condition: {
      StringEquals: {
        'aws:PrincipalArn': `arn:${account.partition}:iam::${account.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
        'kms:CallerAccount': account.accountId,
      },
    },
  };
  return clusterKey(scope, 'NodeVolumeKey', cloud, {
    ...account,
    description: `Root volumes of the nodes of EKS cluster ${name} (cdktf-ai-infra)`,
    alias: `alias/eks/${name}-node-volumes`,
    tags,
    uses: [
      { sid: 'AutoScalingUsesTheKey', ...autoScalingRole, actions: KEY_USE_ACTIONS },
      {
        sid: 'AutoScalingGrantsToEc2', principal: autoScalingRole.principal, actions: ['kms:CreateGrant'],
        condition: { ...autoScalingRole.condition, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
      {
        sid: 'AccountUsesTheKeyThroughEc2', principal: { AWS: `arn:${account.partition}:iam::${account.accountId}:root` },
        actions: [...KEY_USE_ACTIONS, 'kms:CreateGrant'],
        condition: { StringEquals: { 'kms:ViaService': `ec2.${cloud.region}.amazonaws.com`, 'kms:CallerAccount': account.accountId } },
      },
    ],
  });
}

/** The GPU add-ons (device plugin or operator, DCGM exporter, Kueue) and, for EFA pools, the EFA device plugin. */
function awsGpuAddOns(scope: Construct, spec: ClusterBuildSpec, helmProvider: TerraformProvider, ready: ITerraformDependable[]): ITerraformDependable[] {
  const addOns: ITerraformDependable[] = installGpuAddOns(scope, {
    helmProvider,
    gpuSoftware: spec.gpuSoftware,
    toolkitOnNodes: true,
    dcgmExporter: spec.dcgmExporter,
    kueue: spec.kueue,
    tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
    dependsOn: ready,
  });
  if (spec.gpuPools.some((p) => p.efa)) {
    addOns.push(pinnedRelease(scope, 'EfaDevicePlugin', AWS_EFA_DEVICE_PLUGIN, {
      provider: helmProvider, name: 'aws-efa-k8s-device-plugin', namespace: 'kube-system', dependsOn: ready,
      values: {
        tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
        nodeSelector: { [LABEL_EFA]: 'true' },
      },
    }));
  }
  return addOns;
}

/**
 * EKS: network, control plane, node groups, the EKS Pod Identity agent, cluster-autoscaler and the GPU
 * add-ons. Pool zones on AWS must be among the cluster's `zones` (so subnets can be chosen).
 */
export function awsGpuCluster(scope: Construct, cloud: AwsCloud, spec: ClusterBuildSpec): ClusterImpl {
  checkPoolZones(scope, spec);
  const name = physicalName(scope, cloud, { maxLength: 38 });
  const tags = resourceTags(scope, cloud, spec.tags);
  const provider = awsProvider(scope, cloud.region);
  const account: AwsAccount = {
    partition: new DataAwsPartition(scope, 'Partition', { provider }).partition,
    accountId: cloud.accountId ?? new DataAwsCallerIdentity(scope, 'Caller', { provider }).accountId,
  };
  const logsKey = awsLogsKey(scope, cloud, name, account, tags);
  const network = awsClusterNetwork(scope, cloud, spec, name, logsKey.arn);
  const plane = awsControlPlane(scope, cloud, spec, name, network, account, logsKey.arn);
  const cluster = plane.cluster;
  const volumeKey = awsNodeVolumeKey(scope, cloud, name, account, tags);
  const withGpuLabel = {
    ...spec,
    gpuPools: spec.gpuPools.map((p) => ({ ...p, labels: { ...p.labels, [AWS_GPU_TYPE_LABEL]: p.gpu.id, ...(p.efa ? { [LABEL_EFA]: 'true' } : {}) } })),
  };
  const pools = awsNodePools(scope, cloud, withGpuLabel, { cluster, partition: account.partition, volumeKeyArn: volumeKey.arn }, network, name);

  const podIdentityAgent = new EksAddon(scope, 'PodIdentityAgent', {
    provider: awsProvider(scope, cloud.region),
    clusterName: cluster.name,
    addonName: 'eks-pod-identity-agent',
    resolveConflictsOnCreate: 'OVERWRITE',
    resolveConflictsOnUpdate: 'OVERWRITE',
    tags,
    dependsOn: [pools.system],
  });
  // Node repair on every node group acts on the conditions this agent sets: AcceleratedHardwareReady turns false
  // on NVIDIA XID errors read from the kernel log, and EKS reboots or replaces the node (src/training/README.md).
  new EksAddon(scope, 'NodeMonitoringAgent', {
    provider: awsProvider(scope, cloud.region),
    clusterName: cluster.name,
    addonName: 'eks-node-monitoring-agent',
    resolveConflictsOnCreate: 'OVERWRITE',
    resolveConflictsOnUpdate: 'OVERWRITE',
    tags,
    dependsOn: [pools.system],
  });
  const bind = podIdentityBinder(scope, cloud, cluster.name, tags, [podIdentityAgent]);
  const helmProvider = eksHelmProvider(scope, cloud, cluster.name, cluster.endpoint, cluster.certificateAuthority.get(0).data);
  const ready = [pools.system, podIdentityAgent];
  const autoscaler = awsClusterAutoscaler(scope, cloud, spec, {
    clusterName: name, accountId: account.accountId, partition: account.partition, helmProvider, bind, dependsOn: ready,
  });
  const addOns = awsGpuAddOns(scope, spec, helmProvider, ready);
  const resources: Record<string, Construct> = {
    cluster, secretsKey: plane.secretsKey, logsKey, nodeVolumeKey: volumeKey, logGroup: plane.logGroup, nodeRole: pools.nodeRole, systemNodes: pools.system,
    podIdentityAgent, clusterAutoscaler: autoscaler.release, helmProvider,
  };
  if (network.vpc) resources.vpc = network.vpc;
  for (const g of pools.gpu) resources[`${g.pool.name}/${g.rung}`] = g.nodeGroup;
  let gateway: ITerraformDependable[] | undefined;
  const enableGatewayApi = (): ITerraformDependable[] => {
    if (!gateway) {
      const lbc = awsLoadBalancerController(scope, cloud, {
        clusterName: name, accountId: account.accountId, partition: account.partition, vpcId: network.vpcId, helmProvider, bind,
        dependsOn: ready, tags: spec.tags,
      });
      resources.loadBalancerController = lbc.release;
      gateway = [lbc.crds, lbc.release];
    }
    return gateway;
  };
  return {
    clusterName: cluster.name,
    endpoint: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthority.get(0).data,
    oidcIssuerUrl: '',
    helmProvider,
    addOnDependencies: [...ready, autoscaler.release, ...addOns],
    workloadIdentityPodLabels: {},
    podCidrs: network.podCidrs,
    resources,
    bindServiceAccount: (identity, namespace, serviceAccount) => bind(identity, namespace, serviceAccount).annotations,
    enableGatewayApi,
  };
}

/** A helm provider and Pod Identity binder for an EKS cluster made elsewhere. */
export function awsImportedCluster(scope: Construct, cloud: AwsCloud, spec: ImportedClusterSpec): ImportedClusterImpl {
  return {
    helmProvider: eksHelmProvider(scope, cloud, spec.clusterName, spec.endpoint, spec.certificateAuthorityData),
    workloadIdentityPodLabels: {},
    bindServiceAccount: (identity, namespace, serviceAccount) =>
      podIdentityBinder(scope, cloud, spec.clusterName, resourceTags(scope, cloud))(identity, namespace, serviceAccount).annotations,
  };
}
