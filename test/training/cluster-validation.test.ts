import { Cloud } from '../../src/core/cloud';
import { Gpu } from '../../src/core/gpu';
import { WorkloadIdentity } from '../../src/core/workload-identity';
import { GpuPoolProps, GpuTrainingCluster, GpuTrainingClusterProps } from '../../src/training/gpu-training-cluster';
import { aws, azure, clusterJson, expectInvalid, gcp, newStack, warnings } from './cluster-helpers';
import { SynthQuery } from '../synth-query';

/** Makes a cluster in a fresh stack; returns the stack so tests can check nothing was added. */
function make(props: Partial<GpuTrainingClusterProps> & { cloud: Cloud }) {
  const stack = newStack();
  const run = () => new GpuTrainingCluster(stack, 'train', { gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }], ...props });
  return { stack, run };
}

const pool = (extra: Partial<GpuPoolProps>): GpuPoolProps[] => [{ gpu: Gpu.H100_80GB, maxNodes: 2, ...extra }];

describe('GpuTrainingCluster bad input (InvalidPropError before any child is made)', () => {
  test.each<[string, Partial<GpuTrainingClusterProps> & { cloud: Cloud }, RegExp[]]>([
    ['no GPU pools', { cloud: aws(), gpuPools: [] }, [/invalid gpuPools = \[\]/, /aws offers h100-80gb/]],
    ['a GPU the cloud does not offer (lists what it does)', { cloud: gcp(), gpuPools: [{ gpu: Gpu.L40S, maxNodes: 1 }] },
      [/infra\/train: invalid gpu = "l40s"/, /a GPU that gcp offers: h100-80gb, a100-80gb, a100-40gb, l4, t4/]],
    ['L4 on Azure', { cloud: azure(), gpuPools: [{ gpu: Gpu.L4, maxNodes: 1 }] }, [/invalid gpu = "l4"/, /azure offers: .*a10g/]],
    ['maxNodes 0', { cloud: aws(), gpuPools: pool({ maxNodes: 0 }) }, [/invalid gpuPools\[0\]\.maxNodes = 0/, /integer >= 1/]],
    ['negative maxNodes', { cloud: aws(), gpuPools: pool({ maxNodes: -3 }) }, [/maxNodes = -3/]],
    ['fractional maxNodes', { cloud: aws(), gpuPools: pool({ maxNodes: 1.5 }) }, [/maxNodes = 1\.5/]],
    ['negative minNodes', { cloud: aws(), gpuPools: pool({ minNodes: -1 }) }, [/minNodes = -1/]],
    ['minNodes above maxNodes', { cloud: aws(), gpuPools: pool({ minNodes: 3 }) }, [/minNodes = 3/, /<= 2/]],
    ['zero GPUs per node', { cloud: aws(), gpuPools: pool({ gpusPerNode: 0 }) }, [/gpusPerNode = 0/]],
    ['a GPU count the cloud has no machine for', { cloud: aws(), gpuPools: pool({ gpusPerNode: 2 }) }, [/gpusPerNode = 2/, /8 \(the GPUs per node aws offers/]],
    ['a machine type without that GPU', { cloud: aws(), gpuPools: pool({ machineType: 'g5.xlarge' }) }, [/machineType = "g5\.xlarge"/, /p5\.48xlarge/]],
    ['an empty capacity ladder', { cloud: aws(), gpuPools: pool({ capacity: [] }) }, [/capacity = \[\]/, /reserved.*on-demand.*spot/]],
    ['a ladder out of order', { cloud: aws(), gpuPools: pool({ capacity: ['spot', 'on-demand'] }) }, [/capacity = \["spot","on-demand"\]/]],
    ['a repeated rung', { cloud: aws(), gpuPools: pool({ capacity: ['on-demand', 'on-demand'] }) }, [/capacity/]],
    ['reserved on Azure without a reservation group', { cloud: azure(), gpuPools: pool({ capacity: ['reserved', 'spot'] }) }, [/reservation = undefined/, /Capacity Reservation Group/]],
    ['a reservation without a reserved rung', { cloud: aws(), gpuPools: pool({ reservation: { id: 'cr-0123456789abcdef0' } }) }, [/reservation/, /only with a 'reserved' rung/]],
    ['a malformed AWS reservation id', { cloud: aws(), gpuPools: pool({ capacity: ['reserved'], reservation: { id: 'res-1' } }) }, [/reservation\.id = "res-1"/, /cr-/]],
    ['duplicate pool names', { cloud: aws(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 1 }, { gpu: Gpu.H100_80GB, maxNodes: 1 }] }, [/gpuPools\[1\]\.name = "h100-80gb"/, /not used by another pool/]],
    ['a pool name that is not a label value', { cloud: aws(), gpuPools: pool({ name: 'H100 Pool' }) }, [/name = "H100 Pool"/]],
    ['EFA on a machine without EFA', { cloud: aws(), gpuPools: [{ gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 1, efa: true }] }, [/efa = true/, /g6\.xlarge has no EFA/]],
    ['queued provisioning off GCP', { cloud: aws(), gpuPools: pool({ queuedProvisioning: true }) }, [/queuedProvisioning = true/, /capacity block/]],
    ['queued provisioning with spot', { cloud: gcp(), gpuPools: pool({ queuedProvisioning: true, capacity: ['on-demand', 'spot'] }) }, [/capacity/, /DWS/]],
    ['compact placement on Azure', { cloud: azure(), gpuPools: pool({ compactPlacement: true }) }, [/compactPlacement = true/]],
    ['compact placement on GCP without a zone', { cloud: gcp(), gpuPools: pool({ compactPlacement: true }) }, [/zones = undefined/, /compact placement/]],
    ['a tiny disk', { cloud: aws(), gpuPools: pool({ diskSizeGiB: 10 }) }, [/diskSizeGiB = 10/]],
    ['a reserved node label', { cloud: aws(), gpuPools: pool({ labels: { 'cdktf-ai-infra/gpu': 'x' } }) }, [/labels key/, /reserved/]],
    ['system pool of 0 nodes', { cloud: aws(), systemPool: { minNodes: 0 } }, [/systemPool\.minNodes = 0/]],
    ['system pool max below min', { cloud: aws(), systemPool: { minNodes: 3, maxNodes: 2 } }, [/systemPool\.maxNodes = 2/]],
    ['a bad Kubernetes version', { cloud: aws(), kubernetesVersion: '1.19' }, [/kubernetesVersion = "1\.19"/]],
    ['a bad authorized network', { cloud: aws(), authorizedNetworks: ['10.0.0.300/8'] }, [/authorizedNetworks = "10\.0\.0\.300\/8"/]],
    ['a public endpoint without authorized networks', { cloud: aws(), endpointAccess: 'public' }, [/authorizedNetworks = \[\]/, /0\.0\.0\.0\/0/]],
    ['authorized networks on a private endpoint', { cloud: aws(), endpointAccess: 'private', authorizedNetworks: ['10.0.0.0/8'] }, [/authorizedNetworks/, /private/]],
    ['a too-small VPC', { cloud: aws(), network: { cidr: '10.0.0.0/24' } }, [/network\.cidr = "10\.0\.0\.0\/24"/, /\/20 or larger/]],
    ['a GKE subnet overlapping the pod range', { cloud: gcp(), network: { cidr: '10.64.0.0/16' } }, [/network\.cidr/, /outside 10\.64\.0\.0\/13/]],
    ['an existing AWS network with one subnet', { cloud: aws(), network: { existing: { networkId: 'vpc-1', subnetIds: ['subnet-a'] } } }, [/subnetIds/, /at least 2/]],
    ['an existing GKE network without ranges', { cloud: gcp(), network: { existing: { networkId: 'net', subnetIds: ['sub'] } } }, [/podsRangeName/]],
    ['zones of another region', { cloud: aws(), zones: ['us-west-2a', 'us-west-2b'] }, [/zones = "us-west-2a"/, /zones of us-east-1/]],
    ['Azure zone 4', { cloud: azure(), zones: ['1', '4'] }, [/zones = "4"/]],
    ['an empty zone list for a pool off Azure', { cloud: aws(), gpuPools: pool({ zones: [] }) }, [/gpuPools\[0\]\.zones = \[\]/, /non-empty/]],
    ['pool zones outside the cluster zones (AWS)', { cloud: aws(), zones: ['us-east-1a', 'us-east-1b'], gpuPools: pool({ zones: ['us-east-1c'] }) }, [/gpuPools\[0\]\.zones/]],
    ['admins that are not ARNs (AWS)', { cloud: aws(), admins: ['alice'] }, [/admins = "alice"/, /ARN/]],
    ['admins on GKE', { cloud: gcp(), admins: ['group:ml@acme.com'] }, [/admins/, /project IAM/]],
    ['the GPU operator on GKE', { cloud: gcp(), gpuSoftware: 'gpu-operator' }, [/gpuSoftware = "gpu-operator"/, /GKE installs the driver/]],
    ['a bad tag', { cloud: gcp(), tags: { Team: 'ML' } }, [/tags key = "Team"/]],
  ])('%s', (_name, props, matches) => {
    const { stack, run } = make(props);
    expectInvalid(run, ...matches);
    const cluster = stack.node.tryFindChild('train');
    // Nothing but (maybe) the empty construct itself: no resources, no providers.
    expect(cluster?.node.children.length ?? 0).toBe(0);
    expect(stack.node.findAll().filter((c) => c !== stack && c !== cluster)).toEqual([]);
  });

  test('bindServiceAccount refuses an identity of another cloud and bad Kubernetes names', () => {
    const { cluster, stack } = clusterJson({ cloud: aws() });
    const gcpIdentity = new WorkloadIdentity(stack, 'g', { cloud: gcp() });
    expectInvalid(() => cluster.bindServiceAccount(gcpIdentity, 'ns', 'sa'), /invalid identity/, /a workload identity on aws \(the cluster runs on aws us-east-1\)/);
    const awsIdentity = new WorkloadIdentity(stack, 'a', { cloud: aws() });
    expectInvalid(() => cluster.bindServiceAccount(awsIdentity, 'Bad_NS', 'sa'), /namespace = "Bad_NS"/);
  });
});

