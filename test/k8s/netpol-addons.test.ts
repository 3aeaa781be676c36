// Add-on namespaces under default-deny (issue 21): reachability computed from the NetworkPolicies the example
// platforms render (every chart of each stack), with the spec evaluator of test/k8s/netpol.ts. Into each add-on
// only the API server (webhooks, aggregated APIs: from any source, since the control plane is outside the pod
// network), the metrics scraper (metrics ports) and the add-on's own flows; out of each add-on only DNS, the API
// server's ports and what the add-on calls. Each allowance has a fixture: without it the flow is gone.
import { Testing } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { workloadIdentityEndpoints } from '../../src/k8s/namespace';
import { buildPlatformApp } from '../../examples/platform/platform';
import {
  addOnNetworkPolicies, flaggerAddOn, gpuAddOn, KEDA_HTTP_ADDON_LABELS, KEDA_HTTP_ADDON_PORTS, KEDA_PORTS, kedaAddOn, KUEUE_PORTS, METRICS_SCRAPER_NAMESPACE_LABEL,
  PROMETHEUS_QUERY_NAMESPACE_LABEL,
} from '../../src/k8s/addon-network-policies';
import { FLAGGER_CHART, FLAGGER_METRICS_PORT, FLAGGER_POD_LABELS } from '../../src/inference/progressive-delivery';
import { ACTIVATOR_BACKEND_POD_LABELS, RESPONDER_POD_LABELS, RESPONDER_PORT } from '../../src/inference/activator';
import { SERVER_PORT } from '../../src/inference/manifests';
import { GKE_PROXY_ONLY_CIDR } from '../../src/clouds/gcp/gpu-cluster';
import { DCGM_EXPORTER_PORT } from '../../src/k8s/charts';
import { TRAINER_METRICS_PORT } from '../../src/training/training-job';
import { allowed, Cluster, Endpoint, NetworkPolicy } from './netpol';
import { findObjects, K8sObject, manifestsOf } from './validate';

/** A scale-to-zero endpoint's pods and its 503 responder's, as rendered. */
interface Activated { namespace: string; podLabels: Record<string, string>; responderLabels: Record<string, string> }
type HelmRelease = { name: string; namespace: string; repository?: string; chart: string; depends_on?: string[] };
interface Rendered { releases: Record<string, HelmRelease>; activated?: Activated; jobLabels: Record<string, string>; cloudObject: Cloud; policies: NetworkPolicy[]; namespaces: Record<string, Record<string, string>>; releaseNamespaces: string[]; cloud: string }

function render(): Rendered[] {
  return buildPlatformApp(Testing.app()).map((stack) => {
    const objects = manifestsOf(stack);
    const synth = JSON.parse(Testing.synth(stack)) as { resource: { helm_release: Record<string, HelmRelease> } };
    const deployments = findObjects(objects, 'Deployment');
    const podLabelsOf = (d: K8sObject) => (d.spec.template.metadata.labels ?? {}) as Record<string, string>;
    const backend = deployments.find((d) => podLabelsOf(d)['aiinfra.dev/activator'] === ACTIVATOR_BACKEND_POD_LABELS['aiinfra.dev/activator']);
    const responder = deployments.find((d) => backend && d.metadata.namespace === backend.metadata.namespace && podLabelsOf(d)['aiinfra.dev/role'] === RESPONDER_POD_LABELS['aiinfra.dev/role']);
    return {
      releases: synth.resource.helm_release,
      cloud: stack.node.id,
      activated: backend && responder ? { namespace: backend.metadata.namespace, podLabels: podLabelsOf(backend), responderLabels: podLabelsOf(responder) } : undefined,
      jobLabels: (findObjects(objects, 'Job').find((j) => j.metadata.namespace === 'research' && j.metadata.name.includes('pretrain')) as K8sObject).spec.template.metadata.labels,
      cloudObject: stack.cluster.cloud,
      policies: findObjects(objects, 'NetworkPolicy') as unknown as NetworkPolicy[],
      namespaces: Object.fromEntries(findObjects(objects, 'Namespace').map((n: K8sObject) => [n.metadata.name, n.metadata.labels ?? {}])),
      // namespaces upstream charts are installed into (a repository: not our own charts)
      releaseNamespaces: [...new Set(Object.values(synth.resource.helm_release).filter((r) => r.repository).map((r) => r.namespace))].sort(),
    };
  });
}
const stacks = render();

