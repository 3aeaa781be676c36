// Default-deny NetworkPolicies for the namespaces upstream add-on charts are installed into (issue 21): each
// namespace denies all ingress and egress, then admits exactly what its add-on needs, taken from the pinned
// charts' templates and our values:
// - the API server -> admission/conversion webhooks and aggregated APIs. On managed clusters the control plane is
//   outside the pod network (or comes through a konnectivity agent), with addresses nobody knows at synth, so
//   those ports admit any source, and no other port does;
// - the metrics scraper (our Prometheus, or the cloud's managed collector) -> each add-on's metrics port;
// - flows inside the add-on (KEDA's metrics API server -> the operator's gRPC port; with the HTTP add-on, the
//   operator -> the external scaler's gRPC and the scaler -> the interceptors' admin port);
// - a load balancer's data plane -> the HTTP add-on's interceptor (proxy and health-check ports), from the
//   sources the activated endpoints' gateways connect from, and the interceptor -> those endpoints' pods and
//   503 responders only (by the labels the activator sets);
// - DNS egress to kube-dns and the node-local cache, and egress to the API server (TCP 443/6443) for controllers.
//   The API server's endpoint addresses are not known at synth (EKS ENIs in the VPC, GKE/AKS public or private
//   endpoints), so that rule admits any address but link-local (cloud metadata, node agents) on those two ports;
// - a canary controller (Flagger) -> our Prometheus's query port, and nothing else of the cluster.
// The objects are the platform's own (a chart per cluster, src/k8s/delivery.ts), never edits in upstream charts.
import { Construct } from 'constructs';
import { ITerraformDependable, TerraformResource } from 'cdktf';
import { Cloud } from '../core/cloud';
import {
  ACTIVATOR_BACKEND_POD_LABELS, EXTERNAL_SCALER_GRPC_PORT, INTERCEPTOR_ADMIN_PORT, INTERCEPTOR_METRICS_PORT, INTERCEPTOR_POD_LABELS,
  INTERCEPTOR_PROXY_PORT, RESPONDER_POD_LABELS, RESPONDER_PORT,
} from '../inference/activator';
import { KEDA_CHART } from '../inference/addons';
import { FLAGGER_CHART, FLAGGER_METRICS_PORT, FLAGGER_POD_LABELS } from '../inference/progressive-delivery';
import { SERVER_PORT } from '../inference/manifests';
import type { IGpuCluster } from '../core/cluster';
import { KubernetesWorkload } from './delivery';
import { DCGM_EXPORTER_PORT, GPU_ADDON_NAMESPACE, KUEUE_MANAGER_CONFIG, KUEUE_NAMESPACE } from './charts';
import { MANAGED_BY_LABELS, METRICS_SCRAPER_NAMESPACE_LABEL, scraperPeers, workloadIdentityEndpoints } from './namespace';

export { METRICS_SCRAPER_NAMESPACE_LABEL, scraperPeers };
import { ipBlockPeers, networkPolicyOf } from './objects/network-policy';
import type { K8sObject } from './objects/object';


/**
 * Label of the namespaces whose pods may query our Prometheus on 9090 (besides KEDA's operator): set it on the
 * namespace of a component that reads metrics (a canary analysis, an activator). Tenants cannot label namespaces.
 */
export const PROMETHEUS_QUERY_NAMESPACE_LABEL = 'cdktf-ai-infra/prometheus-query';

/** Prometheus's query port (kube-prometheus-stack: the pod's `http-web` port, behind the Service's 9090). */
export const PROMETHEUS_QUERY_PORT = 9090;

/**
 * Our Prometheus, as a peer: pods named `prometheus` in a namespace labelled as the metrics scraper (the monitoring
 * namespace; tenants cannot label namespaces). What a component that queries it may reach, on PROMETHEUS_QUERY_PORT.
 */
