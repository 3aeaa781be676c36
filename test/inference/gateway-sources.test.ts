// An endpoint's NetworkPolicy admits its load balancer's address ranges, never the pod network (issue 21). On EKS the
// VPC CNI gives pods addresses of the VPC and applies ipBlocks to them: a pod with open egress inside `10.0.0.0/8`
// passed as the load balancer. Now the cluster knows its pod ranges (EKS: the node subnets, with load balancers
// in subnets of their own; GKE: the pods range; AKS: the overlay), the ipBlocks except them, and reachability over
// the example platforms shows it, with the old policies as the fixture. The subnet arithmetic is checked against
// the real `terraform console`.
import { spawnSync } from 'child_process';
import { TerraformStack, Testing } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { cidrContains, cidrSubnet, cidrsOverlap } from '../../src/core/cidr';
import { awsSubnetLayout } from '../../src/clouds/aws/network';
import { GKE_PROXY_ONLY_CIDR } from '../../src/clouds/gcp/gpu-cluster';
import { ipBlockPeers } from '../../src/k8s/objects/network-policy';
import { SERVER_PORT } from '../../src/inference/manifests';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { Gpu } from '../../src/core/gpu';
import { expectInvalid } from '../expect-invalid';
import { allowed, Cluster, Endpoint, NetworkPolicy } from '../k8s/netpol';
import { findObjects, K8sObject, manifestsOf } from '../k8s/validate';
import { terraformEngine } from '../system/terraform';
import { build, CLOUDS, endpointObjects } from './helpers';

/** The first address of a range, plus `n`. */
function host(cidr: string, n: number): string {
  const [a, b, c, d] = cidr.split('/')[0].split('.').map(Number);
  const v = ((a * 256 + b) * 256 + c) * 256 + d + n;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
}

describe('CIDR arithmetic', () => {
  test('cidrSubnet gives what the real terraform cidrsubnet() gives', () => {
    const cases: [string, number, number][] = [['10.0.0.0/16', 3, 0], ['10.0.0.0/16', 3, 7], ['10.0.224.0/19', 5, 9], ['172.20.0.0/20', 3, 2],
      ['192.168.128.0/17', 8, 255], ['10.0.0.0/8', 0, 0]];
    const expr = `[${cases.map(([c, b, n]) => `cidrsubnet("${c}", ${b}, ${n})`).join(', ')}]`;
    const run = spawnSync(terraformEngine().binary, ['console'], { input: `jsonencode(${expr})\n`, encoding: 'utf8' });
    expect([run.status, run.error]).toEqual([0, undefined]);
    expect(JSON.parse(JSON.parse(run.stdout.trim()))).toEqual(cases.map(([c, b, n]) => cidrSubnet(c, b, n)));
  });
  test('containment and overlap; out-of-range subnets are refused', () => {
    expect(cidrContains('10.0.0.0/8', '10.64.0.0/14')).toBe(true);
    expect(cidrContains('10.64.0.0/14', '10.0.0.0/8')).toBe(false);
    expect(cidrContains('10.0.0.0/19', '10.0.0.0/19')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/16', '10.64.0.0/13')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/8', '10.64.0.0/13')).toBe(true);
    expect(() => cidrSubnet('10.0.0.0/30', 3, 0)).toThrow(/out of range/);
    expect(() => cidrSubnet('10.0.0.0/16', 3, 8)).toThrow(/out of range/);
  });
  test('the AWS layout: pods\' subnets and load balancers\' subnets never overlap, up to six zones', () => {
    for (const vpc of ['10.0.0.0/16', '10.8.0.0/20']) {
      const zones = [0, 1, 2, 3, 4, 5].map((z) => awsSubnetLayout(vpc, z));
      const all = zones.flatMap((z) => [z.private, z.public, z.loadBalancer]);
      all.forEach((a, i) => all.forEach((b, j) => { if (i !== j) expect(cidrsOverlap(a, b)).toBe(false); }));
      all.forEach((a) => expect(cidrContains(vpc, a)).toBe(true));
    }
  });
  test('an AWS cluster in a new VPC takes at most six zones (the layout has room for no more)', () => {
    const zones = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((z) => `us-east-1${z}`);
    expectInvalid(() => new GpuTrainingCluster(new TerraformStack(Testing.app(), 's'), 'train', { cloud: CLOUDS.aws(), zones, gpuPools: [{ gpu: Gpu.L4, maxNodes: 2 }], kueue: false }),
      /zones/, /at most 6 zones/);
  });
  test('ipBlockPeers: a pod range inside a source is an except; a source inside a pod range is left out', () => {
    expect(ipBlockPeers(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], ['10.0.32.0/19', '10.0.0.0/19', '192.168.0.0/16'])).toEqual([
      { ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/19', '10.0.32.0/19'] } },
      { ipBlock: { cidr: '172.16.0.0/12' } },
    ]);
    expect(ipBlockPeers(['10.0.0.0/8'])).toEqual([{ ipBlock: { cidr: '10.0.0.0/8' } }]);
  });
});