const endpoints: Record<string, Endpoint> = {
  // the control plane calls webhooks from outside the pod network (EKS ENIs, GKE/AKS through konnectivity)
  'api server': { ip: '172.16.0.10' },
  'tenant pod': { namespace: 'research', labels: { app: 'notebook' }, ip: '10.64.0.10' },
  // a pod of a namespace without any policy: what the add-ons' ingress side alone admits
  'unconfined pod': { namespace: 'default', labels: { app: 'x' }, ip: '10.64.0.20' },
  'kube-dns': { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ip: '10.64.2.2' },
  prometheus: { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' }, ip: '10.64.3.3' },
  grafana: { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'grafana' }, ip: '10.64.3.4' },
  alertmanager: { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'alertmanager' }, ip: '10.64.3.5' },
  kueue: { namespace: 'kueue-system', labels: { 'control-plane': 'controller-manager' }, ip: '10.64.4.4' },
  'keda operator': { namespace: 'keda', labels: { app: 'keda-operator' }, ip: '10.64.5.5' },
  'keda metrics api': { namespace: 'keda', labels: { app: 'keda-operator-metrics-apiserver' }, ip: '10.64.5.6' },
  'keda webhooks': { namespace: 'keda', labels: { app: 'keda-admission-webhooks' }, ip: '10.64.5.7' },
  'dcgm exporter': { namespace: 'gpu-system', labels: { 'app.kubernetes.io/name': 'dcgm-exporter' }, ip: '10.64.6.6' },
  kured: { namespace: 'gpu-system', labels: { 'app.kubernetes.io/name': 'kured' }, ip: '10.64.6.7' },
  'device plugin': { namespace: 'gpu-system', labels: { 'app.kubernetes.io/name': 'nvidia-device-plugin' }, ip: '10.64.6.8' },
  // our kube-system add-ons (EKS): isolated pod by pod
  'cluster autoscaler': { namespace: 'kube-system', labels: { 'app.kubernetes.io/instance': 'cluster-autoscaler' }, ip: '10.64.7.7' },
  'lb controller': { namespace: 'kube-system', labels: { 'app.kubernetes.io/instance': 'aws-load-balancer-controller' }, ip: '10.64.7.8' },
  // the Secrets Store CSI driver (EKS, AKS) and the AWS provider (the Azure provider runs on the host network)
  'csi driver aws': { namespace: 'kube-system', labels: { app: 'secrets-store-csi-driver', 'app.kubernetes.io/instance': 'secrets-store-csi-aws' }, ip: '10.64.7.9' },
  'csi provider aws': { namespace: 'kube-system', labels: { app: 'secrets-store-csi-driver-provider-aws', 'app.kubernetes.io/instance': 'secrets-store-csi-aws' }, ip: '10.64.7.10' },
  'csi driver azure': { namespace: 'kube-system', labels: { app: 'secrets-store-csi-driver', 'app.kubernetes.io/instance': 'secrets-store-csi-azure' }, ip: '10.64.7.11' },
  'cloud metadata': { ip: '169.254.169.254' },
  'pod identity agent': { ip: '169.254.170.23' },
  internet: { ip: '203.0.113.7' },
};
const PROBES: [number, string][] = [[53, 'UDP'], [53, 'TCP'], [80, 'TCP'], [443, 'TCP'], [6443, 'TCP'], [8080, 'TCP'], [8082, 'TCP'], [8085, 'TCP'], [8443, 'TCP'],
  [9090, 'TCP'], [9400, 'TCP'], [9443, 'TCP'], [9666, 'TCP'], [10250, 'TCP']];
/** Probes whose egress no policy limits: outside the pod network, or pods of namespaces without policies. */
const UNCONFINED = ['api server', 'internet', 'cloud metadata', 'pod identity agent', 'unconfined pod', 'kube-dns'];
const ADD_ONS = ['kueue', 'keda operator', 'keda metrics api', 'keda webhooks', 'dcgm exporter', 'kured', 'device plugin'];

function cluster(r: Rendered, policies = r.policies, namespaces = r.namespaces): Cluster {
  return { namespaces, policies };
}
/** Endpoints that are our kube-system add-ons on one cloud only (elsewhere nothing of ours runs there). */
const ONE_CLOUD: Record<string, string> = {
  'cluster autoscaler': 'platform-aws', 'lb controller': 'platform-aws', 'csi driver aws': 'platform-aws', 'csi provider aws': 'platform-aws',
  'csi driver azure': 'platform-azure',
};
const KUBE_SYSTEM_OURS = Object.keys(ONE_CLOUD);
let activeCloud = '';
const names = () => Object.keys(endpoints).filter((n) => (ONE_CLOUD[n] ?? activeCloud) === activeCloud);
/** Every `source:port/proto` that reaches `to`. */
function into(c: Cluster, to: string): string[] {
  return names().filter((f) => f !== to)
    .flatMap((f) => PROBES.filter(([p, proto]) => allowed(c, endpoints[f], endpoints[to], p, proto)).map(([p, proto]) => `${f}:${p}/${proto}`)).sort();
}
/** Every `destination:port/proto` that `from` reaches. */
function from(c: Cluster, src: string): string[] {
  return names().filter((t) => t !== src)
    .flatMap((t) => PROBES.filter(([p, proto]) => allowed(c, endpoints[src], endpoints[t], p, proto)).map(([p, proto]) => `${t}:${p}/${proto}`)).sort();
}
const without = (r: Rendered, namespace: string, name: string) => r.policies.filter((p) => !(p.metadata.namespace === namespace && p.metadata.name === name));

