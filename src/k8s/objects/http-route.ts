// Gateway API `HTTPRoute` (gateway.networking.k8s.io/v1).
import { K8sObject, objectMeta } from './object';

export interface RouteBackend {
  readonly service: string;
  /** The Service port. */
  readonly port: number;
  readonly weight: number;
}

/** Every path of `hostnames` on `gatewayName`, split between backends by weight. */
export function httpRoute(name: string, namespace: string, labels: Record<string, string>, gatewayName: string,
  hostnames: readonly string[], backends: readonly RouteBackend[]): K8sObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: objectMeta(name, namespace, labels),
    spec: {
      parentRefs: [{ name: gatewayName }],
      ...(hostnames.length > 0 ? { hostnames: [...hostnames] } : {}),
      rules: [{
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: backends.map((b) => ({ name: b.service, port: b.port, weight: b.weight })),
      }],
    },
  };
}
