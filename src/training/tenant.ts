import { Construct, IConstruct } from 'constructs';
import { Annotations, Aspects, IAspect } from 'cdktf';
import { apiObject, cdk8s } from '../k8s/cdk8s';
import { IGpuCluster } from '../core/cluster';
import { check, ErrorScope, InvalidPropError } from '../core/errors';
import { IWorkloadIdentity } from '../core/identity';
import { WorkloadIdentity } from '../core/workload-identity';
import { IModelStore } from '../core/model-store';
import { Gpu } from '../core/gpu';
import { KubernetesWorkload } from '../k8s/delivery';
import {
  addDefaultDenyNetworkPolicy, addDnsEgressNetworkPolicy, addEgressNetworkPolicy, addNamespace, addWorkloadIdentityEgressNetworkPolicy,
  MANAGED_BY_LABELS,
} from '../k8s/namespace';
import { checkDnsLabel, derivedDnsLabel, RESERVED_NAMESPACES, toDnsLabel } from '../k8s/names';
import { EFA_RESOURCE } from '../k8s/node-labels';
import { clusterQueue } from '../k8s/objects/cluster-queue';
import { containerLimitRange } from '../k8s/objects/limit-range';
import { localQueue } from '../k8s/objects/local-queue';
import { resourceFlavor } from '../k8s/objects/resource-flavor';
import { resourceQuota } from '../k8s/objects/resource-quota';
import { role } from '../k8s/objects/role';
import { roleBinding } from '../k8s/objects/role-binding';
import { serviceAccount } from '../k8s/objects/service-account';
import { contributeSummary } from '../summary';
import { TENANT_CLUSTER_ROLE, TENANT_SERVICE_ACCOUNTS_ANNOTATION, tenantAccess } from './tenant-access';

/** Label carried by a tenant's namespace and objects. */
export const TENANT_LABEL = 'ai-infra/tenant';

/** A team's slice of a cluster: what training jobs and endpoints need to land in it. */
export interface ITenant extends IConstruct {
  readonly cluster: IGpuCluster;
  /** The tenant's namespace. */
  readonly namespace: string;
  /** The Kueue LocalQueue of the namespace (jobs carry `kueue.x-k8s.io/queue-name: <queueName>`). */
  readonly queueName: string;
  /** Object-store prefix the tenant owns (ends with `/`). */
  readonly bucketPrefix: string;
  /** GPUs the tenant may use at once. */
  readonly gpuQuota: number;
  /** CPU cores the tenant may request (jobs larger than this are never admitted). @default - unknown */
  readonly cpuQuota?: number;
  /** Memory the tenant may request, GiB. @default - unknown */
  readonly memoryQuotaGiB?: number;
  /** The tenant's own identity (bound to the `tenant` ServiceAccount), grants limited to `bucketPrefix`. */
  readonly identity: IWorkloadIdentity;
  /** The release that creates the namespace, quota and queue: workloads of the tenant depend on it. */
  readonly workload: KubernetesWorkload;
  /** Throws InvalidPropError (on `scope`, `prop`) unless `prefix` lies inside the tenant's prefix. */
  checkPrefix(scope: ErrorScope, prop: string, prefix: string): void;
}

/** Who administers a tenant: an identity-provider group (default) or a user. */
export interface TenantAdmin {
  readonly kind: 'Group' | 'User';
  /** Group or user name as the cluster's authenticator reports it (Entra object id, IAM-mapped group, Google group). */
  readonly name: string;
}