describe('GpuTrainingCluster warnings', () => {
  /** The deployer's egress range: a public endpoint reachable from where `cdktf deploy` runs. */
  const DEPLOYER = ['203.0.113.0/24'];
  test('a region not known to offer the GPU warns (and lists the known ones), it does not fail', () => {
    const { cluster } = clusterJson({ cloud: Cloud.aws({ region: 'eu-west-3' }), authorizedNetworks: DEPLOYER });
    expect(warnings(cluster)).toEqual([expect.stringMatching(/p5\.48xlarge \(h100-80gb\) is not known to be offered in eu-west-3; known regions: us-east-1/)]);
  });

  test('a single-zone system pool warns', () => {
    const { cluster } = clusterJson({ cloud: aws(), zones: ['us-east-1a'], authorizedNetworks: DEPLOYER });
    expect(warnings(cluster)).toEqual([expect.stringMatching(/system pool runs in a single zone \(us-east-1a\)/)]);
  });

  test('a GCP spot/DWS-only machine on an on-demand ladder warns', () => {
    const { cluster } = clusterJson({ cloud: gcp(), gpuPools: [{ gpu: Gpu.H100_80GB, gpusPerNode: 1, maxNodes: 2 }], authorizedNetworks: DEPLOYER });
    expect(warnings(cluster)).toEqual([expect.stringMatching(/a3-highgpu-1g is sold only as spot or through queued provisioning/)]);
  });

  test('a deployable spec raises no warning on any cloud; the defaults only the unreachable-endpoint one', () => {
    for (const cloud of [aws(), gcp(), azure()]) {
      expect(warnings(clusterJson({ cloud, authorizedNetworks: DEPLOYER }).cluster)).toEqual([]);
      expect(warnings(clusterJson({ cloud }).cluster)).toEqual([expect.stringMatching(/^the API server endpoint is private and its network is made in this stack/)]);
    }
  });
});