describe.each(stacks.map((s) => [s.cloud, s] as const))('%s: add-on namespaces under default-deny', (_cloud, r) => {
  beforeEach(() => {
    activeCloud = r.cloud;
  });

  test('every namespace an upstream chart installs into has a default-deny policy, but kube-system', () => {
    const denied = r.policies.filter((p) => p.metadata.name === 'default-deny-all' && JSON.stringify(p.spec.podSelector) === '{}'
      && JSON.stringify(p.spec.policyTypes) === '["Ingress","Egress"]').map((p) => p.metadata.namespace);
    expect(r.releaseNamespaces).toEqual(expect.arrayContaining(['gpu-system', 'keda', 'kueue-system', 'monitoring']));
    // kube-system holds the cloud's own components (CoreDNS, kube-proxy, CNI, konnectivity): README, Security.
    expect(r.releaseNamespaces.filter((ns) => ns !== 'kube-system' && !denied.includes(ns))).toEqual([]);
  });

  test('what reaches each add-on: the API server on webhook ports, the scraper on metrics ports, the add-on\'s own flows', () => {
    const c = cluster(r);
    const sources = (ports: number[], names: string[]) => names.flatMap((n) => ports.map((p) => `${n}:${p}/TCP`));
    // Webhook ports admit any source (the API server's address is unknown); of the probes, those whose own egress
    // lets them send there: anything outside the pod network, pods of namespaces without policies (kube-system,
    // default), KEDA's operator (its scalers query any pod) and Prometheus (it scrapes any pod).
    const anySource = [...UNCONFINED, 'keda operator', 'prometheus'];
    // the scraper: our Prometheus, and on AKS the managed collector's namespace (kube-system, here kube-dns's)
    const scrapers = r.cloud === 'platform-azure' ? ['prometheus', 'kube-dns'] : ['prometheus'];
    expect(into(c, 'kueue')).toEqual([...sources([KUEUE_PORTS.visibility, KUEUE_PORTS.webhook], anySource), ...sources([KUEUE_PORTS.metrics], scrapers)].sort());
    expect(into(c, 'keda webhooks')).toEqual(sources([KEDA_PORTS.webhook], anySource).sort());
    // 6443 is also an API server port: every pod allowed to call the API server reaches the metrics API server
    // there too (it authenticates and authorizes callers through the API server, as any aggregated API does).
    const apiCallers = ['alertmanager', 'grafana', 'keda webhooks', 'kueue', 'kured', ...KUBE_SYSTEM_OURS.filter((n) => ONE_CLOUD[n] === r.cloud)];
    expect(into(c, 'keda metrics api')).toEqual([...sources([KEDA_PORTS.metricsApiServer], [...anySource, ...apiCallers]), ...sources([KEDA_PORTS.prometheus], scrapers)].sort());
    expect(into(c, 'keda operator')).toEqual([`keda metrics api:${KEDA_PORTS.operatorGrpc}/TCP`, ...sources([KEDA_PORTS.prometheus], scrapers)].sort());
    expect(into(c, 'dcgm exporter')).toEqual(sources([DCGM_EXPORTER_PORT], scrapers).sort());
    expect(into(c, 'kured')).toEqual([]);
    expect(into(c, 'device plugin')).toEqual([]);
  });

  test('a tenant pod reaches no add-on, nor the monitoring stack, nor the metadata endpoint but its cloud\'s identity port', () => {
    const reach = from(cluster(r), 'tenant pod');
    // GKE: the GKE metadata server answers on 169.254.169.254:80 with the pod's own workload identity only
    const identity = workloadIdentityEndpoints(r.cloudObject).filter((e) => e.cidr === '169.254.169.254/32').map((e) => `cloud metadata:${e.port}/TCP`);
    expect(reach.filter((p) => [...ADD_ONS, 'prometheus', 'grafana', 'alertmanager', 'cloud metadata'].some((n) => p.startsWith(`${n}:`)))).toEqual(identity);
    expect(reach).toEqual(expect.arrayContaining(['kube-dns:53/UDP', 'kube-dns:53/TCP']));
  });

  test('Prometheus scrapes the tenant\'s training job on its metrics port; nothing else of the platform reaches it there', () => {
    const c = cluster(r);
    const job: Endpoint = { namespace: 'research', labels: r.jobLabels, ip: '10.64.0.30' };
    const scrapes = names().filter((n) => allowed(c, endpoints[n], job, TRAINER_METRICS_PORT));
    // the scraper peers only: our Prometheus, and on AKS the managed collector's namespace (kube-system)
    expect(scrapes).toEqual(r.cloud === 'platform-azure' ? ['kube-dns', 'prometheus'] : ['prometheus']);
    expect(names().filter((n) => allowed(c, endpoints[n], job, 8080))).toEqual([]);
    // fixture: the policy as it was (every namespace admitted) lets KEDA's operator and unconfined pods in
    const wide = r.policies.map((p) => (p.metadata.namespace !== 'research' || !p.metadata.name.endsWith('-metrics') ? p
      : { ...p, spec: { ...p.spec, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: TRAINER_METRICS_PORT }] }] } }));
    expect(names().filter((n) => allowed(cluster(r, wide), endpoints[n], job, TRAINER_METRICS_PORT))).toEqual(expect.arrayContaining(['unconfined pod', 'keda operator']));
  });

  test('out of each add-on: DNS, the API server ports (any address but link-local), and only the calls it makes', () => {
    const c = cluster(r);
    const dns = ['kube-dns:53/TCP', 'kube-dns:53/UDP'];
    // the API server's ports on any address but link-local: that includes pods of namespaces without policies
    const apiServer = ['api server', 'internet', 'unconfined pod', 'kube-dns'].flatMap((n) => [`${n}:443/TCP`, `${n}:6443/TCP`]);
    const out = (n: string) => from(c, n).filter((p) => !ADD_ONS.some((a) => p.startsWith(`${a}:`)) || n === 'keda metrics api');
    expect(out('device plugin')).toEqual(dns);
    expect(out('dcgm exporter')).toEqual(dns);
    expect(out('kured')).toEqual([...dns, ...apiServer].sort());
    expect(out('kueue')).toEqual([...dns, ...apiServer].sort());
    expect(out('keda webhooks')).toEqual([...dns, ...apiServer].sort());
    expect(out('keda metrics api').filter((p) => !p.startsWith('kueue:') && !p.startsWith('keda webhooks:'))).toEqual([...dns, ...apiServer, `keda operator:${KEDA_PORTS.operatorGrpc}/TCP`].sort());
    // the operator's scalers query pods of any namespace (Prometheus on 9090); their own ingress policies decide
    expect(out('keda operator')).toEqual(expect.arrayContaining([...dns, ...apiServer, 'prometheus:9090/TCP']));
    for (const n of ADD_ONS) expect({ n, metadata: from(c, n).filter((p) => p.startsWith('cloud metadata:')) }).toEqual({ n, metadata: [] });
    for (const n of ADD_ONS) expect({ n, web: from(c, n).filter((p) => p === 'internet:80/TCP') }).toEqual({ n, web: [] });
  });

  test('the monitoring stack: Prometheus is queried by KEDA\'s operator and labelled namespaces only; its scrapes and Alertmanager\'s deliveries never reach link-local', () => {
    const c = cluster(r);
    expect(into(c, 'prometheus').filter((p) => p.endsWith(':9090/TCP'))).toEqual(['alertmanager:9090/TCP', 'grafana:9090/TCP', 'keda operator:9090/TCP']);
    // a namespace labelled for queries (a canary analysis, say) is admitted; the label is the only way in
    const labelled = cluster(r, r.policies, { ...r.namespaces, default: { [PROMETHEUS_QUERY_NAMESPACE_LABEL]: 'true' } });
    expect(into(labelled, 'prometheus').filter((p) => p.endsWith(':9090/TCP'))).toEqual(['alertmanager:9090/TCP', 'grafana:9090/TCP', 'keda operator:9090/TCP', 'unconfined pod:9090/TCP']);
    for (const n of ['prometheus', 'grafana', 'alertmanager']) expect({ n, metadata: from(c, n).filter((p) => p.startsWith('cloud metadata:')) }).toEqual({ n, metadata: [] });
  });

  test('kube-system: only our add-ons\' pods are isolated (EKS: cluster-autoscaler, load balancer controller, Secrets Store CSI; AKS: the CSI driver), each with its flows', () => {
    const c = cluster(r);
    const ours = r.policies.filter((p) => p.metadata.namespace === 'kube-system');
    const names = ours.map((p) => p.metadata.name).sort();
    if (r.cloud === 'platform-gcp') {
      // GKE's Secret Manager add-on is managed; nothing of ours runs in kube-system
      expect(ours).toEqual([]);
      return;
    }
    // no namespace-wide policy: the cloud's components (CoreDNS here) are untouched
    expect(ours.map((p) => JSON.stringify(p.spec.podSelector))).not.toContain('{}');
    expect(from(c, 'kube-dns')).toEqual(expect.arrayContaining(['internet:80/TCP', 'cloud metadata:80/TCP']));
    const apiServerOut = ['api server', 'internet', 'unconfined pod', 'kube-dns'].flatMap((n) => [`${n}:443/TCP`, `${n}:6443/TCP`]);
    const dns = ['kube-dns:53/TCP', 'kube-dns:53/UDP'];
    const outside = (n: string) => from(c, n).filter((p) => !ADD_ONS.some((a) => p.startsWith(`${a}:`)) && !KUBE_SYSTEM_OURS.some((a) => p.startsWith(`${a}:`)));
    if (r.cloud === 'platform-azure') {
      expect(names).toEqual(['allow-secrets-store-csi-azure-driver']);
      expect(into(c, 'csi driver azure')).toEqual([]);
      expect(outside('csi driver azure')).toEqual([...dns, ...apiServerOut].sort());
      return;
    }
    expect(names).toEqual(['allow-aws-load-balancer-controller', 'allow-cluster-autoscaler', 'allow-secrets-store-csi-aws-driver', 'allow-secrets-store-csi-aws-provider']);
    const anySource = [...UNCONFINED, 'keda operator', 'prometheus'];
    expect(into(c, 'lb controller')).toEqual([...anySource.map((n) => `${n}:9443/TCP`), 'prometheus:8080/TCP'].sort());
    expect(into(c, 'cluster autoscaler')).toEqual(['prometheus:8085/TCP']);
    // the driver is scraped on 8095 (not among the probe ports: nothing else reaches it); the provider serves nothing
    expect(into(c, 'csi driver aws')).toEqual([]);
    expect(into(c, 'csi provider aws')).toEqual([]);
    const withIdentity = [...dns, 'pod identity agent:80/TCP', ...apiServerOut].sort();
    expect(outside('cluster autoscaler')).toEqual(withIdentity);
    expect(outside('lb controller')).toEqual(withIdentity);
    expect(outside('csi provider aws')).toEqual(withIdentity);
    // the driver fetches no cloud credentials of its own: no node agent
    expect(outside('csi driver aws')).toEqual([...dns, ...apiServerOut].sort());
    // fixtures: without its policy the controller is open to every pod on every port; so is the CSI provider
    const open = cluster(r, without(r, 'kube-system', 'allow-aws-load-balancer-controller'));
    expect(into(open, 'lb controller')).toEqual(expect.arrayContaining(['unconfined pod:8085/TCP', 'unconfined pod:10250/TCP']));
    const openProvider = cluster(r, without(r, 'kube-system', 'allow-secrets-store-csi-aws-provider'));
    expect(into(openProvider, 'csi provider aws')).toEqual(expect.arrayContaining(['unconfined pod:8080/TCP', 'unconfined pod:10250/TCP']));
    expect(from(openProvider, 'csi provider aws')).toEqual(expect.arrayContaining(['cloud metadata:80/TCP']));
  });

  test('the CSI driver\'s metrics port admits the scraper only', () => {
    const driver = KUBE_SYSTEM_OURS.find((n) => ONE_CLOUD[n] === r.cloud && n.startsWith('csi driver'));
    if (!driver) return;
    const c = cluster(r);
    const sources = names().filter((n) => n !== driver && allowed(c, endpoints[n], endpoints[driver], 8095, 'TCP'));
    // the scraper: our Prometheus, and on AKS the managed collector's namespace (kube-system, here kube-dns's)
    expect(sources.sort()).toEqual(r.cloud === 'platform-azure' ? ['kube-dns', 'prometheus'] : ['prometheus']);
  });

  describe('fixtures: each allowance removed, its flow is gone', () => {
    test('without the Kueue allowance the API server cannot call its webhook (nor Prometheus scrape it)', () => {
      const c = cluster(r, without(r, 'kueue-system', 'allow-kueue-controller-manager'));
      expect(into(c, 'kueue')).toEqual([]);
    });
    test('without the KEDA metrics API allowance the HPA controller (API server) loses external metrics, and the operator its gRPC caller', () => {
      const c = cluster(r, without(r, 'keda', 'allow-keda-metrics-apiserver'));
      expect(into(c, 'keda metrics api')).toEqual([]);
      expect(into(c, 'keda operator').filter((p) => !p.startsWith('kube-dns:'))).toEqual([`prometheus:${KEDA_PORTS.prometheus}/TCP`]);
    });
    test('without the KEDA webhooks allowance the API server cannot call the admission webhook', () => {
      expect(into(cluster(r, without(r, 'keda', 'allow-keda-admission-webhooks')), 'keda webhooks')).toEqual([]);
    });
    test('without the scraper label on the monitoring namespace Prometheus cannot scrape the DCGM exporter', () => {
      const namespaces = { ...r.namespaces, monitoring: Object.fromEntries(Object.entries(r.namespaces.monitoring).filter(([k]) => k !== METRICS_SCRAPER_NAMESPACE_LABEL)) };
      expect(into(cluster(r, r.policies, namespaces), 'dcgm exporter').filter((p) => p.startsWith('prometheus:'))).toEqual([]);
    });
    test('without the DNS policy an add-on cannot resolve names; without the API server rule kured cannot cordon a node', () => {
      expect(from(cluster(r, without(r, 'gpu-system', 'allow-dns-egress')), 'dcgm exporter')).toEqual([]);
      expect(from(cluster(r, without(r, 'gpu-system', 'allow-gpu-xid-remediation')), 'kured')).toEqual(['kube-dns:53/TCP', 'kube-dns:53/UDP']);
    });
    test('without default-deny the add-ons are open to every pod, and with 0.0.0.0/0 not excepting link-local they reach the metadata endpoint', () => {
      const open = r.policies.filter((p) => !(['keda', 'gpu-system', 'kueue-system'].includes(p.metadata.namespace)));
      expect(into(cluster(r, open), 'kured')).toEqual(expect.arrayContaining(['unconfined pod:8080/TCP', 'keda operator:10250/TCP']));
      const wide = r.policies.map((p) => JSON.parse(JSON.stringify(p).split('"except":["169.254.0.0/16"]').join('"except":[]')) as NetworkPolicy);
      expect(from(cluster(r, wide), 'kueue')).toEqual(expect.arrayContaining(['cloud metadata:443/TCP']));
    });
  });
});

