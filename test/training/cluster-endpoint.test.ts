// API server endpoint access (issue 15, item 3): the first `cdktf deploy` must reach the API server the
// helm releases install through. Public endpoints are limited to the deployers' CIDRs (0.0.0.0/0 only with an
// explicit opt-in, and a warning); a private endpoint in a network made by the same stack warns at synth.
import { TerraformStack, Testing } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { all, aws, azure, clusterJson, expectInvalid, gcp, Json, one, warnings } from './cluster-helpers';

const DEPLOYER = ['203.0.113.0/24'];
const UNREACHABLE = /^the API server endpoint is private and its network is made in this stack, but \d+ helm release\(s\) here install through it/;
const OPEN = /the API server endpoint is open to any address \(0\.0\.0\.0\/0\)/;

/** What each cloud's cluster resource says about its API endpoint. */
const endpointOf: Record<string, (json: Json) => { public: boolean; cidrs: string[] }> = {
  aws: (json) => {
    const c = one(json, 'aws_eks_cluster', /^train_[0-9A-F]{8}$/).vpc_config;
    return { public: c.endpoint_public_access, cidrs: c.public_access_cidrs ?? [] };
  },
  gcp: (json) => {
    const c = all(json, 'google_container_cluster')[0];
    return {
      public: !c.private_cluster_config.enable_private_endpoint,
      cidrs: (c.master_authorized_networks_config?.cidr_blocks ?? []).map((b: Json) => b.cidr_block),
    };
  },
  azure: (json) => {
    const c = all(json, 'azurerm_kubernetes_cluster')[0];
    return { public: !c.private_cluster_enabled, cidrs: c.api_server_access_profile?.authorized_ip_ranges ?? [] };
  },
};

describe.each([['aws', aws()], ['gcp', gcp()], ['azure', azure()]] as const)('%s: API endpoint access', (name, cloud: Cloud) => {
  test('authorizedNetworks: a public endpoint reachable from those CIDRs only, and no warning', () => {
    const { json, cluster } = clusterJson({ cloud, authorizedNetworks: DEPLOYER });
    expect(endpointOf[name](json)).toEqual({ public: true, cidrs: DEPLOYER });
    expect(warnings(cluster)).toEqual([]);
  });

  test('0.0.0.0/0 is refused without the explicit opt-in', () => {
    expectInvalid(() => clusterJson({ cloud, authorizedNetworks: ['0.0.0.0/0'] }),
      /invalid authorizedNetworks = "0\.0\.0\.0\/0"/, /egress range/, /publicEndpointFromAnyAddress: true/);
    expectInvalid(() => clusterJson({ cloud, authorizedNetworks: [...DEPLOYER, '10.0.0.0/0'] }), /authorizedNetworks = "10\.0\.0\.0\/0"/);
  });

  test('0.0.0.0/0 with publicEndpointFromAnyAddress: open, with a warning; the opt-in alone is an error', () => {
    const { json, cluster } = clusterJson({ cloud, authorizedNetworks: ['0.0.0.0/0'], publicEndpointFromAnyAddress: true });
    expect(endpointOf[name](json)).toEqual({ public: true, cidrs: ['0.0.0.0/0'] });
    expect(warnings(cluster)).toEqual([expect.stringMatching(OPEN)]);
    expectInvalid(() => clusterJson({ cloud, authorizedNetworks: DEPLOYER, publicEndpointFromAnyAddress: true }),
      /invalid publicEndpointFromAnyAddress = true/, /unless authorizedNetworks contains '0\.0\.0\.0\/0'/);
  });

  test('private endpoint + network made here + helm releases through it: a synth warning pointing at the ways out', () => {
    const { json, cluster } = clusterJson({ cloud });
    expect(endpointOf[name](json).public).toBe(false);
    const [warning] = warnings(cluster);
    expect(warning).toMatch(UNREACHABLE);
    expect(warning).toMatch(/authorizedNetworks/);
    expect(warning).toMatch(/network: \{ existing \}/);
    expect(warning).toMatch(/runner inside it/);
    expect(Number(/but (\d+) helm/.exec(warning)![1])).toBe(all(json, 'helm_release').length);
  });
});

describe('the unreachable-endpoint warning only where the deployer cannot be inside the network', () => {
  test('a private endpoint in an existing network (a runner can already be there): no warning', () => {
    const { cluster } = clusterJson({ cloud: aws(), endpointAccess: 'private', network: { existing: { networkId: 'vpc-1', subnetIds: ['subnet-a', 'subnet-b'] } } });
    expect(warnings(cluster)).toEqual([]);
  });

  test('it counts the workload releases added after the cluster (tenants, jobs) too', () => {
    const { cluster: bare } = clusterJson({ cloud: aws() });
    const base = Number(/but (\d+) helm/.exec(warnings(bare)[0])![1]);
    const stack = new TerraformStack(Testing.app(), 'infra');
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud: aws(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }] });
    cluster.addTenant('research', { gpuQuota: 8 });
    Testing.synth(stack);
    // the tenant's release and the tenants' shared access release (role, admission policy)
    expect(Number(/but (\d+) helm/.exec(warnings(cluster)[0])![1])).toBe(base + 2);
  });
});
