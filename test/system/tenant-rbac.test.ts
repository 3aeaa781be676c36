// Tenant isolation proven by the real authorizer (issue 21): the objects a platform ships (the tenant ClusterRole,
// the tenants' namespaces, RoleBindings and ServiceAccounts, the ServiceAccount admission policy) are applied to a
// real kube-apiserver, and `kubectl auth can-i --as <tenant admin> --as-group <group> -n <ns>` answers a matrix of
// verbs x resources x tenants; server-side dry-run pod creates show which ServiceAccounts a tenant's pods may use.
// Fixtures make each check fail: a namespace whose admins hold the rules of the built-in `admin` role (what tenants had)
// answers yes to the denied cells, and a namespace outside the policy admits any ServiceAccount.
import { TerraformStack, Testing } from 'cdktf';
import { Cloud, Gpu, GpuTrainingCluster } from '../../src';
import { KubernetesWorkload } from '../../src/k8s/delivery';
import { TrainingJob } from '../../src/training/training-job';
import { ApiServer, startApiServer } from './kube-apiserver';

type Cell = readonly [verb: string, resource: string];

/** What a tenant admin does in the tenant's own namespace. */
const ALLOWED_IN_OWN: readonly Cell[] = [
  ['create', 'pods'], ['delete', 'pods'], ['get', 'pods/log'], ['create', 'pods/exec'], ['create', 'pods/portforward'],
  ['create', 'deployments.apps'], ['patch', 'deployments.apps/scale'], ['create', 'statefulsets.apps'],
  ['create', 'jobs.batch'], ['delete', 'cronjobs.batch'], ['create', 'services'], ['update', 'configmaps'],
  ['create', 'persistentvolumeclaims'], ['create', 'horizontalpodautoscalers.autoscaling'], ['create', 'poddisruptionbudgets.policy'],
  ['create', 'secrets'], ['update', 'secrets'], ['list', 'events'], ['list', 'networkpolicies.networking.k8s.io'],
  ['get', 'resourcequotas'], ['get', 'limitranges'], ['list', 'rolebindings.rbac.authorization.k8s.io'], ['list', 'serviceaccounts'],
];

/** What no tenant admin does anywhere: escalate, loosen its own isolation or quota, take another identity, read secrets. */
const DENIED_EVERYWHERE: readonly Cell[] = [
  ['create', 'rolebindings.rbac.authorization.k8s.io'], ['update', 'rolebindings.rbac.authorization.k8s.io'],
  ['create', 'roles.rbac.authorization.k8s.io'], ['escalate', 'roles.rbac.authorization.k8s.io'],
  ['bind', 'clusterroles.rbac.authorization.k8s.io'], ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
  ['delete', 'networkpolicies.networking.k8s.io'], ['create', 'networkpolicies.networking.k8s.io'], ['patch', 'networkpolicies.networking.k8s.io'],
  ['update', 'resourcequotas'], ['delete', 'resourcequotas'], ['patch', 'limitranges'], ['delete', 'limitranges'],
  ['create', 'serviceaccounts'], ['patch', 'serviceaccounts'], ['create', 'serviceaccounts/token'], ['impersonate', 'serviceaccounts'],
  ['impersonate', 'users'], ['impersonate', 'groups'],
  ['get', 'secrets'], ['list', 'secrets'], ['watch', 'secrets'],
  ['patch', 'namespaces'], ['delete', 'namespaces'], ['create', 'daemonsets.apps'], ['create', 'endpoints'],
  ['update', 'localqueues.kueue.x-k8s.io'], ['create', 'validatingadmissionpolicybindings.admissionregistration.k8s.io'],
  ['list', 'nodes'],
];

interface Admin { readonly user: string; readonly groups: readonly string[]; readonly namespace: string }
const RESEARCH: Admin = { user: 'alice@acme.com', groups: ['research-admins'], namespace: 'research' };
const VISION: Admin = { user: 'vic@acme.com', groups: [], namespace: 'vision' };
/** The fixture: a namespace bound the way tenants were before, to the built-in `admin` ClusterRole. */
const LEGACY: Admin = { user: 'lee@acme.com', groups: ['legacy-admins'], namespace: 'legacy' };

