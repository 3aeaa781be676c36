// Offline schema checks for the custom resources an endpoint renders that kubernetes-models has no
// models for (KEDA, Gateway API, Secrets Store CSI, GKE / AKS / AWS LBC gateway policies): the fields
// we use, their types and enums, and no unknown fields. Built-in kinds go through validateManifests.
import { K8sObject, validateManifests } from '../k8s/validate';
import { flaggerSchemaErrors } from './flagger-crds';

type Check = (spec: K8sObject, errors: string[], obj: K8sObject) => void;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PLACEHOLDER = /__AIINFRA_TF_PLACEHOLDER_\d+__/;

function only(obj: Record<string, unknown>, allowed: string[], at: string, errors: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) errors.push(`${at}/${k}: unknown field`);
}

function targetRef(ref: unknown, at: string, errors: string[], kinds = ['Service']): void {
  if (!isObj(ref)) return void errors.push(`${at} must be object`);
  only(ref, ['group', 'kind', 'name', 'namespace'], at, errors);
  if (ref.group !== '') errors.push(`${at}/group must be "" (core)`);
  if (!kinds.includes(String(ref.kind))) errors.push(`${at}/kind must be one of ${kinds.join(', ')}`);
  if (!isStr(ref.name) || !NAME.test(ref.name)) errors.push(`${at}/name must be a DNS label`);
}

