// The Kubernetes objects of an inference endpoint, as pure functions of their inputs (plain JSON, so
// they can be schema-checked and snapshot-tested without a cluster). Values may be cdktf tokens: the
// delivery layer passes those as Helm values.
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../k8s/security';

/** A Kubernetes object as plain JSON. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: K8sMetadata;
  readonly [field: string]: unknown;
}

export interface K8sMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

export interface Toleration {
  readonly key: string;
  readonly operator: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** The port every server listens on (HTTP API and /metrics), per compute/CONTRACT.md. */
export const SERVER_PORT = 8000;
/** The Service port in front of it. */
export const SERVICE_PORT = 80;
/** Where the API keys file is mounted. */
export const API_KEYS_DIR = '/var/run/secrets/aiinfra';
export const API_KEYS_FILE = `${API_KEYS_DIR}/api-keys`;
/** Where an init container puts a model copied from the store. */
export const MODEL_CACHE_DIR = '/models';

/** Labels of the pods of one track (`stable` / `canary`) of an endpoint. */
export function podLabels(app: string, track: 'stable' | 'canary'): Record<string, string> {
  return { 'app.kubernetes.io/name': app, 'aiinfra.dev/track': track };
}

/** Labels on every object of an endpoint. */
export function commonLabels(app: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/component': 'inference',
    'app.kubernetes.io/part-of': 'cdktf-ai-infra',
    'app.kubernetes.io/managed-by': 'cdktf-ai-infra',
  };
}

function meta(name: string, namespace: string | undefined, labels: Record<string, string>, annotations?: Record<string, string>): K8sMetadata {
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    labels,
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

export function serviceAccount(name: string, namespace: string, labels: Record<string, string>, annotations: Record<string, string>): K8sObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, namespace, labels, annotations), automountServiceAccountToken: false };
}

export interface ProbePaths {
  /** Passes once the model is loaded (startup probe; its budget is `startupSeconds`). */
  readonly startup: string;
  /** Fails while loading and while draining (503), so the pod leaves the load balancer. */
  readonly readiness: string;
  /**
   * Fails only when the process is wedged: an HTTP path, or `tcp` (the server accepts connections) where
   * the server has no health endpoint independent of load.
   */
  readonly liveness: string | 'tcp';
}

export interface ProbeTiming {
  readonly startupSeconds: number;
}

/** Three probes that differ: a long startup budget, a quick readiness, a tolerant liveness on another check. */
export function probes(paths: ProbePaths, timing: ProbeTiming): Record<string, unknown> {
  const get = (path: string) => ({ httpGet: { path, port: 'http' } });
  const live = paths.liveness === 'tcp' ? { tcpSocket: { port: 'http' } } : get(paths.liveness);
  return {
    startupProbe: { ...get(paths.startup), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: Math.ceil(timing.startupSeconds / 10) },
    readinessProbe: { ...get(paths.readiness), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 },
    livenessProbe: { ...live, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
  };
}

/** One entry per name, the last value winning, in first-seen order (Kubernetes keeps only one anyway). */
export function mergeEnv(...lists: readonly (readonly EnvVar[])[]): EnvVar[] {
  const byName = new Map<string, string>();
  for (const list of lists) for (const e of list) byName.set(e.name, e.value);
  return [...byName.entries()].map(([name, value]) => ({ name, value }));
}

export interface ContainerInput {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env: readonly EnvVar[];
  readonly volumeMounts: readonly { name: string; mountPath: string; readOnly?: boolean }[];
  readonly resources?: Record<string, unknown>;
}

export function initContainer(input: ContainerInput): Record<string, unknown> {
  return {
    name: input.name,
    image: input.image,
    ...(input.command ? { command: [...input.command] } : {}),
    ...(input.args ? { args: [...input.args] } : {}),
    env: [...input.env],
    volumeMounts: [...input.volumeMounts],
    resources: input.resources ?? { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } },
    securityContext: restrictedContainerSecurityContext(),
  };
}

