// `gatewayApi` / `enableGatewayApi()` / `enableSecretStore()` per cloud: what the cluster installs or
// enables, once however often asked.
import { parse } from 'yaml';
import { PolicyPack } from '../../src/policy/pack';
import { all, aws, azure, clusterJson, gcp, newStack, one, release, synth } from './cluster-helpers';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { Gpu } from '../../src/core/gpu';

describe('EKS', () => {
  test('by default no load balancer controller (installed on first use)', () => {
    const { json } = clusterJson({ cloud: aws() });
    expect(all(json, 'helm_release').map((r) => r.name)).not.toContain('aws-load-balancer-controller');
    expect(all(json, 'helm_release').map((r) => r.name)).not.toContain('gateway-api-crds');
  });

  describe('gatewayApi: true', () => {
    const { json, cluster, stack } = clusterJson({ cloud: aws(), gatewayApi: true });

    test('the controller (chart 1.17.1, ALB Gateway API on) after the standard-channel Gateway API CRDs', () => {
      const lbc = release(json, 'aws-load-balancer-controller');
      const crds = release(json, 'gateway-api-crds');
      expect(lbc).toMatchObject({ chart: 'aws-load-balancer-controller', version: '1.17.1', repository: 'https://aws.github.io/eks-charts', namespace: 'kube-system' });
      expect(crds).toMatchObject({ chart: 'gateway-crds-helm', version: 'v1.5.6', repository: 'oci://docker.io/envoyproxy' });
      expect(parse(crds.values[0]).crds.gatewayAPI).toEqual({ enabled: true, channel: 'standard' });
      expect(lbc.depends_on).toContain('helm_release.train_LoadBalancerController_GatewayApiCrds_B7138431');
      const values = parse(lbc.values[0]);
      expect(values.controllerConfig).toEqual({ featureGates: { ALBGatewayAPI: true } });
      // The literal name: the controller tags what it makes with it, and the IAM policy matches that tag.
      expect(values.clusterName).toMatch(/^[A-Za-z0-9-]+$/);
      expect(values.nodeSelector).toEqual({ 'cdktf-ai-infra/pool': 'system' });
      expect(cluster.resources.loadBalancerController).toBeDefined();
    });

    test('own Pod Identity role with the scoped policy', () => {
      const assoc = all(json, 'aws_eks_pod_identity_association').find((a) => a.service_account === 'aws-load-balancer-controller');
      expect(assoc).toMatchObject({ namespace: 'kube-system' });
      const policy = JSON.parse(one(json, 'aws_iam_role_policy', 'LoadBalancerController').policy);
      const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
      expect(actions).toEqual(expect.arrayContaining(['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:RegisterTargets', 'ec2:AuthorizeSecurityGroupIngress']));
      expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
      const create = policy.Statement.find((s: { Sid: string }) => s.Sid === 'CreateSecurityGroupsInTheVpc');
      expect(create.Resource[1]).toMatch(/:vpc\/\$\{aws_vpc\./);
    });

    test('enableGatewayApi() again installs nothing more', () => {
      const first = cluster.enableGatewayApi();
      expect(cluster.enableGatewayApi()).toBe(first);
      expect(all(synth(stack), 'helm_release').filter((r) => r.name === 'aws-load-balancer-controller')).toHaveLength(1);
    });

    test('policy pack: no unsuppressed error', () => {
      expect(PolicyPack.errors(stack).map((f) => `${f.ruleId} ${f.subject}: ${f.message}`)).toEqual([]);
    });
  });

  test('an existing network: the controller gets its VPC id', () => {
    const { json } = clusterJson({ cloud: aws(), gatewayApi: true, network: { existing: { networkId: 'vpc-0123', subnetIds: ['subnet-a', 'subnet-b'] } } });
    expect(parse(release(json, 'aws-load-balancer-controller').values[0]).vpcId).toBe('vpc-0123');
  });
});

describe('GKE', () => {
  test('Gateway API (standard channel) on by default; no Secret Manager add-on until asked', () => {
    const { json } = clusterJson({ cloud: gcp() });
    const c = one(json, 'google_container_cluster', 'train');
    expect(c.gateway_api_config).toEqual({ channel: 'CHANNEL_STANDARD' });
    expect(c.secret_manager_config).toBeUndefined();
    // Internal gateways (gke-l7-rilb) need the region's proxy-only subnet: inside the reserved 10.64.0.0/13.
    expect(one(json, 'google_compute_subnetwork', 'ProxyOnly')).toMatchObject({
      purpose: 'REGIONAL_MANAGED_PROXY', role: 'ACTIVE', ip_cidr_range: '10.69.0.0/23', region: 'us-central1',
    });
  });

  test('an existing network gets no proxy-only subnet (one per network and region: yours)', () => {
    const { json } = clusterJson({ cloud: gcp(), network: { existing: { networkId: 'vpc', subnetIds: ['nodes'], podsRangeName: 'pods', servicesRangeName: 'svc' } } });
    expect(one(json, 'google_container_cluster', 'train').gateway_api_config).toEqual({ channel: 'CHANNEL_STANDARD' });
    expect(all(json, 'google_compute_subnetwork')).toEqual([]);
  });

  test('gatewayApi: false leaves it off; enableGatewayApi() and enableSecretStore() turn them on', () => {
    const stack = newStack();
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud: gcp(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }], gatewayApi: false });
    expect(one(synth(stack), 'google_container_cluster', 'train').gateway_api_config).toBeUndefined();
    expect(all(synth(stack), 'google_compute_subnetwork').filter((n) => n.purpose === 'REGIONAL_MANAGED_PROXY')).toEqual([]);
    expect(cluster.enableGatewayApi()).toEqual([]);
    cluster.enableSecretStore();
    const c = one(synth(stack), 'google_container_cluster', 'train');
    expect(c.gateway_api_config).toEqual({ channel: 'CHANNEL_STANDARD' });
    expect(c.secret_manager_config).toEqual({ enabled: true });
  });
});

describe('AKS', () => {
  test('gatewayApi installs nothing (Application Gateway for Containers is yours to bring)', () => {
    const base = clusterJson({ cloud: azure() }).json;
    const { json, cluster } = clusterJson({ cloud: azure(), gatewayApi: true });
    expect(cluster.enableGatewayApi()).toEqual([]);
    expect(all(json, 'helm_release').map((r) => r.name).sort()).toEqual(all(base, 'helm_release').map((r) => r.name).sort());
  });
});