// The request-holding activator (issue 22) in KEDA's namespace: gateway -> interceptor -> endpoint pod / responder,
// KEDA's operator -> external scaler -> interceptor admin. Its own probes, so the add-on tests above keep theirs.
describe.each(stacks.map((s) => [s.cloud, s] as const))('%s: the activator chain under default-deny', (_cloud, r) => {
  const P = KEDA_HTTP_ADDON_PORTS;
  const L = KEDA_HTTP_ADDON_LABELS;
  const ep = r.activated;
  // Where each cloud's internal gateway connects from: the ALB's ENIs in the VPC's subnets (AWS); the Envoy
  // proxies of gke-l7-rilb in the proxy-only subnet, and Google's health checkers (GCP).
  const gatewayAddresses: Record<string, string[]> = { 'platform-aws': ['10.0.232.34'], 'platform-gcp': [GKE_PROXY_ONLY_CIDR.replace(/0\/23$/, '7'), '35.191.3.4'] };
  const chain: Record<string, Endpoint> = {
    ...Object.fromEntries((gatewayAddresses[r.cloud] ?? []).map((ip, i) => [`gateway ${i}`, { ip }])),
    interceptor: { namespace: 'keda', labels: { ...L.interceptor }, ip: '10.64.5.10' },
    scaler: { namespace: 'keda', labels: { ...L.scaler }, ip: '10.64.5.11' },
    controller: { namespace: 'keda', labels: { ...L.operator }, ip: '10.64.5.12' },
    'keda operator': endpoints['keda operator'],
    prometheus: endpoints.prometheus,
    'tenant pod': endpoints['tenant pod'],
    'unconfined pod': endpoints['unconfined pod'],
    internet: endpoints.internet,
    'kube-dns': endpoints['kube-dns'],
    // a tenant's pod listening on the server port, without the activator's label
    'tenant server': { namespace: 'research', labels: { app: 'server' }, ip: '10.64.0.11' },
    ...(ep ? {
      'endpoint pod': { namespace: ep.namespace, labels: ep.podLabels, ip: '10.64.8.8' },
      responder: { namespace: ep.namespace, labels: ep.responderLabels, ip: '10.64.8.9' },
    } : {}),
  };
  const ports = [53, 443, 2223, 6443, 8000, 8080, 8443, 9090];
  const gateways = Object.keys(chain).filter((n) => n.startsWith('gateway '));
  const flows = (c: Cluster, src: string, dst: string) => ports.filter((p) => allowed(c, chain[src], chain[dst], p)).map((p) => `${src}->${dst}:${p}`);
  const intoChain = (c: Cluster, dst: string) => Object.keys(chain).filter((n) => n !== dst).flatMap((n) => flows(c, n, dst)).sort();
  const fromChain = (c: Cluster, src: string) => Object.keys(chain).filter((n) => n !== src).flatMap((n) => flows(c, src, n)).sort();
  const keda = (name: string) => r.policies.find((p) => p.metadata.namespace === 'keda' && p.metadata.name === name);

  if (r.cloud === 'platform-azure') {
    test('no scale-to-zero endpoint: no HTTP add-on, and KEDA\'s namespace admits none of its components', () => {
      expect(ep).toBeUndefined();
      expect(r.policies.filter((p) => p.metadata.namespace === 'keda').map((p) => p.metadata.name))
        .toEqual(addOnNetworkPolicies(kedaAddOn(), r.cloudObject).map((p) => p.metadata.name));
    });
    return;
  }

  test('the example has a scale-to-zero endpoint with the activator\'s pod label, and its responder', () => {
    expect(ep).toBeDefined();
    expect(ep!.podLabels).toEqual(expect.objectContaining(ACTIVATOR_BACKEND_POD_LABELS));
  });

  test('the whole chain is reachable: gateway -> interceptor (proxy, /readyz) -> endpoint pod and responder; operator -> scaler -> interceptor admin', () => {
    const c = cluster(r);
    for (const g of gateways) {
      expect(flows(c, g, 'interceptor')).toEqual([`${g}->interceptor:${P.proxy}`, `${g}->interceptor:${P.admin}`].sort());
    }
    expect(flows(c, 'interceptor', 'endpoint pod')).toEqual([`interceptor->endpoint pod:${SERVER_PORT}`]);
    expect(flows(c, 'interceptor', 'responder')).toEqual([`interceptor->responder:${RESPONDER_PORT}`]);
    expect(flows(c, 'keda operator', 'scaler')).toEqual([`keda operator->scaler:${P.scalerGrpc}`]);
    expect(flows(c, 'scaler', 'interceptor')).toEqual([`scaler->interceptor:${P.admin}`]);
    // the scraper reads each component's metrics port (its pod address, in the private ranges the gateway rule
    // admits, reaches the proxy and admin ports too: Prometheus's egress is open, as it scrapes any pod)
    expect(flows(c, 'prometheus', 'interceptor')).toContain(`prometheus->interceptor:${P.interceptorMetrics}`);
    expect(flows(c, 'prometheus', 'scaler')).toEqual([`prometheus->scaler:${P.scalerMetrics}`]);
    expect(flows(c, 'prometheus', 'controller')).toEqual([`prometheus->controller:${P.operatorMetrics}`]);
  });

  test('a tenant pod reaches neither the interceptor (proxy nor admin) nor the scaler; the scaler and controller admit their callers only', () => {
    const c = cluster(r);
    expect(flows(c, 'tenant pod', 'interceptor')).toEqual([]);
    expect(flows(c, 'tenant pod', 'scaler')).toEqual([]);
    expect(flows(c, 'tenant server', 'interceptor')).toEqual([]);
    expect(intoChain(c, 'scaler')).toEqual([`keda operator->scaler:${P.scalerGrpc}`, `prometheus->scaler:${P.scalerMetrics}`]);
    expect(intoChain(c, 'controller')).toEqual([`prometheus->controller:${P.operatorMetrics}`]);
    // the internet is not a gateway source of an internal gateway
    expect(flows(c, 'internet', 'interceptor')).toEqual([]);
    // the endpoint's pods and responder admit the interceptor, not the scaler or the controller
    expect(intoChain(c, 'responder').filter((f) => f.startsWith('scaler') || f.startsWith('controller') || f.startsWith('tenant'))).toEqual([]);
  });

  test('out of the add-on: the interceptor reaches the labelled endpoint pods and responders on their ports only, not the whole cluster', () => {
    const c = cluster(r);
    const out = (n: string) => fromChain(c, n).filter((f) => !/:(443|6443)$/.test(f) && !/->kube-dns:53$/.test(f));
    expect(out('interceptor')).toEqual([`interceptor->endpoint pod:${SERVER_PORT}`, `interceptor->responder:${RESPONDER_PORT}`]);
    expect(out('scaler')).toEqual([`scaler->interceptor:${P.admin}`]);
    expect(out('controller')).toEqual([]);
    // each watches the API server (443/6443 on any address but link-local) and resolves names
    for (const n of ['interceptor', 'scaler', 'controller']) {
      expect(fromChain(c, n)).toEqual(expect.arrayContaining([`${n}->kube-dns:53`, `${n}->internet:443`, `${n}->internet:6443`]));
      expect(fromChain(c, n).filter((f) => f.includes('->internet:') && !/:(443|6443)$/.test(f))).toEqual([]);
    }
  });

  describe('fixtures: each allowance removed, its flow is gone', () => {
    const without = (name: string) => cluster(r, r.policies.filter((p) => !(p.metadata.namespace === 'keda' && p.metadata.name === name)));
    test('without the interceptor\'s policy: no gateway traffic or health check, nothing to the endpoint or responder, no admin poll', () => {
      const c = without('allow-keda-http-interceptor');
      for (const g of gateways) expect(flows(c, g, 'interceptor')).toEqual([]);
      expect(flows(c, 'interceptor', 'endpoint pod')).toEqual([]);
      expect(flows(c, 'interceptor', 'responder')).toEqual([]);
      expect(flows(c, 'scaler', 'interceptor')).toEqual([]);
    });
    test('without the scaler\'s policy: KEDA\'s operator cannot call it, and it cannot poll the interceptors', () => {
      const c = without('allow-keda-http-external-scaler');
      expect(flows(c, 'keda operator', 'scaler')).toEqual([]);
      expect(flows(c, 'scaler', 'interceptor')).toEqual([]);
    });
    test('without the controller\'s policy it cannot watch the API server', () => {
      expect(fromChain(without('allow-keda-http-controller'), 'controller').filter((f) => /:(443|6443)$/.test(f))).toEqual([]);
    });
    test('without the gateway sources (an endpoint that admits none) the gateway cannot reach the interceptor', () => {
      const policies = r.policies.map((p) => (p.metadata.namespace !== 'keda' || p.metadata.name !== 'allow-keda-http-interceptor' ? p
        : { ...p, spec: { ...p.spec, ingress: p.spec.ingress!.filter((rule) => !(rule.from ?? []).some((f) => 'ipBlock' in f)) } }) as NetworkPolicy);
      for (const g of gateways) expect(flows(cluster(r, policies), g, 'interceptor')).toEqual([]);
    });
    test('without the activator\'s pod label the interceptor cannot reach the endpoint pod; without its peer in the endpoint\'s or responder\'s policy neither', () => {
      const unlabelled = { ...chain['endpoint pod'], labels: Object.fromEntries(Object.entries(ep!.podLabels).filter(([k]) => !(k in ACTIVATOR_BACKEND_POD_LABELS))) };
      expect(allowed(cluster(r), chain.interceptor, unlabelled, SERVER_PORT)).toBe(false);
      const noPeer = r.policies.map((p) => (p.metadata.namespace !== ep!.namespace ? p
        : JSON.parse(JSON.stringify(p).split(JSON.stringify({ matchLabels: { ...L.interceptor } })).join(JSON.stringify({ matchLabels: { none: 'x' } }))) as NetworkPolicy));
      // An interceptor in the private ranges also matches the endpoint's gateway-source rule (the evaluator, like
      // most CNIs, applies ipBlocks to pod addresses): the peer is what admits one outside them (a 100.64/10 pod network).
      const outside = { ...chain.interceptor, ip: '100.64.5.10' };
      expect(allowed(cluster(r), outside, chain['endpoint pod'], SERVER_PORT)).toBe(true);
      expect(allowed(cluster(r, noPeer), outside, chain['endpoint pod'], SERVER_PORT)).toBe(false);
      expect(flows(cluster(r, noPeer), 'interceptor', 'responder')).toEqual([]);
    });
    test('without the operator\'s call in the scaler\'s policy, the chart\'s trigger and every endpoint\'s wake-up are cut', () => {
      const scaler = keda('allow-keda-http-external-scaler')!;
      const policies = r.policies.map((p) => (p !== scaler ? p : { ...p, spec: { ...p.spec, ingress: p.spec.ingress!.filter((rule) => !JSON.stringify(rule).includes('keda-operator')) } }));
      expect(flows(cluster(r, policies), 'keda operator', 'scaler')).toEqual([]);
      expect(flows(cluster(r, policies), 'prometheus', 'scaler')).toEqual([`prometheus->scaler:${P.scalerMetrics}`]);
    });
  });
});