export interface DeploymentInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  /** Omitted when an autoscaler owns the count. */
  readonly replicas?: number;
  readonly serviceAccountName: string;
  readonly priorityClassName: string;
  readonly container: ContainerInput;
  readonly probePaths: ProbePaths;
  readonly startupSeconds: number;
  readonly preStopSeconds: number;
  /** Longest in-flight request; the grace period covers preStop + this + 15 s. */
  readonly drainSeconds: number;
  readonly gpus: number;
  readonly cpu: number;
  readonly memoryGiB: number;
  /** Local disk the pod's emptyDirs may fill (scheduling counts it). */
  readonly ephemeralStorageGiB: number;
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: readonly Toleration[];
  readonly initContainers: readonly Record<string, unknown>[];
  readonly volumes: readonly Record<string, unknown>[];
  /** Pod annotations (e.g. the config hash that rolls pods). */
  readonly podAnnotations?: Record<string, string>;
  /** Pod labels beside the selector (e.g. `azure.workload.identity/use`). */
  readonly extraPodLabels?: Record<string, string>;
}

export function terminationGraceSeconds(preStopSeconds: number, drainSeconds: number): number {
  return preStopSeconds + drainSeconds + 15;
}

export function deployment(input: DeploymentInput): K8sObject {
  const memory = `${input.memoryGiB}Gi`;
  const podLabelSet = { ...input.labels, ...input.selector, ...(input.extraPodLabels ?? {}) };
  const container = {
    name: input.container.name,
    image: input.container.image,
    imagePullPolicy: 'IfNotPresent',
    ...(input.container.command ? { command: [...input.container.command] } : {}),
    ...(input.container.args ? { args: [...input.container.args] } : {}),
    env: [...input.container.env],
    ports: [{ name: 'http', containerPort: SERVER_PORT, protocol: 'TCP' }],
    resources: {
      requests: { cpu: String(input.cpu), memory, 'ephemeral-storage': `${input.ephemeralStorageGiB}Gi`, 'nvidia.com/gpu': String(input.gpus) },
      limits: { memory, 'nvidia.com/gpu': String(input.gpus) },
    },
    ...probes(input.probePaths, { startupSeconds: input.startupSeconds }),
    lifecycle: { preStop: { sleep: { seconds: input.preStopSeconds } } },
    volumeMounts: [...input.container.volumeMounts],
    securityContext: restrictedContainerSecurityContext(),
  };
  const spread = (topologyKey: string, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway') => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: input.selector },
    matchLabelKeys: ['pod-template-hash'],
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(input.name, input.namespace, input.labels),
    spec: {
      ...(input.replicas !== undefined ? { replicas: input.replicas } : {}),
      revisionHistoryLimit: 5,
      progressDeadlineSeconds: input.startupSeconds + 600,
      selector: { matchLabels: input.selector },
      // Never fewer serving pods than asked during a rollout: a new pod loads before an old one drains.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: podLabelSet, ...(input.podAnnotations ? { annotations: input.podAnnotations } : {}) },
        spec: {
          serviceAccountName: input.serviceAccountName,
          automountServiceAccountToken: false,
          priorityClassName: input.priorityClassName,
          terminationGracePeriodSeconds: terminationGraceSeconds(input.preStopSeconds, input.drainSeconds),
          securityContext: restrictedPodSecurityContext(),
          nodeSelector: input.nodeSelector,
          tolerations: input.tolerations.map((t) => ({ ...t })),
          // Zones: best effort (GPU capacity differs per zone); nodes: hard, so one node loss takes one replica.
          topologySpreadConstraints: [spread('topology.kubernetes.io/zone', 'ScheduleAnyway'), spread('kubernetes.io/hostname', 'DoNotSchedule')],
          ...(input.initContainers.length > 0 ? { initContainers: [...input.initContainers] } : {}),
          containers: [container],
          volumes: [...input.volumes],
        },
      },
    },
  };
}

export interface ServiceInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly type: 'ClusterIP' | 'LoadBalancer';
  readonly annotations?: Record<string, string>;
  /** Port the Service listens on. @default 80 */
  readonly port?: number;
  readonly loadBalancerClass?: string;
}

