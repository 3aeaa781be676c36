// Gateway API `ReferenceGrant` (gateway.networking.k8s.io/v1beta1): lets HTTPRoutes of one namespace name a
// Service of another as a backend.
import { K8sObject, objectMeta } from './object';

/** In `namespace`: HTTPRoutes of `fromNamespace` may reference the Service `service` (one Service, not all). */
export function referenceGrant(name: string, namespace: string, labels: Record<string, string>, fromNamespace: string, service: string): K8sObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: objectMeta(name, namespace, labels),
    spec: {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: fromNamespace }],
      to: [{ group: '', kind: 'Service', name: service }],
    },
  };
}
