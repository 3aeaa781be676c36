// Prometheus operator `PodMonitor` (monitoring.coreos.com/v1), or a managed collector's twin of it that reads
// the same fields under another `apiVersion`.
import { K8sObject, objectMeta } from './object';

export interface PodMonitorInput {
  readonly name: string;
  /** Where the monitor lives (the collector's namespace). */
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Namespace of the pods it scrapes. */
  readonly targetNamespace: string;
  readonly podSelector: Record<string, string>;
  /** `podMetricsEndpoints[]` entries (port, path, interval, relabelings). */
  readonly endpoints: readonly Record<string, unknown>[];
  /** @default 'monitoring.coreos.com/v1' */
  readonly apiVersion?: string;
}

/** Scrapes the selected pods of one namespace directly (no Service needed). */
export function podMonitor(input: PodMonitorInput): K8sObject {
  return {
    apiVersion: input.apiVersion ?? 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      selector: { matchLabels: { ...input.podSelector } },
      namespaceSelector: { matchNames: [input.targetNamespace] },
      podMetricsEndpoints: input.endpoints,
    },
  };
}