export function service(input: ServiceInput): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(input.name, input.namespace, input.labels, input.annotations),
    spec: {
      type: input.type,
      ...(input.loadBalancerClass ? { loadBalancerClass: input.loadBalancerClass } : {}),
      selector: input.selector,
      ports: [{ name: 'http', port: input.port ?? SERVICE_PORT, targetPort: 'http', protocol: 'TCP' }],
      ...(input.type === 'LoadBalancer' ? { externalTrafficPolicy: 'Local' } : {}),
    },
  };
}

/** One pod at a time may be evicted; a stuck (unready) pod never blocks a node drain. */
export function podDisruptionBudget(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>): K8sObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(name, namespace, labels),
    spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: selector } },
  };
}

export function priorityClass(name: string, labels: Record<string, string>, value: number): K8sObject {
  return {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: meta(name, undefined, labels),
    value,
    globalDefault: false,
    preemptionPolicy: 'PreemptLowerPriority',
    description: 'Inference endpoint pods (cdktf-ai-infra): above training jobs, below system components.',
  };
}

export interface ScalingInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly target: string;
  readonly min: number;
  readonly max: number;
  readonly cooldownSeconds: number;
}

/** Scale-up fast, scale-down slowly: GPU replicas are slow to start. */
function hpaBehavior(cooldownSeconds: number): Record<string, unknown> {
  return {
    scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }], selectPolicy: 'Max' },
    scaleDown: { stabilizationWindowSeconds: cooldownSeconds, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }], selectPolicy: 'Min' },
  };
}

export function cpuHorizontalPodAutoscaler(input: ScalingInput, targetCpuUtilization: number): K8sObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(input.name, input.namespace, input.labels),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: input.target },
      minReplicas: input.min,
      maxReplicas: input.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCpuUtilization } } }],
      behavior: hpaBehavior(input.cooldownSeconds),
    },
  };
}

/** A KEDA trigger. */
export interface KedaTrigger {
  readonly type: 'prometheus' | 'cron' | 'cpu';
  readonly name: string;
  readonly metadata: Record<string, string>;
  readonly metricType?: 'AverageValue' | 'Value' | 'Utilization';
}

export function prometheusTrigger(name: string, serverAddress: string, query: string, threshold: number, activationThreshold = 0): KedaTrigger {
  return {
    type: 'prometheus',
    name,
    metadata: { serverAddress, query, threshold: String(threshold), activationThreshold: String(activationThreshold) },
  };
}

export function cronTrigger(name: string, start: string, end: string, timezone: string, desiredReplicas: number): KedaTrigger {
  return { type: 'cron', name, metadata: { timezone, start, end, desiredReplicas: String(desiredReplicas) } };
}

/** KEDA ScaledObject (keda.sh/v1alpha1): it creates and owns the HPA of the Deployment. */
export function scaledObject(input: ScalingInput, triggers: readonly KedaTrigger[], fallbackReplicas?: number): K8sObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: meta(input.name, input.namespace, input.labels),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: input.target },
      minReplicaCount: input.min,
      maxReplicaCount: input.max,
      pollingInterval: 15,
      cooldownPeriod: input.cooldownSeconds,
      // When Prometheus cannot be read three times in a row, hold a safe replica count instead of freezing.
      ...(fallbackReplicas !== undefined ? { fallback: { failureThreshold: 3, replicas: fallbackReplicas } } : {}),
      advanced: { horizontalPodAutoscalerConfig: { behavior: hpaBehavior(input.cooldownSeconds) } },
      triggers: triggers.map((t) => ({ ...t, metadata: { ...t.metadata } })),
    },
  };
}

export interface NetworkPolicyInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Pods it guards (every track of the endpoint). */
  readonly podSelector: Record<string, string>;
  /** Load balancer / gateway proxy source ranges. */
  readonly cidrs: readonly string[];
  /** Namespace of the Prometheus scraper. */
  readonly scraperNamespace: string;
  /** Namespaces of in-cluster gateway proxies, when the gateway runs in the cluster. */
  readonly gatewayNamespaces?: readonly string[];
}