export const PROMETHEUS_PEER: Readonly<Record<string, unknown>> = {
  namespaceSelector: { matchLabels: { [METRICS_SCRAPER_NAMESPACE_LABEL]: 'true' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
};

/** Link-local: cloud metadata endpoints and node agents. No add-on egress rule admits it. */
export const LINK_LOCAL_CIDR = '169.254.0.0/16';

/** Ports the API server listens on (EKS/GKE/AKS: 443; 6443 where the endpoint slice names the secure port). */
export const API_SERVER_PORTS: readonly number[] = [443, 6443];

/** One add-on's pods and what reaches them. */
export interface AddOnComponent {
  /** Names the component's policy (`allow-<name>`). */
  readonly name: string;
  /** Labels of its pods in the chart's templates. */
  readonly podLabels: Record<string, string>;
  /** Ports the API server calls (webhooks, aggregated APIs): admitted from any source. */
  readonly apiServerCallPorts?: readonly number[];
  /** Ports the metrics scraper reads. */
  readonly metricsPorts?: readonly number[];
  /** Whether its pods call the API server (controllers). */
  readonly callsApiServer: boolean;
  /**
   * Sources outside the pod network (a load balancer's data plane) and the ports they reach. A rule with no
   * source is left out (an empty `from` would admit every source), and the pod ranges `podCidrs` are excepted
   * (`ipBlockPeers`).
   */
  readonly cidrIngress?: readonly { readonly cidrs: readonly string[]; readonly podCidrs?: readonly string[]; readonly ports: readonly number[] }[];
  /** Pods of any namespace it calls, by label, and on which ports (the called pods' own policies must admit it). */
  readonly callsPods?: readonly { readonly podLabels: Readonly<Record<string, string>>; readonly ports: readonly number[] }[];
  /** Pods of the same namespace it calls, and on which ports (both sides are admitted). */
  readonly calls?: readonly { readonly podLabels: Record<string, string>; readonly ports: readonly number[] }[];
  /**
   * Whether it calls pods in any namespace on any port (KEDA's operator: the Prometheus scaler queries the URL a
   * ScaledObject names). The called pods' own ingress policies still apply.
   */
  readonly callsClusterPods?: boolean;
  /**
   * Whether it queries our Prometheus (PROMETHEUS_PEER on PROMETHEUS_QUERY_PORT). The monitoring namespace's
   * `allow-prometheus-query` must admit it too.
   */
  readonly queriesPrometheus?: boolean;
  /** Whether it fetches cloud credentials from the node-local workload-identity endpoint (EKS Pod Identity agent). */
  readonly usesWorkloadIdentity?: boolean;
}

/** The namespace of an add-on and its components. */
export interface AddOnNamespace {
  readonly namespace: string;
  readonly components: readonly AddOnComponent[];
  /**
   * `namespace`: default-deny for every pod of the namespace (ours to close). `pods`: only the components' pods are
   * isolated, each by its own policy with DNS in it (kube-system: the cloud's own components live there too).
   * @default 'namespace'
   */
  readonly isolation?: 'namespace' | 'pods';
}

/** Kueue's ports: webhook and metrics from its manager configuration, the visibility API server's from the chart (0.14: 8082). */
export const KUEUE_PORTS = {
  webhook: KUEUE_MANAGER_CONFIG.webhook.port,
  metrics: Number(KUEUE_MANAGER_CONFIG.metrics.bindAddress.split(':')[1]),
  visibility: 8082,
} as const;

/** Kueue 0.14 (chart templates/manager/manager.yaml): one controller-manager Deployment. */
export function kueueAddOn(namespace = KUEUE_NAMESPACE): AddOnNamespace {
  return {
    namespace,
    components: [{
      name: 'kueue-controller-manager',
      podLabels: { 'control-plane': 'controller-manager' },
      // the admission and CRD conversion webhooks, and the visibility API (an APIService)
      apiServerCallPorts: [KUEUE_PORTS.webhook, KUEUE_PORTS.visibility],
      metricsPorts: [KUEUE_PORTS.metrics],
      callsApiServer: true,
    }],
  };
}

/** KEDA's ports (chart keda 2.17 values: operator.metricsServiceTargetPort, service.portHttpsTarget, webhooks.port, prometheus.*.port). */
export const KEDA_PORTS = { operatorGrpc: 9666, metricsApiServer: 6443, webhook: 9443, prometheus: 8080 } as const;

/** Labels of KEDA's operator pods (it runs the scalers: the Prometheus queries). */
export const KEDA_OPERATOR_LABELS: Readonly<Record<string, string>> = { app: 'keda-operator' };

/**
 * The KEDA HTTP add-on's ports (chart keda-add-ons-http 0.15.0 values: interceptor.proxy.port, interceptor.admin.port,
 * scaler.grpcPort, scaler.metrics.prometheus.port, operator.port; the interceptor's OpenTelemetry Prometheus exporter).
 */
export const KEDA_HTTP_ADDON_PORTS = {
  proxy: INTERCEPTOR_PROXY_PORT, admin: INTERCEPTOR_ADMIN_PORT, interceptorMetrics: INTERCEPTOR_METRICS_PORT,
  scalerGrpc: EXTERNAL_SCALER_GRPC_PORT, scalerMetrics: 2223, operatorMetrics: 8443,
} as const;

/** Pod labels of the HTTP add-on's Deployments (templates/{interceptor,scaler,operator}/deployment.yaml). */
export const KEDA_HTTP_ADDON_LABELS = {
  interceptor: { ...INTERCEPTOR_POD_LABELS },
  scaler: { 'app.kubernetes.io/component': 'scaler', 'app.kubernetes.io/name': 'http-add-on' },
  operator: { 'app.kubernetes.io/component': 'operator', 'app.kubernetes.io/name': 'http-add-on' },
} as const;

/** What the HTTP add-on's policies need from the cluster's activated endpoints. */
export interface KedaHttpAddOnNetwork {
  /**
   * Where the endpoints' gateways connect from (each activated endpoint's `allowedCidrs`, else its cloud's gateway
   * data plane ranges): the interceptor's proxy and admin (health check) ports admit these.
   */
  readonly gatewaySources: readonly string[];
  /** The cluster's pod ranges: never admitted as gateway sources. @default - unknown */
  readonly podCidrs?: readonly string[];
}

/**
 * The HTTP add-on's components: the interceptor (gateway -> proxy and /readyz; out to the activated endpoints' pods
 * and their responders; watches InterceptorRoutes and EndpointSlices), the external scaler (KEDA's operator calls
 * its gRPC; it polls each interceptor's admin port for queue counts, found through the admin Service's endpoints)
 * and the controller (reconciles the add-on's resources). All three call the API server; all are scraped.
 */
function kedaHttpAddOnComponents(http: KedaHttpAddOnNetwork): AddOnComponent[] {
  const P = KEDA_HTTP_ADDON_PORTS;
  const L = KEDA_HTTP_ADDON_LABELS;
  const gatewaySources = [...new Set(http.gatewaySources)].sort();
  return [
    {
      name: 'keda-http-interceptor', podLabels: { ...L.interceptor }, metricsPorts: [P.interceptorMetrics], callsApiServer: true,
      cidrIngress: [{ cidrs: gatewaySources, podCidrs: http.podCidrs, ports: [P.proxy, P.admin] }],
      callsPods: [{ podLabels: ACTIVATOR_BACKEND_POD_LABELS, ports: [SERVER_PORT] }, { podLabels: RESPONDER_POD_LABELS, ports: [RESPONDER_PORT] }],
    },
    {
      name: 'keda-http-external-scaler', podLabels: { ...L.scaler }, metricsPorts: [P.scalerMetrics], callsApiServer: true,
      calls: [{ podLabels: { ...L.interceptor }, ports: [P.admin] }],
    },
    { name: 'keda-http-controller', podLabels: { ...L.operator }, metricsPorts: [P.operatorMetrics], callsApiServer: true },
  ];
}

/**
 * KEDA 2.17 (operator, metrics API server, admission webhooks: `app` labels of the chart's Deployments) and, when
 * `http` is given (the HTTP add-on is installed in the same namespace), the add-on's components and the operator's
 * gRPC calls to its external scaler.
 */
export function kedaAddOn(namespace = KEDA_CHART.namespace, http?: KedaHttpAddOnNetwork): AddOnNamespace {
  const operator = { ...KEDA_OPERATOR_LABELS };
  return {
    namespace,
    components: [
      {
        name: 'keda-operator', podLabels: operator, metricsPorts: [KEDA_PORTS.prometheus], callsApiServer: true, callsClusterPods: true,
        ...(http ? { calls: [{ podLabels: { ...KEDA_HTTP_ADDON_LABELS.scaler }, ports: [KEDA_HTTP_ADDON_PORTS.scalerGrpc] }] } : {}),
      },
      {
        name: 'keda-metrics-apiserver', podLabels: { app: 'keda-operator-metrics-apiserver' },
        // the external metrics APIService (v1beta1.external.metrics.k8s.io) the HPA controller reads through
        apiServerCallPorts: [KEDA_PORTS.metricsApiServer], metricsPorts: [KEDA_PORTS.prometheus], callsApiServer: true,
        calls: [{ podLabels: operator, ports: [KEDA_PORTS.operatorGrpc] }],
      },
      // ValidatingWebhookConfiguration keda-admission (ScaledObjects, TriggerAuthentications...)
      { name: 'keda-admission-webhooks', podLabels: { app: 'keda-admission-webhooks' }, apiServerCallPorts: [KEDA_PORTS.webhook], callsApiServer: true },
      ...(http ? kedaHttpAddOnComponents(http) : []),
    ],
  };
}

/**
 * Flagger 1.44 (chart templates/deployment.yaml: one controller Deployment, no webhook, no Service of its own).
 * It watches Canaries and edits Deployments, Services and HTTPRoutes through the API server (leader election too),
 * and runs each MetricTemplate's query against our Prometheus. It calls no canary pod: our Canaries have no
 * webhooks (load tests, gates) and no alert providers, and the chart's Slack/Teams/event webhook are unset.
 * Scraped on its `http` port.
 */
export function flaggerAddOn(namespace = FLAGGER_CHART.namespace): AddOnNamespace {
  return {
    namespace,
    components: [{
      name: 'flagger', podLabels: { ...FLAGGER_POD_LABELS }, metricsPorts: [FLAGGER_METRICS_PORT.port], callsApiServer: true, queriesPrometheus: true,
    }],
  };
}

/** Which GPU add-ons a cluster installs (installGpuAddOns). */
export interface GpuAddOnSet {
  readonly dcgmExporter: boolean;
  readonly gpuOperator: boolean;
}

/**
 * The GPU add-on namespace: the device plugin (kubelet's unix socket only: no network), the GPU operator when
 * chosen (its operands are DaemonSets of the same namespace), the DCGM exporter (scraped on its metrics port)
 * (pod-resources socket, no API calls: pod labels are off; scraped on its metrics port) and kured (API server: node
 * lock, cordon, drain).
 */
export function gpuAddOn(set: GpuAddOnSet, namespace = GPU_ADDON_NAMESPACE): AddOnNamespace {
  const components: AddOnComponent[] = [
    { name: 'nvidia-device-plugin', podLabels: { 'app.kubernetes.io/name': 'nvidia-device-plugin' }, callsApiServer: false },
    { name: 'gpu-xid-remediation', podLabels: { 'app.kubernetes.io/name': 'kured' }, callsApiServer: true },
  ];
  if (set.dcgmExporter) {
    components.push({ name: 'dcgm-exporter', podLabels: { 'app.kubernetes.io/name': 'dcgm-exporter' }, metricsPorts: [DCGM_EXPORTER_PORT], callsApiServer: false });
  }
  if (set.gpuOperator) {
    // operator and its operands (validator, node-feature-discovery): controllers of the API
    components.push({ name: 'gpu-operator', podLabels: {}, callsApiServer: true });
  }
  return { namespace, components };
}

const TCP = (ports: readonly number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
const byName = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
const DNS_PORTS = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];
/** kube-dns and the NodeLocal DNSCache address. */
const DNS_EGRESS: Record<string, unknown>[] = [
  { to: [{ ...byName('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: DNS_PORTS },
  { to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: DNS_PORTS },
];


function policy(namespace: string, name: string, spec: Record<string, unknown>): K8sObject {
  return networkPolicyOf(name, namespace, { ...MANAGED_BY_LABELS }, spec);
}

/** The policy of one component: its ingress (API server calls, scrapes, same-namespace callers) and egress. */
function componentPolicy(addOn: AddOnNamespace, c: AddOnComponent, scrapers: Record<string, unknown>[], cloud: Cloud): K8sObject | undefined {
  const ingress: Record<string, unknown>[] = [];
  if (c.apiServerCallPorts?.length) ingress.push({ ports: TCP(c.apiServerCallPorts) });
  if (c.metricsPorts?.length) ingress.push({ from: scrapers, ports: TCP(c.metricsPorts) });
  for (const src of c.cidrIngress ?? []) {
    const from = ipBlockPeers(src.cidrs, src.podCidrs);
    if (from.length) ingress.push({ from, ports: TCP(src.ports) });
  }
  for (const caller of addOn.components) {
    for (const call of caller.calls ?? []) {
      if (JSON.stringify(call.podLabels) === JSON.stringify(c.podLabels)) ingress.push({ from: [{ podSelector: { matchLabels: { ...caller.podLabels } } }], ports: TCP(call.ports) });
    }
  }
  const egress: Record<string, unknown>[] = [];
  if (c.callsApiServer) egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [LINK_LOCAL_CIDR] } }], ports: TCP(API_SERVER_PORTS) });
  for (const call of c.calls ?? []) egress.push({ to: [{ podSelector: { matchLabels: { ...call.podLabels } } }], ports: TCP(call.ports) });
  for (const call of c.callsPods ?? []) egress.push({ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { ...call.podLabels } } }], ports: TCP(call.ports) });
  if (c.callsClusterPods) egress.push({ to: [{ namespaceSelector: {} }] });
  if (c.queriesPrometheus) egress.push({ to: [JSON.parse(JSON.stringify(PROMETHEUS_PEER))], ports: TCP([PROMETHEUS_QUERY_PORT]) });
  if (c.usesWorkloadIdentity) {
    egress.push(...workloadIdentityEndpoints(cloud).map((e) => ({ to: [{ ipBlock: { cidr: e.cidr } }], ports: TCP([e.port]) })));
  }
  const podsOnly = addOn.isolation === 'pods';
  // isolated pod by pod: the policy itself is their default-deny (both types), DNS included
  if (podsOnly) egress.push(...DNS_EGRESS);
  if (!podsOnly && ingress.length === 0 && egress.length === 0) return undefined;
  const policyTypes = podsOnly ? ['Ingress', 'Egress'] : [...(ingress.length ? ['Ingress'] : []), ...(egress.length ? ['Egress'] : [])];
  return policy(addOn.namespace, `allow-${c.name}`, {
    podSelector: { matchLabels: { ...c.podLabels } }, policyTypes,
    ...(ingress.length || podsOnly ? { ingress } : {}), ...(egress.length ? { egress } : {}),
  });
}

