import { Construct } from 'constructs';
import type { ApiObjectProps } from 'cdk8s';
import { IGpuCluster } from '../core/cluster';
import { apiObject } from '../k8s/cdk8s';
import { KubernetesWorkload } from '../k8s/delivery';
import { MANAGED_BY_LABELS } from '../k8s/namespace';
import { clusterRole } from '../k8s/objects/cluster-role';
import { validatingAdmissionPolicy } from '../k8s/objects/validating-admission-policy';

/** The ClusterRole tenant admins are bound to (by a RoleBinding in their namespace only). */
export const TENANT_CLUSTER_ROLE = 'ai-infra-tenant';
/** The ValidatingAdmissionPolicy (and its binding) that limits the ServiceAccounts of pods in tenant namespaces. */
export const TENANT_SERVICE_ACCOUNT_POLICY = 'ai-infra-tenant-service-accounts';
/**
 * Namespace annotation listing (comma-separated) the ServiceAccounts pods of a tenant namespace may run as. On the
 * Namespace, which tenant admins cannot edit (the role grants nothing on namespaces).
 */
export const TENANT_SERVICE_ACCOUNTS_ANNOTATION = 'ai-infra/service-accounts';

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * What a tenant admin may do in the tenant's namespace. Compared with the built-in `admin` ClusterRole it leaves out:
 * - RBAC writes (roles, rolebindings: no create/update/bind/escalate), so no grant beyond this role;
 * - writes to NetworkPolicies, ResourceQuotas, LimitRanges (the isolation and the quota are the platform's);
 * - ServiceAccounts writes, `serviceaccounts/token` and `impersonate`: a token of a workload's ServiceAccount is
 *   that workload's cloud identity (IRSA, GKE and AKS workload identity exchange it outside the cluster);
 * - reading Secrets (write-only: a tenant supplies its own; what the platform put there stays unread through the API);
 * - DaemonSets (a pod on every node of every tenant), Endpoints/EndpointSlices writes (traffic hijack), Kueue writes.
 * Pods may be created, but only with the namespace's own workload ServiceAccounts: RBAC cannot look at
 * `serviceAccountName`, the ValidatingAdmissionPolicy below does.
 */
export const TENANT_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'services', 'configmaps', 'persistentvolumeclaims'], verbs: [...READ, ...WRITE] },
  { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward', 'pods/eviction'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update', 'patch', 'delete'] },
  {
    apiGroups: [''],
    resources: ['pods/log', 'pods/status', 'services/status', 'persistentvolumeclaims/status', 'endpoints', 'events',
      'serviceaccounts', 'resourcequotas', 'limitranges'],
    verbs: READ,
  },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['apps'], resources: ['replicasets', 'controllerrevisions', 'deployments/status', 'statefulsets/status'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['batch'], resources: ['jobs/status', 'cronjobs/status'], verbs: READ },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: READ },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: READ },
  { apiGroups: ['kueue.x-k8s.io'], resources: ['localqueues', 'workloads'], verbs: READ },
  { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: READ },
];

/** The ClusterRole object (no namespace: bound per namespace by each tenant's RoleBinding). */
export function tenantClusterRole(): ApiObjectProps {
  return clusterRole(TENANT_CLUSTER_ROLE, { ...MANAGED_BY_LABELS }, TENANT_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })));
}

/**
 * Pods created in a namespace labelled `ai-infra/tenant` (by anyone: a tenant admin directly, or a Job or
 * Deployment controller for them) must run as a ServiceAccount the namespace's annotation lists. A namespace
 * without the annotation admits no pod (fail closed), and an error in the policy denies too (failurePolicy Fail).
 */
export function tenantServiceAccountPolicy(tenantLabel: string): ApiObjectProps[] {
  const annotations = 'namespaceObject.metadata.annotations';
  return validatingAdmissionPolicy({
    name: TENANT_SERVICE_ACCOUNT_POLICY,
    labels: { ...MANAGED_BY_LABELS },
    resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
    variables: [
      { name: 'serviceAccount', expression: "has(object.spec.serviceAccountName) ? object.spec.serviceAccountName : 'default'" },
      {
        name: 'allowed',
        expression: `has(${annotations}) && '${TENANT_SERVICE_ACCOUNTS_ANNOTATION}' in ${annotations}`
          + ` ? ${annotations}['${TENANT_SERVICE_ACCOUNTS_ANNOTATION}'].split(',') : []`,
      },
    ],
    validations: [{
      expression: 'variables.serviceAccount in variables.allowed',
      messageExpression: "'pods in tenant namespace ' + namespaceObject.metadata.name + ' run only as the workload ServiceAccounts'"
        + " + ' of the tenant (' + variables.allowed.join(', ') + '), not ' + variables.serviceAccount",
      reason: 'Forbidden',
    }],
    namespaceSelector: { matchExpressions: [{ key: tenantLabel, operator: 'Exists' }] },
  });
}

/**
 * The one release per cluster with the cluster-wide objects every tenant shares: the `ai-infra-tenant`
 * ClusterRole and the ServiceAccount admission policy. Made on the first tenant, as a child of the cluster
 * construct (two clusters never share it); each tenant's release depends on it.
 */
export function tenantAccess(cluster: IGpuCluster, tenantLabel: string): KubernetesWorkload {
  const id = 'TenantAccess';
  const existing = cluster.node.tryFindChild(id);
  if (existing) return existing as KubernetesWorkload;
  const namespace = cluster.addOnNamespace ?? 'kube-system';
  const workload = new KubernetesWorkload(cluster as unknown as Construct, id, {
    cluster,
    namespace,
    description: 'Tenant RBAC role and ServiceAccount admission policy (cdktf-ai-infra)',
  });
  apiObject(workload.chart, 'Role', tenantClusterRole());
  tenantServiceAccountPolicy(tenantLabel).forEach((o, i) => apiObject(workload.chart, i === 0 ? 'Policy' : 'PolicyBinding', o));
  return workload;
}
