import { TerraformStack, Testing } from 'cdktf';
import { Cloud, Gpu, GpuTrainingCluster, InvalidPropError } from '../../src';
import { Tenant, TenantProps } from '../../src/training/tenant';
import { TrainingJob } from '../../src/training/training-job';
import { TENANT_RULES, type PolicyRule } from '../../src/training/tenant-access';
import { KubernetesWorkload } from '../../src/k8s/delivery';
import { FakeGpuCluster, H100_POOL } from '../k8s/fake-cluster';
import { findObject, K8sObject, manifestsOf, validateManifests } from '../k8s/validate';
import { FakeStore } from './fakes';
import { SynthQuery } from '../synth-query';

function setup() {
  const stack = new TerraformStack(Testing.app(), 'plat');
  const cluster = new FakeGpuCluster(stack, 'Cluster');
  const store = new FakeStore(stack, 'Models');
  return { stack, cluster, store };
}

describe('Tenant', () => {
  test('namespace with restricted PSS, quota, limits, default-deny + DNS + HTTPS egress, Kueue queues, admins', () => {
    const { stack, cluster, store } = setup();
    const t = new Tenant(stack, 'research', { cluster, gpuQuota: 16, cpuQuota: 200, memoryQuotaGiB: 1024, store, admins: ['ml-admins', { kind: 'User', name: 'ada@acme.com' }] });
    const objects = t.workload.render().objects;
    validateManifests(objects, { strict: true });

    const ns = findObject(objects, 'Namespace', 'research');
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted', 'ai-infra/tenant': 'research',
    });
    expect(findObject(objects, 'ResourceQuota', 'tenant-quota').spec.hard).toEqual({
      'requests.nvidia.com/gpu': '16', 'requests.cpu': '200', 'requests.memory': '1024Gi', 'limits.memory': '1024Gi',
      pods: '200', services: '50', 'services.loadbalancers': '2', 'services.nodeports': '8', persistentvolumeclaims: '20',
    });
    const limits = findObject(objects, 'LimitRange', 'tenant-defaults').spec.limits[0];
    expect(limits).toMatchObject({ type: 'Container', defaultRequest: { cpu: '100m', memory: '256Mi' }, default: { memory: '1Gi' }, max: { 'nvidia.com/gpu': '8' } });
    // Without a GPU default the API server defaults a container's GPU limit and request to the max: a CPU-only pod
    // in the tenant (the restore drill, data prep) would ask for 8 GPUs.
    expect([limits.default['nvidia.com/gpu'], limits.defaultRequest['nvidia.com/gpu']]).toEqual(['0', '0']);

    expect(findObject(objects, 'NetworkPolicy', 'default-deny-all').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(findObject(objects, 'NetworkPolicy', 'allow-dns-egress').metadata.namespace).toBe('research');
    const https = findObject(objects, 'NetworkPolicy', 'allow-cloud-api-egress').spec.egress[0];
    expect(https.ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    expect(https.to[0].ipBlock.except).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16']);
    // EKS Pod Identity credentials come from the pod identity agent, which default-deny would block
    expect(findObject(objects, 'NetworkPolicy', 'allow-workload-identity-egress').spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] },
    ]);

    const flavor = findObject(objects, 'ResourceFlavor');
    expect(flavor.metadata.namespace).toBeUndefined();
    expect(flavor.spec.nodeLabels).toEqual(H100_POOL.nodeSelector);
    const cq = findObject(objects, 'ClusterQueue', 'tenant-research');
    expect(cq.metadata.namespace).toBeUndefined();
    expect(cq.spec.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'research' } });
    expect(cq.spec.resourceGroups[0].coveredResources).toEqual(['cpu', 'memory', 'nvidia.com/gpu', 'vpc.amazonaws.com/efa']);
    const gpu = cq.spec.resourceGroups[0].flavors[0].resources.find((r: { name: string }) => r.name === 'nvidia.com/gpu');
    expect(gpu).toEqual({ name: 'nvidia.com/gpu', nominalQuota: '16' });
    expect(findObject(objects, 'LocalQueue', 'research')).toMatchObject({ metadata: { namespace: 'research' }, spec: { clusterQueue: 'tenant-research' } });

    const rb = findObject(objects, 'RoleBinding', 'tenant-admins');
    expect(rb.metadata.namespace).toBe('research');
    // our own role (no RBAC, NetworkPolicy, quota or ServiceAccount writes), never the built-in `admin`
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ai-infra-tenant' });
    expect(rb.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'ml-admins' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'ada@acme.com' },
    ]);
    expect(objects.filter((o) => o.kind === 'ClusterRoleBinding')).toEqual([]);

    // the identity may only touch the tenant prefix
    expect(store.grants).toEqual([{ kind: 'write', identity: t.identity, prefix: 'research/' }]);
    expect(cluster.bindings).toContainEqual({ identity: t.identity, namespace: 'research', serviceAccount: 'tenant' });

    // the release lives outside the namespace it creates and waits for the cluster add-ons
    expect(SynthQuery.fromStack(stack).helmRelease(t.workload.releaseName).namespace).toBe('kube-system');
  });

  test('a tenant identity cannot be granted another tenant\'s prefix', () => {
    const { stack, cluster, store } = setup();
    const a = new Tenant(stack, 'team-a', { cluster, gpuQuota: 8 });
    new Tenant(stack, 'team-b', { cluster, gpuQuota: 8 });
    expect(() => a.grantRead(store, '../team-b/')).toThrow(InvalidPropError);
    expect(() => a.checkPrefix('x', 'prefix', 'team-b/checkpoints/')).toThrow(/invalid prefix = "team-b\/checkpoints\/"\. Allowed: a prefix inside tenant team-a's 'team-a\/'/);
    a.grantRead(store, 'datasets/');
    expect(store.grants).toEqual([{ kind: 'read', identity: a.identity, prefix: 'team-a/datasets/' }]);
    const base = { cluster, tenant: a, nodes: 1, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-125m' as const }, image: 'a/b:1' };
    expect(() => new TrainingJob(stack, 'steal', { ...base, checkpointPrefix: 'team-b/checkpoints/x/' }))
      .toThrow(/plat\/steal: invalid checkpointPrefix = "team-b\/checkpoints\/x\/"\. Allowed: a prefix inside tenant team-a's 'team-a\/'/);
    expect(() => new TrainingJob(stack, 'steal2', { ...base, data: { source: 'tokens', store, path: 'team-b/data/train.bin' } }))
      .toThrow(/invalid data\.path = "team-b\/data\/train\.bin"/);
    expect(() => new TrainingJob(stack, 'big', { ...base, nodes: 2 })).toThrow(/within tenant team-a's gpuQuota \(8\)/);
    expect(() => new TrainingJob(stack, 'otherq', { ...base, queue: 'team-b' })).toThrow(/invalid queue = "team-b"\. Allowed: the tenant's LocalQueue \(team-a\)/);
    expect(store.grants.length).toBe(1);
  });

  test('tenant objects of every tenant and job in a stack are schema-valid', () => {
    const { stack, cluster, store } = setup();
    const t = new Tenant(stack, 'research', { cluster, gpuQuota: 16, store, cohort: 'shared' });
    new TrainingJob(stack, 'pretrain', { cluster, tenant: t, nodes: 2, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'a/b:1' });
    validateManifests(manifestsOf(stack), { strict: true });
    const cq = findObject(t.workload.render().objects, 'ClusterQueue');
    expect(cq.spec).toMatchObject({ cohort: 'shared', preemption: { reclaimWithinCohort: 'Any', withinClusterQueue: 'LowerPriority' } });
  });

  const bad: [string, Partial<TenantProps>, RegExp][] = [
    ['negative quota', { gpuQuota: -1 }, /invalid gpuQuota = -1\. Allowed: an integer >= 0/],
    ['quota beyond the cluster', { gpuQuota: 64 }, /invalid gpuQuota = 64\. Allowed: at most the GPUs of the cluster's pools \(h100: 4 x 8 = 32\)/],
    ['missing quota', { gpuQuota: undefined }, /invalid gpuQuota = undefined/],
    ['bad namespace', { namespace: 'Team_A' }, /invalid namespace = "Team_A"\. Allowed: a DNS label/],
    ['system namespace', { namespace: 'kube-system' }, /invalid namespace = "kube-system"\. Allowed: a namespace of its own/],
    ['prefix without slash', { bucketPrefix: 'team' }, /invalid bucketPrefix = "team"\. Allowed: a prefix of lowercase path segments ending in '\/'/],
    ['prefix escaping', { bucketPrefix: '../x/' }, /invalid bucketPrefix = "\.\.\/x\/"/],
    ['system admin', { admins: ['system:masters'] }, /invalid admins\[0\] = \{"kind":"Group","name":"system:masters"\}/],
    ['zero cpu', { cpuQuota: 0 }, /invalid cpuQuota = 0\. Allowed: a number from 1/],
    ['bad cohort', { cohort: 'Shared Pool' }, /invalid cohort = "Shared Pool"/],
    ['negative load balancers', { maxLoadBalancers: -1 }, /invalid maxLoadBalancers = -1\. Allowed: an integer >= 0 and <= 100/],
  ];
  for (const [name, props, message] of bad) {
    test(`bad input: ${name}`, () => {
      const { stack, cluster } = setup();
      let err: unknown;
      try {
        new Tenant(stack, 'team', { cluster, gpuQuota: 8, ...props } as TenantProps);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidPropError);
      expect((err as Error).message).toMatch(/^plat\/team: invalid /);
      expect((err as Error).message).toMatch(message);
      expect(stack.node.tryFindChild('team')?.node.children.length ?? 0).toBe(0);
    });
  }

  test('default CPU and memory quotas come with the GPUs of the pool machines, and jobs must fit them', () => {
    const stack = new TerraformStack(Testing.app(), 'plat');
    const cluster = new FakeGpuCluster(stack, 'Cluster', { pools: [{ ...H100_POOL, machineType: 'p5.48xlarge' }] });
    const store = new FakeStore(stack, 'Models');
    const t = new Tenant(stack, 'research', { cluster, gpuQuota: 16 });
    // p5.48xlarge: 192 vCPUs, 2048 GiB for 8 GPUs
    expect([t.cpuQuota, t.memoryQuotaGiB]).toEqual([16 * 24 + 8, 16 * 256 + 32]);
    const job = new TrainingJob(stack, 'pretrain', { cluster, tenant: t, nodes: 2, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'a/b:1' });
    const res = findObject(job.workload.render().objects, 'Job').spec.template.spec.containers[0].resources.requests;
    expect(2 * Number(res.cpu)).toBeLessThanOrEqual(t.cpuQuota);
    expect(2 * parseInt(res.memory, 10)).toBeLessThanOrEqual(t.memoryQuotaGiB);
    const small = new Tenant(stack, 'small', { cluster, gpuQuota: 16, cpuQuota: 100 });
    expect(() => new TrainingJob(stack, 'big', { cluster, tenant: small, nodes: 2, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'a/b:1' }))
      .toThrow(/invalid nodes = 2\. Allowed: a job within tenant small's cpuQuota \(100\): 2 pods x 163 CPUs = 326/);
  });

  test('overlapping prefixes, duplicate namespaces and stores on another cloud are rejected', () => {
    const { stack, cluster } = setup();
    new Tenant(stack, 'org', { cluster, gpuQuota: 8, bucketPrefix: 'org/' });
    expect(() => new Tenant(stack, 'sub', { cluster, gpuQuota: 8, bucketPrefix: 'org/sub/' }))
      .toThrow(/invalid bucketPrefix = "org\/sub\/"\. Allowed: a prefix that neither contains nor lies inside another tenant's \(plat\/org owns 'org\/'\)/);
    expect(() => new Tenant(stack, 'org2', { cluster, gpuQuota: 8, namespace: 'org', bucketPrefix: 'x/' })).toThrow(/invalid namespace = "org"\. Allowed: a namespace no other tenant/);
    const gcs = new FakeStore(stack, 'Gcs', Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }));
    expect(() => new Tenant(stack, 'g', { cluster, gpuQuota: 8, store: gcs })).toThrow(/invalid store = "plat\/Gcs"\. Allowed: a store on the cluster's cloud \(aws\)/);
  });
});

describe('Tenant isolation (issue 21)', () => {
  const WRITES = ['create', 'update', 'patch', 'delete', 'deletecollection', 'bind', 'escalate', 'impersonate', '*'];
  /** The verbs the tenant role grants on `group/resource`. */
  const verbsOn = (rules: readonly PolicyRule[], group: string, resource: string) => rules
    .filter((r) => (r.apiGroups.includes(group) || r.apiGroups.includes('*')) && (r.resources.includes(resource) || r.resources.includes('*')))
    .flatMap((r) => r.verbs);

  test('the tenant role grants no RBAC, isolation, quota or identity writes and no secret reads', () => {
    const checks: [string, string, string[]][] = [
      ['rbac.authorization.k8s.io', 'roles', WRITES], ['rbac.authorization.k8s.io', 'rolebindings', WRITES],
      ['rbac.authorization.k8s.io', 'clusterroles', WRITES], ['networking.k8s.io', 'networkpolicies', WRITES],
      ['', 'resourcequotas', WRITES], ['', 'limitranges', WRITES], ['', 'serviceaccounts', WRITES],
      ['', 'serviceaccounts/token', WRITES], ['', 'namespaces', WRITES], ['apps', 'daemonsets', WRITES],
      ['', 'secrets', ['get', 'list', 'watch']], ['', 'endpoints', WRITES], ['kueue.x-k8s.io', 'localqueues', WRITES],
    ];
    const granted = (rules: readonly PolicyRule[]) => checks
      .flatMap(([group, resource, verbs]) => verbsOn(rules, group, resource).filter((v) => verbs.includes(v)).map((v) => `${v} ${group}/${resource}`));
    expect(granted(TENANT_RULES)).toEqual([]);
    expect(TENANT_RULES.flatMap((r) => r.verbs).filter((v) => ['bind', 'escalate', 'impersonate', '*'].includes(v))).toEqual([]);
    // the checker catches what the built-in `admin` role grants (a fixture: rules of the shape `admin` has)
    const adminLike: PolicyRule[] = [
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create', 'delete', 'update'] },
      { apiGroups: [''], resources: ['secrets', 'serviceaccounts'], verbs: ['get', 'create'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['delete'] },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
    ];
    expect(granted(adminLike)).toEqual(expect.arrayContaining([
      'create rbac.authorization.k8s.io/roles', 'delete networking.k8s.io/networkpolicies', 'get /secrets', 'impersonate /serviceaccounts',
    ]));
    // what tenants need to run work stays
    for (const [group, resource] of [['', 'pods'], ['batch', 'jobs'], ['apps', 'deployments'], ['', 'services'], ['', 'configmaps']]) {
      expect(verbsOn(TENANT_RULES, group, resource)).toEqual(expect.arrayContaining(['create', 'get', 'list', 'delete']));
    }
    expect(verbsOn(TENANT_RULES, '', 'secrets')).toEqual(['create', 'update', 'patch', 'delete']);
  });

  test('one release per cluster holds the role and the ServiceAccount policy; each tenant\'s release depends on it', () => {
    const { stack, cluster, store } = setup();
    const a = new Tenant(stack, 'team-a', { cluster, gpuQuota: 8, admins: ['a-admins'] });
    const b = new Tenant(stack, 'team-b', { cluster, gpuQuota: 8, admins: ['b-admins'] });
    const access = cluster.node.findChild('TenantAccess') as KubernetesWorkload;
    const objects = access.render().objects as K8sObject[];
    validateManifests(objects, { strict: true });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ClusterRole/ai-infra-tenant', 'ValidatingAdmissionPolicy/ai-infra-tenant-service-accounts',
      'ValidatingAdmissionPolicyBinding/ai-infra-tenant-service-accounts',
    ]);
    expect(objects.every((o) => o.metadata.namespace === undefined)).toBe(true);
    const binding = findObject(objects, 'ValidatingAdmissionPolicyBinding');
    expect(binding.spec).toEqual({
      policyName: 'ai-infra-tenant-service-accounts', validationActions: ['Deny'],
      matchResources: { namespaceSelector: { matchExpressions: [{ key: 'ai-infra/tenant', operator: 'Exists' }] } },
    });
    expect(findObject(objects, 'ValidatingAdmissionPolicy').spec.failurePolicy).toBe('Fail');
    // no tenant chart carries a cluster-wide role of its own (two releases would fight over one object)
    for (const t of [a, b]) expect((t.workload.render().objects as K8sObject[]).filter((o) => o.kind.startsWith('Cluster') && o.kind !== 'ClusterQueue')).toEqual([]);
    new TrainingJob(stack, 'job', { cluster, tenant: a, nodes: 1, gpusPerNode: 1, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'a/b:1' });
    const synth = SynthQuery.fromStack(stack).json;
    const releases = synth.resource.helm_release as Record<string, { name: string; depends_on?: string[] }>;
    const accessKey = Object.keys(releases).find((k) => releases[k].name === access.releaseName)!;
    for (const t of [a, b]) {
      const rel = Object.values(releases).find((r) => r.name === t.workload.releaseName)!;
      expect(rel.depends_on).toContain(`helm_release.${accessKey}`);
    }
  });

  test('a tenant on a cluster older than Kubernetes 1.30 (no ValidatingAdmissionPolicy) is an error', () => {
    const stack = new TerraformStack(Testing.app(), 'plat');
    const cluster = new GpuTrainingCluster(stack, 'train', { cloud: Cloud.aws({ region: 'us-east-1' }), kubernetesVersion: '1.29', gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 1 }] });
    expect(() => cluster.addTenant('research', { gpuQuota: 8 })).toThrow(/invalid cluster = "plat\/train \(Kubernetes 1\.29\)"\. Allowed: a cluster on Kubernetes 1\.30 or newer/);
  });

  test('the namespace lists the ServiceAccounts its pods may use: default, the tenant\'s and its workloads\' only', () => {
    const { stack, cluster, store } = setup();
    const a = new Tenant(stack, 'team-a', { cluster, gpuQuota: 8 });
    const b = new Tenant(stack, 'team-b', { cluster, gpuQuota: 8 });
    new TrainingJob(stack, 'pretrain', { cluster, tenant: a, nodes: 1, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'a/b:1' });
    new TrainingJob(stack, 'other', { cluster, tenant: b, nodes: 1, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'a/b:1' });
    new TrainingJob(stack, 'shared', { cluster, nodes: 1, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-1b' }, image: 'a/b:1' });
    const sa = (t: Tenant) => findObject(t.workload.render().objects, 'Namespace').metadata.annotations['ai-infra/service-accounts'];
    expect(sa(a)).toBe('default,pretrain,tenant');
    expect(sa(b)).toBe('default,other,tenant');
    expect(a.workloadServiceAccounts()).toEqual(['default', 'pretrain', 'tenant']);
  });
});

describe('Tenant: no silent mistakes (issue 16)', () => {
  const warnings = (c: { node: { metadata: { type: string; data: unknown }[] } }) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));

  test('an id that is not a namespace: the warning names the namespace it became and the prop that sets it', () => {
    const { stack, cluster } = setup();
    const t = new Tenant(stack, 'Research', { cluster, gpuQuota: 8 });
    expect(t.namespace).toMatch(/^research-[0-9a-f]{6}$/);
    expect(warnings(t)).toEqual([expect.stringMatching(new RegExp(`"Research" is not a Kubernetes name .*namespace became "${t.namespace}"; set namespace \\(e\\.g\\. "research"\\)`))]);
    const long = new Tenant(stack, 'a'.repeat(70), { cluster, gpuQuota: 0 });
    expect(long.namespace.length).toBeLessThanOrEqual(40);
    expect(warnings(long).join('\n')).toMatch(new RegExp(`at most 40 characters\\), so namespace became "${long.namespace}"`));
    // A valid id, or an explicit namespace, says nothing.
    expect(warnings(new Tenant(stack, 'vision', { cluster, gpuQuota: 0 }))).toEqual([]);
    expect(warnings(new Tenant(stack, 'Speech', { cluster, gpuQuota: 0, namespace: 'speech' }))).toEqual([]);
  });

  test('the same for a training job name and a restore drill name derived from an id', () => {
    const { stack, cluster, store } = setup();
    const job = new TrainingJob(stack, 'PreTrain', {
      cluster, nodes: 1, gpusPerNode: 8, checkpoints: store, model: { preset: 'gpt-tiny' }, image: 'ghcr.io/acme/trainer:1.0.0',
    });
    expect(warnings(job).join('\n')).toMatch(new RegExp(`"PreTrain" is not a Kubernetes name .*jobName became "${job.jobName}"; set jobName \\(e\\.g\\. "pretrain"\\)`));
    const { RestoreDrill } = require('../../src/backup/restore-drill') as typeof import('../../src/backup/restore-drill');
    const drill = new RestoreDrill(stack, 'Nightly', { cluster, store, image: 'ghcr.io/acme/trainer:1.0.0' });
    expect(warnings(drill).join('\n')).toMatch(/"restore-drill-Nightly" is not a Kubernetes name .*set jobName \(e\.g\. "restore-drill-nightly"\)/);
  });

  test('quotas that together exceed the cluster\'s GPUs warn once, saying a cohort does not change it', () => {
    const { stack, cluster } = setup();
    const gpus = cluster.gpuPools.reduce((n, p) => n + p.gpusPerNode * p.maxNodes, 0);
    const a = new Tenant(stack, 'a', { cluster, gpuQuota: gpus, cohort: 'shared' });
    const b = new Tenant(stack, 'b', { cluster, gpuQuota: 1, cohort: 'shared' });
    const c = new Tenant(stack, 'c', { cluster, gpuQuota: 1, cohort: 'shared' });
    expect(warnings(a)).toEqual([]);
    expect(warnings(b)).toEqual([expect.stringMatching(new RegExp(`gpuQuota add up to ${gpus + 1} \\(a ${gpus}, b 1\\) but the cluster's pools hold ${gpus} GPUs.*A cohort does not change that`))]);
    expect(warnings(c)).toEqual([]);
  });
});
