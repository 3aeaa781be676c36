import { stringify } from '../core/yaml';
import { KUEUE_NAMESPACE, PinnedChart } from '../k8s/charts';
import { LABEL_CAPACITY, LABEL_POOL } from '../k8s/node-labels';
import { podMonitor as podMonitorObject } from '../k8s/objects/pod-monitor';
import { serviceMonitorOf } from '../k8s/objects/service-monitor';
import { KUEUE_WORKLOAD_CUSTOM_RESOURCE_STATE } from './rules/cost';

/**
 * Pinned upstream charts of the monitoring stack (exact versions: reproducible deploys). kube-prometheus-stack
 * ships the operator's CRDs in a `crds/` folder Helm never upgrades: its `crds.enabled` is off and
 * PROMETHEUS_OPERATOR_CRDS (templates) installs them; raise both pins together (same `appVersion`).
 */
export const KUBE_PROMETHEUS_STACK: PinnedChart = {
  repository: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: '79.7.1',
  appVersion: 'v0.86.2', crds: 'separate-chart',
};
/**
 * The prometheus-operator CRDs alone (ServiceMonitor, PodMonitor, PrometheusRule...), as templates: for the
 * self-managed backend (kube-prometheus-stack's CRDs) and for managed backends, whose workloads ship
 * ServiceMonitors (InferenceEndpoint does) that a cluster without the CRDs would reject.
 */
export const PROMETHEUS_OPERATOR_CRDS: PinnedChart = {
  repository: 'https://prometheus-community.github.io/helm-charts', chart: 'prometheus-operator-crds', version: '24.0.2',
  appVersion: 'v0.86.2', crds: 'templates',
};
/** kube-state-metrics for managed backends that do not bring their own. */
export const KUBE_STATE_METRICS: PinnedChart = {
  repository: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-state-metrics', version: '6.4.1', crds: 'none',
};

/** Pods whose `/metrics` a backend scrapes: rendered as a PodMonitor, a GMP PodMonitoring or a scrape job. */
export interface ScrapeTarget {
  /** Unique name (DNS label). */
  readonly name: string;
  readonly namespace: string;
  /** Labels selecting the pods. */
  readonly podSelector: Record<string, string>;
  /** Name of the container port serving metrics. */
  readonly port: string;
  /** @default '/metrics' */
  readonly path?: string;
  /** @default '30s' */
  readonly interval?: string;
  /** Pod label -> series label (e.g. `ai-infra/training-job` -> `aiinfra_training_job`). @default - none */
  readonly labelsFromPod?: Record<string, string>;
  /** A ServiceMonitor made by the workload already scrapes it for the operator-based backend. @default false */
  readonly hasServiceMonitor?: boolean;
}

/** `__meta_kubernetes_pod_label_<name>` of a pod label. */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

function relabelFromPod(t: ScrapeTarget): { sourceLabels: string[]; targetLabel: string; action: 'replace' }[] {
  return Object.entries(t.labelsFromPod ?? {}).map(([from, to]) => ({ sourceLabels: [podLabelMeta(from)], targetLabel: to, action: 'replace' }));
}

/**
 * A prometheus-operator PodMonitor (or a managed collector's twin of it under another `apiVersion`) in
 * `monitorNamespace`, selecting the target's pods in its own namespace.
 */
export function podMonitor(t: ScrapeTarget, monitorNamespace: string, labels: Record<string, string>,
  apiVersion = 'monitoring.coreos.com/v1'): Record<string, unknown> {
  const relabelings = [
    ...relabelFromPod(t),
    { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node', action: 'replace' },
  ];
  return podMonitorObject({
    apiVersion, name: t.name, namespace: monitorNamespace, labels, targetNamespace: t.namespace, podSelector: t.podSelector,
    endpoints: [{ port: t.port, path: t.path ?? '/metrics', interval: t.interval ?? '30s', scrapeTimeout: '10s', relabelings }],
  });
}

/** One Prometheus `scrape_configs` job (Kubernetes pod discovery) for the target. */
export function scrapeJob(t: ScrapeTarget): Record<string, unknown> {
  return {
    job_name: t.name,
    scrape_interval: t.interval ?? '30s',
    metrics_path: t.path ?? '/metrics',
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [t.namespace] } }],
    relabel_configs: [
      ...Object.entries(t.podSelector).sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => ({ source_labels: [podLabelMeta(k)], regex: v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), action: 'keep' })),
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: t.port, action: 'keep' },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace', action: 'replace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod', action: 'replace' },
      { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node', action: 'replace' },
      ...Object.entries(t.labelsFromPod ?? {}).map(([from, to]) => ({ source_labels: [podLabelMeta(from)], target_label: to, action: 'replace' })),
    ],
  };
}

