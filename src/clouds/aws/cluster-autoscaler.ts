import { Construct } from 'constructs';
import { ITerraformDependable, TerraformProvider } from 'cdktf';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Release } from '@cdktf/provider-helm/lib/release';
import { AwsCloud } from '../../core/cloud';
import { WorkloadIdentity } from '../../core/workload-identity';
import { CLUSTER_AUTOSCALER, CLUSTER_AUTOSCALER_IMAGE_TAGS } from '../../k8s/charts';
import { CAPACITY_PRIORITY, CAPACITY_SUFFIX, CapacityKind } from '../../core/capacity';
import { LABEL_POOL } from '../../k8s/node-labels';
import type { ClusterBuildSpec } from '../../training/spi';
import { pinnedRelease } from '../helm/add-ons';
import { awsProvider } from './provider';

/** Node label the AWS cluster-autoscaler reads a node's GPU type from (for `--gpu-total`). */
export const AWS_GPU_TYPE_LABEL = 'k8s.amazonaws.com/accelerator';

export const CLUSTER_AUTOSCALER_SA = 'cluster-autoscaler';
export const CLUSTER_AUTOSCALER_NAMESPACE = 'kube-system';

/**
 * Priority-expander rules (higher wins): node groups named `<pool>-rsv` before `<pool>-od` before
 * `<pool>-spot`. EKS names a node group's Auto Scaling group `eks-<node group name>-<uuid>`.
 */
export function expanderPriorities(spec: ClusterBuildSpec): Record<string, string[]> {
  const byPriority = new Map<number, string[]>();
  for (const pool of spec.gpuPools) {
    for (const rung of pool.capacity) {
      const p = CAPACITY_PRIORITY[rung as CapacityKind];
      byPriority.set(p, [...(byPriority.get(p) ?? []), `^eks-${pool.name}-${CAPACITY_SUFFIX[rung]}-.*`]);
    }
  }
  byPriority.set(1, ['.*']);
  return Object.fromEntries([...byPriority.entries()].sort((a, b) => a[0] - b[0]).map(([p, r]) => [String(p), r]));
}

/** `--gpu-total` per GPU type: the sum of its pools' max nodes x GPUs, so all rungs together stay within maxNodes. */
export function gpuTotals(spec: ClusterBuildSpec): string[] {
  const totals = new Map<string, number>();
  for (const pool of spec.gpuPools) totals.set(pool.gpu.id, (totals.get(pool.gpu.id) ?? 0) + pool.maxNodes * pool.machine.gpusPerNode);
  return [...totals.entries()].sort().map(([gpu, max]) => `${gpu}:0:${max}`);
}

/**
 * The Kubernetes cluster-autoscaler as a pinned Helm release, running as its own EKS Pod Identity with
 * a least-privilege policy: describe calls (which take no resource ARN), and scaling / terminating only
 * Auto Scaling groups tagged as owned by this cluster.
 */
export function awsClusterAutoscaler(scope: Construct, cloud: AwsCloud, spec: ClusterBuildSpec, opts: {
  clusterName: string; accountId: string; partition: string; helmProvider: TerraformProvider;
  bind: (identity: WorkloadIdentity, ns: string, sa: string) => { association: ITerraformDependable }; dependsOn: readonly ITerraformDependable[];
}): { identity: WorkloadIdentity; release: Release } {
  const ca = new Construct(scope, 'ClusterAutoscaler');
  const identity = new WorkloadIdentity(ca, 'Identity', {
    cloud, description: `cluster-autoscaler of EKS cluster ${opts.clusterName} (cdktf-ai-infra)`, tags: spec.tags,
  });
  const policy = new IamRolePolicy(ca, 'Policy', {
    provider: awsProvider(scope, cloud.region),
    role: identity.resourceId,
    name: 'cluster-autoscaler',
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Describe',
          Effect: 'Allow',
          Action: [
            'autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeLaunchConfigurations',
            'autoscaling:DescribeScalingActivities', 'autoscaling:DescribeTags', 'ec2:DescribeImages', 'ec2:DescribeInstanceTypes',
            'ec2:DescribeLaunchTemplateVersions', 'ec2:GetInstanceTypesFromInstanceRequirements',
          ],
          Resource: '*',
        },
        {
          Sid: 'DescribeOwnNodegroups',
          Effect: 'Allow',
          Action: ['eks:DescribeNodegroup'],
          Resource: `arn:${opts.partition}:eks:${cloud.region}:${opts.accountId}:nodegroup/${opts.clusterName}/*`,
        },
        {
          Sid: 'ScaleOwnGroups',
          Effect: 'Allow',
          Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
          Resource: '*',
          Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${opts.clusterName}`]: 'owned' } },
        },
      ],
    }),
  });
  // The pods must not start before their Pod Identity association exists (no credentials until then).
  const binding = opts.bind(identity, CLUSTER_AUTOSCALER_NAMESPACE, CLUSTER_AUTOSCALER_SA);
  const minor = spec.kubernetesVersion;
  const release = pinnedRelease(ca, 'Release', CLUSTER_AUTOSCALER, {
    provider: opts.helmProvider, name: 'cluster-autoscaler', namespace: CLUSTER_AUTOSCALER_NAMESPACE,
    dependsOn: [...opts.dependsOn, binding.association, policy],
    values: {
      cloudProvider: 'aws',
      awsRegion: cloud.region,
      autoDiscovery: { clusterName: opts.clusterName },
      rbac: { serviceAccount: { create: true, name: CLUSTER_AUTOSCALER_SA } },
      ...(CLUSTER_AUTOSCALER_IMAGE_TAGS[minor] ? { image: { tag: CLUSTER_AUTOSCALER_IMAGE_TAGS[minor] } } : {}),
      extraArgs: {
        expander: 'priority,least-waste',
        'balance-similar-node-groups': true,
        'skip-nodes-with-system-pods': false,
        'scale-down-unneeded-time': '10m',
        // The chart renders `key_N` as `--key` (everything before "_"): one flag per GPU type.
        ...Object.fromEntries(gpuTotals(spec).map((total, i) => [i === 0 ? 'gpu-total' : `gpu-total_${i + 1}`, total])),
      },
      expanderPriorities: expanderPriorities(spec),
      nodeSelector: { [LABEL_POOL]: 'system' },
      priorityClassName: 'system-cluster-critical',
      podDisruptionBudget: { maxUnavailable: 1 },
    },
  });
  return { identity, release };
}