/** Admits the ingress path and the monitoring scraper on the server port; nothing else. */
export function networkPolicy(input: NetworkPolicyInput): K8sObject {
  const port = [{ protocol: 'TCP', port: SERVER_PORT }];
  const nsPeer = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
  const from: Record<string, unknown>[] = [
    ...input.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ...(input.gatewayNamespaces ?? []).map(nsPeer),
  ];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(input.name, input.namespace, input.labels),
    spec: {
      podSelector: { matchLabels: input.podSelector },
      policyTypes: ['Ingress'],
      // An empty `from` would admit every source: the ingress-path rule exists only when it names some.
      ingress: [
        ...(from.length > 0 ? [{ from, ports: port }] : []),
        { from: [nsPeer(input.scraperNamespace)], ports: port },
      ],
    },
  };
}

/** Lets the pods reach the node-local credential endpoint of the cloud's workload identity. */
export function identityEgressPolicy(name: string, namespace: string, labels: Record<string, string>, podSelector: Record<string, string>,
  targets: readonly { cidr: string; ports: readonly number[] }[]): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name, namespace, labels),
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: ['Egress'],
      egress: targets.map((t) => ({ to: [{ ipBlock: { cidr: t.cidr } }], ports: t.ports.map((port) => ({ protocol: 'TCP', port })) })),
    },
  };
}

export function serviceMonitor(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>): K8sObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: meta(name, namespace, labels),
    spec: {
      selector: { matchLabels: selector },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }],
      targetLabels: ['aiinfra.dev/track'],
    },
  };
}

export interface GatewayListener {
  readonly name: string;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly port: number;
  readonly hostname?: string;
  /** TLS from a Secret (cert-manager); omitted when the cloud attaches the certificate. */
  readonly tlsSecretName?: string;
}

export interface GatewayInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly gatewayClassName: string;
  readonly listeners: readonly GatewayListener[];
  readonly annotations?: Record<string, string>;
  readonly addresses?: readonly { type: string; value: string }[];
  readonly infrastructure?: Record<string, unknown>;
}

export function gateway(input: GatewayInput): K8sObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: meta(input.name, input.namespace, input.labels, input.annotations),
    spec: {
      gatewayClassName: input.gatewayClassName,
      ...(input.infrastructure ? { infrastructure: input.infrastructure } : {}),
      ...(input.addresses && input.addresses.length > 0 ? { addresses: input.addresses.map((a) => ({ ...a })) } : {}),
      listeners: input.listeners.map((l) => ({
        name: l.name,
        protocol: l.protocol,
        port: l.port,
        ...(l.hostname ? { hostname: l.hostname } : {}),
        ...(l.protocol === 'HTTPS' && l.tlsSecretName
          ? { tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: l.tlsSecretName }] } }
          : {}),
        allowedRoutes: { namespaces: { from: 'Same' } },
      })),
    },
  };
}

export interface RouteBackend {
  readonly service: string;
  readonly weight: number;
}

/** Splits traffic between the stable and the canary Service by weight. */
export function httpRoute(name: string, namespace: string, labels: Record<string, string>, gatewayName: string,
  hostnames: readonly string[], backends: readonly RouteBackend[]): K8sObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: meta(name, namespace, labels),
    spec: {
      parentRefs: [{ name: gatewayName }],
      ...(hostnames.length > 0 ? { hostnames: [...hostnames] } : {}),
      rules: [{
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: backends.map((b) => ({ name: b.service, port: SERVICE_PORT, weight: b.weight })),
      }],
    },
  };
}

/** Secrets Store CSI driver class: which secret of the cloud's secret manager lands in which file. */
export function secretProviderClass(name: string, namespace: string, labels: Record<string, string>, provider: string,
  parameters: Record<string, string>): K8sObject {
  return {
    apiVersion: 'secrets-store.csi.x-k8s.io/v1',
    kind: 'SecretProviderClass',
    metadata: meta(name, namespace, labels),
    spec: { provider, parameters },
  };
}

/** A pod volume that mounts a SecretProviderClass read-only. */
export function csiSecretVolume(volumeName: string, secretProviderClassName: string): Record<string, unknown> {
  return {
    name: volumeName,
    csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: secretProviderClassName } },
  };
}
