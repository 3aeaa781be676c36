// `Role` (rbac.authorization.k8s.io/v1).
import { K8sObject, objectMeta } from './object';
import { PolicyRule } from './rbac';

/** Permissions within one namespace. */
export function role(name: string, namespace: string, labels: Record<string, string>, rules: readonly PolicyRule[]): K8sObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: objectMeta(name, namespace, labels), rules };
}
