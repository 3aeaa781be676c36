// Tenant network isolation computed from the rendered NetworkPolicies (issue 21), with the spec evaluator of
// test/k8s/netpol.ts: from a tenant's pods only the allowed paths exist (DNS, the cloud's workload-identity
// endpoint, HTTPS to public addresses), never another tenant, the add-ons, the node network or the cloud metadata
// endpoint. The fixture (the same probes without the tenant's policies) shows the check sees the difference.
import { TerraformStack, Testing } from 'cdktf';
import { Tenant } from '../../src/training/tenant';
import { TrainingJob } from '../../src/training/training-job';
import { FakeGpuCluster } from '../k8s/fake-cluster';
import { allowed, Cluster, Endpoint, NetworkPolicy } from '../k8s/netpol';
import { findObjects, K8sObject, manifestsOf } from '../k8s/validate';
import { METRICS_SCRAPER_NAMESPACE_LABEL } from '../../src/k8s/namespace';
import { FakeStore } from './fakes';

function render() {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  const store = new FakeStore(stack, 'Models');
  const research = new Tenant(stack, 'research', { cluster, gpuQuota: 16, store });
  new Tenant(stack, 'vision', { cluster, gpuQuota: 8 });
  new TrainingJob(stack, 'pretrain', { cluster, tenant: research, nodes: 2, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'a/b:1' });
  const objects = manifestsOf(stack);
  const job = findObjects(objects, 'Job')[0] as K8sObject;
  return { objects, jobLabels: job.spec.template.metadata.labels as Record<string, string> };
}

const { objects, jobLabels } = render();
const policies = findObjects(objects, 'NetworkPolicy') as unknown as NetworkPolicy[];
const namespaces = {
  ...Object.fromEntries(findObjects(objects, 'Namespace').map((n) => [n.metadata.name, n.metadata.labels ?? {}])),
  // as the self-managed MonitoringStack labels its namespace (the scraper the job's metrics policy admits)
  monitoring: { [METRICS_SCRAPER_NAMESPACE_LABEL]: 'true' },
};

const endpoints: Record<string, Endpoint> = {
  'research pod': { namespace: 'research', labels: { app: 'notebook' }, ip: '10.64.0.10' },
  'research job pod': { namespace: 'research', labels: jobLabels, ip: '10.64.0.11' },
  'research job peer': { namespace: 'research', labels: jobLabels, ip: '10.64.0.12' },
  'vision pod': { namespace: 'vision', labels: { app: 'notebook' }, ip: '10.64.1.10' },
  'kube-dns': { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ip: '10.64.2.2' },
  prometheus: { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' }, ip: '10.64.3.3' },
  'kueue webhook': { namespace: 'kueue-system', labels: { 'control-plane': 'controller-manager' }, ip: '10.64.4.4' },
  'keda metrics': { namespace: 'keda', labels: { app: 'keda-operator-metrics-apiserver' }, ip: '10.64.5.5' },
  'node (private)': { ip: '10.0.1.10' },
  'cloud metadata': { ip: '169.254.169.254' },
  'pod identity agent': { ip: '169.254.170.23' },
  'pod range (RFC 6598)': { ip: '100.64.3.4' },
  'node-local dns': { ip: '169.254.20.10' },
  internet: { ip: '203.0.113.7' },
};
const PROBES: [number, string][] = [[53, 'UDP'], [53, 'TCP'], [80, 'TCP'], [443, 'TCP'], [9090, 'TCP'], [9095, 'TCP'], [9443, 'TCP'], [29500, 'TCP'], [6443, 'TCP']];

/** Every `to:port/proto` that `from` reaches under `policies`. */
function reach(ps: readonly NetworkPolicy[], from: string): string[] {
  const cluster: Cluster = { namespaces, policies: ps };
  const out: string[] = [];
  for (const [to, dst] of Object.entries(endpoints)) {
    if (to === from) continue;
    for (const [port, proto] of PROBES) if (allowed(cluster, endpoints[from], dst, port, proto)) out.push(`${to}:${port}/${proto}`);
  }
  return out.sort();
}

const BASE = ['internet:443/TCP', 'kube-dns:53/TCP', 'kube-dns:53/UDP', 'node-local dns:53/TCP', 'node-local dns:53/UDP', 'pod identity agent:80/TCP'];

describe('tenant reachability from the rendered NetworkPolicies', () => {
  test('a tenant pod reaches DNS, its identity endpoint and HTTPS to public addresses only', () => {
    expect(reach(policies, 'research pod')).toEqual(BASE);
    expect(reach(policies, 'vision pod')).toEqual(BASE);
  });

  test('a training job\'s pods also reach each other (rendezvous, NCCL), nothing else of the tenant', () => {
    expect(reach(policies, 'research job pod')).toEqual([...BASE, ...PROBES.map(([p, proto]) => `research job peer:${p}/${proto}`)].sort());
  });

  test('nothing reaches into a tenant but its own job peers and the metrics scraper', () => {
    const into = (to: string) => Object.keys(endpoints).filter((f) => f !== to && endpoints[f].namespace !== undefined)
      .flatMap((f) => PROBES.filter(([p, proto]) => allowed({ namespaces, policies }, endpoints[f], endpoints[to], p, proto)).map(([p, proto]) => `${f}:${p}/${proto}`));
    expect(into('research pod')).toEqual([]);
    // the job's metrics port admits the scraper (Prometheus of a namespace labelled as scraper) only
    expect(into('research job pod').filter((p) => !p.startsWith('research job peer:'))).toEqual(['prometheus:9095/TCP']);
    expect(into('research job pod').filter((p) => p.startsWith('vision') || p.startsWith('research pod'))).toEqual([]);
  });

  test('fixture: without the tenant\'s policies the same probes reach the other tenant, the add-ons and the metadata endpoint', () => {
    const open = policies.filter((p) => p.metadata.namespace !== 'research');
    expect(reach(open, 'research pod')).toEqual(expect.arrayContaining(['cloud metadata:80/TCP', 'kueue webhook:9443/TCP', 'prometheus:9090/TCP', 'internet:80/TCP']));
    // and policies that exclude only 169.254.169.254/32 from "the internet" (as before) open the rest of link-local
    const narrow = policies.map((p) => (p.metadata.name !== 'allow-cloud-api-egress' ? p : JSON.parse(JSON.stringify(p).replace('"169.254.0.0/16"', '"169.254.169.254/32"'))));
    expect(reach(narrow, 'research pod')).toEqual([...BASE, 'node-local dns:443/TCP', 'pod identity agent:443/TCP'].sort());
  });
});
