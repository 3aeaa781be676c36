// `LimitRange` (v1).
import { K8sObject, objectMeta } from './object';

export interface ContainerLimits {
  /** Requests of a container that sets none. */
  readonly defaultRequest: Record<string, string>;
  /** Limits of a container that sets none. */
  readonly default: Record<string, string>;
  readonly max: Record<string, string>;
}

/** Per-container defaults and maximums of the namespace. */
export function containerLimitRange(name: string, namespace: string, labels: Record<string, string>, limits: ContainerLimits): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: objectMeta(name, namespace, labels),
    spec: { limits: [{ type: 'Container', defaultRequest: limits.defaultRequest, default: limits.default, max: limits.max }] },
  };
}