/** The objects of a platform with two tenants and a training job, as the library renders them. */
function platformObjects(): Record<string, unknown>[] {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new GpuTrainingCluster(stack, 'train', {
    cloud: Cloud.aws({ region: 'us-east-1' }),
    gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand'] }],
  });
  const research = cluster.addTenant('research', { gpuQuota: 8, admins: ['research-admins'] });
  cluster.addTenant('vision', { gpuQuota: 8, admins: [{ kind: 'User', name: 'vic@acme.com' }] });
  new TrainingJob(stack, 'pretrain', { cluster, tenant: research, nodes: 1, gpusPerNode: 8, model: { preset: 'gpt-1b' }, image: 'acme/trainer:1' });
  // The shared access release first (the tenants' releases depend on it), then tenants, then jobs.
  const workloads = KubernetesWorkload.allIn(stack).sort((a, b) => rank(a) - rank(b));
  const objects = workloads.flatMap((w) => w.render().objects)
    // Kueue's CRDs are not installed in this bare API server (the twin runs Kueue).
    .filter((o) => !String(o.apiVersion).startsWith('kueue.x-k8s.io/'));
  // Namespaces the upstream add-on releases create (Helm's create_namespace: gpu-system, kueue-system...), which our
  // own releases then put NetworkPolicies into: made first, as Helm would have.
  const made = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => (o.metadata as { name: string }).name));
  const used = [...new Set(objects.map((o) => (o.metadata as { namespace?: string }).namespace).filter((n): n is string => !!n && !made.has(n)))].sort();
  return [...used.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })), ...objects];
}

function rank(w: KubernetesWorkload): number {
  if (w.node.id === 'TenantAccess') return 0;
  return w.render().objects.some((o) => o.kind === 'Namespace') ? 1 : 2;
}