// The example platforms, every NetworkPolicy rendered.
const stacks = buildPlatformApp(Testing.app()).map((stack) => {
  const objects = manifestsOf(stack);
  const podLabels = (d: K8sObject) => (d.spec.template.metadata.labels ?? {}) as Record<string, string>;
  // the model servers: every Deployment labelled as an inference component, with its namespace
  const servers = findObjects(objects, 'Deployment').filter((d) => podLabels(d)['app.kubernetes.io/component'] === 'inference'
    && d.spec.template.spec.containers.some((c: K8sObject) => (c.ports ?? []).some((p: { containerPort: number }) => p.containerPort === SERVER_PORT)));
  return {
    id: stack.node.id,
    podCidrs: stack.cluster.podCidrs,
    servers: servers.map((d) => ({ namespace: d.metadata.namespace as string, labels: podLabels(d), name: d.metadata.name as string })),
    policies: findObjects(objects, 'NetworkPolicy') as unknown as NetworkPolicy[],
    namespaces: Object.fromEntries(findObjects(objects, 'Namespace').map((n: K8sObject) => [n.metadata.name, n.metadata.labels ?? {}])),
  };
});

// Where each cloud's load balancers connect from in the example's network: AWS internal ALB/NLB nodes in the load
// balancer subnets; GKE's internal gateway proxies in the proxy-only subnet; the AKS internal load balancer's
// clients in the VNet (the example's node subnet).
const LOAD_BALANCER: Record<string, string> = {
  'platform-aws': host(awsSubnetLayout('10.0.0.0/16', 1).loadBalancer, 20),
  'platform-gcp': host(GKE_PROXY_ONLY_CIDR, 7),
  'platform-azure': '10.0.3.4',
};

describe.each(stacks.map((s) => [s.id, s] as const))('%s: load balancer sources never admit a pod', (_id, s) => {
  const cluster = (policies = s.policies): Cluster => ({ namespaces: { ...s.namespaces, default: {} }, policies });
  // pods of a namespace without policies (open egress), at addresses across each pod range
  const size = (cidr: string) => 2 ** (32 - Number(cidr.split('/')[1]));
  const pods: Endpoint[] = (s.podCidrs ?? []).flatMap((cidr, i) => [10, size(cidr) / 2, size(cidr) - 2]
    .map((n) => ({ namespace: 'default', labels: { app: `x${i}` }, ip: host(cidr, n) })));
  const server = (sv: { namespace: string; labels: Record<string, string> }): Endpoint => ({ ...sv, ip: host((s.podCidrs ?? ['10.64.0.0/14'])[0], 500) });

  test('the cluster knows its pod ranges, and the example serves models', () => {
    expect(s.podCidrs?.length).toBeGreaterThan(0);
    expect(s.servers.length).toBeGreaterThan(0);
  });
  test('the load balancer reaches every model server; no pod with open egress does', () => {
    for (const sv of s.servers) {
      expect(allowed(cluster(), { ip: LOAD_BALANCER[s.id] }, server(sv), SERVER_PORT)).toBe(true);
      for (const pod of pods) expect([sv.name, pod.ip, allowed(cluster(), pod, server(sv), SERVER_PORT)]).toEqual([sv.name, pod.ip, false]);
    }
  });
  test('fixture: the policies as they were (no except, the overlay range admitted) let a pod pass as the load balancer', () => {
    const old = s.policies.map((p) => JSON.parse(JSON.stringify(p), (key, value) => {
      if (key === 'except' && Array.isArray(value) && value.every((c: string) => (s.podCidrs ?? []).includes(c))) return undefined;
      if (key === 'from' && Array.isArray(value) && value.some((f) => f.ipBlock?.cidr === '172.16.0.0/12') && !value.some((f) => f.ipBlock?.cidr === '192.168.0.0/16')) {
        return [...value, { ipBlock: { cidr: '192.168.0.0/16' } }];
      }
      return value;
    }) as NetworkPolicy);
    for (const sv of s.servers) {
      expect(pods.some((pod) => allowed(cluster(old), pod, server(sv), SERVER_PORT))).toBe(true);
    }
  });
});

