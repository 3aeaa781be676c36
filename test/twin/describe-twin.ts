/**
 * The digital twin's tests of one example stack (issue 18): `describeTwin(example, stack)` synthesizes the example
 * app, starts the stack's twin (a real control plane with kwok nodes made from its Terraform node pools and the
 * real Kueue) and runs every check on it; each check also runs on a broken fixture, to show that it can fail.
 * One small test file per stack calls it (platform-aws.test.ts...), so jest runs the stacks in parallel
 * (jest.twin.config.js); scripts/test-twin.sh runs them, as a step of `npm test` (scripts/test.sh).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { EXAMPLES } from '../system/synthesized-stacks';
import { canaryProblems, coldStartProblems, endpointProblems, pipelineProblems, overQuotaProblems, podAdmissionProblems, podSecurityProblems, podTemplate, quotaProblems, rolloutProblems, spotCheckpointProblems, tenantRbacProblems, trainingJobProblems } from './checks';
import { podRequests } from './nodes';
import { KubeObject } from './platform';
import { BELOW_RESTRICTED, readApp, SynthesizedApp, Twin, waitFor } from './twin';
import { apply } from './kueue';

const WAIT = 90000;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-twin-synth-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/**
 * The clusters of an example app synthesized as `cdktf synth` does: one per stack with a cluster (examples/platform:
 * one per cloud), or the whole app when it has one cluster (examples/two-stack: the cluster's stack and the one
 * that deploys onto it).
 */