export interface TenantProps {
  readonly cluster: IGpuCluster;
  /** Namespace (and queue) name. @default - the construct id as a DNS label */
  readonly namespace?: string;
  /** GPUs the tenant may request at once (`requests.nvidia.com/gpu`, and the Kueue nominal quota). */
  readonly gpuQuota: number;
  /**
   * CPU cores the tenant may request.
   * @default - the vCPUs that come with `gpuQuota` GPUs on the cluster's GPU machines (16 per GPU when unknown), plus 8
   */
  readonly cpuQuota?: number;
  /**
   * Memory the tenant may request, GiB.
   * @default - the memory that comes with `gpuQuota` GPUs on the cluster's GPU machines (128 GiB per GPU when unknown), plus 32
   */
  readonly memoryQuotaGiB?: number;
  /** Pods the namespace may hold. @default 200 */
  readonly maxPods?: number;
  /**
   * Services of type LoadBalancer the tenant may create (e.g. for its inference endpoints); 0 forbids them.
   * Node ports are allowed only as those need them (4 per load balancer).
   * @default 2
   */
  readonly maxLoadBalancers?: number;
  /** Object-store prefix the tenant owns: `team/` or `org/team/`. @default `<namespace>/` */
  readonly bucketPrefix?: string;
  /** A store the tenant identity may write under `bucketPrefix` (read and write). @default - none */
  readonly store?: IModelStore;
  /**
   * Admins bound to the `ai-infra-tenant` ClusterRole in the tenant's namespace only (strings are groups): workloads,
   * pods (as the tenant's workload ServiceAccounts only), services, configs, write-only secrets; no RBAC, NetworkPolicy,
   * quota or ServiceAccount changes. @default - none
   */
  readonly admins?: readonly (string | TenantAdmin)[];
  /** Kueue cohort the tenant's ClusterQueue joins, to borrow idle quota of other queues in it. @default - none (no borrowing) */
  readonly cohort?: string;
  /**
   * Monthly GPU budget of the tenant, USD: a MonitoringStack watching the tenant alerts when its GPU spend (GPUs of
   * its running pods, priced by pool and capacity type) runs over it. @default - no budget alerts
   */
  readonly monthlyBudgetUsd?: number;
}

const PREFIX = /^([a-z0-9][a-z0-9._-]*\/)+$/;
const registry = new WeakMap<IGpuCluster, Tenant[]>();


/** A tenant's props after validation. */
interface ResolvedTenant {
  readonly namespace: string;
  readonly bucketPrefix: string;
  readonly admins: readonly TenantAdmin[];
  /** The cluster's tenants made before this one. */
  readonly siblings: readonly Tenant[];
}

/** Validates every prop (names, quotas, prefix, admins, store) against the cluster and its other tenants. */
function resolveTenant(scope: IConstruct, id: string, props: TenantProps): ResolvedTenant {
  if (!props.cluster) throw new InvalidPropError(scope, 'cluster', props.cluster, 'an IGpuCluster');
  const namespace = props.namespace ?? derivedDnsLabel(scope, id, 40, 'namespace');
  checkDnsLabel(scope, 'namespace', namespace, 40);
  if (RESERVED_NAMESPACES.includes(namespace) || namespace.startsWith('kube-') || namespace === (props.cluster.addOnNamespace ?? 'gpu-system')) {
    throw new InvalidPropError(scope, 'namespace', namespace, `a namespace of its own, not ${RESERVED_NAMESPACES.join(', ')}, kube-* or the add-on namespace`);
  }
  check.integerInRange(scope, 'gpuQuota', props.gpuQuota, 0, 100_000);
  if (props.gpuQuota === undefined) throw new InvalidPropError(scope, 'gpuQuota', undefined, 'an integer >= 0 (GPUs the tenant may use at once)');
  const clusterGpus = props.cluster.gpuPools.reduce((n, p) => n + p.gpusPerNode * p.maxNodes, 0);
  if (props.gpuQuota > clusterGpus) {
    throw new InvalidPropError(scope, 'gpuQuota', props.gpuQuota,
      `at most the GPUs of the cluster's pools (${props.cluster.gpuPools.map((p) => `${p.name}: ${p.maxNodes} x ${p.gpusPerNode}`).join(', ') || 'none'} = ${clusterGpus})`);
  }
  check.numberInRange(scope, 'cpuQuota', props.cpuQuota, 1, 1_000_000);
  check.numberInRange(scope, 'memoryQuotaGiB', props.memoryQuotaGiB, 1, 100_000_000);
  check.integerInRange(scope, 'maxPods', props.maxPods, 1, 100_000);
  check.integerInRange(scope, 'maxLoadBalancers', props.maxLoadBalancers, 0, 100);
  const bucketPrefix = props.bucketPrefix ?? `${namespace}/`;
  check.matches(scope, 'bucketPrefix', bucketPrefix, PREFIX,
    "a prefix of lowercase path segments ending in '/', e.g. 'research/' or 'org/team/' (no leading '/', no '..')");
  if (props.cohort !== undefined) checkDnsLabel(scope, 'cohort', props.cohort);
  check.numberInRange(scope, 'monthlyBudgetUsd', props.monthlyBudgetUsd, 1, 1e9);
  const admins = (props.admins ?? []).map((a): TenantAdmin => (typeof a === 'string' ? { kind: 'Group', name: a } : a));
  admins.forEach((a, i) => {
    if (!a || (a.kind !== 'Group' && a.kind !== 'User') || typeof a.name !== 'string' || a.name.trim() === '' || a.name.startsWith('system:')) {
      throw new InvalidPropError(scope, `admins[${i}]`, a, "a group name, or { kind: 'Group' | 'User', name } (not a system: identity)");
    }
  });
  if (props.store && props.store.cloud.kind !== props.cluster.cloud.kind) {
    throw new InvalidPropError(scope, 'store', props.store.node.path,
      `a store on the cluster's cloud (${props.cluster.cloud.kind}): a ${props.cluster.cloud.kind} workload identity cannot be granted ${props.store.cloud.kind} storage`);
  }
  const version = props.cluster.kubernetesVersion;
  if (version !== undefined && /^1\.(\d+)$/.test(version) && Number(version.split('.')[1]) < 30) {
    throw new InvalidPropError(scope, 'cluster', `${props.cluster.node.path} (Kubernetes ${version})`,
      'a cluster on Kubernetes 1.30 or newer: tenants need ValidatingAdmissionPolicy (GA in 1.30) to hold pods to their own ServiceAccounts; set the cluster\'s kubernetesVersion');
  }
  const siblings = registry.get(props.cluster) ?? [];
  for (const other of siblings) {
    if (other.namespace === namespace) {
      throw new InvalidPropError(scope, 'namespace', namespace, `a namespace no other tenant of the cluster uses (${other.node.path} has it)`);
    }
    if (other.bucketPrefix.startsWith(bucketPrefix) || bucketPrefix.startsWith(other.bucketPrefix)) {
      throw new InvalidPropError(scope, 'bucketPrefix', bucketPrefix,
        `a prefix that neither contains nor lies inside another tenant's (${other.node.path} owns '${other.bucketPrefix}')`);
    }
  }
  return { namespace, bucketPrefix, admins, siblings };
}

