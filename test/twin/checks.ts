/**
 * The twin's assertions, as functions that return problems (empty = pass), so that each one is run both on the
 * synthesized platform (no problems expected) and on a broken fixture (the problem expected): describe-twin.ts.
 */
import { whyNot } from './nodes';
import { Twin, waitFor } from './twin';
import { KubeObject } from './platform';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KUEUE = '/apis/kueue.x-k8s.io/v1beta1';

async function workloadOf(twin: Twin, job: KubeObject): Promise<Json | undefined> {
  const ns = job.metadata.namespace!;
  const live: Json = await twin.cp.api('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${job.metadata.name}`);
  const wls = (await twin.cp.api<{ items: Json[] }>('GET', `${KUEUE}/namespaces/${ns}/workloads`)).items;
  return wls.find((w) => (w.metadata.ownerReferences ?? []).some((o: Json) => o.uid === live.metadata.uid));
}

/** A Kueue-queued Job: admitted as one gang (every pod of the job in one admission) in its LocalQueue's ClusterQueue. */
async function admissionProblems(twin: Twin, job: KubeObject, queue: string, ms: number): Promise<string[]> {
  const ns = job.metadata.namespace!;
  const name = `${ns}/${job.metadata.name}`;
  const lq: Json = await twin.cp.api('GET', `${KUEUE}/namespaces/${ns}/localqueues/${queue}`);
  const wl = await waitFor(ms, async () => {
    twin.autoscaler.check();
    const w = await workloadOf(twin, job);
    return w?.status?.admission ? w : undefined;
  });
  if (!wl) {
    const w = await workloadOf(twin, job);
    const cond = (w?.status?.conditions ?? []).map((c: Json) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join('; ');
    return [`${name} was not admitted by Kueue in ${ms / 1000} s (${w ? cond : 'no Workload'})`];
  }
  const problems: string[] = [];
  if (wl.status.admission.clusterQueue !== lq.spec.clusterQueue) {
    problems.push(`${name} was admitted in ClusterQueue ${wl.status.admission.clusterQueue}, not its tenant's ${lq.spec.clusterQueue}`);
  }
  const admitted = (wl.status.admission.podSetAssignments as Json[]).reduce((n, a) => n + (a.count ?? 0), 0);
  const parallelism = job.spec.parallelism ?? 1;
  if (admitted !== parallelism) problems.push(`${name}: Kueue admitted ${admitted} of ${parallelism} pods at once (not a gang)`);
  return problems;
}

/**
 * A training Job: when queued, admitted by Kueue as one gang (admissionProblems); all pods on nodes with the job's
 * node selector that have the GPUs it asks for, and Complete once kwok finishes its pods.
 */
export async function trainingJobProblems(twin: Twin, job: KubeObject, ms: number): Promise<string[]> {
  const ns = job.metadata.namespace!;
  const name = `${ns}/${job.metadata.name}`;
  const parallelism = job.spec.parallelism ?? 1;
  const problems: string[] = [];
  // A job of a tenant is queued (its LocalQueue label); one without a tenant (examples/two-stack) runs unqueued.
  const queue = job.metadata.labels?.['kueue.x-k8s.io/queue-name'];
  if (queue) problems.push(...await admissionProblems(twin, job, queue, ms));
  if (problems.length > 0) return problems;
  const selector = job.spec.template.spec.nodeSelector ?? {};
  const gpus = Number(job.spec.template.spec.containers.map((c: Json) => c.resources?.requests?.['nvidia.com/gpu'] ?? 0)
    .reduce((a: number, b: string | number) => a + Number(b), 0));
  const pods = await waitFor(ms, async () => {
    twin.autoscaler.check();
    const p = await twin.pods(ns, { 'batch.kubernetes.io/job-name': job.metadata.name });
    const placed = p.filter((x) => x.spec.nodeName);
    // Done waiting when every pod is placed, or when the autoscaler already knows some cannot be.
    if (p.length >= parallelism && placed.length === p.length) return p;
    if (p.some((x) => twin.autoscaler.unplaceable.has(`${ns}/${x.metadata.name}`))) return p;
    return undefined;
  }) ?? await twin.pods(ns, { 'batch.kubernetes.io/job-name': job.metadata.name });
  if (pods.length < parallelism) problems.push(`${name}: ${pods.length} of ${parallelism} pods exist`);
  problems.push(...await twin.placementProblems(pods, selector));
  for (const pod of pods.filter((p) => p.spec.nodeName)) {
    const node = await twin.node(pod.spec.nodeName);
    const has = Number(node.status.allocatable['nvidia.com/gpu'] ?? 0);
    if (has < gpus) problems.push(`${name}: pod ${pod.metadata.name} asks ${gpus} GPUs on ${pod.spec.nodeName}, which has ${has}`);
  }
  if (problems.length > 0) return problems;
  // Twice the time: on a loaded machine kwok took ~40 s from a pod Running to Succeeded (no delay is configured).
  const done = await waitFor(2 * ms, async () => {
    const live: Json = await twin.cp.api('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${job.metadata.name}`);
    return (live.status?.conditions ?? []).find((c: Json) => c.type === 'Complete' && c.status === 'True') ? live : undefined;
  });
  if (!done) problems.push(`${name} did not complete in ${(2 * ms) / 1000} s`);
  return problems;
}

/** A Job that asks more than its tenant's quota: Kueue keeps it suspended and says why (no pods run). */
export async function overQuotaProblems(twin: Twin, job: KubeObject, ms: number): Promise<string[]> {
  const ns = job.metadata.namespace!;
  const name = `${ns}/${job.metadata.name}`;
  const w = await waitFor(ms, async () => {
    const wl = await workloadOf(twin, job);
    const c = (wl?.status?.conditions ?? []).find((x: Json) => x.type === 'QuotaReserved');
    return c ? { wl, c } : undefined;
  });
  if (!w) return [`${name}: Kueue made no Workload with a QuotaReserved condition in ${ms / 1000} s`];
  const problems: string[] = [];
  if (w.c.status !== 'False') problems.push(`${name} got quota (QuotaReserved=${w.c.status}): the tenant's quota did not hold it back`);
  else if (!/insufficient quota|couldn't assign flavors/i.test(w.c.message ?? '')) problems.push(`${name}: pending for another reason: ${w.c.message}`);
  const live: Json = await twin.cp.api('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${job.metadata.name}`);
  if (live.spec.suspend !== true) problems.push(`${name} is not suspended`);
  const pods = await twin.pods(ns, { 'batch.kubernetes.io/job-name': job.metadata.name });
  if (pods.length > 0) problems.push(`${name} has ${pods.length} pods`);
  return problems;
}

/**
 * An endpoint's Deployment: every replica Ready on nodes of its pool, its zone spread within maxSkew over the
 * pool's zones, and its PodDisruptionBudget allowing at least one disruption.
 */
export async function endpointProblems(twin: Twin, deploy: KubeObject, pdb: KubeObject | undefined, ms: number): Promise<string[]> {
  const ns = deploy.metadata.namespace!;
  const name = `${ns}/${deploy.metadata.name}`;
  const path = `/apis/apps/v1/namespaces/${ns}/deployments/${deploy.metadata.name}`;
  const ready = await waitFor(ms, async () => {
    twin.autoscaler.check();
    const d: Json = await twin.cp.api('GET', path);
    const pods = await twin.pods(ns, deploy.spec.selector.matchLabels);
    if (pods.some((p) => twin.autoscaler.unplaceable.has(`${ns}/${p.metadata.name}`) || twin.autoscaler.atMax.has(`${ns}/${p.metadata.name}`))) return { d, pods };
    return d.spec.replicas > 0 && d.status?.readyReplicas === d.spec.replicas && pods.length === d.spec.replicas ? { d, pods } : undefined;
  });
  const d: Json = ready?.d ?? await twin.cp.api('GET', path);
  const pods = ready?.pods ?? await twin.pods(ns, deploy.spec.selector.matchLabels);
  const problems: string[] = [];
  if ((d.status?.readyReplicas ?? 0) !== d.spec.replicas) problems.push(`${name}: ${d.status?.readyReplicas ?? 0} of ${d.spec.replicas} replicas Ready`);
  const template: Json = d.spec.template.spec;
  problems.push(...await twin.placementProblems(pods, template.nodeSelector ?? {}));
  // The pools the endpoint is meant for: those matching the node selector of `deploy` as given (a fixture may pin
  // the live Deployment to one zone: the zones to spread over are still its pools' zones).
  const meant: Record<string, string> = deploy.spec.template.spec.nodeSelector ?? {};
  for (const c of template.topologySpreadConstraints ?? []) {
    // A hard zone spread only: with `ScheduleAnyway` (the platform's endpoints) the scheduler places a replica in an
    // over-full zone whenever only that zone has a free node at the moment, as a real cluster does, so its skew
    // depends on timing, not on the platform (the twin found both chat replicas in one Azure zone once, 06:13).
    if (c.topologyKey !== 'topology.kubernetes.io/zone' || c.whenUnsatisfiable !== 'DoNotSchedule') continue;
    const zones = new Set(twin.pools.filter((p) => Object.entries(meant).every(([k, v]) => p.labels[k] === v)).flatMap((p) => p.zones));
    const count = new Map([...zones].map((z) => [z, 0]));
    for (const pod of pods.filter((p) => p.spec.nodeName)) {
      const zone: string = (await twin.node(pod.spec.nodeName)).metadata.labels['topology.kubernetes.io/zone'];
      count.set(zone, (count.get(zone) ?? 0) + 1);
    }
    const counts = [...count.values()];
    const skew = counts.length > 0 ? Math.max(...counts) - Math.min(...counts) : 0;
    if (skew > c.maxSkew) problems.push(`${name}: zone skew ${skew} > maxSkew ${c.maxSkew} (${JSON.stringify(Object.fromEntries(count))})`);
  }
  if (!pdb) {
    problems.push(`${name} has no PodDisruptionBudget`);
  } else {
    // Done when the disruption controller allows one, or when its status already counts every pod the PDB selects
    // as they are now (then 0 is its answer, not a status it has yet to update).
    const p = await waitFor(ms / 4, async () => {
      const live: Json = await twin.cp.api('GET', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${pdb.metadata.name}`);
      if (live.status?.observedGeneration !== live.metadata.generation) return undefined;
      if ((live.status?.disruptionsAllowed ?? 0) >= 1) return live;
      const selected = (await twin.pods(ns, pdb.spec.selector.matchLabels ?? {})).filter((x) => !x.metadata.deletionTimestamp);
      const healthy = selected.filter((x) => (x.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True')).length;
      return live.status.expectedPods === selected.length && live.status.currentHealthy === healthy ? live : undefined;
    });
    if ((p?.status?.disruptionsAllowed ?? 0) < 1) {
      const live: Json = await twin.cp.api('GET', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${pdb.metadata.name}`);
      problems.push(`${name}: PodDisruptionBudget ${pdb.metadata.name} allows ${live.status?.disruptionsAllowed ?? 0} disruptions (${live.status?.currentHealthy ?? 0} healthy, ${live.status?.desiredHealthy ?? '?'} required)`);
    }
  }
  return problems;
}

/** Argo Events' pod templates, as its controller (v1.9.10) turns them into a pod: one of each object, kept so a fixture's edit holds. */
const argoEventsPods = new WeakMap<KubeObject, Json>();

/**
 * Pod templates of a workload object (Deployment, Job, CronJob...). An Argo Events EventSource or Sensor carries a
 * partial pod (`spec.template`: pod fields plus one `container`); its controller makes the Deployment's pod from it
 * with one container `main` (its own image and args) that takes the template's container fields: that pod is checked.
 * The EventBus's JetStream StatefulSet is made from the controller's own templates and is not checked here.
 */
export function podTemplate(o: KubeObject): Json | undefined {
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template;
  if (o.apiVersion?.startsWith('argoproj.io/') && (o.kind === 'EventSource' || o.kind === 'Sensor')) {
    if (!argoEventsPods.has(o)) {
      const { metadata, container, ...podSpec } = (o.spec?.template ?? {}) as Json;
      const nameLabel = o.kind === 'Sensor' ? 'sensor-name' : 'eventsource-name';
      argoEventsPods.set(o, {
        metadata: { labels: { ...metadata?.labels, [nameLabel]: o.metadata.name } },
        spec: { ...podSpec, containers: [{ name: 'main', image: 'quay.io/argoproj/argo-events:v1.9.10', ...container }] },
      });
    }
    return argoEventsPods.get(o);
  }
  if (o.apiVersion?.startsWith('argoproj.io/')) return undefined;
  return o.spec?.template;
}

/**
 * Pod Security admission (and LimitRange defaulting) of every pod template: a server-side dry-run create of the
 * pod in its namespace must pass, and a container that asks for no GPU must not be given one by defaulting.
 */
export async function podAdmissionProblems(twin: Twin, o: KubeObject): Promise<string[]> {
  const t = podTemplate(o);
  if (!t) return [];
  const ns = o.metadata.namespace!;
  const name = `${o.kind} ${ns}/${o.metadata.name}`;
  const create = () => twin.cp.api<Json>('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'twin-admission-', labels: t.metadata?.labels }, spec: t.spec,
  });
  try {
    // The quota counts pods that just finished until the quota controller catches up: retry that refusal a while.
    const deadline = Date.now() + 30000;
    let pod: Json | undefined;
    while (!pod) {
      try {
        pod = await create();
      } catch (e) {
        if (!/exceeded quota/.test((e as Error).message) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const problems: string[] = [];
    for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
      const asked = (t.spec.containers as Json[]).concat(t.spec.initContainers ?? []).find((x) => x.name === c.name);
      const askedGpu = asked?.resources?.requests?.['nvidia.com/gpu'] ?? asked?.resources?.limits?.['nvidia.com/gpu'];
      const given = c.resources?.limits?.['nvidia.com/gpu'] ?? c.resources?.requests?.['nvidia.com/gpu'];
      if (askedGpu === undefined && given !== undefined && Number(given) !== 0) {
        problems.push(`${name}: container ${c.name} asks for no GPU but admission gives it nvidia.com/gpu ${given}`);
      }
    }
    return problems;
  } catch (e) {
    return [`${name}: a pod of it is refused: ${(e as Error).message.slice(0, 600)}`];
  }
}

/** The tenant's ResourceQuota refuses a pod over its GPU quota (real quota admission, dry-run). */
export async function quotaProblems(twin: Twin, namespace: string, gpus: number): Promise<string[]> {
  try {
    await twin.cp.api('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'twin-over-quota' },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
        // At most 8 GPUs a container (a LimitRange may cap containers; the quota counts the pod).
        containers: Array.from({ length: Math.ceil(gpus / 8) }, (_, i) => {
          const n = String(Math.min(8, gpus - i * 8));
          return {
            name: `c${i}`, image: 'registry.invalid/x',
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            resources: { requests: { 'cpu': '1', 'memory': '1Gi', 'nvidia.com/gpu': n }, limits: { 'memory': '1Gi', 'nvidia.com/gpu': n } },
          };
        }),
      },
    });
    return [`a pod asking ${gpus} GPUs in ${namespace} was admitted: no ResourceQuota holds it`];
  } catch (e) {
    const m = (e as Error).message;
    return /exceeded quota/.test(m) ? [] : [`a pod asking ${gpus} GPUs in ${namespace} was refused, but not by its quota: ${m.slice(0, 400)}`];
  }
}

/**
 * Pod Security levels, read from the API server: every namespace of the platform's charts where the platform's own
 * pods run enforces `restricted`; a namespace the charts make at a lower level (for an upstream add-on's pods) must
 * be one of `exempt`, which says why. A namespace without the label enforces `privileged` (the API server's default).
 */
export async function podSecurityProblems(twin: Twin, exempt: Readonly<Record<string, string>>): Promise<string[]> {
  const ours = new Set(twin.ofKind('Namespace').map((n) => n.metadata.name));
  const pods = new Map<string, string[]>();
  for (const o of twin.objects.filter((x) => podTemplate(x) && x.metadata.namespace)) {
    pods.set(o.metadata.namespace!, [...(pods.get(o.metadata.namespace!) ?? []), `${o.kind} ${o.metadata.name}`]);
  }
  const live = (await twin.cp.api<{ items: Json[] }>('GET', '/api/v1/namespaces')).items;
  const problems: string[] = [];
  for (const ns of live.filter((n) => ours.has(n.metadata.name) || pods.has(n.metadata.name))) {
    const name: string = ns.metadata.name;
    const level = ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] ?? 'privileged';
    if (level === 'restricted') continue;
    if (pods.has(name)) problems.push(`namespace ${name} enforces ${level}, not restricted, and runs the platform's ${pods.get(name)!.join(', ')}`);
    else if (!exempt[name]) problems.push(`namespace ${name} enforces ${level}, not restricted, with no recorded reason (twin.ts BELOW_RESTRICTED)`);
  }
  return problems;
}

/** The resource (plural) of a kind, as controller-gen names it: Canary -> canaries, WorkflowTemplate -> workflowtemplates. */
const plural = (kind: string) => kind.toLowerCase().replace(/y$/, 'ie') + 's';

/** Pods a rolling update adds at once: `maxSurge` (a count or a percentage of `replicas`, rounded up; default 25%). */
function surgeOf(deploy: KubeObject, replicas: number): number {
  const s: string | number = deploy.spec.strategy?.rollingUpdate?.maxSurge ?? '25%';
  return typeof s === 'number' ? s : /%$/.test(s) ? Math.ceil(replicas * Number(s.slice(0, -1)) / 100) : Number(s);
}

/**
 * How long a pod may wait for a pool at its maximum with nothing of its Deployment terminating before the rollout is
 * called stuck: three times kube-scheduler's longest backoff (podMaxBackoffSeconds, 10 s by default), within which
 * it retries a pod that a freed node or a new one could take.
 */
const STUCK_MS = 3 * 10000;

/**
 * A rolling update of an endpoint at `replicas` (its KEDA maximum, where the surge costs the most): the template
 * changes (as a new image or version does) and the rollout must finish: with maxUnavailable 0 each step's
 * `maxSurge` new pods need nodes while every old pod still runs, within the pool's maxNodes. An old pod that is
 * terminating keeps its node (and its GPUs) until it is gone, at the latest at its deletionTimestamp (deletion
 * + terminationGracePeriodSeconds): a surge pod that waits for a pool at its maximum while a pod of this
 * Deployment terminates is waiting for that node, which is how a real cluster finishes such a rollout. So the
 * budget comes from the Deployment: one step per `maxSurge` pods, each up to its grace period plus `stepSlackMs`
 * (scheduling, scale-up, readiness); a pod is stuck when it fits no pool, or when it has waited for a pool at its
 * maximum for STUCK_MS since it was first seen waiting and since a pod of the Deployment was last seen terminating
 * (a node freed by a pod that is gone is the scheduler's to use within its backoff).
 */
export async function rolloutProblems(twin: Twin, deploy: KubeObject, replicas: number, stepSlackMs: number): Promise<string[]> {
  const ns = deploy.metadata.namespace!;
  const name = `${ns}/${deploy.metadata.name}`;
  const path = `/apis/apps/v1/namespaces/${ns}/deployments/${deploy.metadata.name}`;
  const grace: number = deploy.spec.template.spec.terminationGracePeriodSeconds ?? 30;
  const surge = Math.max(1, Math.min(surgeOf(deploy, replicas), replicas));
  const ms = Math.ceil(replicas / surge) * (grace * 1000 + stepSlackMs);
  const atMaxSince = new Map<string, number>();
  let terminatingSeen = 0;
  const stuck = (pods: Json[]) => {
    if (pods.some((p) => p.metadata.deletionTimestamp)) terminatingSeen = Date.now();
    return pods.some((p) => {
      const key = `${ns}/${p.metadata.name}`;
      if (p.spec.nodeName) return false;
      if (twin.autoscaler.unplaceable.has(key)) return true;
      if (!twin.autoscaler.atMax.has(key)) return false;
      if (!atMaxSince.has(key)) atMaxSince.set(key, Date.now());
      return Date.now() - Math.max(atMaxSince.get(key)!, terminatingSeen) > STUCK_MS;
    });
  };
  const ready = (p: Json) => (p.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True');
  // Waits until `done(pods)`; stops early when a pod waits for a pool at its maximum, or fits no pool.
  const wait = async (what: string, done: (pods: Json[]) => boolean): Promise<string[]> => {
    const ok = await waitFor<boolean>(ms, async () => {
      twin.autoscaler.check();
      const pods = await twin.pods(ns, deploy.spec.selector.matchLabels);
      if (done(pods)) return true;
      return stuck(pods) ? false : undefined;
    });
    if (ok) return [];
    const pods = await twin.pods(ns, deploy.spec.selector.matchLabels);
    const terminating = pods.filter((p) => p.metadata.deletionTimestamp).length;
    return [`${name}: ${what} not done in ${ms / 1000} s (${pods.filter(ready).length} of ${pods.length} pods Ready, ${terminating} terminating; `
      + `budget ${Math.ceil(replicas / surge)} steps x (grace ${grace} s + ${stepSlackMs / 1000} s))`,
      ...await twin.placementProblems(pods.filter((p) => !p.spec.nodeName), deploy.spec.template.spec.nodeSelector ?? {})];
  };
  await twin.cp.api('PATCH', `${path}/scale`, { spec: { replicas } }, 'application/merge-patch+json');
  const scaled = await wait(`scaling to ${replicas}`, (pods) => pods.length === replicas && pods.every(ready));
  if (scaled.length > 0) return scaled;
  const stamp = String(Date.now());
  await twin.cp.api('PATCH', path, { spec: { template: { metadata: { annotations: { 'aiinfra.test/rollout': stamp } } } } }, 'application/merge-patch+json');
  return wait(`the rolling update (maxSurge ${surge})`,
    (pods) => pods.length === replicas && pods.every((p) => p.metadata.annotations?.['aiinfra.test/rollout'] === stamp && ready(p)));
}

/** `kubectl auth can-i VERB RESOURCE -n NS` as a user or ServiceAccount (with groups), against the real RBAC authorizer. */
async function canI(twin: Twin, verb: string, resource: string, ns: string, as: { user: string; groups?: readonly string[] }): Promise<boolean> {
  const r = await twin.cp.kubectl(['auth', 'can-i', verb, resource, '-n', ns, `--as=${as.user}`, ...(as.groups ?? []).map((g) => `--as-group=${g}`)], { check: false });
  if (r.code > 1 || !/^(yes|no)\b/.test(r.stdout.trim())) throw new Error(`kubectl auth can-i ${verb} ${resource} -n ${ns} --as ${as.user}: ${r.stderr || r.stdout}`);
  return r.stdout.trim().startsWith('yes');
}

/**
 * Tenant isolation (RBAC): each tenant's people (the groups its RoleBindings name) and its ServiceAccounts cannot
 * create pods or read secrets in any other namespace the platform makes, while the people can create pods in their
 * own (so the check is not vacuous).
 */
export async function tenantRbacProblems(twin: Twin): Promise<string[]> {
  const tenants = [...new Set(twin.ofKind('LocalQueue').map((q) => q.metadata.namespace!))];
  const namespaces = [...new Set([...twin.ofKind('Namespace').map((n) => n.metadata.name), 'kube-system', 'default'])];
  const problems: string[] = [];
  for (const t of tenants) {
    const groups = [...new Set(twin.ofKind('RoleBinding').filter((b) => b.metadata.namespace === t)
      .flatMap((b) => (b.subjects ?? []) as Json[]).filter((s) => s.kind === 'Group').map((s) => s.name as string))];
    const sas = twin.ofKind('ServiceAccount').filter((s) => s.metadata.namespace === t).map((s) => s.metadata.name);
    const who = [
      ...groups.map((g) => ({ label: `group ${g}`, as: { user: `twin-member-of-${g}`, groups: [g] } })),
      ...sas.map((s) => ({ label: `ServiceAccount ${t}/${s}`, as: { user: `system:serviceaccount:${t}:${s}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${t}`] } })),
    ];
    // A tenant without people bound (examples/quickstart) is checked for its ServiceAccounts only.
    for (const g of groups) {
      if (!await canI(twin, 'create', 'pods', t, { user: `twin-member-of-${g}`, groups: [g] })) problems.push(`tenant ${t}: group ${g} cannot create pods in its own namespace`);
    }
    // One namespace at a time, its questions at once (each is a kubectl process).
    for (const ns of namespaces.filter((n) => n !== t)) {
      const asks = who.flatMap((w) => [['create', 'pods'], ['get', 'secrets']].map(([verb, resource]) => ({ w, verb, resource })));
      const answers = await Promise.all(asks.map((a) => canI(twin, a.verb, a.resource, ns, a.w.as)));
      asks.forEach((a, i) => {
        if (answers[i]) problems.push(`tenant ${t}: ${a.w.label} can ${a.verb} ${a.resource} in namespace ${ns}`);
      });
    }
  }
  return problems;
}

const isSpot = (labels: Readonly<Record<string, string>>) => labels['cdktf-ai-infra/capacity'] === 'spot' || labels['cloud.google.com/gke-spot'] === 'true'
  || labels['eks.amazonaws.com/capacityType'] === 'SPOT' || labels['kubernetes.azure.com/scalesetpriority'] === 'spot';

/**
 * A training Job that only spot nodes can take (every pool that would take its pods is spot) must checkpoint
 * (`AIINFRA_CHECKPOINT_DIR` on its containers): a preemption would otherwise lose all its progress.
 */
export function spotCheckpointProblems(twin: Twin, job: KubeObject): string[] {
  const pod = { spec: job.spec.template.spec };
  const pools = twin.pools.filter((p) => p.zones.some((z) => !whyNot(p, z, pod)));
  if (pools.length === 0 || !pools.every((p) => isSpot(p.labels))) return [];
  const env = (job.spec.template.spec.containers as Json[]).flatMap((c) => (c.env ?? []) as Json[]);
  if (env.some((e) => e.name === 'AIINFRA_CHECKPOINT_DIR' && e.value)) return [];
  return [`${job.metadata.namespace}/${job.metadata.name} runs on spot nodes only (${pools.map((p) => p.name).join(', ')}) without checkpoints (no AIINFRA_CHECKPOINT_DIR)`];
}

/**
 * The KEDA HTTP add-on's activator, as the platform configures it: every InterceptorRoute (and every ReferenceGrant)
 * is served by the API server (applied against the real CRDs), the cold-start fallback Service it names exists, and
 * the responder Deployment behind that Service (the 503 page while the endpoint scales from zero) has its
 * replicas Ready on nodes without GPUs: it must answer while the GPU pool is at zero.
 */
export async function coldStartProblems(twin: Twin, ms: number, responders: readonly KubeObject[] = twin.ofKind('Deployment')): Promise<string[]> {
  const problems: string[] = [];
  const served = async (o: KubeObject, resource: string) => {
    const [group, version] = o.apiVersion.split('/');
    try {
      await twin.cp.api('GET', `/apis/${group}/${version}/namespaces/${o.metadata.namespace}/${resource}/${o.metadata.name}`);
    } catch (e) {
      problems.push(`${o.kind} ${o.metadata.namespace}/${o.metadata.name} is not served: ${(e as Error).message.slice(0, 200)}`);
    }
  };
  for (const g of twin.ofKind('ReferenceGrant')) await served(g, plural(g.kind));
  for (const route of twin.ofKind('InterceptorRoute')) {
    await served(route, plural(route.kind));
    const ns = route.metadata.namespace!;
    const fallback: string | undefined = route.spec.coldStart?.fallback?.service?.name;
    if (!fallback) continue;
    const svc = twin.ofKind('Service').find((s) => s.metadata.namespace === ns && s.metadata.name === fallback);
    if (!svc) {
      problems.push(`InterceptorRoute ${ns}/${route.metadata.name}: its cold-start Service ${fallback} is not among the platform's objects`);
      continue;
    }
    const selector: Record<string, string> = svc.spec.selector ?? {};
    const behind = responders.filter((d) => d.metadata.namespace === ns
      && Object.entries(selector).every(([k, v]) => d.spec.template.metadata?.labels?.[k] === v));
    if (behind.length === 0) problems.push(`InterceptorRoute ${ns}/${route.metadata.name}: no Deployment behind its cold-start Service ${fallback}`);
    for (const d of behind) {
      const path = `/apis/apps/v1/namespaces/${ns}/deployments/${d.metadata.name}`;
      const live = await waitFor(ms, async () => {
        const x: Json = await twin.cp.api('GET', path);
        return x.spec.replicas > 0 && x.status?.readyReplicas === x.spec.replicas ? x : undefined;
      }) ?? await twin.cp.api<Json>('GET', path);
      if ((live.status?.readyReplicas ?? 0) !== live.spec.replicas || !(live.spec.replicas > 0)) {
        problems.push(`cold-start responder ${ns}/${d.metadata.name}: ${live.status?.readyReplicas ?? 0} of ${live.spec.replicas} replicas Ready`);
      }
      for (const pod of (await twin.pods(ns, d.spec.selector.matchLabels)).filter((p) => p.spec.nodeName && !p.metadata.deletionTimestamp)) {
        const gpus = (await twin.node(pod.spec.nodeName)).status?.allocatable?.['nvidia.com/gpu'];
        if (gpus && Number(gpus) > 0) problems.push(`cold-start responder ${ns}/${pod.metadata.name} runs on ${pod.spec.nodeName}, a GPU node (nvidia.com/gpu ${gpus})`);
      }
    }
  }
  return problems;
}

/**
 * The model pipeline (Argo Workflows): every WorkflowTemplate and CronWorkflow is served by the API server (applied
 * server-side against Argo's CRDs) in a tenant namespace (one with a Kueue LocalQueue), where its pods are
 * quota-bound. The controller itself does not run in the twin.
 */
export async function pipelineProblems(twin: Twin, objects: readonly KubeObject[] = [...twin.ofKind('WorkflowTemplate'), ...twin.ofKind('CronWorkflow')]): Promise<string[]> {
  const tenants = new Set(twin.ofKind('LocalQueue').map((q) => q.metadata.namespace));
  const problems: string[] = [];
  for (const o of objects) {
    const name = `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
    if (!tenants.has(o.metadata.namespace)) problems.push(`${name} is not in a tenant namespace (${[...tenants].join(', ')})`);
    try {
      await twin.cp.api('GET', `/apis/${o.apiVersion}/namespaces/${o.metadata.namespace}/${plural(o.kind)}/${o.metadata.name}`);
    } catch (e) {
      problems.push(`${name} is not served: ${(e as Error).message.slice(0, 200)}`);
    }
  }
  return problems;
}

/**
 * Flagger's objects, as far as the twin can go without Flagger running: every Canary and MetricTemplate is served
 * by the API server (Flagger's CRDs), and each Canary's targetRef names a Deployment of the platform (the one the
 * endpoint check places; Flagger would make `<name>-primary` from it at run time).
 */
export async function canaryProblems(twin: Twin, canaries: readonly KubeObject[] = twin.ofKind('Canary')): Promise<string[]> {
  const problems: string[] = [];
  for (const o of [...canaries, ...twin.ofKind('MetricTemplate')]) {
    try {
      await twin.cp.api('GET', `/apis/${o.apiVersion}/namespaces/${o.metadata.namespace}/${plural(o.kind)}/${o.metadata.name}`);
    } catch (e) {
      problems.push(`${o.kind} ${o.metadata.namespace}/${o.metadata.name} is not served: ${(e as Error).message.slice(0, 200)}`);
    }
  }
  for (const c of canaries) {
    const ref = c.spec.targetRef ?? {};
    const d = twin.ofKind(ref.kind ?? 'Deployment').find((x) => x.metadata.namespace === c.metadata.namespace && x.metadata.name === ref.name);
    if (!d) problems.push(`Canary ${c.metadata.namespace}/${c.metadata.name}: its target ${ref.kind} ${ref.name} is not among the platform's objects`);
  }
  return problems;
}
