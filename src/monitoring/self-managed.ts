import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { pinnedRelease } from '../clouds/helm/add-ons';
import type { HelmRelease } from '../clouds/helm/release';
import { IGpuCluster } from '../core/cluster';
import { KubernetesWorkload } from '../k8s/delivery';
import { containerResources } from '../k8s/objects/container';
import { flaggerAddOn, KEDA_OPERATOR_LABELS, kedaAddOn, LINK_LOCAL_CIDR, METRICS_SCRAPER_NAMESPACE_LABEL, PROMETHEUS_QUERY_NAMESPACE_LABEL } from '../k8s/addon-network-policies';
import { addDefaultDenyNetworkPolicy, addDnsEgressNetworkPolicy, MANAGED_BY_LABELS } from '../k8s/namespace';
import { namespaceObject } from '../k8s/objects/namespace';
import { networkPolicyOf } from '../k8s/objects/network-policy';
import { secretProviderClass } from '../k8s/objects/secret-provider-class';
import { podSecurityLabels } from '../k8s/security';
import { KUBERNETES_SUPPRESSION_PREFIX } from '../policy/suppress';
import { alertmanagerConfig, RECEIVER_SECRET, RECEIVER_SECRET_DIR, receiverSecretKey, ResolvedRouting } from './alertmanager';
import type { MonitoringCloudImpl, RuntimeSecret, SelfManagedAlertmanagerParts, SelfManagedGrafanaParts } from './spi';
import { KUBE_PROMETHEUS_STACK, kubeStateMetricsCostValues, PROMETHEUS_OPERATOR_CRDS } from './scrape';
import { SelfManagedProps } from './types';

/** The Helm release name; kube-prometheus-stack names its objects after it (`kps-prometheus`...). */
export const KPS_RELEASE = 'kps';
/** SecretProviderClass of the Grafana admin password (mounted from the cloud's secret manager). */
export const GRAFANA_ADMIN_SECRET = 'aiinfra-grafana-admin';
/** The ServiceAccount of Grafana (bound to its workload identity, which reads the admin password). */
export const GRAFANA_SERVICE_ACCOUNT = `${KPS_RELEASE}-grafana`;
/** Where Grafana's pod mounts the admin password volume. */
export const GRAFANA_ADMIN_DIR = '/etc/secrets/grafana-admin';

/**
 * Objects selected by our Prometheus: ours (`app.kubernetes.io/managed-by: cdktf-ai-infra`) and those of Helm
 * charts (the chart's own kubelet/apiserver/node-exporter/kube-state-metrics monitors, add-on charts).
 */
export const MONITOR_SELECTOR = {
  matchExpressions: [{ key: 'app.kubernetes.io/managed-by', operator: 'In', values: ['cdktf-ai-infra', 'Helm'] }],
};

export interface SelfManagedResult {
  readonly namespace: string;
  /** Namespace of node-exporter alone (it needs the host's namespaces). */
  readonly nodeExporterNamespace: string;
  /** Namespace, NetworkPolicies, the SecretProviderClasses (Grafana admin, receiver credentials): applied before the chart. */
  readonly base: KubernetesWorkload;
  readonly release: HelmRelease;
  /** PodMonitors, PrometheusRules, dashboards: applied after the chart (its CRDs). */
  readonly config: KubernetesWorkload;
  readonly prometheusQueryUrl: string;
}

