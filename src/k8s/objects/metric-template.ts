// Flagger `MetricTemplate` (flagger.app/v1beta1): one PromQL query of a canary analysis.
import { K8sObject, objectMeta } from './object';

export function prometheusMetricTemplate(name: string, namespace: string, labels: Record<string, string>, address: string, query: string): K8sObject {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'MetricTemplate',
    metadata: objectMeta(name, namespace, labels),
    spec: { provider: { type: 'prometheus', address }, query },
  };
}