/**
 * Quotas that together exceed the cluster are legal (deliberate oversubscription), so a warning, once, at the
 * tenant that crosses the line. Kueue admits by quota, not by free GPUs: admitted jobs then wait Pending. A
 * cohort does not help: borrowing lends idle nominal quota between queues; it adds no GPUs.
 */
function warnOversubscribedQuotas(scope: IConstruct, props: TenantProps, namespace: string, siblings: readonly Tenant[]): void {
  const clusterGpus = props.cluster.gpuPools.reduce((n, p) => n + p.gpusPerNode * p.maxNodes, 0);
  const before = siblings.reduce((n, t) => n + t.gpuQuota, 0);
  if (before <= clusterGpus && before + props.gpuQuota > clusterGpus) {
    const quotas = [...siblings.map((t) => `${t.namespace} ${t.gpuQuota}`), `${namespace} ${props.gpuQuota}`].join(', ');
    Annotations.of(scope).addWarning(`${scope.node.path}: the tenants' gpuQuota add up to ${before + props.gpuQuota} (${quotas}) but the cluster's pools `
      + `hold ${clusterGpus} GPUs: Kueue admits jobs by quota, so admitted jobs can wait Pending for GPUs that do not exist. A cohort does not `
      + 'change that (borrowing lends idle quota, it adds no GPUs). Lower the quotas or raise the pools\' maxNodes, unless you oversubscribe on purpose.');
  }
}

/**
 * A team on a shared GPU cluster (`cluster.addTenant('research', { gpuQuota: 16 })`): a namespace with the
 * restricted Pod Security Standard enforced; a ResourceQuota (GPUs, CPU, memory, pods) and a LimitRange;
 * default-deny NetworkPolicies with DNS, HTTPS (cloud API) and workload-identity credential egress only; a Kueue ClusterQueue limited to
 * the namespace and carrying the tenant's GPU quota, with a LocalQueue in the namespace; a workload identity
 * whose store grants are confined to the tenant's bucket prefix; and the tenant's admins bound to the
 * namespace only. Training jobs and endpoints given `tenant` land in its namespace and queue.
 */
export class Tenant extends Construct implements ITenant {
  /** True for a Tenant. */
  public static isTenant(x: unknown): x is Tenant {
    return x instanceof Tenant;
  }

