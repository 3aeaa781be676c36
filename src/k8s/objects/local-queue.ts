// Kueue `LocalQueue` (kueue.x-k8s.io/v1beta1).
import { K8sObject, objectMeta } from './object';

/** The queue a namespace's jobs name (`kueue.x-k8s.io/queue-name`), feeding one ClusterQueue. */
export function localQueue(name: string, namespace: string, labels: Record<string, string>, clusterQueueName: string): K8sObject {
  return { apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'LocalQueue', metadata: objectMeta(name, namespace, labels), spec: { clusterQueue: clusterQueueName } };
}
