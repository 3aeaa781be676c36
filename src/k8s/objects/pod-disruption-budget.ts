// `PodDisruptionBudget` (policy/v1).
import { K8sObject, objectMeta } from './object';

/** One pod at a time may be evicted; a stuck (unready) pod never blocks a node drain. */
export function podDisruptionBudget(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>): K8sObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(name, namespace, labels),
    spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: selector } },
  };
}
