// The request-holding activator of a scale-to-zero endpoint: the KEDA HTTP add-on's interceptor (pinned chart,
// once per cluster) sits between the endpoint's gateway route and its Service. While no replica is ready it holds
// each request (and its in-flight count wakes the Deployment through the add-on's external scaler, a trigger of the
// endpoint's own ScaledObject); after the cold-start wait it hands the request to a tiny responder that answers
// 503 with Retry-After. The wait comes from the endpoint's documented cold start (README, Cold start).
import type { Construct } from 'constructs';
import { InvalidPropError } from '../core/errors';
import { stableHash } from '../core/hash';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../k8s/security';
import { interceptorRoute } from '../k8s/objects/interceptor-route';
import { podPeerPolicy } from '../k8s/objects/network-policy';
import { K8sObject, objectMeta } from '../k8s/objects/object';
import { podDisruptionBudget } from '../k8s/objects/pod-disruption-budget';
import { referenceGrant } from '../k8s/objects/reference-grant';
import type { KedaTrigger } from '../k8s/objects/scaled-object';
import { service } from '../k8s/objects/service';
import { serviceAccount } from '../k8s/objects/service-account';
import { KEDA_HTTP_ADDON_CHART } from './addons';
import type { BackendTarget } from './spi';
import type { InferenceRuntime } from './types';

/** Where the add-on runs (KEDA's namespace) and the names its chart gives its Services (`<chart>-<service>`). */
export const ACTIVATOR_NAMESPACE = KEDA_HTTP_ADDON_CHART.namespace;
export const INTERCEPTOR_PROXY_SERVICE = 'keda-add-ons-http-interceptor-proxy';
export const INTERCEPTOR_PROXY_PORT = 8080;
/** The interceptor's admin port: `/readyz` there is what the gateways' health checks probe (the proxy port answers 404 to unknown hosts). */
export const INTERCEPTOR_ADMIN_PORT = 9090;
/** The external scaler's gRPC port (chart values scaler.grpcPort): KEDA's operator calls it. */
export const EXTERNAL_SCALER_GRPC_PORT = 9090;
export const EXTERNAL_SCALER_ADDRESS = `keda-add-ons-http-external-scaler.${ACTIVATOR_NAMESPACE}:${EXTERNAL_SCALER_GRPC_PORT}`;
/** Labels of the chart's interceptor pods (the endpoint's NetworkPolicy admits these). */
export const INTERCEPTOR_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/component': 'interceptor', 'app.kubernetes.io/name': 'http-add-on' };
/** Where the interceptor serves Prometheus metrics (its OpenTelemetry exporter; the chart declares no container port for it). */
export const INTERCEPTOR_METRICS_PORT = 2223;
/**
 * Label of the endpoint pods behind an activator: the add-on namespace's policy lets the interceptor out to these
 * pods only (on the server port), not to every pod of the cluster.
 */
export const ACTIVATOR_BACKEND_POD_LABELS: Readonly<Record<string, string>> = { 'aiinfra.dev/activator': 'backend' };
/** Label of the 503 responders' pods: the interceptor's other egress (the responder port only). */
export const RESPONDER_POD_LABELS: Readonly<Record<string, string>> = { 'aiinfra.dev/role': 'cold-start-responder' };
/** The interceptor pods as a NetworkPolicy peer. */
export const INTERCEPTOR_PEER = { namespace: ACTIVATOR_NAMESPACE, podLabels: INTERCEPTOR_POD_LABELS };
/** Header the endpoint's HTTPRoute sets (overwriting a client's) and its InterceptorRoute matches: `<namespace>.<name>`. */
export const ROUTE_HEADER = 'x-aiinfra-endpoint';

/** The 503 responder: upstream nginx, unprivileged build (runs as any uid, writes only to /tmp), pinned by digest (multi-arch index). */
export const RESPONDER_IMAGE = 'nginxinc/nginx-unprivileged:1.29.4-alpine@sha256:a6c4f61f456b85b8fdf7ec7ab28cc3e299440e6fb4a9dea520e5fd8fd440025e';
export const RESPONDER_PORT = 8080;

