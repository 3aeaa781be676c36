// `ConfigMap` (v1).
import { K8sObject, objectMeta } from './object';

export interface ConfigMapInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** File name to content. */
  readonly data: Record<string, string>;
}

/** Files for a pod to mount (a program, a config, a dashboard). */
export function configMap(input: ConfigMapInput): K8sObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: objectMeta(input.name, input.namespace, input.labels, input.annotations), data: input.data };
}
