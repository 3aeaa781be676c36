// RBAC parts shared by the `Role`, `ClusterRole`, `RoleBinding` and `ClusterRoleBinding` builders.

export const RBAC_API_GROUP = 'rbac.authorization.k8s.io';

/** One rule: verbs on resources of API groups (optionally only the named objects), or on non-resource URLs. */
export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
  readonly verbs: readonly string[];
}

/** Who a binding grants to: a group or a user of the API server's authenticator. */
export interface RbacSubject {
  readonly kind: 'Group' | 'User';
  readonly name: string;
}

export function rbacSubjects(subjects: readonly RbacSubject[]): Record<string, string>[] {
  return subjects.map((s) => ({ apiGroup: RBAC_API_GROUP, kind: s.kind, name: s.name }));
}
