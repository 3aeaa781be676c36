// `RoleBinding` (rbac.authorization.k8s.io/v1).
import { K8sObject, objectMeta } from './object';
import { RBAC_API_GROUP, RbacSubject, rbacSubjects } from './rbac';

/** Grants a Role, or a ClusterRole's rules within this namespace only, to the subjects. */
export function roleBinding(name: string, namespace: string, labels: Record<string, string>,
  roleRef: { readonly kind: 'Role' | 'ClusterRole'; readonly name: string }, subjects: readonly RbacSubject[]): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: objectMeta(name, namespace, labels),
    roleRef: { apiGroup: RBAC_API_GROUP, kind: roleRef.kind, name: roleRef.name },
    subjects: rbacSubjects(subjects),
  };
}
