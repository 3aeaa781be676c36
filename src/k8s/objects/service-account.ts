// `ServiceAccount` (v1).
import { K8sObject, objectMeta } from './object';

/** A service account that mounts no API token (workload identity comes from its annotations). */
export function serviceAccount(name: string, namespace: string, labels: Record<string, string>, annotations: Record<string, string>): K8sObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: objectMeta(name, namespace, labels, annotations), automountServiceAccountToken: false };
}