  public readonly cluster: IGpuCluster;
  public readonly namespace: string;
  public readonly queueName: string;
  /** The ClusterQueue (cluster-scoped) backing the LocalQueue. */
  public readonly clusterQueueName: string;
  public readonly bucketPrefix: string;
  public readonly gpuQuota: number;
  public readonly cpuQuota: number;
  public readonly memoryQuotaGiB: number;
  /** Monthly GPU budget, USD (MonitoringStack budget alerts). */
  public readonly monthlyBudgetUsd?: number;
  public readonly identity: IWorkloadIdentity;
  /** The tenant's default ServiceAccount (bound to `identity`). */
  public readonly serviceAccountName = 'tenant';
  public readonly workload: KubernetesWorkload;
  /** Monitoring stacks watching this tenant (its cost, budget and queue). */
  private readonly watchers = new Set<IConstruct>();

  constructor(scope: Construct, id: string, props: TenantProps) {
    super(scope, id);
    const { namespace, bucketPrefix, admins, siblings } = resolveTenant(this, id, props);
    warnOversubscribedQuotas(this, props, namespace, siblings);
    registry.set(props.cluster, [...siblings, this]);
    this.cluster = props.cluster;
    this.namespace = namespace;
    this.queueName = namespace;
    this.clusterQueueName = `tenant-${namespace}`;
    this.bucketPrefix = bucketPrefix;
    this.gpuQuota = props.gpuQuota;
    this.monthlyBudgetUsd = props.monthlyBudgetUsd;
    if (props.monthlyBudgetUsd !== undefined) Aspects.of(this).add(new UnwatchedBudgetCheck(this, this.watchers));
    const share = hostSharePerGpu(props.cluster);
    this.cpuQuota = props.cpuQuota ?? Math.ceil(props.gpuQuota * share.vcpus) + 8;
    this.memoryQuotaGiB = props.memoryQuotaGiB ?? Math.ceil(props.gpuQuota * share.memoryGiB) + 32;

    this.identity = new WorkloadIdentity(this, 'Identity', {
      cloud: props.cluster.cloud,
      description: `Tenant ${namespace}: store access under ${bucketPrefix}`,
    });
    if (props.store) this.grantWrite(props.store);
    const saAnnotations = props.cluster.bindServiceAccount(this.identity, namespace, this.serviceAccountName);

    this.workload = new KubernetesWorkload(this, 'Resources', {
      cluster: props.cluster,
      namespace,
      // The chart creates the namespace, so Helm keeps the release record in the add-on namespace.
      releaseNamespace: props.cluster.addOnNamespace ?? 'kube-system',
      description: `Tenant ${namespace} (cdktf-ai-infra)`,
    });
    const chart = this.workload.chart;
    const labels = { ...MANAGED_BY_LABELS, [TENANT_LABEL]: namespace };
    const ns = addNamespace(chart, 'Namespace', { name: namespace, labels: { [TENANT_LABEL]: namespace } });
    // The ServiceAccounts pods of the namespace may run as (the admission policy of tenantAccess reads it): the
    // tenant's own, `default` (no identity) and every one this library's workloads create in the namespace.
    ns.metadata.addAnnotation(TENANT_SERVICE_ACCOUNTS_ANNOTATION, cdk8s().Lazy.any({ produce: () => this.workloadServiceAccounts().join(',') }));
    this.workload.addDependency(tenantAccess(props.cluster, TENANT_LABEL));
    this.renderQuotas(chart, props, labels);
    addDefaultDenyNetworkPolicy(chart, 'DefaultDeny', namespace);
    addDnsEgressNetworkPolicy(chart, 'Dns', namespace);
    addEgressNetworkPolicy(chart, 'CloudApis', { name: 'allow-cloud-api-egress', namespace, tcpPorts: [443] });
    addWorkloadIdentityEgressNetworkPolicy(chart, 'WorkloadIdentity', namespace, props.cluster.cloud);
    this.renderQueues(chart, props, labels);
    this.renderAccess(chart, labels, saAnnotations, admins);
    this.renderQueueVisibility(chart, labels, admins);
    contributeSummary(this, () => ({
      kind: 'tenant', path: this.node.path, cluster: this.cluster.node.path, namespace: this.namespace,
      gpuQuota: this.gpuQuota, cpuQuota: this.cpuQuota, memoryQuotaGiB: this.memoryQuotaGiB,
    }));
  }

