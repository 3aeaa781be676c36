// Gateway API `HTTPRoute` (gateway.networking.k8s.io/v1).
import { K8sObject, objectMeta } from './object';

export interface RouteBackend {
  readonly service: string;
  /** The Service port. */
  readonly port: number;
  readonly weight: number;
  /** The Service's namespace, when not the route's (the target namespace needs a ReferenceGrant). @default - the route's */
  readonly namespace?: string;
}

/** A request header the route sets (overwriting a client's value) before it forwards. */
export interface RouteHeader {
  readonly name: string;
  readonly value: string;
}

/** Every path of `hostnames` on `gatewayName`, split between backends by weight. */
export function httpRoute(name: string, namespace: string, labels: Record<string, string>, gatewayName: string,
  hostnames: readonly string[], backends: readonly RouteBackend[], setHeaders: readonly RouteHeader[] = []): K8sObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: objectMeta(name, namespace, labels),
    spec: {
      parentRefs: [{ name: gatewayName }],
      ...(hostnames.length > 0 ? { hostnames: [...hostnames] } : {}),
      rules: [{
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        ...(setHeaders.length > 0
          ? { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: setHeaders.map((h) => ({ name: h.name, value: h.value })) } }] }
          : {}),
        backendRefs: backends.map((b) => ({ name: b.service, ...(b.namespace ? { namespace: b.namespace } : {}), port: b.port, weight: b.weight })),
      }],
    },
  };
}
