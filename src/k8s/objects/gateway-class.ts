// Gateway API `GatewayClass` (gateway.networking.k8s.io/v1), cluster-scoped.
import { K8sObject, objectMeta } from './object';

/** The class Gateways name to be programmed by one controller (a cloud's load balancer controller). */
export function gatewayClass(name: string, labels: Record<string, string>, controllerName: string): K8sObject {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: objectMeta(name, undefined, labels), spec: { controllerName } };
}
