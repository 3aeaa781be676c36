// `ClusterRole` (rbac.authorization.k8s.io/v1), cluster-scoped.
import { K8sObject, objectMeta } from './object';
import { PolicyRule } from './rbac';

/** Permissions a RoleBinding grants in its namespace, or a ClusterRoleBinding everywhere. */
export function clusterRole(name: string, labels: Record<string, string>, rules: readonly PolicyRule[]): K8sObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: objectMeta(name, undefined, labels), rules };
}