// Flagger (progressive delivery of InferenceEndpoints) in flagger-system under default-deny: the API server (it edits
// Deployments, Services, HTTPRoutes, Canaries; leader election), our Prometheus on 9090 (the MetricTemplates' queries),
// DNS, and the scraper on its metrics port. No webhook serves the API server, and it calls no canary pod (our Canaries
// have no analysis webhooks). Its own probes, so the add-on tests above keep theirs.
describe.each(stacks.map((s) => [s.cloud, s] as const))('%s: Flagger under default-deny', (_cloud, r) => {
  const ns = FLAGGER_CHART.namespace;
  const P = FLAGGER_METRICS_PORT.port;
  const peers: Record<string, Endpoint> = {
    flagger: { namespace: ns, labels: { ...FLAGGER_POD_LABELS }, ip: '10.64.9.9' },
    // another pod of Flagger's namespace (a debug pod, or a chart's test hook): not Flagger
    'other flagger-system pod': { namespace: ns, labels: { app: 'debug' }, ip: '10.64.9.10' },
    prometheus: endpoints.prometheus,
    grafana: endpoints.grafana,
    'api server': endpoints['api server'],
    internet: endpoints.internet,
    'cloud metadata': endpoints['cloud metadata'],
    'kube-dns': endpoints['kube-dns'],
    'tenant pod': endpoints['tenant pod'],
    'unconfined pod': endpoints['unconfined pod'],
    'keda operator': endpoints['keda operator'],
    // a canary pod of an endpoint, listening on the server port
    'canary pod': { namespace: 'research', labels: { 'aiinfra.dev/deployment': 'chat' }, ip: '10.64.0.12' },
  };
  const ports: [number, string][] = [[53, 'UDP'], [53, 'TCP'], [80, 'TCP'], [443, 'TCP'], [6443, 'TCP'], [P, 'TCP'], [9090, 'TCP'], [9443, 'TCP'], [SERVER_PORT, 'TCP']];
  const reach = (c: Cluster, src: string, dst: string) => ports.filter(([p, proto]) => allowed(c, peers[src], peers[dst], p, proto)).map(([p, proto]) => `${dst}:${p}/${proto}`);
  const intoF = (c: Cluster, dst: string) => Object.keys(peers).filter((n) => n !== dst)
    .flatMap((n) => ports.filter(([p, proto]) => allowed(c, peers[n], peers[dst], p, proto)).map(([p, proto]) => `${n}:${p}/${proto}`)).sort();
  const fromF = (c: Cluster, src: string) => Object.keys(peers).filter((n) => n !== src).flatMap((n) => reach(c, src, n)).sort();
  const installed = r.releaseNamespaces.includes(ns);
  const scrapers = r.cloud === 'platform-azure' ? ['kube-dns', 'prometheus'] : ['prometheus'];
  const withoutF = (name: string) => cluster(r, without(r, ns, name));

  if (!installed) {
    test('no endpoint with a canary: no Flagger release, and no policies of its namespace', () => {
      expect(Object.values(r.releases).filter((rel) => rel.chart === 'flagger' || rel.name === `aiinfra-netpol-${ns}`)).toEqual([]);
      expect(r.policies.filter((p) => p.metadata.namespace === ns)).toEqual([]);
    });
    return;
  }

  test('the example installs Flagger (an endpoint with a canary), and its policies go after its release', () => {
    const [id] = Object.entries(r.releases).find(([, rel]) => rel.chart === 'flagger' && rel.namespace === ns)!;
    const netpol = Object.values(r.releases).find((rel) => rel.name === `aiinfra-netpol-${ns}`);
    expect(netpol).toBeDefined();
    expect(netpol!.depends_on).toEqual(expect.arrayContaining([`helm_release.${id}`]));
    expect(r.policies.filter((p) => p.metadata.namespace === ns).map((p) => p.metadata.name).sort())
      .toEqual(addOnNetworkPolicies(flaggerAddOn(), r.cloudObject).map((p) => p.metadata.name).sort());
  });

  test('into Flagger: the scraper on its metrics port, nothing else (no webhook: the API server has no port to call)', () => {
    expect(intoF(cluster(r), 'flagger')).toEqual(scrapers.map((n) => `${n}:${P}/TCP`));
    expect(intoF(cluster(r), 'other flagger-system pod')).toEqual([]);
  });

  test('out of Flagger: DNS, the API server ports (not link-local), our Prometheus on 9090; no canary pod, no web', () => {
    const c = cluster(r);
    const apiServer = ['api server', 'internet', 'unconfined pod', 'kube-dns'].flatMap((n) => [`${n}:443/TCP`, `${n}:6443/TCP`]);
    expect(fromF(c, 'flagger')).toEqual(['kube-dns:53/TCP', 'kube-dns:53/UDP', ...apiServer, 'prometheus:9090/TCP'].sort());
    // the rest of the namespace: DNS only
    expect(fromF(c, 'other flagger-system pod')).toEqual(['kube-dns:53/TCP', 'kube-dns:53/UDP']);
  });

  test('Prometheus admits Flagger\'s queries (and KEDA\'s operator\'s), not another pod of its namespace nor a tenant', () => {
    const c = cluster(r);
    expect(allowed(c, peers.flagger, peers.prometheus, 9090)).toBe(true);
    expect(intoF(c, 'prometheus').filter((f) => f.endsWith(':9090/TCP'))).toEqual(['flagger:9090/TCP', 'grafana:9090/TCP', 'keda operator:9090/TCP']);
  });

  test('a tenant pod, or any pod whose own egress is open, reaches Flagger on no port', () => {
    expect(reach(cluster(r), 'tenant pod', 'flagger')).toEqual([]);
    expect(reach(cluster(r), 'unconfined pod', 'flagger')).toEqual([]);
    expect(reach(cluster(r), 'canary pod', 'flagger')).toEqual([]);
  });

  describe('fixtures: each allowance removed, its flow is gone', () => {
    test('without its namespace\'s policies any pod (of a namespace without egress rules) reaches Flagger, and Flagger any pod and the web', () => {
      const open = cluster(r, r.policies.filter((p) => p.metadata.namespace !== ns));
      expect(reach(open, 'unconfined pod', 'flagger')).toEqual(expect.arrayContaining([`flagger:${P}/TCP`, 'flagger:9443/TCP']));
      expect(reach(open, 'flagger', 'internet')).toEqual(expect.arrayContaining(['internet:80/TCP']));
      expect(reach(open, 'flagger', 'unconfined pod')).toEqual(expect.arrayContaining([`unconfined pod:${SERVER_PORT}/TCP`]));
    });
    test('without Flagger\'s policy: no API server, no Prometheus query, no scrape', () => {
      const c = withoutF('allow-flagger');
      expect(fromF(c, 'flagger')).toEqual(['kube-dns:53/TCP', 'kube-dns:53/UDP']);
      expect(intoF(c, 'flagger')).toEqual([]);
    });
    test('without the DNS policy Flagger cannot resolve the API server or Prometheus names', () => {
      expect(fromF(withoutF('allow-dns-egress'), 'flagger').filter((f) => f.startsWith('kube-dns:53'))).toEqual([]);
    });
    test('without Flagger in the monitoring namespace\'s query policy its checks cannot reach Prometheus', () => {
      const policies = r.policies.map((p) => (p.metadata.namespace !== 'monitoring' || p.metadata.name !== 'allow-prometheus-query' ? p
        : { ...p, spec: { ...p.spec, ingress: p.spec.ingress!.map((rule) => ({ ...rule, from: rule.from!.filter((f) => !JSON.stringify(f).includes(ns)) })) } }));
      expect(allowed(cluster(r, policies), peers.flagger, peers.prometheus, 9090)).toBe(false);
      expect(allowed(cluster(r, policies), endpoints['keda operator'], peers.prometheus, 9090)).toBe(true);
    });
    test('without the scraper label on the monitoring namespace Prometheus neither scrapes Flagger nor is a query peer', () => {
      const namespaces = { ...r.namespaces, monitoring: Object.fromEntries(Object.entries(r.namespaces.monitoring).filter(([k]) => k !== METRICS_SCRAPER_NAMESPACE_LABEL)) };
      const c = cluster(r, r.policies, namespaces);
      expect(reach(c, 'prometheus', 'flagger')).toEqual([]);
      expect(reach(c, 'flagger', 'prometheus')).toEqual([]);
    });
    test('with 0.0.0.0/0 not excepting link-local Flagger reaches the metadata endpoint', () => {
      const wide = r.policies.map((p) => JSON.parse(JSON.stringify(p).split('"except":["169.254.0.0/16"]').join('"except":[]')) as NetworkPolicy);
      expect(reach(cluster(r, wide), 'flagger', 'cloud metadata')).toEqual(expect.arrayContaining(['cloud metadata:443/TCP']));
      expect(reach(cluster(r), 'flagger', 'cloud metadata')).toEqual([]);
    });
  });
});