function pvc(sizeGiB: number, storageClassName?: string): Record<string, unknown> {
  return {
    volumeClaimTemplate: {
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${sizeGiB}Gi` } }, ...(storageClassName ? { storageClassName } : {}) },
    },
  };
}

/**
 * Grafana's admin password is a file of a Secrets Store CSI volume that Grafana's own identity reads from the
 * cloud's secret manager: no Kubernetes Secret, nothing in Helm values or Terraform state. With
 * GF_SECURITY_ADMIN_PASSWORD__FILE set the Grafana chart makes no admin Secret of its own.
 */
function grafanaAdminValues(grafana: SelfManagedGrafanaParts): Record<string, unknown> {
  return {
    serviceAccount: { create: true, name: GRAFANA_SERVICE_ACCOUNT, annotations: grafana.serviceAccountAnnotations },
    ...(Object.keys(grafana.podLabels).length ? { podLabels: grafana.podLabels } : {}),
    extraSecretMounts: [{
      name: 'admin-credentials', mountPath: GRAFANA_ADMIN_DIR, readOnly: true,
      csi: { driver: grafana.secretMount.csiDriver, readOnly: true, volumeAttributes: { secretProviderClass: GRAFANA_ADMIN_SECRET } },
    }],
    env: { GF_SECURITY_ADMIN_USER: 'admin', GF_SECURITY_ADMIN_PASSWORD__FILE: `${GRAFANA_ADMIN_DIR}/admin-password` },
  };
}

/** The kube-prometheus-stack values: persistent Prometheus with retention, Alertmanager, Grafana, exporters. */
/** The ServiceAccount of Alertmanager (kube-prometheus-stack names it after the release). */
export const ALERTMANAGER_SERVICE_ACCOUNT = `${KPS_RELEASE}-alertmanager`;

export function kubePrometheusStackValues(o: SelfManagedProps, routing: ResolvedRouting, nodeExporterNamespace: string,
  alertmanager: SelfManagedAlertmanagerParts = { serviceAccountAnnotations: {}, podLabels: {} }, grafana?: SelfManagedGrafanaParts): Record<string, unknown> {
  const mount = alertmanager.secretMount;
  const storageGiB = o.storageGiB ?? 100;
  const smallGiB = o.grafanaStorageGiB ?? 10;
  const values = {
    fullnameOverride: KPS_RELEASE,
    // The CRDs come from their own release (prometheusOperatorCrds): Helm never upgrades this chart's crds/.
    crds: { enabled: false },
    defaultRules: { create: true },
    // Rules are checked by promtool in CI; no admission webhook (API server -> webhook traffic, cert jobs).
    prometheusOperator: { admissionWebhooks: { enabled: false }, tls: { enabled: false } },
    alertmanager: {
      config: alertmanagerConfig(routing, alertmanager.platformReceiver),
      serviceAccount: { create: true, name: ALERTMANAGER_SERVICE_ACCOUNT, annotations: alertmanager.serviceAccountAnnotations },
      alertmanagerSpec: {
        // Receiver credentials: files of a Secrets Store CSI volume, read from the cloud's secret manager by the
        // pod at runtime (no Kubernetes Secret, no value in Terraform state).
        ...(mount ? {
          volumes: [{ name: 'receiver-credentials', csi: { driver: mount.csiDriver, readOnly: true, volumeAttributes: { secretProviderClass: RECEIVER_SECRET } } }],
          volumeMounts: [{ name: 'receiver-credentials', mountPath: RECEIVER_SECRET_DIR, readOnly: true }],
        } : {}),
        ...(Object.keys(alertmanager.podLabels).length ? { podMetadata: { labels: alertmanager.podLabels } } : {}),
        retention: '120h',
        storage: pvc(smallGiB, o.storageClassName),
        resources: containerResources('50m', '128Mi', '512Mi'),
      },
    },
    grafana: {
      ...(grafana ? grafanaAdminValues(grafana) : {}),
      persistence: { enabled: true, size: `${smallGiB}Gi`, ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}) },
      // The volume is owned through fsGroup: no root init container (the namespace enforces baseline).
      initChownData: { enabled: false },
      sidecar: {
        // The sidecar has no admin credentials to call the reload API: Grafana's file provider picks changes up.
        dashboards: { skipReload: true, enabled: true, label: 'grafana_dashboard', labelValue: '1', folderAnnotation: 'grafana_folder', provider: { foldersFromFilesStructure: true } },
      },
      'grafana.ini': {
        analytics: { reporting_enabled: false, check_for_updates: false },
        'auth.anonymous': { enabled: false },
        security: { cookie_secure: true, disable_gravatar: true },
        users: { allow_sign_up: false },
      },
    },
    prometheus: {
      prometheusSpec: {
        retention: o.retention ?? '15d',
        // Leave headroom on the volume: Prometheus deletes the oldest blocks past this size.
        retentionSize: `${Math.floor(storageGiB * 0.85)}GB`,
        scrapeInterval: '30s',
        evaluationInterval: '30s',
        storageSpec: pvc(storageGiB, o.storageClassName),
        ruleSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelector: MONITOR_SELECTOR,
        serviceMonitorSelector: MONITOR_SELECTOR,
        podMonitorSelector: MONITOR_SELECTOR,
        ruleNamespaceSelector: {},
        serviceMonitorNamespaceSelector: {},
        podMonitorNamespaceSelector: {},
        resources: containerResources('500m', '2Gi', '8Gi'),
      },
    },
    kubeStateMetrics: { enabled: true },
    // Node pool / capacity and workload labels, and Kueue Workload conditions: the cost and queue rules read them.
    'kube-state-metrics': kubeStateMetricsCostValues(),
    nodeExporter: { enabled: true },
    // node-exporter needs the host's network and PID namespaces: it runs alone in a privileged namespace.
    // GPU nodes are tainted: it tolerates every taint to run there too.
    'prometheus-node-exporter': { namespaceOverride: nodeExporterNamespace, tolerations: [{ operator: 'Exists' }] },
  };
  // A plain tree (no shared objects), so the YAML has no anchors/aliases.
  return JSON.parse(JSON.stringify(values)) as Record<string, unknown>;
}

/**
 * kube-prometheus-stack in the cluster: a base release (namespace + secrets), the pinned chart, and a config
 * release (monitors, rules, dashboards) applied after the chart's CRDs exist.
 */
export function selfManagedPrometheus(scope: Construct, cluster: IGpuCluster, impl: MonitoringCloudImpl,
  o: SelfManagedProps, routing: ResolvedRouting): SelfManagedResult {
  const namespace = o.namespace ?? 'monitoring';
  const nodeExporterNamespace = `${namespace}-node`.slice(0, 63);
  const base = new KubernetesWorkload(scope, 'Base', { cluster, namespace, releaseNamespace: 'kube-system', releaseName: `${namespace}-base`.slice(0, 53) });
  addMonitoringNamespaces(base, namespace, nodeExporterNamespace);
  // The Grafana admin password: generated into the cloud's secret manager by a write-only argument, read by
  // Grafana's own identity at runtime (the construct id 'GrafanaAdmin' once named a Secret holding the value).
  const grafana = impl.selfManagedGrafana(namespace, GRAFANA_SERVICE_ACCOUNT);
  base.addObject('GrafanaAdmin', secretProviderClass(GRAFANA_ADMIN_SECRET, namespace, { ...MANAGED_BY_LABELS }, grafana.secretMount.provider, grafana.secretMount.parameters));
  if (grafana.secretMount.dependsOn.length) base.addDependency(...grafana.secretMount.dependsOn);
  // Receiver credentials stay in the cloud's secret manager: Alertmanager's identity reads them at runtime
  // through a SecretProviderClass; Terraform never reads a value (no data source at plan, nothing in state).
  const secrets = receiverRuntimeSecrets(routing);
  const alertmanager = impl.selfManagedAlertmanager(namespace, ALERTMANAGER_SERVICE_ACCOUNT, secrets);
  if (alertmanager.secretMount) {
    base.addObject('ReceiverCredentials', secretProviderClass(RECEIVER_SECRET, namespace, { ...MANAGED_BY_LABELS },
      alertmanager.secretMount.provider, alertmanager.secretMount.parameters));
    if (alertmanager.secretMount.dependsOn.length) base.addDependency(...alertmanager.secretMount.dependsOn);
  }

  const crds = prometheusOperatorCrds(scope, cluster);
  const dependsOn: ITerraformDependable[] = [base.release, crds, ...(cluster.addOnDependencies ?? [])];
  const release = pinnedRelease(scope, 'KubePrometheusStack', KUBE_PROMETHEUS_STACK, {
    provider: cluster.helmProvider, name: KPS_RELEASE, namespace, values: kubePrometheusStackValues(o, routing, nodeExporterNamespace, alertmanager, grafana), dependsOn,
  });
  const config = new KubernetesWorkload(scope, 'Config', { cluster, namespace, releaseName: `${namespace}-config`.slice(0, 53) });
  config.addDependency(release);
  return { namespace, nodeExporterNamespace, base, release, config, prometheusQueryUrl: `http://${KPS_RELEASE}-prometheus.${namespace}.svc:9090` };
}

/** Every credential the routing's receivers and mail server use, keyed by its file name in the secret volume. */
export function receiverRuntimeSecrets(routing: ResolvedRouting): RuntimeSecret[] {
  const out: RuntimeSecret[] = [];
  for (const r of routing.receivers) {
    if (r.slackWebhookUrl) out.push({ key: receiverSecretKey(r.name, 'slack-url'), ref: r.slackWebhookUrl });
    if (r.webhookUrl) out.push({ key: receiverSecretKey(r.name, 'webhook-url'), ref: r.webhookUrl });
    if (r.pagerDutyRoutingKey) out.push({ key: receiverSecretKey(r.name, 'pagerduty-key'), ref: r.pagerDutyRoutingKey });
  }
  if (routing.smtp?.password) out.push({ key: receiverSecretKey('', 'smtp-password'), ref: routing.smtp.password });
  return out;
}

/**
 * The prometheus-operator CRDs as their own release of the CRD-only chart (templates, so a pin bump upgrades
 * them), pinned to the operator version of kube-prometheus-stack. It adopts CRDs already in the cluster
 * (installed by an earlier kube-prometheus-stack's `crds/`, which Helm tracks in no release).
 */
export function prometheusOperatorCrds(scope: Construct, cluster: IGpuCluster): HelmRelease {
  return pinnedRelease(scope, 'PrometheusOperatorCrds', PROMETHEUS_OPERATOR_CRDS, {
    provider: cluster.helmProvider, name: 'prometheus-operator-crds', namespace: 'kube-system', values: {},
    dependsOn: cluster.addOnDependencies, takeOwnership: true,
  });
}

// Any address but link-local (cloud metadata, node credential agents): no monitoring pod needs those.
const ANY_ADDRESS = [{ ipBlock: { cidr: '0.0.0.0/0', except: [LINK_LOCAL_CIDR] } }];

const nsPeer = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });

function networkPolicy(base: KubernetesWorkload, id: string, namespace: string, name: string, spec: Record<string, unknown>): void {
  base.addObject(id, networkPolicyOf(name, namespace, { ...MANAGED_BY_LABELS }, spec));
}

/**
 * The monitoring namespace (Pod Security `baseline` enforced, `restricted` warned and audited) with
 * default-deny NetworkPolicies and the flows the stack needs, and the node-exporter namespace (`privileged`:
 * node-exporter reads the host's /proc and /sys with host networking; nothing else runs there).
 */
function addMonitoringNamespaces(base: KubernetesWorkload, namespace: string, nodeNamespace: string): void {
  const restricted = podSecurityLabels('restricted');
  // The scraper label: the add-on namespaces' policies admit this namespace's Prometheus to their metrics ports.
  base.addObject('Namespace', namespaceObject(namespace, {
    ...MANAGED_BY_LABELS, ...restricted, 'pod-security.kubernetes.io/enforce': 'baseline', [METRICS_SCRAPER_NAMESPACE_LABEL]: 'true',
  }));
  base.addObject('NodeExporterNamespace', namespaceObject(nodeNamespace, { ...MANAGED_BY_LABELS, ...podSecurityLabels('privileged') }, {
    [`${KUBERNETES_SUPPRESSION_PREFIX}AI-K8S-NS-1`]:
      'node-exporter (kube-prometheus-stack) needs hostNetwork, hostPID and read-only hostPath mounts of /proc, /sys and /; it is the only workload in this namespace',
  }));
  for (const [ns, prefix] of [[namespace, 'Monitoring'], [nodeNamespace, 'NodeExporter']] as const) {
    addDefaultDenyNetworkPolicy(base.chart, `${prefix}DefaultDeny`, ns);
    addDnsEgressNetworkPolicy(base.chart, `${prefix}DnsEgress`, ns);
  }
  networkPolicy(base, 'SameNamespace', namespace, 'allow-same-namespace', {
    podSelector: {}, policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }],
  });
  // The operator, kube-state-metrics, the Grafana sidecar and Prometheus service discovery call the API server.
  networkPolicy(base, 'ApiServerEgress', namespace, 'allow-api-server-egress', {
    podSelector: {}, policyTypes: ['Egress'],
    egress: [{ to: ANY_ADDRESS, ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] }],
  });
  // Prometheus scrapes pods, nodes (kubelet, node-exporter on the host network) and the control plane.
  networkPolicy(base, 'PrometheusScrape', namespace, 'allow-prometheus-scrape', {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }, ...ANY_ADDRESS] }],
  });
  // KEDA's operator queries Prometheus (the endpoints' queue-depth and wake triggers), Flagger (the canaries' SLO
  // checks: their MetricTemplates name this Prometheus), and pods of namespaces labelled
  // for it (PROMETHEUS_QUERY_NAMESPACE_LABEL); Grafana is in this namespace. No other namespace: people reach
  // Prometheus through `kubectl port-forward`, which no policy filters.
  networkPolicy(base, 'PrometheusQuery', namespace, 'allow-prometheus-query', {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } }, policyTypes: ['Ingress'],
    ingress: [{
      from: [
        { ...nsPeer(kedaAddOn().namespace), podSelector: { matchLabels: { ...KEDA_OPERATOR_LABELS } } },
        ...flaggerAddOn().components.filter((c) => c.queriesPrometheus).map((c) => ({ ...nsPeer(flaggerAddOn().namespace), podSelector: { matchLabels: { ...c.podLabels } } })),
        { namespaceSelector: { matchLabels: { [PROMETHEUS_QUERY_NAMESPACE_LABEL]: 'true' } } },
      ],
      ports: [{ protocol: 'TCP', port: 9090 }],
    }],
  });
  // Alertmanager delivers to webhooks, Slack, PagerDuty (HTTPS) and mail servers.
  networkPolicy(base, 'AlertmanagerEgress', namespace, 'allow-alertmanager-delivery', {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'alertmanager' } }, policyTypes: ['Egress'],
    egress: [{ to: ANY_ADDRESS, ports: [443, 587, 465, 25].map((port) => ({ protocol: 'TCP', port })) }],
  });
}