/** Concurrent requests per replica the add-on's scaler aims for (vLLM batches dozens). @default */
export const DEFAULT_TARGET_CONCURRENCY = 32;

/**
 * Documented cold-start figures (README, Cold start), upper ends, seconds: a GPU node from zero per cloud, the image
 * pull, weights per second to the GPU (AWS/GCP stream with the Run:ai streamer; Azure copies first) and the engine's
 * start (vLLM profiling, CUDA graphs, torch.compile; the builtin server loads eagerly).
 */
export const COLD_START = {
  nodeScaleUpSeconds: { aws: 360, gcp: 360, azure: 480 } as Record<string, number>,
  imagePullSeconds: 180,
  weightsGiBPerSecond: { aws: 1, gcp: 1, azure: 0.5 } as Record<string, number>,
  engineStartSeconds: { vllm: 90, builtin: 30 } as Record<InferenceRuntime, number>,
};

/** A cold start's parts, seconds. */
export interface ColdStartEstimate {
  readonly nodeScaleUpSeconds: number;
  readonly imagePullSeconds: number;
  readonly loadSeconds: number;
  readonly totalSeconds: number;
}

/** The documented cold start of one replica of `weightsGiB` on `cloudKind`: node + pull + load. */
export function coldStartEstimate(cloudKind: string, runtime: InferenceRuntime, weightsGiB: number): ColdStartEstimate {
  const node = COLD_START.nodeScaleUpSeconds[cloudKind] ?? Math.max(...Object.values(COLD_START.nodeScaleUpSeconds));
  const rate = COLD_START.weightsGiBPerSecond[cloudKind] ?? 0.5;
  const load = Math.ceil(weightsGiB / rate) + COLD_START.engineStartSeconds[runtime];
  return { nodeScaleUpSeconds: node, imagePullSeconds: COLD_START.imagePullSeconds, loadSeconds: load, totalSeconds: node + COLD_START.imagePullSeconds + load };
}

/** What the activator does, after defaults. */
export interface ResolvedActivator {
  /** How long the interceptor holds a request for the first ready replica, seconds. */
  readonly waitSeconds: number;
  /** Retry-After of the 503 after the wait, seconds: what the estimate says is left, at least a minute. */
  readonly retryAfterSeconds: number;
  readonly targetConcurrency: number;
  readonly estimate: ColdStartEstimate;
}

/**
 * The wait: the user's `autoscaling.coldStartTimeoutSeconds`, else the estimate. A user's wait shorter than the pool's
 * node scale-up can never see a replica come up from zero: every request at zero would get the 503.
 */
/** The longest wait a user may set, seconds (and with the longest request, what the shared gateway timeouts cover). */
export const MAX_WAIT_SECONDS = 7200;

export function resolveActivator(scope: Construct, opts: { timeoutSeconds?: number; targetConcurrency?: number; estimate: ColdStartEstimate;
  pool: string; cloudKind: string; }): ResolvedActivator {
  const { estimate } = opts;
  const t = opts.timeoutSeconds;
  if (t !== undefined && (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_WAIT_SECONDS)) {
    throw new InvalidPropError(scope, 'autoscaling.coldStartTimeoutSeconds', t, `an integer number of seconds from 1 to ${MAX_WAIT_SECONDS}`);
  }
  if (t !== undefined && t < estimate.nodeScaleUpSeconds) {
    throw new InvalidPropError(scope, 'autoscaling.coldStartTimeoutSeconds', t,
      `at least ${estimate.nodeScaleUpSeconds} (the documented GPU node scale-up of pool ${opts.pool} on ${opts.cloudKind}; the whole cold start is about `
      + `${estimate.totalSeconds} s: node ${estimate.nodeScaleUpSeconds} + image pull ${estimate.imagePullSeconds} + load ${estimate.loadSeconds}). A shorter wait `
      + 'answers every request at zero with 503 before any replica can be ready; unset it to wait for the estimate');
  }
  const tc = opts.targetConcurrency;
  if (tc !== undefined && (typeof tc !== 'number' || !Number.isInteger(tc) || tc < 1 || tc > 10_000)) {
    throw new InvalidPropError(scope, 'autoscaling.targetConcurrency', tc, 'an integer from 1 to 10000');
  }
  const waitSeconds = t ?? estimate.totalSeconds;
  return {
    waitSeconds, retryAfterSeconds: Math.max(60, estimate.totalSeconds - waitSeconds), targetConcurrency: tc ?? DEFAULT_TARGET_CONCURRENCY, estimate,
  };
}

