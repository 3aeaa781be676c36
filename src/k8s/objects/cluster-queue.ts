// Kueue `ClusterQueue` (kueue.x-k8s.io/v1beta1), cluster-scoped.
import { K8sObject, objectMeta } from './object';

export interface FlavorQuota {
  /** ResourceFlavor name. */
  readonly name: string;
  /** Resource name to nominal quota, in `coveredResources` order. */
  readonly resources: readonly { readonly name: string; readonly nominalQuota: string }[];
}

export interface ClusterQueueInput {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** The one namespace whose LocalQueues may point at it. */
  readonly namespace: string;
  readonly cohort?: string;
  readonly coveredResources: readonly string[];
  /** One per flavor; none makes a queue that admits nothing. */
  readonly flavors: readonly FlavorQuota[];
}

/**
 * FIFO that lets a later small job start while a big one waits (BestEffortFIFO); a higher-priority workload
 * preempts a lower one of the same queue; borrowed quota is reclaimed from the cohort only when there is one.
 */
export function clusterQueue(input: ClusterQueueInput): K8sObject {
  return {
    apiVersion: 'kueue.x-k8s.io/v1beta1',
    kind: 'ClusterQueue',
    metadata: objectMeta(input.name, undefined, input.labels),
    spec: {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': input.namespace } },
      queueingStrategy: 'BestEffortFIFO',
      ...(input.cohort ? { cohort: input.cohort } : {}),
      preemption: { withinClusterQueue: 'LowerPriority', reclaimWithinCohort: input.cohort ? 'Any' : 'Never' },
      resourceGroups: input.flavors.length ? [{ coveredResources: input.coveredResources, flavors: input.flavors }] : [],
    },
  };
}