/** kube-state-metrics behind its Service (`app.kubernetes.io/name: kube-state-metrics`) in `namespace`. */
export function kubeStateMetricsJob(namespace: string): Record<string, unknown> {
  return {
    job_name: 'kube-state-metrics',
    scrape_interval: '30s',
    kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: [namespace] } }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_service_label_app_kubernetes_io_name'], regex: 'kube-state-metrics', action: 'keep' },
      { source_labels: ['__meta_kubernetes_endpoint_port_name'], regex: 'http', action: 'keep' },
    ],
    // kube-state-metrics reports other objects' namespaces: keep them instead of the exporter's own.
    honor_labels: true,
  };
}

/** A complete Prometheus scrape configuration (YAML) for the targets and kube-state-metrics. */
export function scrapeConfigYaml(targets: readonly ScrapeTarget[], ksmNamespace: string): string {
  return stringify({
    global: { scrape_interval: '30s', scrape_timeout: '10s' },
    scrape_configs: [kubeStateMetricsJob(ksmNamespace), ...targets.map(scrapeJob)],
  }, { lineWidth: 0 });
}

/**
 * kube-state-metrics values (the kube-state-metrics chart's, also under kube-prometheus-stack's `kube-state-metrics`)
 * the cost and queue rules need: the node labels of pool and capacity type and the pod labels naming a workload
 * as `kube_node_labels` / `kube_pod_labels` labels, and Kueue Workloads' conditions as custom resource state
 * (with read access to Workloads and nothing else beyond the chart's defaults).
 */
export function kubeStateMetricsCostValues(): Record<string, unknown> {
  return {
    metricLabelsAllowlist: [`nodes=[${LABEL_POOL},${LABEL_CAPACITY}]`, 'pods=[ai-infra/training-job,app.kubernetes.io/name]'],
    customResourceState: { enabled: true, config: JSON.parse(JSON.stringify(KUEUE_WORKLOAD_CUSTOM_RESOURCE_STATE)) },
    rbac: { extraRules: [{ apiGroups: ['kueue.x-k8s.io'], resources: ['workloads'], verbs: ['list', 'watch'] }] },
  };
}

/** Labels of the Kueue chart's metrics Service (release `kueue`, chart templates/manager/auth_proxy_service.yaml). */
export const KUEUE_METRICS_SERVICE_LABELS = {
  'app.kubernetes.io/name': 'kueue', 'app.kubernetes.io/instance': 'kueue', 'app.kubernetes.io/component': 'metrics-service',
};

/**
 * A ServiceMonitor of the Kueue controller's metrics (pending/admitted workloads per ClusterQueue, admission wait,
 * preemptions, quota and usage). Kueue serves them over HTTPS with a self-signed certificate and authorizes the
 * caller's token (`get` on `/metrics`, which kube-prometheus-stack's Prometheus ClusterRole grants): the same
 * endpoint settings as the chart's own monitor (`enablePrometheus`), which we leave off because Kueue is installed
 * with the cluster, before the ServiceMonitor CRD exists.
 */
export function kueueServiceMonitor(monitorNamespace: string, labels: Record<string, string>): Record<string, unknown> {
  return serviceMonitorOf({
    name: 'aiinfra-kueue', namespace: monitorNamespace, labels, targetNamespace: KUEUE_NAMESPACE, selector: KUEUE_METRICS_SERVICE_LABELS,
    endpoints: [{
      port: 'https', scheme: 'https', path: '/metrics', interval: '30s',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      // Kueue's controller-runtime serves a self-signed certificate (no cert-manager); the token is still checked.
      tlsConfig: { insecureSkipVerify: true },
    }],
  });
}