export function platforms(example: keyof typeof EXAMPLES): SynthesizedApp[] {
  const out: SynthesizedApp[] = [];
  const outdir = path.join(scratch, example.replace(/\W/g, '_'));
  const app = new App({ outdir, stackTraces: false });
  EXAMPLES[example](app);
  app.synth();
  const all = readApp(example, outdir);
  const withCluster = all.stacks.filter((s) => s.json.resource?.aws_eks_cluster || s.json.resource?.google_container_cluster || s.json.resource?.azurerm_kubernetes_cluster);
  if (withCluster.length > 1) {
    for (const s of withCluster) out.push({ name: `${example} (${path.basename(s.dir)})`, stacks: [s] });
  } else {
    out.push({ name: `${example} (${all.stacks.map((s) => path.basename(s.dir)).join(' + ')})`, stacks: all.stacks });
  }
  return out;
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
/** Deletes fixtures (their pods with them), so they hold no quota or nodes in the checks after them. */
const remove = (twin: Twin, ...objects: KubeObject[]) => Promise.all(objects.map((o) => twin.cp.kubectl(
  ['delete', `${o.kind}.${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}`.replace(/\.$/, '').toLowerCase(), o.metadata.name,
    '-n', o.metadata.namespace!, '--cascade=background', '--wait=false'])));
const queued = (twin: Twin) => twin.ofKind('Job').filter((j) => j.metadata.labels?.['kueue.x-k8s.io/queue-name']);

/**
 * The twin of one cluster of an example app, every check with its fixture: `stack` names the cluster's stack
 * (`platform-gcp`) where the app has several clusters. The describe block is named `twin of <example> (<stacks>)`,
 * which a failing test's name carries into jest's summary.
 */
export function describeTwin(example: keyof typeof EXAMPLES, stack?: string): void {
  const all = platforms(example);
  const chosen = stack ? all.filter((p) => p.name === `${example} (${stack})`) : all;
  if (chosen.length !== 1) {
    throw new Error(`twin: ${example}${stack ? ` stack ${stack}` : ''} matches ${chosen.length} clusters (there are: ${all.map((p) => p.name).join(', ')})`);
  }
  const platform = chosen[0];
  describe(`twin of ${platform.name}`, () => {
    let twin: Twin;
    beforeAll(async () => {
      twin = await Twin.start(platform);
    }, 300000);
    afterAll(async () => {
      await twin?.stop();
    });

    test('nodes come from the Terraform node pools: each pool at its minimum, labelled, tainted, in its zones', async () => {
      const nodes = (await twin.cp.api<{ items: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { taints?: unknown[] } }[] }>('GET', '/api/v1/nodes')).items;
      for (const pool of twin.pools) {
        const mine = nodes.filter((n) => n.metadata.annotations['aiinfra.test/pool'] === pool.address);
        expect(mine.length).toBeGreaterThanOrEqual(pool.minNodes);
        for (const n of mine) {
          expect(n.metadata.labels).toMatchObject(pool.labels);
          expect(pool.zones).toContain(n.metadata.labels['topology.kubernetes.io/zone']);
          // The node lifecycle controller's own taints (node.kubernetes.io/not-ready until kwok's first heartbeat) aside.
          expect((n.spec.taints ?? []).filter((t) => !(t as { key: string }).key.startsWith('node.kubernetes.io/'))).toHaveLength(pool.taints.length);
        }
      }
      expect(twin.pools.some((p) => p.gpus > 0)).toBe(true);
    });

    test('every training job: admitted by Kueue as a gang in its tenant ClusterQueue (when queued), on its GPU pool, completes', async () => {
      const jobs = twin.ofKind('Job');
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) expect(await trainingJobProblems(twin, job, WAIT)).toEqual([]);
    });

    test('a training job that only spot nodes can take carries checkpoints', () => {
      for (const job of twin.ofKind('Job')) expect(spotCheckpointProblems(twin, job)).toEqual([]);
      // The fixture: the first job pinned to spot capacity, without its checkpoint directory.
      const job = clone(twin.ofKind('Job')[0]);
      const spot = twin.pools.find((p) => p.labels['cdktf-ai-infra/capacity'] === 'spot' && p.gpus > 0);
      if (!spot) return;
      job.spec.template.spec.nodeSelector = { ...job.spec.template.spec.nodeSelector, 'cdktf-ai-infra/capacity': 'spot' };
      // Kueue adds the flavor's tolerations at admission; the fixture tolerates the spot pool's taints itself.
      job.spec.template.spec.tolerations = [...job.spec.template.spec.tolerations ?? [], ...spot.taints.map((t) => ({ ...t, operator: 'Equal' }))];
      for (const c of job.spec.template.spec.containers) c.env = (c.env ?? []).filter((e: { name: string }) => e.name !== 'AIINFRA_CHECKPOINT_DIR');
      expect(spotCheckpointProblems(twin, job).join('\n')).toMatch(/runs on spot nodes only .* without checkpoints/);
    });

    test('Pod Security (restricted) admits every pod; a pod that asks no GPU gets none from the LimitRange', async () => {
      const workloads = twin.objects.filter((o) => podTemplate(o));
      expect(workloads.length).toBeGreaterThan(0);
      for (const o of workloads) expect(await podAdmissionProblems(twin, o)).toEqual([]);
      expect(await podSecurityProblems(twin, BELOW_RESTRICTED)).toEqual([]);
      // The fixture: a root container is refused by Pod Security. First, while the namespace has been `restricted`
      // since the install: Pod Security admission reads namespace labels from the API server's informer, which may
      // still hold the baseline of the fixture below for a moment after it is restored.
      const root = clone(workloads[0]);
      const t = podTemplate(root)!;
      t.spec.securityContext = { ...t.spec.securityContext, runAsNonRoot: false, runAsUser: 0 };
      expect((await podAdmissionProblems(twin, root)).join('\n')).toMatch(/violates PodSecurity \\?"restricted/);
      // The fixture: a namespace of the platform's pods lowered to baseline (read back from the API server).
      const ns = workloads[0].metadata.namespace!;
      const level = (to: string) => twin.cp.api('PATCH', `/api/v1/namespaces/${ns}`,
        { metadata: { labels: { 'pod-security.kubernetes.io/enforce': to } } }, 'application/merge-patch+json');
      await level('baseline');
      try {
        expect((await podSecurityProblems(twin, BELOW_RESTRICTED)).join('\n')).toMatch(new RegExp(`namespace ${ns} enforces baseline, not restricted, and runs`));
      } finally {
        await level('restricted');
      }
    });

    test('tenant ResourceQuota: a pod over the GPU quota is refused', async () => {
      const quotas = twin.ofKind('ResourceQuota');
      // Every tenant (a LocalQueue) has a quota; examples/two-stack has no tenant.
      const tenants = new Set(twin.ofKind('LocalQueue').map((q) => q.metadata.namespace));
      for (const t of tenants) expect(quotas.map((q) => q.metadata.namespace)).toContain(t);
      for (const q of quotas) {
        const hard = Number(q.spec.hard['requests.nvidia.com/gpu']);
        expect(await quotaProblems(twin, q.metadata.namespace!, hard + 1)).toEqual([]);
      }
      // The fixture: a namespace without a quota admits it.
      expect((await quotaProblems(twin, 'default', 64)).join('\n')).toMatch(/no ResourceQuota holds it/);
    });

    test('tenants: RBAC keeps each tenant\'s people and ServiceAccounts out of every other namespace (kubectl auth can-i)', async () => {
      expect(await tenantRbacProblems(twin)).toEqual([]);
      const tenant = twin.ofKind('LocalQueue')[0]?.metadata.namespace;
      if (!tenant) return;
      // The fixture: a RoleBinding in another namespace that grants the tenant's role to its first ServiceAccount.
      const other = twin.ofKind('Namespace').map((n) => n.metadata.name).find((n) => n !== tenant)!;
      const sa = twin.ofKind('ServiceAccount').find((s) => s.metadata.namespace === tenant)!.metadata.name;
      const leak: KubeObject = {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'twin-leak', namespace: other },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: tenant }],
      };
      await apply(twin.cp, [leak]);
      try {
        expect((await tenantRbacProblems(twin)).join('\n')).toMatch(new RegExp(`ServiceAccount ${tenant}/${sa} can create pods in namespace ${other}`));
      } finally {
        await remove(twin, leak);
      }
    });

    test('every endpoint: its replicas Ready on its pool, spread across zones, its PDB allows one disruption', async () => {
      const deploys = twin.ofKind('Deployment');
      for (const d of deploys) {
        const pdb = twin.ofKind('PodDisruptionBudget').find((p) => p.metadata.namespace === d.metadata.namespace
          && Object.entries<string>(p.spec.selector.matchLabels).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
        expect(await endpointProblems(twin, d, pdb, WAIT)).toEqual([]);
      }
    });

    test('fixtures of the endpoint check: pods forced into one zone, a PDB that allows no disruption', async () => {
      const d = twin.ofKind('Deployment')[0];
      if (!d) return;
      const pool = twin.pools.find((p) => Object.entries<string>(d.spec.template.spec.nodeSelector ?? {}).every(([k, v]) => p.labels[k] === v))!;
      const oneZone = clone(d);
      oneZone.metadata.name = `${d.metadata.name}-one-zone`;
      oneZone.spec.replicas = 2;
      oneZone.spec.selector.matchLabels = { ...oneZone.spec.selector.matchLabels, fixture: 'one-zone' };
      oneZone.spec.template.metadata.labels = { ...oneZone.spec.template.metadata.labels, fixture: 'one-zone' };
      oneZone.spec.template.spec.nodeSelector = { ...oneZone.spec.template.spec.nodeSelector, 'topology.kubernetes.io/zone': pool.zones[0] };
      // Its zone spread made hard (the check asserts hard spreads): the pinned pods still schedule (only the pinned
      // zone is a domain for the scheduler), and the check, counting the pool's zones, finds the skew.
      oneZone.spec.template.spec.topologySpreadConstraints = (oneZone.spec.template.spec.topologySpreadConstraints ?? [])
        .map((c: { topologyKey: string }) => (c.topologyKey === 'topology.kubernetes.io/zone' ? { ...c, whenUnsatisfiable: 'DoNotSchedule' } : c));
      const strict: KubeObject = {
        apiVersion: 'policy/v1', kind: 'PodDisruptionBudget',
        metadata: { name: `${d.metadata.name}-strict`, namespace: d.metadata.namespace },
        spec: { maxUnavailable: 0, selector: { matchLabels: oneZone.spec.selector.matchLabels } },
      };
      await apply(twin.cp, [oneZone, strict]);
      const problems = (await endpointProblems(twin, { ...oneZone, spec: { ...oneZone.spec, template: { ...oneZone.spec.template, spec: { ...oneZone.spec.template.spec, nodeSelector: d.spec.template.spec.nodeSelector } } } } as KubeObject, strict, 60000)).join('\n');
      if (pool.zones.length > 1 && (d.spec.template.spec.topologySpreadConstraints ?? []).some((c: { topologyKey: string }) => c.topologyKey === 'topology.kubernetes.io/zone')) {
        expect(problems).toMatch(/zone skew 2 > maxSkew 1/);
      }
      expect(problems).toMatch(/allows 0 disruptions/);
      await remove(twin, oneZone, strict);
    });

    test('a job over its tenant quota stays suspended with Kueue\'s reason', async () => {
      for (const job of queued(twin)) {
        const cq = await twin.cp.api<{ spec: { resourceGroups: { flavors: { resources: { name: string; nominalQuota: string }[] }[] }[] } }>(
          'GET', `/apis/kueue.x-k8s.io/v1beta1/clusterqueues/${(await twin.cp.api<{ spec: { clusterQueue: string } }>('GET',
            `/apis/kueue.x-k8s.io/v1beta1/namespaces/${job.metadata.namespace}/localqueues/${job.metadata.labels!['kueue.x-k8s.io/queue-name']}`)).spec.clusterQueue}`);
        const quota = Math.max(...cq.spec.resourceGroups.flatMap((g) => g.flavors.flatMap((f) => f.resources.filter((r) => r.name === 'nvidia.com/gpu').map((r) => Number(r.nominalQuota)))));
        const perPod = Number(job.spec.template.spec.containers[0].resources.requests['nvidia.com/gpu']);
        const big = clone(job);
        big.metadata.name = `${job.metadata.name}-over`;
        big.spec.parallelism = big.spec.completions = Math.floor(quota / perPod) + 1;
        await apply(twin.cp, [big]);
        expect(await overQuotaProblems(twin, big, WAIT)).toEqual([]);
        // The fixture: a job within the quota is admitted, so the same check reports it.
        const small = clone(job);
        small.metadata.name = `${job.metadata.name}-small`;
        small.spec.parallelism = small.spec.completions = 1;
        await apply(twin.cp, [small]);
        expect((await overQuotaProblems(twin, small, WAIT)).join('\n')).toMatch(/got quota|is not suspended/);
        await remove(twin, big, small);
      }
    });

    test('a pod that tolerates none of its pool\'s taints is caught (fixture of the placement check)', async () => {
      const job = twin.ofKind('Job')[0];
      const bad = clone(job);
      bad.metadata.name = `${job.metadata.name}-untolerated`;
      bad.spec.parallelism = bad.spec.completions = 1;
      // Kueue would add its flavor's tolerations: the fixture is a plain Job.
      delete bad.metadata.labels?.['kueue.x-k8s.io/queue-name'];
      bad.spec.template.spec.tolerations = [];
      await apply(twin.cp, [bad]);
      const ns = bad.metadata.namespace!;
      const pods = await waitFor(30000, async () => {
        const p = await twin.pods(ns, { 'batch.kubernetes.io/job-name': bad.metadata.name });
        return p.length > 0 && p.every((x) => twin.autoscaler.unplaceable.has(`${ns}/${x.metadata.name}`)) ? p : undefined;
      }) ?? await twin.pods(ns, { 'batch.kubernetes.io/job-name': bad.metadata.name });
      expect((await twin.placementProblems(pods, bad.spec.template.spec.nodeSelector ?? {})).join('\n')).toMatch(/taint \S+ not tolerated/);
      await remove(twin, bad);
    });

    test('the KEDA HTTP add-on activator: InterceptorRoutes and ReferenceGrants served, the cold-start responder Ready on non-GPU nodes', async () => {
      expect(await coldStartProblems(twin, WAIT)).toEqual([]);
      const route = twin.ofKind('InterceptorRoute')[0];
      if (!route) return;
      // The fixture: the responder behind the route checked as a copy pinned to a GPU pool (tolerating its taints).
      const gpu = twin.pools.find((p) => p.gpus > 0)!;
      const svc = twin.ofKind('Service').find((s) => s.metadata.namespace === route.metadata.namespace && s.metadata.name === route.spec.coldStart.fallback.service.name)!;
      const responder = twin.ofKind('Deployment').find((d) => d.metadata.namespace === route.metadata.namespace
        && Object.entries<string>(svc.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v))!;
      const onGpu = clone(responder);
      onGpu.metadata.name = `${responder.metadata.name}-on-gpu`;
      onGpu.spec.replicas = 1;
      onGpu.spec.selector.matchLabels = { ...onGpu.spec.selector.matchLabels, fixture: 'on-gpu' };
      onGpu.spec.template.metadata.labels = { ...onGpu.spec.template.metadata.labels, fixture: 'on-gpu' };
      onGpu.spec.template.spec.nodeSelector = { ...gpu.labels };
      onGpu.spec.template.spec.tolerations = [{ operator: 'Exists' }];
      await apply(twin.cp, [onGpu]);
      try {
        expect((await coldStartProblems(twin, WAIT, [onGpu])).join('\n')).toMatch(/runs on \S+, a GPU node/);
      } finally {
        await remove(twin, onGpu);
      }
    });

    test('the model pipeline: WorkflowTemplates and CronWorkflows accepted by the API server in a tenant namespace', async () => {
      expect(await pipelineProblems(twin)).toEqual([]);
      const wt = twin.ofKind('WorkflowTemplate')[0];
      if (!wt) return;
      // The fixtures: a template in a namespace without a tenant, and one the API server never accepted.
      const elsewhere = clone(wt);
      elsewhere.metadata.namespace = 'default';
      await apply(twin.cp, [elsewhere]);
      const never = clone(wt);
      never.metadata.name = `${wt.metadata.name}-never-applied`;
      try {
        const problems = (await pipelineProblems(twin, [elsewhere, never])).join('\n');
        expect(problems).toMatch(/WorkflowTemplate default\/\S+ is not in a tenant namespace/);
        expect(problems).toMatch(/-never-applied is not served/);
      } finally {
        await remove(twin, elsewhere);
      }
    });

    test('canaries: Canary and MetricTemplate served by Flagger\'s CRDs, each Canary targets a Deployment of the platform', async () => {
      expect(await canaryProblems(twin)).toEqual([]);
      const c = twin.ofKind('Canary')[0];
      if (!c) return;
      // The fixture: a Canary whose target is not there.
      const bad = clone(c);
      bad.spec.targetRef = { ...bad.spec.targetRef, name: `${c.spec.targetRef.name}-missing` };
      expect((await canaryProblems(twin, [bad])).join('\n')).toMatch(/-missing is not among the platform's objects/);
    });

    // Last: it leaves the serving pools at their largest.
    test('every endpoint at its KEDA maximum: a rolling update (maxSurge) finishes within its pool\'s maxNodes', async () => {
      const deploys = twin.ofKind('Deployment');
      const most = (d: KubeObject): number => {
        const so = twin.ofKind('ScaledObject').find((o) => o.metadata.namespace === d.metadata.namespace && o.spec.scaleTargetRef.name === d.metadata.name);
        // KEDA's default maximum is 100.
        return so ? so.spec.maxReplicaCount ?? 100 : d.spec.replicas ?? 1;
      };
      // All at their maximum at once (endpoints share pools), then each rolls in turn (the others at their maximum).
      for (const d of deploys) {
        await twin.cp.api('PATCH', `/apis/apps/v1/namespaces/${d.metadata.namespace}/deployments/${d.metadata.name}/scale`,
          { spec: { replicas: most(d) } }, 'application/merge-patch+json');
      }
      // A rollout is one step per maxSurge pods (a surge pod scheduled and Ready, an old pod gone): each step gets the
      // Deployment's grace period (an old pod keeps its node that long at most) plus 60 s.
      for (const d of deploys) expect(await rolloutProblems(twin, d, most(d), 60000)).toEqual([]);
      const d = deploys[0];
      if (!d) return;
      // The fixture: a copy that fills what is left of the pool, so its surge pod finds the pool at its maximum.
      const selector: Record<string, string> = d.spec.template.spec.nodeSelector ?? {};
      const pools = twin.pools.filter((p) => Object.entries(selector).every(([k, v]) => p.labels[k] === v));
      const perPod = podRequests(d.spec.template.spec)['nvidia.com/gpu'] ?? 0;
      const nodes = (await twin.cp.api<{ items: { metadata: { name: string; annotations: Record<string, string> } }[] }>('GET', '/api/v1/nodes')).items
        .filter((n) => pools.some((p) => p.address === n.metadata.annotations['aiinfra.test/pool']));
      const pods = (await twin.cp.api<{ items: { metadata: { deletionTimestamp?: string }; spec: Record<string, any> }[] }>('GET', '/api/v1/pods')).items // eslint-disable-line @typescript-eslint/no-explicit-any
        .filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName && nodes.some((n) => n.metadata.name === p.spec.nodeName));
      const used = pods.reduce((n, p) => n + (podRequests(p.spec)['nvidia.com/gpu'] ?? 0), 0);
      const capacity = pools.reduce((n, p) => n + p.maxNodes * p.gpus, 0);
      const fill = clone(d);
      fill.metadata.name = `${d.metadata.name}-fill`;
      fill.spec.selector.matchLabels = { ...fill.spec.selector.matchLabels, fixture: 'fill' };
      fill.spec.template.metadata.labels = { ...fill.spec.template.metadata.labels, fixture: 'fill' };
      const replicas = perPod > 0 ? Math.floor((capacity - used) / perPod) : 0;
      expect(replicas).toBeGreaterThanOrEqual(0);
      fill.spec.replicas = replicas;
      await apply(twin.cp, [fill]);
      // Where the pool's nodes have several GPUs and the endpoint spreads over hosts (examples/quickstart), the copy
      // itself cannot all be placed: the check then stops at scaling, on the same pool at its maximum.
      expect((await rolloutProblems(twin, fill, replicas, WAIT)).join('\n')).toMatch(/(the rolling update \(maxSurge 1\)|scaling to \d+) not done[\s\S]*at its maximum of \d+ nodes/);
      await remove(twin, fill);
    }, 3600000);
  });
}
