// KEDA HTTP add-on `InterceptorRoute` (http.keda.sh/v1beta1, add-on >= 0.14): how the add-on's interceptor routes a
// request to a Service, how long it holds it while the Service scales from zero, and where it goes after that.
import { K8sObject, objectMeta } from './object';

export interface InterceptorRouteInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The Service (in `namespace`) requests go to, and its port. */
  readonly service: string;
  readonly port: number;
  /** Requests carrying this header with this value match (the HTTPRoute sets it). */
  readonly header: { readonly name: string; readonly value: string };
  /** Concurrent requests per replica the add-on's scaler aims for. */
  readonly targetConcurrency: number;
  /** How long a request waits for a ready endpoint before it goes to the fallback, seconds. */
  readonly readinessTimeoutSeconds: number;
  /** Longest wait for the response headers once the request reached a replica, seconds. */
  readonly responseHeaderTimeoutSeconds: number;
  /** Total budget of a request (the wait plus the response), seconds. */
  readonly requestTimeoutSeconds: number;
  /** Where a request goes when the wait runs out (a Service in `namespace`). */
  readonly fallback: { readonly service: string; readonly port: number };
}

export function interceptorRoute(input: InterceptorRouteInput): K8sObject {
  return {
    apiVersion: 'http.keda.sh/v1beta1',
    kind: 'InterceptorRoute',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      target: { service: input.service, port: input.port },
      // Any host ("*"): the header, which the gateway's route sets and a client cannot override through it,
      // picks the route, so the gateway's address (unknown at synth for an internal endpoint) does not matter.
      rules: [{ hosts: ['*'], headers: [{ name: input.header.name, value: input.header.value }] }],
      scalingMetric: { concurrency: { targetValue: input.targetConcurrency } },
      timeouts: {
        readiness: `${input.readinessTimeoutSeconds}s`, responseHeader: `${input.responseHeaderTimeoutSeconds}s`, request: `${input.requestTimeoutSeconds}s`,
      },
      coldStart: { fallback: { service: { name: input.fallback.service, port: input.fallback.port } } },
    },
  };
}
