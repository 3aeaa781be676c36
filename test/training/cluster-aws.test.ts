import { parse } from 'yaml';
import { Gpu } from '../../src/core/gpu';
import { WorkloadIdentity } from '../../src/core/workload-identity';
import { all, aws, byId, clusterJson, Json, one, release } from './cluster-helpers';

describe('GpuTrainingCluster on AWS (EKS)', () => {
  const { json, cluster, stack } = clusterJson({
    cloud: aws(),
    gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 4, capacity: ['reserved', 'on-demand', 'spot'], reservation: { id: 'cr-0123456789abcdef0' } }],
    admins: ['arn:aws:iam::123456789012:role/platform-admins'],
  });
  const eks = one(json, 'aws_eks_cluster', /^train_[0-9A-F]{8}$/);
  const groups = byId(json, 'aws_eks_node_group');
  const gpuGroups = Object.values(groups).filter((g: Json) => g.ami_type === 'AL2023_x86_64_NVIDIA');

  test('EKS: API access entries, KMS-encrypted secrets, all control-plane logs, private endpoint by default', () => {
    expect(eks.access_config).toEqual({ authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: true });
    expect(eks.encryption_config.resources).toEqual(['secrets']);
    expect(eks.encryption_config.provider.key_arn).toMatch(/^\$\{aws_kms_key\.train_SecretsKey_[0-9A-F]+\.arn\}$/);
    expect(one(json, 'aws_kms_key', 'SecretsKey').enable_key_rotation).toBe(true);
    expect(eks.enabled_cluster_log_types).toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    expect(one(json, 'aws_cloudwatch_log_group', 'ControlPlaneLogs')).toMatchObject({ name: `/aws/eks/${eks.name}/cluster`, retention_in_days: 365 });
    expect(eks.vpc_config.endpoint_private_access).toBe(true);
    expect(eks.vpc_config.endpoint_public_access).toBe(false);
    expect(eks.version).toBe('1.33');
    expect(eks.deletion_protection).toBe(true);
  });

  test('KMS keys: no wildcard actions; secrets key usable only by the cluster role, logs key only by CloudWatch Logs for the two log groups', () => {
    const policies = Object.fromEntries(Object.entries(byId(json, 'aws_kms_key')).map(([k, v]: [string, Json]) => [k.split('_')[1], JSON.parse(v.policy)]));
    expect(Object.keys(policies).sort()).toEqual(['LogsKey', 'NodeVolumeKey', 'SecretsKey']);
    for (const policy of Object.values(policies) as Json[]) {
      const actions = policy.Statement.flatMap((st: Json) => st.Action);
      expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
      expect(policy.Statement[0]).toMatchObject({ Sid: 'KeyAdministration', Principal: { AWS: expect.stringMatching(/:root$/) } });
      expect(policy.Statement[0].Action).not.toContain('kms:Decrypt');
    }
    expect(policies.SecretsKey.Statement[1]).toMatchObject({ Principal: { AWS: expect.stringMatching(/aws_iam_role\.train_ClusterRole_[0-9A-F]+\.arn/) } });
    expect(policies.LogsKey.Statement[1]).toMatchObject({
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [expect.stringMatching(/log-group:\/aws\/eks\/.*\/cluster$/), expect.stringMatching(/log-group:\/aws\/vpc\/.*\/flow-logs$/)] } },
    });
    expect(policies.NodeVolumeKey.Statement.map((st: Json) => st.Sid)).toEqual(['KeyAdministration', 'AutoScalingUsesTheKey', 'AutoScalingGrantsToEc2', 'AccountUsesTheKeyThroughEc2']);
    expect(policies.NodeVolumeKey.Statement[1].Condition.StringEquals['aws:PrincipalArn']).toMatch(/role\/aws-service-role\/autoscaling\.amazonaws\.com\/AWSServiceRoleForAutoScaling$/);
    for (const key of all(json, 'aws_kms_key')) expect(key.enable_key_rotation).toBe(true);
    for (const group of all(json, 'aws_cloudwatch_log_group')) expect(group.kms_key_id).toMatch(/aws_kms_key\.train_LogsKey/);
  });

  test('VPC flow logs (all traffic) to the encrypted log group, through a role that may only write there', () => {
    const flow = all(json, 'aws_flow_log')[0];
    expect(flow).toMatchObject({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs' });
    expect(flow.log_destination).toMatch(/aws_cloudwatch_log_group\.train_Network_FlowLogs/);
    const policy = JSON.parse(one(json, 'aws_iam_role_policy', 'FlowLogsPolicy').policy);
    expect(policy.Statement[0].Resource[0]).toMatch(/aws_cloudwatch_log_group\.train_Network_FlowLogs_[0-9A-F]+\.arn/);
  });

  test('admins get access entries with the cluster-admin policy, scoped to the cluster', () => {
    expect(all(json, 'aws_eks_access_entry')).toEqual([expect.objectContaining({ principal_arn: 'arn:aws:iam::123456789012:role/platform-admins', type: 'STANDARD' })]);
    expect(all(json, 'aws_eks_access_policy_association')[0]).toMatchObject({
      policy_arn: expect.stringMatching(/cluster-access-policy\/AmazonEKSClusterAdminPolicy$/), access_scope: { type: 'cluster' },
    });
  });

  test('network: a VPC with private subnets in 3 zones, NAT per zone, a rule-less default security group', () => {
    const subnets = Object.entries(byId(json, 'aws_subnet')) as [string, Json][];
    const priv = subnets.filter(([k]) => k.includes('Private')).map(([, s]) => s);
    expect(priv).toHaveLength(3);
    expect(new Set(priv.map((s) => s.availability_zone)).size).toBe(3);
    expect(priv.every((s) => s.map_public_ip_on_launch === undefined)).toBe(true);
    expect(priv.map((s) => s.cidr_block)).toEqual(['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19']);
    // internal load balancers get subnets of their own, outside the pods' (the VPC CNI gives pods node-subnet
    // addresses): the endpoints' NetworkPolicies admit the load balancers' range and except the pods'
    const lbs = subnets.filter(([, s]) => s.tags['kubernetes.io/role/internal-elb'] === '1');
    expect(lbs.map(([k, s]) => [k.includes('LoadBalancer'), s.cidr_block, s.map_public_ip_on_launch])).toEqual([
      [true, '10.0.232.0/24', false], [true, '10.0.233.0/24', false], [true, '10.0.234.0/24', false]]);
    expect(new Set(lbs.map(([, s]) => s.availability_zone)).size).toBe(3);
    const lbRoutes = all(json, 'aws_route_table_association').filter((a) => String(a.subnet_id).includes('LoadBalancer'));
    expect(new Set(lbRoutes.map((a) => a.route_table_id)).size).toBe(1);
    // local routes only: no aws_route into the load balancers' table
    expect(all(json, 'aws_route').filter((r) => r.route_table_id === lbRoutes[0].route_table_id)).toEqual([]);
    expect(all(json, 'aws_nat_gateway')).toHaveLength(3);
    expect(all(json, 'aws_route').filter((r) => r.nat_gateway_id)).toHaveLength(3);
    expect(one(json, 'aws_default_security_group', 'Default')).toMatchObject({ ingress: [], egress: [] });
    expect(eks.vpc_config.subnet_ids).toEqual(Object.keys(byId(json, 'aws_subnet')).filter((k) => k.includes('Private')).map((k) => `\${aws_subnet.${k}.id}`));
  });

  test('system pool: on-demand, >= 2 nodes across all private subnets', () => {
    const sys = groups[Object.keys(groups).find((k) => k.includes('SystemNodes'))!];
    expect(sys).toMatchObject({ capacity_type: 'ON_DEMAND', ami_type: 'AL2023_x86_64_STANDARD', scaling_config: { min_size: 2, max_size: 4, desired_size: 2 } });
    expect(sys.subnet_ids).toHaveLength(3);
  });

  test('GPU pools: one node group per rung on the AL2023 NVIDIA AMI, tainted, labelled, min 0', () => {
    expect(gpuGroups.map((g: Json) => [g.node_group_name_prefix, g.capacity_type])).toEqual([
      ['h100-80gb-od-', 'ON_DEMAND'], ['h100-80gb-rsv-', 'CAPACITY_BLOCK'], ['h100-80gb-spot-', 'SPOT'],
    ]);
    for (const g of gpuGroups as Json[]) {
      expect(g.taint).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NO_SCHEDULE' }]);
      expect(g.scaling_config).toEqual({ min_size: 0, max_size: 4, desired_size: 0 });
      expect(g.instance_types ?? [one(json, 'aws_launch_template', 'LaunchTemplate-reserved').instance_type]).toEqual(['p5.48xlarge']);
      expect(g.labels).toMatchObject({ 'cdktf-ai-infra/gpu': 'h100-80gb', 'cdktf-ai-infra/pool': 'h100-80gb', 'k8s.amazonaws.com/accelerator': 'h100-80gb' });
      expect(g.lifecycle.ignore_changes).toEqual(['scaling_config[0].desired_size']);
    }
  });

  test('scale from zero: cluster-autoscaler node-template tags on the node group and on its Auto Scaling group', () => {
    const od = gpuGroups.find((g: Json) => g.node_group_name_prefix === 'h100-80gb-od-') as Json;
    expect(od.tags).toMatchObject({
      'k8s.io/cluster-autoscaler/enabled': 'true',
      [`k8s.io/cluster-autoscaler/${eks.name}`]: 'owned',
      'k8s.io/cluster-autoscaler/node-template/label/cdktf-ai-infra/pool': 'h100-80gb',
      'k8s.io/cluster-autoscaler/node-template/label/cdktf-ai-infra/capacity': 'on-demand',
      'k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu': 'present:NoSchedule',
      'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu': '8',
    });
    const asgTags = all(json, 'aws_autoscaling_group_tag');
    const gpuTag = asgTags.find((t) => t.tag.key === 'k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu'
      && t.autoscaling_group_name.includes('NodeGroup-on-demand'));
    expect(gpuTag).toMatchObject({ tag: { value: '8', propagate_at_launch: false } });
    expect(gpuTag.autoscaling_group_name).toMatch(/resources\[0\]\.autoscaling_groups\[0\]\.name/);
  });

  test('EFA: interfaces on the launch template (32 on p5), an intra-group security group, a placement group, one subnet', () => {
    const lt = one(json, 'aws_launch_template', 'LaunchTemplate-on-demand');
    expect(lt.network_interfaces).toHaveLength(32);
    expect(lt.network_interfaces[0]).toMatchObject({ device_index: 0, network_card_index: 0, interface_type: 'efa' });
    expect(lt.network_interfaces[5]).toMatchObject({ device_index: 1, network_card_index: 5, interface_type: 'efa-only' });
    expect(lt.network_interfaces[0].security_groups[0]).toMatch(/vpc_config\[0\]\.cluster_security_group_id/);
    expect(one(json, 'aws_security_group', 'Efa').ingress[0]).toMatchObject({ protocol: '-1', self: true });
    expect(lt.placement.group_name).toMatch(/aws_placement_group/);
    expect(one(json, 'aws_placement_group', 'PlacementGroup').strategy).toBe('cluster');
    expect(gpuGroups.every((g: Json) => g.subnet_ids.length === 1)).toBe(true);
    expect(release(json, 'aws-efa-k8s-device-plugin')).toMatchObject({ version: 'v0.5.7', namespace: 'kube-system' });
    expect(parse(release(json, 'aws-efa-k8s-device-plugin').values[0]).nodeSelector).toEqual({ 'cdktf-ai-infra/efa': 'true' });
    expect(gpuGroups.every((g: Json) => g.labels['cdktf-ai-infra/efa'] === 'true')).toBe(true);
  });

  test('launch templates: IMDSv2 only (hop limit 1), encrypted gp3 root volume; capacity block and reservations', () => {
    for (const lt of all(json, 'aws_launch_template')) {
      expect(lt.metadata_options).toMatchObject({ http_tokens: 'required', http_put_response_hop_limit: 1 });
      expect(lt.block_device_mappings[0].ebs).toMatchObject({ encrypted: 'true', volume_type: 'gp3', kms_key_id: expect.stringMatching(/aws_kms_key\.train_NodeVolumeKey_[0-9A-F]+\.arn/) });
    }
    const rsv = one(json, 'aws_launch_template', 'LaunchTemplate-reserved');
    expect(rsv.instance_market_options).toEqual({ market_type: 'capacity-block' });
    expect(rsv.instance_type).toBe('p5.48xlarge');
    expect((gpuGroups.find((g: Json) => g.capacity_type === 'CAPACITY_BLOCK') as Json).instance_types).toBeUndefined();
    expect(rsv.capacity_reservation_specification).toEqual({ capacity_reservation_target: { capacity_reservation_id: 'cr-0123456789abcdef0' } });
    expect(rsv.placement).toBeUndefined();
    expect(one(json, 'aws_launch_template', 'LaunchTemplate-on-demand').capacity_reservation_specification).toEqual({ capacity_reservation_preference: 'none' });
    expect(one(json, 'aws_launch_template', 'LaunchTemplate-reserved').block_device_mappings[0].ebs.volume_size).toBe(500);
  });

  test('EKS Pod Identity agent add-on; cluster-autoscaler with its own least-privilege identity', () => {
    expect(one(json, 'aws_eks_addon', 'PodIdentityAgent').addon_name).toBe('eks-pod-identity-agent');
    const assoc = all(json, 'aws_eks_pod_identity_association');
    expect(assoc).toEqual([expect.objectContaining({ namespace: 'kube-system', service_account: 'cluster-autoscaler' })]);
    const role = one(json, 'aws_iam_role', 'ClusterAutoscaler');
    expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ Service: 'pods.eks.amazonaws.com' });
    const policy = JSON.parse(one(json, 'aws_iam_role_policy', 'ClusterAutoscaler_Policy').policy);
    const actions = policy.Statement.flatMap((s: Json) => s.Action);
    expect(actions.every((a: string) => !a.includes('*'))).toBe(true);
    const scale = policy.Statement.find((s: Json) => s.Sid === 'ScaleOwnGroups');
    expect(scale.Condition.StringEquals).toEqual({ [`aws:ResourceTag/k8s.io/cluster-autoscaler/${eks.name}`]: 'owned' });
    const ca = release(json, 'cluster-autoscaler');
    expect(ca).toMatchObject({ chart: 'cluster-autoscaler', version: '9.46.3', repository: 'https://kubernetes.github.io/autoscaler' });
    const values = parse(ca.values[0]);
    expect(values.extraArgs).toMatchObject({ expander: 'priority,least-waste', 'gpu-total': 'h100-80gb:0:32' });
    expect(values.expanderPriorities).toEqual({ 1: ['.*'], 10: ['^eks-h100-80gb-spot-.*'], 50: ['^eks-h100-80gb-od-.*'], 100: ['^eks-h100-80gb-rsv-.*'] });
    expect(values.image.tag).toBe('v1.33.0');
    expect(values.autoDiscovery.clusterName).toBe(eks.name);
  });

  test('node role: only the EKS worker, ECR pull-only and CNI managed policies', () => {
    const policies = all(json, 'aws_iam_role_policy_attachment').map((a) => a.policy_arn.split('/').pop()).sort();
    expect(policies).toEqual(['AmazonEC2ContainerRegistryPullOnly', 'AmazonEKSClusterPolicy', 'AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy']);
    expect(policies.some((p: string) => /FullAccess|Administrator/.test(p))).toBe(false);
  });

  test('add-ons: pinned device plugin, DCGM exporter with fault counters, Kueue, through the aliased helm provider (exec credentials)', () => {
    const helm = json.provider.helm;
    expect(helm).toHaveLength(1);
    expect(helm[0].alias).toMatch(/^helm-infra-train-[0-9a-f]{8}$/);
    expect(helm[0].kubernetes.exec).toMatchObject({ command: 'aws', args: expect.arrayContaining(['eks', 'get-token', '--region', 'us-east-1']) });
    expect(helm[0].kubernetes.token).toBeUndefined();
    // pinned upstream charts (our own chart, the add-on namespaces' NetworkPolicies, is a local asset)
    const releases = all(json, 'helm_release').filter((r) => r.repository);
    for (const r of releases) {
      expect(r.version).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect(r.provider).toBe(`helm.${helm[0].alias}`);
      expect(r.atomic).toBe(true);
    }
    expect(releases.map((r) => r.chart).sort()).toEqual(['aws-efa-k8s-device-plugin', 'cluster-autoscaler', 'dcgm-exporter', 'kueue', 'kured', 'nvidia-device-plugin']);
    const dcgm = parse(release(json, 'dcgm-exporter').values[0]);
    for (const field of ['DCGM_FI_DEV_XID_ERRORS', 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'DCGM_FI_DEV_THERMAL_VIOLATION', 'DCGM_FI_DEV_POWER_VIOLATION',
      'DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL', 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE']) {
      expect(dcgm.customMetrics).toContain(`${field}, `);
    }
    expect(dcgm.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(parse(release(json, 'nvidia-device-plugin').values[0]).affinity.nodeAffinity).toBeDefined();
    expect(release(json, 'kueue')).toMatchObject({ repository: 'oci://registry.k8s.io/kueue/charts', namespace: 'kueue-system' });
    const kueue = parse(release(json, 'kueue').values[0]);
    expect(kueue.controllerManager).toMatchObject({ replicas: 2, nodeSelector: { 'cdktf-ai-infra/pool': 'system' }, podDisruptionBudget: { enabled: true } });
    const managerConfig = parse(kueue.managerConfig.controllerManagerConfigYaml);
    expect(managerConfig).toMatchObject({ apiVersion: 'config.kueue.x-k8s.io/v1beta1', kind: 'Configuration', waitForPodsReady: { enable: true, timeout: '30m' } });
    expect(managerConfig.integrations.frameworks).toContain('batch/job');
    expect(release(json, 'kueue').depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/aws_eks_node_group\.train_SystemNodes/)]));
  });

  test('the construct exposes pools, add-on dependencies, cost and escape hatches', () => {
    expect(cluster.gpuPools).toEqual([expect.objectContaining({
      name: 'h100-80gb', gpu: 'h100-80gb', gpusPerNode: 8, maxNodes: 4, gpuMemoryGiB: 80, interconnect: 'efa', machineType: 'p5.48xlarge',
      nodeSelector: { 'cdktf-ai-infra/pool': 'h100-80gb' }, taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
      capacity: ['reserved', 'on-demand', 'spot'],
    })]);
    expect(cluster.addOnDependencies.length).toBeGreaterThanOrEqual(5);
    // 55.04 $/h x 4 nodes x 730 h + control plane 73 $.
    expect(cluster.estimatedMonthlyCost).toBe(160789.8);
    expect(Object.values(json.output).map((o: Json) => o.value)).toContain(160789.8);
    expect(Object.keys(cluster.resources)).toEqual(expect.arrayContaining(['cluster', 'vpc', 'secretsKey', 'h100-80gb/spot']));
    expect(cluster.workloadIdentityPodLabels).toEqual({});
    void stack;
  });

  test('bindServiceAccount: a Pod Identity association, named in an annotation (orders the release after it); the same SA twice is an error', () => {
    const identity = new WorkloadIdentity(stack, 'job', { cloud: aws() });
    expect(Object.keys(cluster.bindServiceAccount(identity, 'research', 'trainer'))).toEqual(['cdktf-ai-infra/pod-identity-association']);
    expect(() => cluster.bindServiceAccount(identity, 'research', 'trainer')).toThrow(/one role per ServiceAccount/);
  });

  test('public endpoint only with authorized networks; explicitly private; existing VPC; single NAT', () => {
    const priv = clusterJson({ cloud: aws(), endpointAccess: 'private', network: { existing: { networkId: 'vpc-1', subnetIds: ['subnet-a', 'subnet-b'] } } }).json;
    const c = one(priv, 'aws_eks_cluster', /^train_[0-9A-F]{8}$/);
    expect(c.vpc_config).toMatchObject({ endpoint_private_access: true, endpoint_public_access: false, subnet_ids: ['subnet-a', 'subnet-b'] });
    expect(all(priv, 'aws_vpc')).toHaveLength(0);
    const single = clusterJson({ cloud: aws(), network: { natGateways: 'single' }, authorizedNetworks: ['203.0.113.0/24'] }).json;
    expect(all(single, 'aws_nat_gateway')).toHaveLength(1);
    expect(one(single, 'aws_eks_cluster', /^train_[0-9A-F]{8}$/).vpc_config.public_access_cidrs).toEqual(['203.0.113.0/24']);
  });

  test('a GPU without EFA: no interfaces, subnets in every zone; ODCR reservation', () => {
    const j = clusterJson({ cloud: aws(), gpuPools: [{ gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 3, minNodes: 1, capacity: ['reserved', 'on-demand'], reservation: { id: 'cr-0abc12345678', awsType: 'odcr' } }] }).json;
    const lts = all(j, 'aws_launch_template').filter((l) => l.name_prefix.includes('l4'));
    expect(lts.every((l) => l.network_interfaces === undefined && l.placement === undefined)).toBe(true);
    const ngs = all(j, 'aws_eks_node_group').filter((g) => g.ami_type === 'AL2023_x86_64_NVIDIA');
    expect(ngs.map((g) => [g.node_group_name_prefix, g.capacity_type, g.scaling_config.min_size, g.subnet_ids.length])).toEqual([['l4-od-', 'ON_DEMAND', 0, 3], ['l4-rsv-', 'ON_DEMAND', 1, 3]]);
    expect(lts.find((l) => l.name_prefix.endsWith('l4-rsv-')).capacity_reservation_specification).toEqual({ capacity_reservation_target: { capacity_reservation_id: 'cr-0abc12345678' } });
    expect(all(j, 'helm_release').map((r) => r.chart)).not.toContain('aws-efa-k8s-device-plugin');
  });

  test('several GPU types: one --gpu-total flag each (the chart turns gpu-total_N into a repeated flag)', () => {
    const j = clusterJson({ cloud: aws(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }, { gpu: Gpu.L4, gpusPerNode: 4, maxNodes: 3, name: 'l4' }] }).json;
    const args = parse(release(j, 'cluster-autoscaler').values[0]).extraArgs;
    expect(args).toMatchObject({ 'gpu-total': 'h100-80gb:0:16', 'gpu-total_2': 'l4:0:12' });
  });

  test('GPU operator instead of the device plugin: driver and toolkit off (the AMI has them)', () => {
    const j = clusterJson({ cloud: aws(), gpuSoftware: 'gpu-operator', kueue: false, dcgmExporter: false }).json;
    const op = release(j, 'gpu-operator');
    expect(op).toMatchObject({ repository: 'https://helm.ngc.nvidia.com/nvidia', version: 'v25.3.4' });
    expect(parse(op.values[0])).toMatchObject({ driver: { enabled: false }, toolkit: { enabled: false }, dcgmExporter: { enabled: false } });
    expect(all(j, 'helm_release').filter((r) => r.repository).map((r) => r.chart).sort()).toEqual(['aws-efa-k8s-device-plugin', 'cluster-autoscaler', 'gpu-operator', 'kured']);
  });
});
