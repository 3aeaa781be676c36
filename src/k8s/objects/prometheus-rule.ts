// Prometheus operator `PrometheusRule` (monitoring.coreos.com/v1).
import { K8sObject, objectMeta } from './object';

/** Recording and alerting rule groups the operator loads into Prometheus (groups in Prometheus's own format). */
export function prometheusRule(name: string, namespace: string, labels: Record<string, string>, groups: readonly unknown[]): K8sObject {
  return { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: objectMeta(name, namespace, labels), spec: { groups } };
}