describe('pod ranges: props, errors and the warning', () => {
  const warnings = (stack: TerraformStack): string[] => stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));

  test('an allowedCidrs range inside the pod network is an error naming the prop, the value and the pod range', () => {
    expectInvalid(() => endpointObjects(build('aws', () => ({ exposure: { type: 'internal', allowedCidrs: ['10.0.0.0/8', '10.65.0.0/16'] } }))),
      /exposure\.allowedCidrs\[1\]/, /10\.65\.0\.0\/16/, /outside the cluster's pod network 10\.64\.0\.0\/14/);
  });
  test('allowedCidrs that hold the pod network keep it excepted', () => {
    const [policy] = endpointObjects(build('gcp', () => ({ exposure: { type: 'internal', allowedCidrs: ['10.0.0.0/8'] } }))).filter((o) => o.kind === 'NetworkPolicy');
    expect(policy.spec.ingress[0].from).toEqual([{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.64.0.0/14'] } }]);
  });
  test('a cluster whose pod ranges are unknown: the policy admits the sources as given, with a warning naming the fix', () => {
    const b = build('aws', ({ cluster }) => {
      (cluster as { podCidrs?: readonly string[] }).podCidrs = undefined;
      return {};
    });
    endpointObjects(b);
    expect(warnings(b.stack).join('\n')).toMatch(/pod ranges of cluster platform\/Cluster are unknown.*network\.existing\.podCidrs/);
    expect(warnings(build('aws').stack).join('\n')).not.toMatch(/pod ranges/);
  });
  test('an existing network passes its pod ranges on (AWS, GCP); Azure refuses them (the overlay is the cluster\'s own)', () => {
    const make = (cloud: 'aws' | 'gcp' | 'azure', podCidrs?: string[]) => {
      const stack = new TerraformStack(Testing.app(), 's');
      const existing = cloud === 'aws' ? { networkId: 'vpc-1', subnetIds: ['subnet-1', 'subnet-2'], podCidrs }
        : cloud === 'gcp' ? { networkId: 'net', subnetIds: ['sub'], podsRangeName: 'p', servicesRangeName: 's', podCidrs }
          : { networkId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v', subnetIds: ['/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s'], podCidrs };
      return new GpuTrainingCluster(stack, 'train', { cloud: CLOUDS[cloud](), gpuPools: [{ gpu: Gpu.L4, maxNodes: 2 }], kueue: false, network: { existing } });
    };
    expect(make('aws', ['10.1.0.0/18']).podCidrs).toEqual(['10.1.0.0/18']);
    expect(make('aws').podCidrs).toBeUndefined();
    expect(make('gcp', ['10.80.0.0/14']).attributes.podCidrs).toEqual(['10.80.0.0/14']);
    expectInvalid(() => make('aws', ['10.1.0.0']), /network\.existing\.podCidrs\[0\]/, /10\.1\.0\.0/);
    expectInvalid(() => make('gcp', []), /network\.existing\.podCidrs/, /non-empty list/);
    expectInvalid(() => make('azure', ['10.1.0.0/18']), /network\.existing\.podCidrs/, /unset on Azure/);
  });
  test('an imported cluster takes podCidrs from the attributes, checked', () => {
    const stack = new TerraformStack(Testing.app(), 's');
    const attrs = { cloud: CLOUDS.aws(), clusterName: 'c', endpoint: 'https://x', certificateAuthorityData: 'Y2E=', gpuPools: [] };
    expect(GpuTrainingCluster.fromClusterAttributes(stack, 'a', { ...attrs, podCidrs: ['10.0.0.0/19'] }).podCidrs).toEqual(['10.0.0.0/19']);
    expectInvalid(() => GpuTrainingCluster.fromClusterAttributes(stack, 'b', { ...attrs, podCidrs: ['10.0.0.0/33'] }), /podCidrs\[0\]/);
  });
});
