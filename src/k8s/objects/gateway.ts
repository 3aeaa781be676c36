// Gateway API `Gateway` (gateway.networking.k8s.io/v1).
import { K8sObject, objectMeta } from './object';

export interface GatewayListener {
  readonly name: string;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly port: number;
  readonly hostname?: string;
  /** TLS from a Secret (cert-manager); omitted when the cloud attaches the certificate. */
  readonly tlsSecretName?: string;
}

export interface GatewayInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly gatewayClassName: string;
  readonly listeners: readonly GatewayListener[];
  readonly annotations?: Record<string, string>;
  readonly addresses?: readonly { type: string; value: string }[];
  readonly infrastructure?: Record<string, unknown>;
}

/** A Gateway whose listeners admit routes of its own namespace only. */
export function gateway(input: GatewayInput): K8sObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: objectMeta(input.name, input.namespace, input.labels, input.annotations),
    spec: {
      gatewayClassName: input.gatewayClassName,
      ...(input.infrastructure ? { infrastructure: input.infrastructure } : {}),
      ...(input.addresses && input.addresses.length > 0 ? { addresses: input.addresses.map((a) => ({ ...a })) } : {}),
      listeners: input.listeners.map((l) => ({
        name: l.name,
        protocol: l.protocol,
        port: l.port,
        ...(l.hostname ? { hostname: l.hostname } : {}),
        ...(l.protocol === 'HTTPS' && l.tlsSecretName
          ? { tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: l.tlsSecretName }] } }
          : {}),
        allowedRoutes: { namespaces: { from: 'Same' } },
      })),
    },
  };
}