/** The ScaledObject trigger that wakes the Deployment on requests the interceptor holds (and scales on concurrency). */
export function httpAddonTrigger(routeName: string): KedaTrigger {
  return { type: 'external-push', name: 'http-requests', metadata: { scalerAddress: EXTERNAL_SCALER_ADDRESS, interceptorRoute: routeName } };
}

/** The interceptor's proxy Service as a gateway backend: health on the admin port, a timeout above wait + request. */
export function interceptorBackend(waitSeconds: number, requestTimeoutSeconds: number): BackendTarget {
  return { namespace: ACTIVATOR_NAMESPACE, healthPort: INTERCEPTOR_ADMIN_PORT, healthPath: '/readyz', requestTimeoutSeconds: waitSeconds + requestTimeoutSeconds };
}

/**
 * A PodMonitor of the interceptors (self-managed monitoring): held and in-flight requests per route, request counts and
 * durations, labelled by route name and namespace. `portNumber` (prometheus-operator >= 0.80; the pinned stack has 0.86).
 */
export function interceptorPodMonitor(labels: Record<string, string>): K8sObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: objectMeta('keda-add-ons-http-interceptor', ACTIVATOR_NAMESPACE, labels),
    spec: {
      selector: { matchLabels: { ...INTERCEPTOR_POD_LABELS } },
      namespaceSelector: { matchNames: [ACTIVATOR_NAMESPACE] },
      podMetricsEndpoints: [{ portNumber: INTERCEPTOR_METRICS_PORT, path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
    },
  };
}

