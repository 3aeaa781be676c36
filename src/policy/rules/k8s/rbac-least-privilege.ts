import { asObject } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { blocks, strings } from '../../util';

/** AI-K8S-RBAC-1: no wildcard RBAC rules, no cluster-admin bindings. */
export const RbacLeastPrivilege = kubernetesRule({
  id: 'AI-K8S-RBAC-1',
  severity: 'error',
  title: 'RBAC without wildcards or cluster-admin',
  rationale: 'A "*" verb or resource, or a cluster-admin binding, gives a tenant admin or a workload the whole cluster.',
  remediation: 'List verbs and resources explicitly; bind tenant admins to the "ai-infra-tenant" ClusterRole (not the built-in "admin") with a RoleBinding in their namespace.',
  checkov: ['CKV_K8S_49', 'CKV_K8S_155', 'CKV_K8S_156', 'CKV_K8S_157', 'CKV_K8S_158'],
  kinds: ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  check(o) {
    if (o.kind.endsWith('Binding')) {
      return asObject(o.manifest.roleRef).name === 'cluster-admin' ? 'binds cluster-admin' : undefined;
    }
    const wild = blocks(o.manifest.rules).filter((r) => [...strings(r.verbs), ...strings(r.resources)].includes('*'));
    return wild.length ? `${wild.length} rule(s) with "*" verbs or resources` : undefined;
  },
});