const CHECKS: Record<string, Check> = {
  'keda.sh/v1alpha1/ScaledObject': (spec, errors) => {
    only(spec, ['scaleTargetRef', 'minReplicaCount', 'maxReplicaCount', 'pollingInterval', 'cooldownPeriod', 'idleReplicaCount', 'advanced', 'triggers', 'fallback', 'initialCooldownPeriod'], '/spec', errors);
    const t = spec.scaleTargetRef;
    if (!isObj(t) || !isStr(t.name) || (t.kind !== undefined && t.kind !== 'Deployment')) errors.push('/spec/scaleTargetRef needs name (kind Deployment)');
    for (const k of ['minReplicaCount', 'maxReplicaCount', 'pollingInterval', 'cooldownPeriod']) {
      if (spec[k] !== undefined && (!isInt(spec[k]) || spec[k] < 0)) errors.push(`/spec/${k} must be a non-negative integer`);
    }
    if (spec.minReplicaCount > spec.maxReplicaCount) errors.push('/spec/minReplicaCount > maxReplicaCount');
    if (spec.advanced !== undefined) {
      if (!isObj(spec.advanced)) errors.push('/spec/advanced must be object');
      else only(spec.advanced, ['horizontalPodAutoscalerConfig', 'restoreToOriginalReplicaCount', 'scalingModifiers'], '/spec/advanced', errors);
    }
    if (!Array.isArray(spec.triggers) || spec.triggers.length === 0) return void errors.push('/spec/triggers must be a non-empty array');
    spec.triggers.forEach((tr: K8sObject, i: number) => {
      const at = `/spec/triggers/${i}`;
      if (tr === null || typeof tr !== 'object') return void errors.push(`${at} must be object`);
      only(tr, ['type', 'name', 'metadata', 'metricType', 'authenticationRef', 'useCachedMetrics'], at, errors);
      if (!['prometheus', 'cron', 'cpu', 'memory', 'external-push'].includes(tr.type)) errors.push(`${at}/type unknown: ${tr.type}`);
      if (!isObj(tr.metadata)) return void errors.push(`${at}/metadata must be object`);
      for (const [k, v] of Object.entries(tr.metadata)) if (typeof v !== 'string') errors.push(`${at}/metadata/${k} must be a string`);
      const need: Record<string, string[]> = {
        prometheus: ['serverAddress', 'query', 'threshold'], cron: ['timezone', 'start', 'end', 'desiredReplicas'], cpu: ['value'], memory: ['value'],
        // The KEDA HTTP add-on's scaler: its address and the InterceptorRoute it reports on (add-on >= 0.14).
        'external-push': ['scalerAddress', 'interceptorRoute'],
      };
      for (const k of need[tr.type] ?? []) if (!isStr(tr.metadata[k])) errors.push(`${at}/metadata/${k} is required`);
      if ((tr.type === 'cpu' || tr.type === 'memory') && !['Utilization', 'AverageValue'].includes(tr.metricType)) errors.push(`${at}/metricType must be Utilization or AverageValue`);
      if (tr.type === 'prometheus' && Number.isNaN(Number(tr.metadata.threshold))) errors.push(`${at}/metadata/threshold must be numeric`);
    });
  },
  'gateway.networking.k8s.io/v1/GatewayClass': (spec, errors) => {
    only(spec, ['controllerName', 'parametersRef', 'description'], '/spec', errors);
    if (!isStr(spec.controllerName) || !spec.controllerName.includes('/')) errors.push('/spec/controllerName must be a domain-prefixed path');
  },
  'gateway.networking.k8s.io/v1/Gateway': (spec, errors) => {
    only(spec, ['gatewayClassName', 'listeners', 'addresses', 'infrastructure'], '/spec', errors);
    if (!isStr(spec.gatewayClassName)) errors.push('/spec/gatewayClassName is required');
    if (!Array.isArray(spec.listeners) || spec.listeners.length === 0 || spec.listeners.length > 64) return void errors.push('/spec/listeners: 1-64 required');
    spec.listeners.forEach((l: K8sObject, i: number) => {
      const at = `/spec/listeners/${i}`;
      only(l, ['name', 'hostname', 'port', 'protocol', 'tls', 'allowedRoutes'], at, errors);
      if (!isStr(l.name) || !NAME.test(l.name)) errors.push(`${at}/name must be a DNS label`);
      if (!isInt(l.port) || l.port < 1 || l.port > 65535) errors.push(`${at}/port must be 1-65535`);
      if (!['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP'].includes(l.protocol)) errors.push(`${at}/protocol invalid`);
      if (l.tls !== undefined) {
        if (l.protocol !== 'HTTPS' && l.protocol !== 'TLS') errors.push(`${at}/tls only on HTTPS/TLS listeners`);
        if (!['Terminate', 'Passthrough'].includes(l.tls.mode)) errors.push(`${at}/tls/mode invalid`);
      }
      if (l.protocol === 'HTTP' && l.tls !== undefined) errors.push(`${at}: HTTP listener with tls`);
    });
    if (spec.addresses !== undefined) {
      spec.addresses.forEach((a: K8sObject, i: number) => {
        if (!['IPAddress', 'Hostname', 'NamedAddress'].includes(a.type) || !isStr(a.value)) errors.push(`/spec/addresses/${i} invalid`);
      });
    }
    if (spec.infrastructure !== undefined) {
      only(spec.infrastructure, ['labels', 'annotations', 'parametersRef'], '/spec/infrastructure', errors);
      const p = spec.infrastructure.parametersRef;
      if (p !== undefined && (!isStr(p.group) || !isStr(p.kind) || !isStr(p.name))) errors.push('/spec/infrastructure/parametersRef needs group, kind, name');
    }
  },
  'gateway.networking.k8s.io/v1/HTTPRoute': (spec, errors) => {
    only(spec, ['parentRefs', 'hostnames', 'rules'], '/spec', errors);
    if (!Array.isArray(spec.parentRefs) || spec.parentRefs.length === 0) errors.push('/spec/parentRefs required');
    if (!Array.isArray(spec.rules) || spec.rules.length === 0) return void errors.push('/spec/rules required');
    spec.rules.forEach((r: K8sObject, i: number) => {
      only(r, ['name', 'matches', 'filters', 'backendRefs', 'timeouts'], `/spec/rules/${i}`, errors);
      (r.backendRefs ?? []).forEach((b: K8sObject, j: number) => {
        const at = `/spec/rules/${i}/backendRefs/${j}`;
        only(b, ['group', 'kind', 'name', 'namespace', 'port', 'weight', 'filters'], at, errors);
        if (!isStr(b.name)) errors.push(`${at}/name required`);
        if (!isInt(b.port)) errors.push(`${at}/port required for a Service`);
        if (b.weight !== undefined && (!isInt(b.weight) || b.weight < 0 || b.weight > 1_000_000)) errors.push(`${at}/weight must be 0-1000000`);
      });
    });
  },
  // Fields from the add-on's CRD (http-add-on v0.15.0 config/crd/bases/http.keda.sh_interceptorroutes.yaml); the
  // activator tests also validate against that CRD's schema itself.
  'http.keda.sh/v1beta1/InterceptorRoute': (spec, errors) => {
    only(spec, ['target', 'rules', 'scalingMetric', 'timeouts', 'coldStart'], '/spec', errors);
    const svc = (ref: unknown, at: string) => {
      if (!isObj(ref)) return void errors.push(`${at} must be object`);
      if (!isStr(ref.service ?? ref.name) || (ref.port === undefined) === (ref.portName === undefined)) errors.push(`${at} needs a Service and exactly one of port, portName`);
    };
    svc(spec.target, '/spec/target');
    if (!isObj(spec.scalingMetric) || !(isObj(spec.scalingMetric.concurrency) || isObj(spec.scalingMetric.requestRate))) errors.push('/spec/scalingMetric needs concurrency or requestRate');
    for (const [k, v] of Object.entries(spec.timeouts ?? {})) if (!/^\d+(ms|s|m|h)$/.test(String(v))) errors.push(`/spec/timeouts/${k} must be a Go duration`);
    if (spec.coldStart !== undefined) svc(spec.coldStart?.fallback?.service, '/spec/coldStart/fallback/service');
  },
  'gateway.networking.k8s.io/v1beta1/ReferenceGrant': (spec, errors) => {
    only(spec, ['from', 'to'], '/spec', errors);
    if (!Array.isArray(spec.from) || spec.from.length === 0 || !Array.isArray(spec.to) || spec.to.length === 0) errors.push('/spec/from and /spec/to must be non-empty');
    for (const f of spec.from ?? []) if (!isStr(f.kind) || !isStr(f.namespace) || typeof f.group !== 'string') errors.push('/spec/from needs group, kind, namespace');
  },
  'secrets-store.csi.x-k8s.io/v1/SecretProviderClass': (spec, errors) => {
    only(spec, ['provider', 'parameters', 'secretObjects'], '/spec', errors);
    if (!['aws', 'gcp', 'gke', 'azure', 'vault'].includes(spec.provider)) errors.push('/spec/provider unknown');
    if (!isObj(spec.parameters)) return void errors.push('/spec/parameters must be object');
    for (const [k, v] of Object.entries(spec.parameters)) if (typeof v !== 'string') errors.push(`/spec/parameters/${k} must be a string`);
  },
  'gateway.k8s.aws/v1beta1/LoadBalancerConfiguration': (spec, errors) => {
    only(spec, ['scheme', 'listenerConfigurations', 'loadBalancerAttributes', 'mergingMode', 'loadBalancerName', 'ipAddressType', 'tags',
      'sourceRanges', 'securityGroups', 'loadBalancerSubnets', 'loadBalancerSubnetsSelector'], '/spec', errors);
    if (!['internal', 'internet-facing'].includes(spec.scheme)) errors.push('/spec/scheme must be internal or internet-facing');
    (spec.listenerConfigurations ?? []).forEach((l: K8sObject, i: number) => {
      if (!/^(HTTP|HTTPS|TCP|UDP|TLS):\d+$/.test(l.protocolPort)) errors.push(`/spec/listenerConfigurations/${i}/protocolPort invalid`);
      only(l, ['protocolPort', 'defaultCertificate', 'certificates', 'sslPolicy', 'alpnPolicy', 'mutualAuthentication', 'listenerAttributes'], `/spec/listenerConfigurations/${i}`, errors);
    });
    (spec.loadBalancerAttributes ?? []).forEach((a: K8sObject, i: number) => {
      if (!isStr(a.key) || typeof a.value !== 'string') errors.push(`/spec/loadBalancerAttributes/${i} needs string key and value`);
    });
  },
  'gateway.k8s.aws/v1beta1/TargetGroupConfiguration': (spec, errors) => {
    only(spec, ['targetReference', 'defaultConfiguration', 'routeConfigurations'], '/spec', errors);
    if (!isObj(spec.targetReference) || !isStr(spec.targetReference.name)) errors.push('/spec/targetReference/name required');
    const d = spec.defaultConfiguration;
    if (d?.targetType !== undefined && !['ip', 'instance'].includes(d.targetType)) errors.push('/spec/defaultConfiguration/targetType invalid');
    const hc = d?.healthCheckConfig;
    if (hc !== undefined) {
      only(hc, ['healthyThresholdCount', 'healthCheckInterval', 'healthCheckPath', 'healthCheckPort', 'healthCheckProtocol', 'healthCheckTimeout', 'unhealthyThresholdCount', 'matcher'],
        '/spec/defaultConfiguration/healthCheckConfig', errors);
      if (hc.healthCheckProtocol !== undefined && !['http', 'https', 'tcp'].includes(hc.healthCheckProtocol)) errors.push('/spec/defaultConfiguration/healthCheckConfig/healthCheckProtocol must be http, https or tcp');
    }
  },
  'networking.gke.io/v1/HealthCheckPolicy': (spec, errors) => {
    only(spec, ['default', 'targetRef'], '/spec', errors);
    targetRef(spec.targetRef, '/spec/targetRef', errors);
    const c = spec.default?.config;
    if (!isObj(c) || !['HTTP', 'HTTPS', 'HTTP2', 'TCP', 'GRPC'].includes(String(c.type))) errors.push('/spec/default/config/type invalid');
  },
  'networking.gke.io/v1/GCPBackendPolicy': (spec, errors) => {
    only(spec, ['default', 'targetRef'], '/spec', errors);
    targetRef(spec.targetRef, '/spec/targetRef', errors);
    if (!isInt(spec.default?.timeoutSec) || spec.default.timeoutSec < 1 || spec.default.timeoutSec > 2_147_483_647) errors.push('/spec/default/timeoutSec invalid');
  },
  // Flagger's own CRDs (its Go module), not a hand-written subset.
  'flagger.app/v1beta1/Canary': (_spec, errors, obj) => errors.push(...flaggerSchemaErrors(obj)),
  'flagger.app/v1beta1/MetricTemplate': (_spec, errors, obj) => errors.push(...flaggerSchemaErrors(obj)),
  'alb.networking.azure.io/v1/HealthCheckPolicy': (spec, errors) => {
    only(spec, ['default', 'targetRef'], '/spec', errors);
    targetRef(spec.targetRef, '/spec/targetRef', errors);
    if (!isStr(spec.default?.http?.path)) errors.push('/spec/default/http/path required');
  },
};

/** Validates every object: built-in kinds against the Kubernetes schemas, CRDs with the checks above. */
export function validateAll(objects: readonly K8sObject[]): void {
  const builtin = objects.filter((o) => !CHECKS[`${o.apiVersion}/${o.kind}`]);
  validateManifests(builtin);
  const problems: string[] = [];
  for (const o of objects) {
    const check = CHECKS[`${o.apiVersion}/${o.kind}`];
    if (!check) continue;
    const errors: string[] = [];
    only(o, ['apiVersion', 'kind', 'metadata', 'spec'], '', errors);
    const name = o.metadata?.name;
    if (!isStr(name) || (!PLACEHOLDER.test(name) && !NAME.test(name))) errors.push('/metadata/name must be a DNS label');
    if (!isObj(o.spec)) errors.push('/spec must be object');
    else check(o.spec, errors, o);
    if (errors.length) problems.push(`${o.kind} ${name}: ${errors.join('; ')}`);
  }
  if (problems.length) throw new Error(`custom resources failed validation:\n  ${problems.join('\n  ')}`);
}
