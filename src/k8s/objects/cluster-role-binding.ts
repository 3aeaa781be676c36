// `ClusterRoleBinding` (rbac.authorization.k8s.io/v1), cluster-scoped.
import { K8sObject, objectMeta } from './object';
import { RBAC_API_GROUP, RbacSubject, rbacSubjects } from './rbac';

/** Grants a ClusterRole's rules in every namespace to the subjects. */
export function clusterRoleBinding(name: string, labels: Record<string, string>, clusterRoleName: string, subjects: readonly RbacSubject[]): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: objectMeta(name, undefined, labels),
    subjects: rbacSubjects(subjects),
    roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: clusterRoleName },
  };
}