describe('estimated monthly cost', () => {
  test('list price x max nodes x 730 h per pool, plus the control plane; a Terraform output described as an upper bound', () => {
    const { cluster, json } = clusterJson({
      cloud: aws(),
      gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }, { gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 10, name: 'l4' }],
    });
    expect(cluster.costEstimate.lines).toEqual([
      { item: 'h100-80gb', machine: 'p5.48xlarge', nodes: 2, pricePerHourUsd: 55.04, monthlyUsd: 80358.4 },
      { item: 'l4', machine: 'g6.xlarge', nodes: 10, pricePerHourUsd: 0.805, monthlyUsd: 5876.5 },
      { item: 'control-plane', nodes: 0, pricePerHourUsd: 0.1, monthlyUsd: 73 },
    ]);
    expect(cluster.estimatedMonthlyCost).toBe(86307.9);
    const output = Object.values(json.output as Record<string, { value: number; description: string }>)[0];
    expect(output.value).toBe(86307.9);
    expect(output.description).toMatch(/^Upper bound, USD\/month at on-demand list price/);
  });
});

describe('several clusters', () => {
  test('two clusters in one stack (two clouds) get their own aliased helm providers and distinct names', () => {
    const stack = newStack();
    const a = new GpuTrainingCluster(stack, 'east', { cloud: aws(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 1 }] });
    const b = new GpuTrainingCluster(stack, 'west', { cloud: Cloud.aws({ region: 'us-west-2' }), gpuPools: [{ gpu: Gpu.A100_80GB, maxNodes: 1 }] });
    const c = new GpuTrainingCluster(stack, 'gke', { cloud: gcp(), gpuPools: [{ gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 1 }] });
    const json = SynthQuery.fromStack(stack).json;
    expect(json.provider.helm.map((h: { alias: string }) => h.alias).sort()).toEqual([a, b, c].map((x) => (x.helmProvider as unknown as { alias: string }).alias).sort());
    expect(new Set(json.provider.helm.map((h: { alias: string }) => h.alias)).size).toBe(3);
    expect(json.provider.aws.map((p: { region: string; alias?: string }) => [p.region, p.alias ?? 'default'])).toEqual([['us-east-1', 'default'], ['us-west-2', 'us-west-2']]);
    const names = Object.values(json.resource.aws_eks_cluster).map((e) => (e as { name: string }).name);
    expect(new Set(names).size).toBe(2);
    expect(a.clusterName).not.toBe(b.clusterName);
  });
});

