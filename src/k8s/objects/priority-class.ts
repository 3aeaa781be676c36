// `PriorityClass` (scheduling.k8s.io/v1), cluster-scoped.
import { K8sObject, objectMeta } from './object';

/** A non-default class whose pods may preempt lower-priority pods. */
export function priorityClass(name: string, labels: Record<string, string>, value: number, description: string): K8sObject {
  return {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: objectMeta(name, undefined, labels),
    value,
    globalDefault: false,
    preemptionPolicy: 'PreemptLowerPriority',
    description,
  };
}
