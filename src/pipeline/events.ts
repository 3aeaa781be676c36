// New-data triggers of model pipelines: Argo Events (pinned chart, controller only) installed once per cluster
// when a pipeline uses `trigger.onNewData`, and per pipeline an EventBus, an EventSource reading the cloud's queue
// with the pipeline's event identity, and a Sensor that creates a Workflow from the pipeline's WorkflowTemplate.
import { Construct } from 'constructs';
import { ITerraformDependable, TerraformStack } from 'cdktf';
import { pinnedRelease } from '../clouds/helm/add-ons';
import { IGpuCluster } from '../core/cluster';
import { stableHash } from '../core/hash';
import { apiObject } from '../k8s/cdk8s';
import { ARGO_EVENTS, ARGO_EVENTS_NAMESPACE } from '../k8s/charts';
import { KubernetesWorkload } from '../k8s/delivery';
import { addDefaultDenyNetworkPolicy, addDnsEgressNetworkPolicy, addNamespace, MANAGED_BY_LABELS } from '../k8s/namespace';
import { LABEL_POOL } from '../k8s/node-labels';
import { restrictedContainerSecurityContext } from '../k8s/security';
import { apiServerEgress } from './engine';
import type { NewDataQueue } from './spi';

/** Labels of the Argo Events controller's pods (the chart's). */
export const ARGO_EVENTS_CONTROLLER_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/component': 'controller-manager' };
/** The JetStream version of the EventBus: one the pinned chart lists in `configs.jetstream.versions`. */
export const JETSTREAM_VERSION = '2.10.10';
/** NATS JetStream ports (argo-events pkg/reconciler/eventbus/installer/jetstream.go). */
const JS_CLIENT_PORT = 4222;
const JS_CLUSTER_PORT = 6222;

/** Argo Events on one cluster, made on first use by a pipeline with `trigger.onNewData`. */
export class EventsEngine extends Construct {
  public static of(scope: Construct, cluster: IGpuCluster): EventsEngine {
    const stack = TerraformStack.of(scope);
    const id = `EventsEngine-${stableHash(cluster.node.path)}`;
    return (stack.node.tryFindChild(id) as EventsEngine | undefined) ?? new EventsEngine(stack, id, cluster);
  }

  public readonly namespace = ARGO_EVENTS_NAMESPACE;
  /** The namespace and its policies (a release of its own, before the chart). */
  public readonly setup: KubernetesWorkload;
  /** The helm_release of the chart (escape hatch). */
  public readonly release: ITerraformDependable;

  private constructor(scope: Construct, id: string, cluster: IGpuCluster) {
    super(scope, id);
    this.setup = new KubernetesWorkload(this, 'Namespace', {
      cluster, namespace: ARGO_EVENTS_NAMESPACE, releaseNamespace: cluster.addOnNamespace ?? 'kube-system',
      releaseName: 'aiinfra-events-engine', description: 'Argo Events namespace and policies (cdktf-ai-infra)',
    });
    const chart = this.setup.chart;
    addNamespace(chart, 'Ns', { name: ARGO_EVENTS_NAMESPACE });
    // The controller's only flows: DNS and the API server (it reconciles objects; it never talks to the buses).
    addDefaultDenyNetworkPolicy(chart, 'DefaultDeny', ARGO_EVENTS_NAMESPACE);
    addDnsEgressNetworkPolicy(chart, 'Dns', ARGO_EVENTS_NAMESPACE);
    apiObject(chart, 'ApiServer', apiServerEgress('allow-apiserver-egress', ARGO_EVENTS_NAMESPACE, { ...ARGO_EVENTS_CONTROLLER_POD_LABELS }) as never);
    this.release = pinnedRelease(this, 'ArgoEvents', ARGO_EVENTS, {
      provider: cluster.helmProvider, name: 'argo-events', namespace: ARGO_EVENTS_NAMESPACE,
      values: argoEventsValues(), dependsOn: [this.setup.release, ...(cluster.addOnDependencies ?? [])],
    });
  }
}

/** Chart values: the controller only (no validating webhook), restricted, on the system pool. */
export function argoEventsValues(): Record<string, unknown> {
  return {
    crds: { install: true, keep: true },
    global: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
    controller: {
      replicas: 1,
      nodeSelector: { [LABEL_POOL]: 'system' },
      containerSecurityContext: { ...restrictedContainerSecurityContext(9731) },
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      metrics: { enabled: false },
    },
    webhook: { enabled: false },
  };
}

/** What the per-pipeline objects need. */
export interface NewDataTriggerSpec {
  readonly pipeline: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** ServiceAccount of the EventSource (bound to the event identity). */
  readonly sourceServiceAccount: string;
  readonly sourceServiceAccountAnnotations: Record<string, string>;
  /** Pod labels the cluster's workload identity needs (e.g. Azure's `azure.workload.identity/use`). */
  readonly podLabels: Record<string, string>;
  readonly queue: NewDataQueue;
  /** At most one run per this many minutes from new data (the debounce window). */
  readonly minIntervalMinutes: number;
}

type Obj = Record<string, unknown>;

const podSecurity = (uid: number) => ({
  securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
});