/** The responder's nginx.conf: 503 + Retry-After (and a JSON body in the OpenAI error shape) for every request; /healthz 200. */
export function responderConfig(retryAfterSeconds: number, endpoint: string): string {
  const body = JSON.stringify({
    error: { message: `${endpoint} is starting from zero replicas; retry after ${retryAfterSeconds} s`, type: 'service_unavailable', code: 503 },
  }).replace(/'/g, '');
  return [
    'worker_processes 1;',
    'pid /tmp/nginx.pid;',
    // fd 2 itself (opening /dev/stderr fails where stderr is a socket).
    'error_log stderr warn;',
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    '  server_tokens off;',
    // The root filesystem is read-only: every temp path under the /tmp emptyDir.
    '  client_body_temp_path /tmp/client_body;',
    '  proxy_temp_path /tmp/proxy;',
    '  fastcgi_temp_path /tmp/fastcgi;',
    '  uwsgi_temp_path /tmp/uwsgi;',
    '  scgi_temp_path /tmp/scgi;',
    '  server {',
    `    listen ${RESPONDER_PORT};`,
    '    location = /healthz {',
    '      default_type text/plain;',
    '      return 200 "ok\\n";',
    '    }',
    '    location / {',
    '      default_type application/json;',
    // `always`: add_header skips error statuses (503) without it.
    `      add_header Retry-After ${retryAfterSeconds} always;`,
    `      return 503 '${body}\\n';`,
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** What the activator objects need from the endpoint. */
export interface ActivatorInput {
  readonly app: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The endpoint's Service and port the interceptor forwards to. */
  readonly servicePort: number;
  readonly requestTimeoutSeconds: number;
  readonly activator: ResolvedActivator;
}

/** Name of the 503 responder (Deployment, Service, ConfigMap) of an endpoint. */
export function responderName(app: string): string {
  return `${app}-cold-start`;
}

/**
 * The InterceptorRoute (endpoint Service, wait, fallback), the ReferenceGrant that lets the endpoint's HTTPRoute name the
 * interceptor's proxy in KEDA's namespace, and the 503 responder (ConfigMap, Deployment, Service, PodDisruptionBudget).
 */
export function activatorObjects(input: ActivatorInput): K8sObject[] {
  const { app, namespace, labels, activator } = input;
  const responder = responderName(app);
  const responderLabels = { ...labels, 'app.kubernetes.io/name': responder, ...RESPONDER_POD_LABELS };
  const responderSelector = { 'app.kubernetes.io/name': responder };
  const config = responderConfig(activator.retryAfterSeconds, `${namespace}/${app}`);
  return [
    interceptorRoute({
      name: app, namespace, labels, service: app, port: input.servicePort, header: { name: ROUTE_HEADER, value: routeHeaderValue(namespace, app) },
      targetConcurrency: activator.targetConcurrency, readinessTimeoutSeconds: activator.waitSeconds,
      responseHeaderTimeoutSeconds: input.requestTimeoutSeconds + 30,
      requestTimeoutSeconds: activator.waitSeconds + input.requestTimeoutSeconds + 30, fallback: { service: responder, port: 80 },
    }),
    // One grant per endpoint namespace and name: removing one endpoint never revokes another's.
    referenceGrant(grantName(namespace, app), ACTIVATOR_NAMESPACE, labels, namespace, INTERCEPTOR_PROXY_SERVICE),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: objectMeta(responder, namespace, responderLabels), data: { 'nginx.conf': config } },
    // Its own identity, no API token: the responder calls nothing.
    serviceAccount(responder, namespace, responderLabels, {}),
    responderDeployment(responder, namespace, responderLabels, responderSelector, config),
    service({ name: responder, namespace, labels: responderLabels, selector: responderSelector, type: 'ClusterIP', port: 80 }),
    podDisruptionBudget(responder, namespace, responderLabels, responderSelector),
    // Only the interceptor reaches the responder (the namespace denies everything else by default).
    podPeerPolicy(responder, namespace, responderLabels, responderSelector, RESPONDER_PORT, [INTERCEPTOR_PEER]),
  ];
}

/** `<namespace>-<name>`, or a hashed form past 63 characters (two endpoints never share a grant). */
function grantName(namespace: string, app: string): string {
  const plain = `${namespace}-${app}`;
  return plain.length <= 63 ? plain : `${plain.slice(0, 54).replace(/-+$/, '')}-${stableHash(plain).slice(0, 8)}`;
}

/** `<namespace>.<name>`: unique in the cluster, as the interceptor's routing table must be. */
export function routeHeaderValue(namespace: string, app: string): string {
  return `${namespace}.${app}`;
}

/** Two small nginx pods on the system nodes (no GPU toleration), restricted Pod Security, config hash on the pod. */
function responderDeployment(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>, config: string): K8sObject {
  const { createHash } = require('crypto') as typeof import('crypto');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(name, namespace, labels),
    spec: {
      replicas: 2,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector }, annotations: { 'aiinfra.dev/config-hash': createHash('sha256').update(config).digest('hex').slice(0, 16) } },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(),
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } }],
          containers: [{
            name: 'nginx',
            image: RESPONDER_IMAGE,
            imagePullPolicy: 'IfNotPresent',
            // nginx itself, not the image's entrypoint scripts (they rewrite /etc/nginx, read-only here).
            command: ['nginx', '-c', '/etc/aiinfra/nginx.conf', '-g', 'daemon off;'],
            ports: [{ name: 'http', containerPort: RESPONDER_PORT, protocol: 'TCP' }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
            // Liveness: nginx accepts connections (readiness checks it answers).
            livenessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 20 },
            resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [{ name: 'config', mountPath: '/etc/aiinfra', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [{ name: 'config', configMap: { name } }, { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
}
