// `Namespace` (v1), cluster-scoped. (Named `namespaceObject`: `namespace` is every builder's parameter.)
import { K8sObject, objectMeta } from './object';

/** A namespace; its labels carry the Pod Security levels (see ../security.ts). */
export function namespaceObject(name: string, labels: Record<string, string>, annotations?: Record<string, string>): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: objectMeta(name, undefined, labels, annotations) };
}
