// Prometheus operator `ServiceMonitor` (monitoring.coreos.com/v1).
import { K8sObject, objectMeta } from './object';

/** Scrapes `/metrics` on the `http` port of the selected Services of `namespace`, with their track label. */
export function serviceMonitor(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>): K8sObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: objectMeta(name, namespace, labels),
    spec: {
      selector: { matchLabels: selector },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }],
      targetLabels: ['aiinfra.dev/track'],
    },
  };
}

export interface ServiceMonitorInput {
  readonly name: string;
  /** Where the monitor lives (the collector's namespace). */
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Namespace of the Services it scrapes. */
  readonly targetNamespace: string;
  readonly selector: Record<string, string>;
  /** `endpoints[]` entries (port, scheme, path, interval, TLS and token settings). */
  readonly endpoints: readonly Record<string, unknown>[];
}

/** Scrapes the endpoints of the selected Services of another namespace. */
export function serviceMonitorOf(input: ServiceMonitorInput): K8sObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      namespaceSelector: { matchNames: [input.targetNamespace] },
      selector: { matchLabels: { ...input.selector } },
      endpoints: input.endpoints,
    },
  };
}
