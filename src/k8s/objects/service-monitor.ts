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