function asList(items: readonly unknown[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** `kubectl auth can-i` for every cell, a few at a time; true where the authorizer said yes. */
async function canI(server: ApiServer, who: Admin, namespace: string, cells: readonly Cell[]): Promise<Map<string, boolean>> {
  const answers = new Map<string, boolean>();
  const queue = [...cells];
  const worker = async () => {
    for (let cell = queue.shift(); cell; cell = queue.shift()) {
      const [verb, target] = cell;
      // `pods/log` is pods' subresource log (kubectl would read TYPE/NAME)
      const [resource, subresource] = target.split('/');
      const r = await server.kubectl(['auth', 'can-i', verb, resource, ...(subresource ? ['--subresource', subresource] : []),
        '-n', namespace, '--as', who.user, ...who.groups.flatMap((g) => ['--as-group', g])]);
      if (r.status !== 0 && r.status !== 1) throw new Error(`kubectl auth can-i ${verb} ${resource} exited ${r.status}: ${r.stderr}`);
      answers.set(`${verb} ${target}`, r.status === 0);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return answers;
}

const yes = (answers: Map<string, boolean>) => [...answers].filter(([, a]) => a).map(([c]) => c).sort();
const no = (answers: Map<string, boolean>) => [...answers].filter(([, a]) => !a).map(([c]) => c).sort();
const names = (cells: readonly Cell[]) => cells.map(([v, r]) => `${v} ${r}`).sort();

/** A pod that passes the restricted Pod Security Standard, running as `serviceAccount` (or the default). */
function pod(namespace: string, serviceAccount?: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `probe-${serviceAccount ?? 'default'}`, namespace },
    spec: {
      ...(serviceAccount ? { serviceAccountName: serviceAccount } : {}),
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'main', image: 'registry.k8s.io/pause:3.10',
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '64Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      }],
    },
  });
}

describe('tenant isolation against a real kube-apiserver', () => {
  let server: ApiServer;

  beforeAll(async () => {
    server = await startApiServer();
    const objects = platformObjects();
    // A quota without a status (no controller-manager here) makes the quota admission refuse every pod: fill it in.
    await server.kubectlOk(['apply', '-f', '-'], asList(objects));
    for (const q of objects.filter((o) => o.kind === 'ResourceQuota')) {
      const meta = q.metadata as { name: string; namespace: string };
      const hard = (q.spec as { hard: Record<string, string> }).hard;
      const used = Object.fromEntries(Object.keys(hard).map((k) => [k, '0']));
      await server.kubectlOk(['patch', 'resourcequota', meta.name, '-n', meta.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { hard, used } })]);
    }
    // The fixtures: `legacy` is a tenant namespace whose admins hold the built-in `admin` role; `plain` is outside
    // the policy (no tenant label); `unlisted` is a tenant namespace without the ServiceAccount annotation.
    await server.kubectlOk(['apply', '-f', '-'], asList([
      ...['legacy', 'unlisted'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'ai-infra/tenant': name } } })),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } },
      // `admin` is an aggregated role that kube-controller-manager (not running here) fills from these three.
      ...['admin', 'edit', 'view'].map((role) => ({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `tenant-admins-${role}`, namespace: 'legacy' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `system:aggregate-to-${role}` },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'legacy-admins' }],
      })),
      // `default` in each namespace, as the ServiceAccount controller (not running here) would make it.
      ...['research', 'vision', 'unlisted', 'plain'].map((namespace) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } })),
      // Some other workload's ServiceAccount (bound to another cloud identity) that a tenant must not run as.
      ...['research', 'plain'].map((namespace) => ({
        apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'intruder', namespace, annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/other' } },
      })),
    ]));
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
  });

  test('the platform objects are what the matrix is about', async () => {
    const rb = JSON.parse(await server.kubectlOk(['get', 'rolebinding', 'tenant-admins', '-n', 'research', '-o', 'json']));
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ai-infra-tenant' });
    const ns = JSON.parse(await server.kubectlOk(['get', 'namespace', 'research', '-o', 'json']));
    expect(ns.metadata.annotations['ai-infra/service-accounts']).toBe('default,pretrain,tenant');
  });

  test.each([{ self: RESEARCH, other: VISION }, { self: VISION, other: RESEARCH }])('$self.namespace admin: allowed in its own namespace only, never the denied cells', async ({ self, other }) => {
    const own = await canI(server, self, self.namespace, [...ALLOWED_IN_OWN, ...DENIED_EVERYWHERE]);
    expect(yes(own)).toEqual(names(ALLOWED_IN_OWN));
    expect(no(own)).toEqual(names(DENIED_EVERYWHERE));
    const theirs = await canI(server, self, other.namespace, [...ALLOWED_IN_OWN, ...DENIED_EVERYWHERE]);
    expect(yes(theirs)).toEqual([]);
    const cluster = await canI(server, self, 'default', [...ALLOWED_IN_OWN, ['get', 'namespaces'], ['list', 'clusterroles.rbac.authorization.k8s.io']]);
    expect(yes(cluster)).toEqual([]);
  });

  test('fixture: the same matrix catches admins bound to the built-in `admin` role', async () => {
    const legacy = await canI(server, LEGACY, LEGACY.namespace, DENIED_EVERYWHERE);
    // `admin` may write RoleBindings, NetworkPolicies and ServiceAccounts, read Secrets and impersonate a workload.
    expect(yes(legacy)).toEqual(expect.arrayContaining([
      'create rolebindings.rbac.authorization.k8s.io', 'delete networkpolicies.networking.k8s.io', 'create serviceaccounts',
      'get secrets', 'list secrets', 'impersonate serviceaccounts', 'create daemonsets.apps',
    ]));
  });

  /** Creates `pod(...)` as `who` (or the cluster admin) with a server-side dry run: admission runs, nothing is stored. */
  async function createPod(namespace: string, serviceAccount: string | undefined, who?: Admin) {
    const as = who ? ['--as', who.user, ...who.groups.flatMap((g) => ['--as-group', g])] : [];
    return server.kubectl(['create', '--dry-run=server', '-f', '-', ...as], pod(namespace, serviceAccount));
  }

  test('pods of a tenant namespace run only as its workload ServiceAccounts, whoever creates them', async () => {
    // The policy takes effect once the API server has loaded it: wait for the first denial (fails after 60 s).
    const deadline = Date.now() + 60_000;
    let denied = await createPod('research', 'intruder', RESEARCH);
    while (denied.status === 0 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 1000));
      denied = await createPod('research', 'intruder', RESEARCH);
    }
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toMatch(/ValidatingAdmissionPolicy 'ai-infra-tenant-service-accounts'.*pods in tenant namespace research run only as the workload ServiceAccounts of the tenant \(default, pretrain, tenant\), not intruder/);
    // a controller (here the cluster admin) is held to the same list
    expect((await createPod('research', 'intruder')).stderr).toMatch(/not intruder/);
    for (const sa of ['pretrain', 'tenant', undefined]) {
      const r = await createPod('research', sa, RESEARCH);
      expect([sa, r.status, r.stderr]).toEqual([sa, 0, '']);
    }
    // another tenant's admin cannot create pods here at all
    expect((await createPod('research', 'tenant', VISION)).stderr).toMatch(/forbidden: User "vic@acme.com" cannot create resource "pods"/);
  });

  test('fixtures: outside the policy any ServiceAccount is admitted; a tenant namespace without the list admits none', async () => {
    expect((await createPod('plain', 'intruder')).status).toBe(0);
    const r = await createPod('unlisted', undefined);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/run only as the workload ServiceAccounts of the tenant \(\), not default/);
  });
});