  /** The namespace's ResourceQuota (GPUs, CPU, memory, objects) and LimitRange (container defaults). */
  private renderQuotas(chart: Construct, props: TenantProps, labels: Record<string, string>): void {
    const namespace = this.namespace;
    apiObject(chart, 'Quota', resourceQuota('tenant-quota', namespace, labels, {
      'requests.nvidia.com/gpu': String(this.gpuQuota),
      'requests.cpu': String(this.cpuQuota),
      'requests.memory': `${this.memoryQuotaGiB}Gi`,
      'limits.memory': `${this.memoryQuotaGiB}Gi`,
      pods: String(props.maxPods ?? 200),
      services: '50',
      'services.loadbalancers': String(props.maxLoadBalancers ?? 2),
      'services.nodeports': String(4 * (props.maxLoadBalancers ?? 2)),
      persistentvolumeclaims: '20',
    }));
    apiObject(chart, 'Limits', containerLimitRange('tenant-defaults', namespace, labels, {
      // GPUs default to 0: with a max and no default, the API server defaults every container's GPU limit (and
      // so its request) to the max, and a CPU-only pod (a drill, data prep, a notebook) would ask for 8 GPUs.
      defaultRequest: { cpu: '100m', memory: '256Mi', 'nvidia.com/gpu': '0' },
      default: { memory: '1Gi', 'nvidia.com/gpu': '0' },
      max: { 'nvidia.com/gpu': String(Math.max(1, Math.min(this.gpuQuota, maxGpusPerNode(props.cluster)))) },
    }));
  }

  /** Kueue: one flavor per GPU pool (nodes of the pool), a ClusterQueue only this namespace may use, its LocalQueue. */
  private renderQueues(chart: Construct, props: TenantProps, labels: Record<string, string>): void {
    const namespace = this.namespace;
    const flavors = props.cluster.gpuPools.map((pool) => {
      const name = toDnsLabel(`${namespace}-${pool.name}`, 63);
      apiObject(chart, `Flavor-${pool.name}`, resourceFlavor(name, labels, pool.nodeSelector, pool.taints));
      return { name, pool };
    });
    const covered = ['cpu', 'memory', 'nvidia.com/gpu'];
    const efa = props.cluster.gpuPools.some((p) => p.interconnect === 'efa');
    if (efa) covered.push(EFA_RESOURCE);
    apiObject(chart, 'ClusterQueue', clusterQueue({
      name: this.clusterQueueName, labels, namespace, cohort: props.cohort, coveredResources: covered,
      flavors: flavors.map(({ name, pool }) => ({
        name,
        resources: covered.map((resource) => ({
          name: resource,
          nominalQuota: resource === 'nvidia.com/gpu' ? String(Math.min(this.gpuQuota, pool.gpusPerNode * pool.maxNodes))
            : resource === 'cpu' ? String(this.cpuQuota)
              : resource === 'memory' ? `${this.memoryQuotaGiB}Gi`
                : String(32 * pool.maxNodes),
        })),
      })),
    }));
    apiObject(chart, 'LocalQueue', localQueue(this.queueName, namespace, labels, this.clusterQueueName));
  }

  /** The tenant's ServiceAccount (bound to its identity) and the admins' RoleBinding. */
  private renderAccess(chart: Construct, labels: Record<string, string>, saAnnotations: Record<string, string>, admins: readonly TenantAdmin[]): void {
    const namespace = this.namespace;
    apiObject(chart, 'ServiceAccount', serviceAccount(this.serviceAccountName, namespace, labels, saAnnotations));
    if (admins.length) {
      apiObject(chart, 'Admins', roleBinding('tenant-admins', namespace, labels, { kind: 'ClusterRole', name: TENANT_CLUSTER_ROLE }, admins));
    }
  }

  /**
   * Read access to the tenant's own queue, for `kubectl get --raw .../localqueues/<queue>/pendingworkloads`
   * (Kueue's visibility API: each pending job's position) and `kubectl get workloads`: a Role of its own (so it
   * composes with whatever role the admins hold), bound to the admins. Only the tenant's LocalQueue by name,
   * read-only; no ClusterQueue, cohort or other namespace.
   */
  private renderQueueVisibility(chart: Construct, labels: Record<string, string>, admins: readonly TenantAdmin[]): void {
    const namespace = this.namespace;
    apiObject(chart, 'QueueViewerRole', role('tenant-queue-viewer', namespace, labels, [
      { apiGroups: ['visibility.kueue.x-k8s.io'], resources: ['localqueues/pendingworkloads'], resourceNames: [this.queueName], verbs: ['get'] },
      { apiGroups: ['kueue.x-k8s.io'], resources: ['localqueues'], resourceNames: [this.queueName], verbs: ['get'] },
      { apiGroups: ['kueue.x-k8s.io'], resources: ['workloads'], verbs: ['get', 'list', 'watch'] },
    ]));
    if (admins.length) {
      apiObject(chart, 'QueueViewers', roleBinding('tenant-queue-viewers', namespace, labels, { kind: 'Role', name: 'tenant-queue-viewer' }, admins));
    }
  }

