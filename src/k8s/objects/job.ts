// `Job` (batch/v1).
import { K8sObject, objectMeta } from './object';

export interface JobInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The Job's spec, pod template included (its fields differ per workload). */
  readonly spec: Record<string, unknown>;
}

/** A run-to-completion workload. Its pod template is immutable: a changed spec needs a new name. */
export function job(input: JobInput): K8sObject {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: objectMeta(input.name, input.namespace, input.labels), spec: input.spec };
}
