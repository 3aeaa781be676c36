// `ResourceQuota` (v1).
import { K8sObject, objectMeta } from './object';

/** Caps what the namespace's objects may request in total (`hard`: resource name to quantity). */
export function resourceQuota(name: string, namespace: string, labels: Record<string, string>, hard: Record<string, string>): K8sObject {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: objectMeta(name, namespace, labels), spec: { hard } };
}