/** The EventBus, EventSource, Sensor, their RBAC and NetworkPolicies in the tenant's namespace. */
export function newDataTriggerObjects(s: NewDataTriggerSpec): Obj[] {
  const meta = (name: string): Obj => ({ name, namespace: s.namespace, labels: { ...s.labels } });
  const bus = `${s.pipeline}-events`;
  const source = `${s.pipeline}-new-data`;
  const sensorSa = `${s.pipeline}-sensor`;
  // Explicit requests: the tenant's ResourceQuota counts these pods (the LimitRange defaults would apply otherwise).
  const small = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } };
  const restricted = { securityContext: { ...restrictedContainerSecurityContext(9731) }, resources: small };
  const busContainer = (resources: Obj) => ({ securityContext: { ...restrictedContainerSecurityContext(1000) }, resources });
  return [
    {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'EventBus', metadata: meta(bus),
      spec: {
        jetstream: {
          version: JETSTREAM_VERSION, replicas: 3, ...podSecurity(1000),
          containerTemplate: busContainer({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } }),
          reloaderContainerTemplate: busContainer(small), metricsContainerTemplate: busContainer(small),
        },
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { ...meta(s.sourceServiceAccount), annotations: { ...s.sourceServiceAccountAnnotations } } },
    {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'EventSource', metadata: meta(source),
      spec: {
        eventBusName: bus,
        template: { serviceAccountName: s.sourceServiceAccount, metadata: { labels: { ...s.podLabels } }, ...podSecurity(9731), container: restricted },
        [s.queue.eventSourceType]: { 'new-data': { ...s.queue.eventSourceSpec } },
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(sensorSa) },
    // The Sensor may create Workflows in this namespace, nothing else.
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(sensorSa), rules: [{ apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create'] }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(sensorSa),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sensorSa },
      subjects: [{ kind: 'ServiceAccount', name: sensorSa, namespace: s.namespace }],
    },
    sensor(s, bus, source, sensorSa, restricted),
    ...busPolicies(s, bus, source),
    ...queuePolicies(s, source),
    apiServerEgress(`${s.pipeline}-sensor-apiserver`, s.namespace, { 'sensor-name': s.pipeline }),
  ];
}

/**
 * The Sensor: on any event of the source, create a Workflow from the pipeline's WorkflowTemplate, named after the
 * debounce window (`<pipeline>-data-<window number>`): a second event in the same window finds the name taken and
 * starts nothing, so a thousand uploaded files make one run. The template's mutex still keeps runs from overlapping.
 */
function sensor(s: NewDataTriggerSpec, bus: string, source: string, sa: string, restricted: Obj): Obj {
  const windowSeconds = s.minIntervalMinutes * 60;
  return {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Sensor', metadata: { name: s.pipeline, namespace: s.namespace, labels: { ...s.labels } },
    spec: {
      eventBusName: bus,
      template: { serviceAccountName: sa, ...podSecurity(9731), container: restricted },
      dependencies: [{ name: 'new-data', eventSourceName: source, eventName: 'new-data' }],
      triggers: [{
        template: {
          name: 'run-pipeline',
          k8s: {
            operation: 'create',
            source: {
              resource: {
                apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow',
                metadata: { name: `${s.pipeline}-data`, namespace: s.namespace, labels: { ...s.labels, 'aiinfra.dev/trigger': 'new-data' } },
                spec: { workflowTemplateRef: { name: s.pipeline } },
              },
            },
            parameters: [{
              src: { dependencyName: 'new-data', dataTemplate: `${s.pipeline}-data-{{ div (now | unixEpoch) ${windowSeconds} }}` },
              dest: 'metadata.name',
            }],
          },
        },
      }],
    },
  };
}

/** The source's flow to a queue behind a private endpoint (the tenant's HTTPS egress excludes private ranges). */
function queuePolicies(s: NewDataTriggerSpec, source: string): Obj[] {
  const e = s.queue.privateEgress;
  if (!e) return [];
  return [{
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: { name: `${source}-queue-egress`, namespace: s.namespace, labels: { ...MANAGED_BY_LABELS } },
    spec: {
      podSelector: { matchLabels: { 'eventsource-name': source } }, policyTypes: ['Egress'],
      egress: [{ to: e.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: e.port }] }],
    },
  }];
}

/** The bus's flows: clients (the source and the Sensor) to 4222, the JetStream peers to each other on 6222. */
function busPolicies(s: NewDataTriggerSpec, bus: string, source: string): Obj[] {
  const busPods = { 'controller': 'eventbus-controller', 'eventbus-name': bus };
  const policy = (name: string, spec: Obj): Obj => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: s.namespace, labels: { ...MANAGED_BY_LABELS } }, spec,
  });
  const clients = [{ podSelector: { matchLabels: { 'eventsource-name': source } } }, { podSelector: { matchLabels: { 'sensor-name': s.pipeline } } }];
  const peers = [{ podSelector: { matchLabels: busPods } }];
  return [
    policy(`${bus}-ingress`, {
      podSelector: { matchLabels: busPods }, policyTypes: ['Ingress'],
      ingress: [
        { from: clients, ports: [{ protocol: 'TCP', port: JS_CLIENT_PORT }] },
        { from: peers, ports: [{ protocol: 'TCP', port: JS_CLUSTER_PORT }] },
      ],
    }),
    policy(`${bus}-peers-egress`, { podSelector: { matchLabels: busPods }, policyTypes: ['Egress'], egress: [{ to: peers, ports: [{ protocol: 'TCP', port: JS_CLUSTER_PORT }] }] }),
    ...clients.map((c, i) => policy(`${bus}-client-egress-${i}`, {
      podSelector: c.podSelector, policyTypes: ['Egress'], egress: [{ to: peers, ports: [{ protocol: 'TCP', port: JS_CLIENT_PORT }] }],
    })),
  ];
}