  /**
   * The ServiceAccounts pods of the namespace may run as, sorted: `default`, the tenant's own, and those of every
   * workload of the cluster (training jobs, endpoints, drills: any stack of the app) in the namespace.
   */
  public workloadServiceAccounts(): string[] {
    const names = new Set(['default', this.serviceAccountName]);
    const { ApiObject } = cdk8s();
    for (const w of KubernetesWorkload.allIn(this.node.root)) {
      if (w.cluster !== this.cluster) continue;
      for (const c of w.chart.node.findAll()) {
        if (ApiObject.isApiObject(c) && c.kind === 'ServiceAccount' && (c.metadata.namespace ?? w.namespace) === this.namespace) names.add(c.name);
      }
    }
    return [...names].sort();
  }

  /** Called by a MonitoringStack that watches the tenant (its budget then has alerts). */
  public onWatched(monitoring: IConstruct): void {
    this.watchers.add(monitoring);
  }

  /** Throws InvalidPropError unless `prefix` lies inside this tenant's bucket prefix. */
  public checkPrefix(scope: ErrorScope, prop: string, prefix: string): void {
    if (typeof prefix !== 'string' || !prefix.startsWith(this.bucketPrefix) || prefix.split('/').includes('..')) {
      throw new InvalidPropError(scope, prop, prefix, `a prefix inside tenant ${this.namespace}'s '${this.bucketPrefix}' (a tenant cannot be granted another tenant's objects)`);
    }
  }

  /** Lets the tenant identity read objects under `bucketPrefix + subPrefix` of `store`. */
  public grantRead(store: IModelStore, subPrefix = ''): void {
    const prefix = this.scopedPrefix(subPrefix);
    store.grantRead(this.identity, prefix);
  }

  /** Lets the tenant identity read, write and delete objects under `bucketPrefix + subPrefix` of `store`. */
  public grantWrite(store: IModelStore, subPrefix = ''): void {
    const prefix = this.scopedPrefix(subPrefix);
    store.grantWrite(this.identity, prefix);
  }

  private scopedPrefix(subPrefix: string): string {
    const prefix = `${this.bucketPrefix}${subPrefix.replace(/^\/+/, '')}`;
    this.checkPrefix(this, 'prefix', prefix);
    return prefix;
  }
}

/** vCPUs and memory (GiB) that come with one GPU on the cluster's GPU machines (the largest share of any pool). */
export function hostSharePerGpu(cluster: IGpuCluster): { vcpus: number; memoryGiB: number } {
  let vcpus = 0;
  let memoryGiB = 0;
  for (const pool of cluster.gpuPools) {
    const machine = pool.machineType ? Gpu.fromId(pool.gpu)?.machineByName(cluster.cloud.kind, pool.machineType) : undefined;
    vcpus = Math.max(vcpus, machine ? machine.vcpus / pool.gpusPerNode : 16);
    memoryGiB = Math.max(memoryGiB, machine ? machine.memoryGiB / pool.gpusPerNode : 128);
  }
  return { vcpus: vcpus || 16, memoryGiB: memoryGiB || 128 };
}

function maxGpusPerNode(cluster: IGpuCluster): number {
  return cluster.gpuPools.reduce((m, p) => Math.max(m, p.gpusPerNode), 0);
}

/** A budget nobody alerts on is silence: warn at synth when no MonitoringStack watches a tenant with a budget. */
class UnwatchedBudgetCheck implements IAspect {
  private done = false;
  constructor(private readonly tenant: Tenant, private readonly watchers: ReadonlySet<IConstruct>) {}
  public visit(node: IConstruct): void {
    if (node !== this.tenant || this.done) return;
    this.done = true;
    if (this.watchers.size > 0) return;
    Annotations.of(this.tenant).addWarning(`${this.tenant.node.path}: monthlyBudgetUsd ${this.tenant.monthlyBudgetUsd} is set but no MonitoringStack watches `
      + 'the tenant, so nothing alerts on it: call monitoring.watch(tenant).');
  }
}
