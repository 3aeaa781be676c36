import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import { pinnedRelease } from '../clouds/helm/add-ons';
import { IGpuCluster } from '../core/cluster';
import { KubernetesWorkload } from '../k8s/delivery';
import { addNamespace, MANAGED_BY_LABELS } from '../k8s/namespace';
import { alertmanagerConfig, RECEIVER_SECRET, receiverSecretKey, ReceiverSecretKind, ResolvedRouting } from './alertmanager';
import { MonitoringCloudImpl } from './cloud-impl';
import { KUBE_PROMETHEUS_STACK } from './scrape';
import { SelfManagedProps } from './types';

/** The Helm release name; kube-prometheus-stack names its objects after it (`kps-prometheus`...). */
export const KPS_RELEASE = 'kps';
/** Secret with the Grafana admin user and password (from the cloud's secret manager). */
export const GRAFANA_ADMIN_SECRET = 'aiinfra-grafana-admin';

/**
 * Objects selected by our Prometheus: ours (`app.kubernetes.io/managed-by: cdktf-ai-infra`) and those of Helm
 * charts (the chart's own kubelet/apiserver/node-exporter/kube-state-metrics monitors, add-on charts).
 */
export const MONITOR_SELECTOR = {
  matchExpressions: [{ key: 'app.kubernetes.io/managed-by', operator: 'In', values: ['cdktf-ai-infra', 'Helm'] }],
};

export interface SelfManagedResult {
  readonly namespace: string;
  /** Namespace, Grafana admin Secret, receiver credentials: applied before the chart. */
  readonly base: KubernetesWorkload;
  readonly release: Release;
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

/** The kube-prometheus-stack values: persistent Prometheus with retention, Alertmanager, Grafana, exporters. */
export function kubePrometheusStackValues(o: SelfManagedProps, routing: ResolvedRouting): Record<string, unknown> {
  const storageGiB = o.storageGiB ?? 100;
  const smallGiB = o.grafanaStorageGiB ?? 10;
  const values = {
    fullnameOverride: KPS_RELEASE,
    crds: { enabled: true },
    defaultRules: { create: true },
    alertmanager: {
      config: alertmanagerConfig(routing),
      alertmanagerSpec: {
        secrets: [RECEIVER_SECRET],
        retention: '120h',
        storage: pvc(smallGiB, o.storageClassName),
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      },
    },
    grafana: {
      admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: 'admin-user', passwordKey: 'admin-password' },
      persistence: { enabled: true, size: `${smallGiB}Gi`, ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}) },
      sidecar: {
        dashboards: { enabled: true, label: 'grafana_dashboard', labelValue: '1', folderAnnotation: 'grafana_folder', provider: { foldersFromFilesStructure: true } },
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
        resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '8Gi' } },
      },
    },
    kubeStateMetrics: { enabled: true },
    nodeExporter: { enabled: true },
    // GPU nodes are tainted: node-exporter must run there too.
    'prometheus-node-exporter': { tolerations: [{ operator: 'Exists' }] },
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
  const base = new KubernetesWorkload(scope, 'Base', { cluster, namespace, releaseNamespace: 'kube-system', releaseName: `${namespace}-base`.slice(0, 53) });
  // node-exporter needs the host's network and PID namespaces: the namespace cannot enforce `restricted`.
  addNamespace(base.chart, 'Namespace', { name: namespace, podSecurity: 'privileged' });
  base.addObject('GrafanaAdmin', {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: GRAFANA_ADMIN_SECRET, namespace, labels: { ...MANAGED_BY_LABELS } },
    type: 'Opaque',
    stringData: { 'admin-user': 'admin', 'admin-password': impl.grafanaAdminPassword() },
  });
  const credentials: Record<string, string> = {};
  const add = (receiver: string, kind: ReceiverSecretKind, ref: Parameters<MonitoringCloudImpl['secretValue']>[1] | undefined) => {
    if (ref) credentials[receiverSecretKey(receiver, kind)] = impl.secretValue(`${receiver}-${kind}`, ref);
  };
  for (const r of routing.receivers) {
    add(r.name, 'slack-url', r.slackWebhookUrl);
    add(r.name, 'webhook-url', r.webhookUrl);
    add(r.name, 'pagerduty-key', r.pagerDutyRoutingKey);
  }
  if (routing.smtp?.password) credentials[receiverSecretKey('', 'smtp-password')] = impl.secretValue('smtp-password', routing.smtp.password);
  base.addObject('ReceiverCredentials', {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: RECEIVER_SECRET, namespace, labels: { ...MANAGED_BY_LABELS } },
    type: 'Opaque',
    stringData: credentials,
  });

  const dependsOn: ITerraformDependable[] = [base.release, ...(cluster.addOnDependencies ?? [])];
  const release = pinnedRelease(scope, 'KubePrometheusStack', KUBE_PROMETHEUS_STACK, {
    provider: cluster.helmProvider, name: KPS_RELEASE, namespace, values: kubePrometheusStackValues(o, routing), dependsOn,
  });
  const config = new KubernetesWorkload(scope, 'Config', { cluster, namespace, releaseName: `${namespace}-config`.slice(0, 53) });
  config.addDependency(release);
  return { namespace, base, release, config, prometheusQueryUrl: `http://${KPS_RELEASE}-prometheus.${namespace}.svc:9090` };
}