describe('existing networks', () => {
  test('GKE on an existing subnetwork and its ranges: no network resources', () => {
    const { json } = clusterJson({
      cloud: gcp(),
      network: { existing: { networkId: 'projects/acme-ml/global/networks/shared', subnetIds: ['projects/acme-ml/regions/us-central1/subnetworks/gke'], podsRangeName: 'gke-pods', servicesRangeName: 'gke-svc' } },
    });
    expect(json.resource.google_compute_network).toBeUndefined();
    expect(json.resource.google_compute_router_nat).toBeUndefined();
    const gke = Object.values(json.resource.google_container_cluster)[0] as { subnetwork: string; ip_allocation_policy: unknown };
    expect(gke.subnetwork).toBe('projects/acme-ml/regions/us-central1/subnetworks/gke');
    expect(gke.ip_allocation_policy).toEqual({ cluster_secondary_range_name: 'gke-pods', services_secondary_range_name: 'gke-svc' });
  });

  test('AKS on an existing subnet: no VNet or NAT; the join role is scoped to that VNet', () => {
    const subnet = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/aks';
    const vnet = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub';
    const { json } = clusterJson({ cloud: azure(), network: { existing: { networkId: vnet, subnetIds: [subnet] } } });
    expect(json.resource.azurerm_virtual_network).toBeUndefined();
    expect(json.resource.azurerm_nat_gateway).toBeUndefined();
    const role = Object.values(json.resource.azurerm_role_definition)[0] as { scope: string; assignable_scopes: string[] };
    expect(role).toMatchObject({ scope: vnet, assignable_scopes: [vnet] });
    const aks = Object.values(json.resource.azurerm_kubernetes_cluster)[0] as { default_node_pool: { vnet_subnet_id: string } };
    expect(aks.default_node_pool.vnet_subnet_id).toBe(subnet);
  });
});
