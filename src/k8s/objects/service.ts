// `Service` (v1).
import { K8sObject, objectMeta } from './object';

export interface ServiceInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly type: 'ClusterIP' | 'LoadBalancer';
  readonly annotations?: Record<string, string>;
  /** Port the Service listens on. @default 80 */
  readonly port?: number;
  readonly loadBalancerClass?: string;
}

/** One `http` port to the pods' `http` port; a LoadBalancer keeps client source addresses (Local). */
export function service(input: ServiceInput): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(input.name, input.namespace, input.labels, input.annotations),
    spec: {
      type: input.type,
      ...(input.loadBalancerClass ? { loadBalancerClass: input.loadBalancerClass } : {}),
      selector: input.selector,
      ports: [{ name: 'http', port: input.port ?? 80, targetPort: 'http', protocol: 'TCP' }],
      ...(input.type === 'LoadBalancer' ? { externalTrafficPolicy: 'Local' } : {}),
    },
  };
}

export interface HeadlessServiceInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  /** The one TCP port, by name. */
  readonly port: { readonly name: string; readonly port: number };
}

/**
 * DNS names for the selected pods themselves (no virtual IP), published before they are ready: peers that
 * rendezvous at start-up must find each other before any of them can pass a readiness check.
 */
export function headlessService(input: HeadlessServiceInput): K8sObject {
  const { name, port } = input.port;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: input.selector,
      ports: [{ name, port, targetPort: port, protocol: 'TCP' }],
    },
  };
}