describe('KEDA\'s namespace holds the HTTP add-on\'s components only when it is installed', () => {
  const cloud = Cloud.aws({ region: 'us-east-1' });
  test('without it: KEDA\'s three; with it: the interceptor, scaler and controller too, gateway sources deduplicated and sorted', () => {
    expect(addOnNetworkPolicies(kedaAddOn(), cloud).map((p) => p.metadata.name).filter((n) => n.includes('http'))).toEqual([]);
    const withHttp = addOnNetworkPolicies(kedaAddOn('keda', { gatewaySources: ['192.168.0.0/16', '10.0.0.0/8', '10.0.0.0/8'] }), cloud);
    expect(withHttp.map((p) => p.metadata.name).filter((n) => n.includes('http'))).toEqual(['allow-keda-http-interceptor', 'allow-keda-http-external-scaler', 'allow-keda-http-controller']);
    const interceptor = withHttp.find((p) => p.metadata.name === 'allow-keda-http-interceptor')!;
    const ingress = (interceptor.spec as { ingress: { from: { ipBlock?: { cidr: string } }[] }[] }).ingress;
    expect(ingress.flatMap((rule) => rule.from.filter((f) => f.ipBlock).map((f) => f.ipBlock!.cidr))).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
  });
  test('with no gateway source the interceptor has no source rule (an empty from would admit every source)', () => {
    const interceptor = addOnNetworkPolicies(kedaAddOn('keda', { gatewaySources: [] }), cloud).find((p) => p.metadata.name === 'allow-keda-http-interceptor')!;
    expect(JSON.stringify(interceptor.spec)).not.toContain('ipBlock":{"cidr":"10.');
    expect(((interceptor.spec as { ingress: { from?: unknown[] }[] }).ingress).every((rule) => (rule.from ?? []).length > 0)).toBe(true);
  });
});

describe('the GPU add-on namespace follows the cluster\'s choices', () => {
  const names = (set: { gpuOperator: boolean; dcgmExporter: boolean }) => addOnNetworkPolicies(gpuAddOn(set), Cloud.aws({ region: 'us-east-1' })).map((p) => p.metadata.name);
  test('the DCGM exporter\'s scrape only with the exporter; the GPU operator\'s operands may call the API server', () => {
    expect(names({ gpuOperator: false, dcgmExporter: true })).toEqual(['default-deny-all', 'allow-dns-egress', 'allow-gpu-xid-remediation', 'allow-dcgm-exporter']);
    expect(names({ gpuOperator: true, dcgmExporter: false })).toEqual(['default-deny-all', 'allow-dns-egress', 'allow-gpu-xid-remediation', 'allow-gpu-operator']);
  });
});
