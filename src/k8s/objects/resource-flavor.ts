// Kueue `ResourceFlavor` (kueue.x-k8s.io/v1beta1), cluster-scoped.
import { K8sObject, objectMeta } from './object';
import { Taint, tolerationsOf } from './toleration';

/** The nodes of one pool: admitted workloads get its node labels and tolerate its taints. */
export function resourceFlavor(name: string, labels: Record<string, string>, nodeLabels: Record<string, string>, taints: readonly Taint[]): K8sObject {
  return {
    apiVersion: 'kueue.x-k8s.io/v1beta1',
    kind: 'ResourceFlavor',
    metadata: objectMeta(name, undefined, labels),
    spec: { nodeLabels: { ...nodeLabels }, tolerations: tolerationsOf(taints) },
  };
}