/**
 * The NetworkPolicies of an add-on namespace: default-deny (ingress and egress, every pod), DNS egress for every
 * pod, and one policy per component with exactly its flows.
 */
export function addOnNetworkPolicies(addOn: AddOnNamespace, cloud: Cloud): K8sObject[] {
  const ns = addOn.namespace;
  const scrapers = scraperPeers(cloud);
  const components = addOn.components.map((c) => componentPolicy(addOn, c, scrapers, cloud)).filter((p): p is K8sObject => p !== undefined);
  if (addOn.isolation === 'pods') return components;
  return [
    policy(ns, 'default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy(ns, 'allow-dns-egress', { podSelector: {}, policyTypes: ['Egress'], egress: DNS_EGRESS }),
    ...components,
  ];
}

/**
 * The Secrets Store CSI driver (the `secrets-store-csi-driver` subchart both cloud providers' charts install, in the
 * same release): a DaemonSet on the pod network that calls the API server (SecretProviderClasses, TokenRequest for
 * the mounting pod's ServiceAccount) and serves metrics on 8095 (chart value linux.metricsAddr); it reaches its
 * provider through a unix socket on the host, not the network. Its liveness port (9808) is probed by the kubelet.
 */
const secretsStoreDriver = (release: string): AddOnComponent => ({
  name: `${release}-driver`, podLabels: { app: 'secrets-store-csi-driver', 'app.kubernetes.io/instance': release }, metricsPorts: [8095], callsApiServer: true,
});

/**
 * Our add-ons in kube-system, by chart: isolated pod by pod (their pods carry the release's `app.kubernetes.io/instance`).
 * Not listed, on purpose: pods on the host network, where NetworkPolicy does not apply (the EFA device plugin, the
 * Azure Key Vault provider of csi-secrets-store-provider-azure).
 */
const KUBE_SYSTEM_ADD_ONS: Readonly<Record<string, (release: string) => AddOnComponent[]>> = {
  // cluster-autoscaler 9.x: metrics and health on 8085; the AWS APIs (Auto Scaling, EC2, EKS) over HTTPS
  'cluster-autoscaler': (release) => [{
    name: release, podLabels: { 'app.kubernetes.io/instance': release }, metricsPorts: [8085], callsApiServer: true, usesWorkloadIdentity: true,
  }],
  // aws-load-balancer-controller 2.x: webhooks (pod readiness gates, Ingress/Service/TargetGroupBinding) on 9443,
  // metrics on 8080; the AWS APIs (ELB, EC2, WAF off) over HTTPS
  'aws-load-balancer-controller': (release) => [{
    name: release, podLabels: { 'app.kubernetes.io/instance': release }, apiServerCallPorts: [9443], metricsPorts: [8080],
    callsApiServer: true, usesWorkloadIdentity: true,
  }],
  // secrets-store-csi-driver-provider-aws 2.x: the driver, and the provider DaemonSet (pod network, no port served):
  // the API server (the ServiceAccount's role annotation), Secrets Manager / SSM / STS / EKS Auth over HTTPS and
  // the Pod Identity agent on the node
  'secrets-store-csi-driver-provider-aws': (release) => [secretsStoreDriver(release), {
    name: `${release}-provider`, podLabels: { app: 'secrets-store-csi-driver-provider-aws', 'app.kubernetes.io/instance': release },
    callsApiServer: true, usesWorkloadIdentity: true,
  }],
  // csi-secrets-store-provider-azure 1.x: the driver only (the provider runs on the host network)
  'csi-secrets-store-provider-azure': (release) => [secretsStoreDriver(release)],
};

/** The kube-system components of a pinned chart's release, when we know its pods' flows (empty when we do not). */
export function kubeSystemAddOn(chart: string, release: string): AddOnComponent[] {
  return KUBE_SYSTEM_ADD_ONS[chart]?.(release) ?? [];
}

/**
 * Delivers the add-ons' NetworkPolicies as a release of our own (kept in kube-system), applied after `after` (the
 * add-on releases, which create the namespaces). Returns undefined when there is nothing to deliver.
 */
export function deliverAddOnNetworkPolicies(scope: Construct, id: string, cluster: IGpuCluster, addOns: readonly AddOnNamespace[],
  after: readonly ITerraformDependable[], releaseName = `aiinfra-netpol-${addOns[0]?.namespace}`.slice(0, 53)): KubernetesWorkload | undefined {
  if (addOns.length === 0) return undefined;
  const workload = new KubernetesWorkload(scope, id, {
    cluster, namespace: addOns[0].namespace, releaseNamespace: 'kube-system', dependOnClusterAddons: false, releaseName,
    description: `Default-deny NetworkPolicies of ${addOns.map((a) => a.namespace).join(', ')} (cdktf-ai-infra)`,
  });
  workload.addDependency(...after);
  for (const addOn of addOns) setAddOnNetworkPolicies(workload, addOn, cluster.cloud);
  return workload;
}

/**
 * Sets the policies of `addOn`'s namespace in `workload`, replacing those it held (KEDA's namespace gains the HTTP
 * add-on's components when the first scale-to-zero endpoint installs it, and gateway sources with each endpoint).
 */
export function setAddOnNetworkPolicies(workload: KubernetesWorkload, addOn: AddOnNamespace, cloud: Cloud): void {
  const prefix = `${addOn.namespace}-`;
  for (const child of [...workload.chart.node.children]) {
    if (child.node.id.startsWith(prefix)) workload.chart.node.tryRemoveChild(child.node.id);
  }
  addOnNetworkPolicies(addOn, cloud).forEach((obj) => workload.addObject(`${prefix}${obj.metadata.name}`, { ...obj }));
}

/**
 * The GPU add-on and Kueue namespaces' policies for a cluster, applied after every helm_release under the cluster
 * that installs into them (the device plugin or operator, the DCGM exporter, kured, Kueue).
 */
export function deliverClusterAddOnNetworkPolicies(cluster: IGpuCluster, opts: { gpuOperator: boolean; dcgmExporter: boolean; kueue: boolean }): KubernetesWorkload | undefined {
  const addOns = [gpuAddOn({ gpuOperator: opts.gpuOperator, dcgmExporter: opts.dcgmExporter }), ...(opts.kueue ? [kueueAddOn()] : [])];
  const namespaces = new Set(addOns.map((a) => a.namespace));
  const helmReleases = cluster.node.findAll().filter((c): c is TerraformResource => TerraformResource.isTerraformResource(c) && c.terraformResourceType === 'helm_release');
  const releases = helmReleases.filter((r) => namespaces.has(String(inputs(r).namespaceInput)));
  if (releases.length === 0) return undefined;
  const workload = deliverAddOnNetworkPolicies(cluster, 'AddOnNetworkPolicies', cluster, addOns, releases, 'aiinfra-addon-netpol');
  if (workload) isolateKubeSystemReleases(workload, cluster, helmReleases);
  return workload;
}

type ReleaseInputs = { namespaceInput?: string; chartInput?: string; nameInput?: string };
const inputs = (r: TerraformResource) => r as unknown as ReleaseInputs;

/**
 * Adds to `workload` the pod-level policies of the releases among `releases` that are our known kube-system
 * add-ons (the cloud's own components stay as they are), applied after them. Call it again for releases made
 * later (the load balancer controller, installed on first use of Gateway API).
 */
export function isolateKubeSystemReleases(workload: KubernetesWorkload, cluster: IGpuCluster, releases: readonly ITerraformDependable[]): void {
  const found = releases.filter((r): r is TerraformResource => TerraformResource.isTerraformResource(r) && r.terraformResourceType === 'helm_release'
    && inputs(r).namespaceInput === 'kube-system')
    .map((r) => ({ r, c: kubeSystemAddOn(String(inputs(r).chartInput), String(inputs(r).nameInput)) }))
    .filter((x) => x.c.length > 0);
  if (found.length === 0) return;
  workload.addDependency(...found.map((x) => x.r));
  const addOn: AddOnNamespace = { namespace: 'kube-system', isolation: 'pods', components: found.flatMap((x) => x.c) };
  addOnNetworkPolicies(addOn, cluster.cloud).forEach((obj) => workload.addObject(`kube-system-${obj.metadata.name}`, { ...obj }));
}
