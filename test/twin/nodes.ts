/**
 * The twin's nodes: kwok (sigs.k8s.io/kwok) runs the kubelet side of fake nodes (heartbeats, pods Running and
 * Ready, Job pods Succeeded), and `Autoscaler` makes those nodes from the synthesized node pools the way the
 * cluster autoscaler would: each pool starts at its minimum, and a pod the scheduler marks Unschedulable gets a
 * node of the first pool whose node would take it (labels, required node affinity, NoSchedule/NoExecute taints
 * tolerated, requests within allocatable; pools tried in the capacity ladder's order), up to the pool's maximum, in the pool's least used zone. A pod that
 * no pool can take is recorded with every pool's reason (`unplaceable`), so a test fails fast and says why.
 */
import { ChildProcess } from 'child_process';
import * as path from 'path';
import { ControlPlane, freePort } from './control-plane';
import { NodePool, tolerates } from './platform';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Starts kwok for every node annotated `kwok.x-k8s.io/node: fake` (its default stages: pods run, Job pods complete);
 * `stages`: more kwok Stage files (e.g. the pipeline run's, test/twin/kwok-argo-steps.yaml).
 */
export async function startKwok(cp: ControlPlane, stages: readonly string[] = []): Promise<ChildProcess> {
  const port = await freePort();
  const kwok = cp.spawn('kwok', path.join(cp.tools, 'bin', 'kwok'), [
    `--kubeconfig=${cp.kubeconfig}`, `--config=${path.join(cp.tools, 'crds', 'kwok', 'stages.yaml')}`,
    `--config=${path.join(cp.tools, 'crds', 'kwok', 'node-heartbeat.yaml')}`, ...stages.map((s) => `--config=${s}`), '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake', '--manage-nodes-with-label-selector=',
    // No node leases: kwok then handles a new node's pods at once (holding each node's Lease first delayed them by
    // tens of seconds); nodes stay Ready through kwok's node-heartbeat stage (status every 20-45 s).
    '--cidr=10.0.0.1/16', '--node-ip=10.0.0.1', '--node-lease-duration-seconds=0', `--server-address=127.0.0.1:${port}`,
  ]);
  await new Promise((r) => setTimeout(r, 2000));
  if (kwok.exitCode !== null) throw new Error(`twin: kwok exited with ${kwok.exitCode}:\n${cp.logTail('kwok')}`);
  return kwok;
}

/** Kubernetes quantity -> number (cores for CPU, bytes for memory, plain counts otherwise). */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) throw new Error(`twin: cannot read the quantity ${q}`);
  const units: Record<string, number> = {
    '': 1, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40,
  };
  if (!(m[2] in units)) throw new Error(`twin: cannot read the quantity ${q}`);
  return Number(m[1]) * units[m[2]];
}

/** What a pod asks of a node: the larger of its containers' sum and its biggest init container, per resource. */
export function podRequests(spec: Json): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of spec.containers ?? []) {
    for (const [r, q] of Object.entries<string>(c.resources?.requests ?? {})) sum[r] = (sum[r] ?? 0) + quantity(q);
  }
  for (const c of spec.initContainers ?? []) {
    for (const [r, q] of Object.entries<string>(c.resources?.requests ?? {})) sum[r] = Math.max(sum[r] ?? 0, quantity(q));
  }
  return sum;
}

function matchExpression(labels: Record<string, string>, e: Json): boolean {
  const v = labels[e.key];
  switch (e.operator) {
    case 'In': return v !== undefined && (e.values ?? []).includes(v);
    case 'NotIn': return v === undefined || !(e.values ?? []).includes(v);
    case 'Exists': return v !== undefined;
    case 'DoesNotExist': return v === undefined;
    case 'Gt': return v !== undefined && Number(v) > Number(e.values[0]);
    case 'Lt': return v !== undefined && Number(v) < Number(e.values[0]);
    default: return false;
  }
}

export function nodeLabels(pool: NodePool, zone: string, name: string): Record<string, string> {
  return {
    ...pool.labels,
    'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
    'node.kubernetes.io/instance-type': pool.machine,
    'topology.kubernetes.io/zone': zone, 'topology.kubernetes.io/region': zone.replace(/-?[a-z0-9]$/, ''),
    'type': 'kwok',
  };
}

/** Why a node of `pool` in `zone` would not take the pod, or undefined when it would. */
export function whyNot(pool: NodePool, zone: string, pod: Json): string | undefined {
  const spec: Json = pod.spec;
  const labels = nodeLabels(pool, zone, 'new');
  for (const [k, v] of Object.entries<string>(spec.nodeSelector ?? {})) {
    if (labels[k] !== v) return `nodeSelector ${k}=${v} (the pool has ${k}=${labels[k] ?? '<none>'})`;
  }
  const terms: Json[] = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length > 0 && !terms.some((t) => (t.matchExpressions ?? []).every((e: Json) => matchExpression(labels, e)))) {
    return `required node affinity ${JSON.stringify(terms)}`;
  }
  for (const taint of pool.taints) {
    if (taint.effect !== 'PreferNoSchedule' && !tolerates(spec.tolerations ?? [], taint)) {
      return `taint ${taint.key}${taint.value !== undefined ? `=${taint.value}` : ''}:${taint.effect} not tolerated`;
    }
  }
  const req = podRequests(spec);
  const alloc: Record<string, number> = {
    'cpu': pool.cpu, 'memory': pool.memoryGiB * 2 ** 30, 'nvidia.com/gpu': pool.gpus, 'ephemeral-storage': pool.diskGiB * 2 ** 30,
    ...pool.devices,
  };
  for (const [r, q] of Object.entries(req)) {
    // A resource the node does not advertise at all (an extended resource no device plugin there serves) is 0.
    const has = alloc[r] ?? (r.includes('/') ? 0 : Infinity);
    if (q > has) return `requests ${r} ${q} > the node's ${has}`;
  }
  return undefined;
}

export class Autoscaler {
  /** Nodes made, per pool address. */
  public readonly nodes = new Map<string, { name: string; zone: string }[]>();
  /** Pods (namespace/name) no pool can take, with each pool's reason. */
  public readonly unplaceable = new Map<string, string>();
  /** Pods that waited for a pool already at its maximum. */
  public readonly atMax = new Map<string, string>();
  private readonly recent = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;
  private serial = 0;
  private lastError?: Error;

  /** The pools in the order scale-up tries them: the library's capacity ladder (reserved, on-demand, spot), then the rest. */
  public readonly pools: readonly NodePool[];

  constructor(private readonly cp: ControlPlane, pools: readonly NodePool[]) {
    const ladder = (p: NodePool) => ['reserved', 'on-demand', 'spot'].indexOf(p.labels['cdktf-ai-infra/capacity'] ?? '') + 1 || 4;
    this.pools = [...pools].sort((a, b) => ladder(a) - ladder(b));
  }

  public async start(): Promise<void> {
    for (const pool of this.pools) {
      this.nodes.set(pool.address, []);
      for (let i = 0; i < pool.minNodes; i++) await this.addNode(pool);
    }
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.scaleUp();
      } catch (e) {
        this.lastError = e as Error;
      }
      if (!this.stopped) this.timer = setTimeout(tick, 1000);
    };
    this.timer = setTimeout(tick, 1000);
  }

  public stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Throws the last error of the scale-up loop (so a broken loop fails the test instead of hanging it). */
  public check(): void {
    if (this.lastError) throw this.lastError;
  }

  public poolOfNode(nodeName: string): NodePool | undefined {
    return this.pools.find((p) => this.nodes.get(p.address)?.some((n) => n.name === nodeName));
  }

  private async addNode(pool: NodePool, zones: readonly string[] = pool.zones): Promise<void> {
    const mine = this.nodes.get(pool.address)!;
    // The zone with the fewest nodes of this pool (the autoscaler's balancing), among those the pod allows.
    const zone = [...zones].sort((a, b) => mine.filter((n) => n.zone === a).length - mine.filter((n) => n.zone === b).length)[0];
    const name = `${pool.name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${this.serial++}`;
    const resources = {
      'cpu': String(pool.cpu), 'memory': `${pool.memoryGiB}Gi`, 'pods': String(pool.maxPods), 'ephemeral-storage': `${pool.diskGiB}Gi`,
      ...(pool.gpus > 0 ? { 'nvidia.com/gpu': String(pool.gpus) } : {}),
      ...Object.fromEntries(Object.entries(pool.devices).map(([r, n]) => [r, String(n)])),
    };
    await this.cp.api('POST', '/api/v1/nodes', {
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        name, labels: nodeLabels(pool, zone, name),
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0', 'aiinfra.test/pool': pool.address },
      },
      spec: { taints: pool.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect })) },
      status: {
        allocatable: resources, capacity: resources,
        nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'v1.34.4-kwok', containerRuntimeVersion: 'kwok' },
      },
    });
    mine.push({ name, zone });
  }

  private async scaleUp(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const pods = await this.cp.api<{ items: Json[] }>('GET', '/api/v1/pods?fieldSelector=status.phase%3DPending');
      const now = Date.now();
      for (const pod of pods.items) {
        const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
        const cond = (pod.status?.conditions ?? []).find((c: Json) => c.type === 'PodScheduled');
        if (pod.spec.nodeName || cond?.status !== 'False' || cond.reason !== 'Unschedulable') continue;
        // A node made for this pod less than 20 s ago: give the scheduler time to use it.
        if ((this.recent.get(pod.metadata.uid) ?? 0) > now - 20000) continue;
        const reasons: string[] = [];
        let added = false;
        for (const pool of this.pools) {
          const zones = pool.zones.filter((z) => !whyNot(pool, z, pod));
          if (zones.length === 0) {
            reasons.push(`${pool.name} (${pool.address}): ${whyNot(pool, pool.zones[0], pod)}`);
            continue;
          }
          if (this.nodes.get(pool.address)!.length >= pool.maxNodes) {
            this.atMax.set(key, `${pool.name} is at its maximum of ${pool.maxNodes} nodes`);
            reasons.push(`${pool.name}: at its maximum of ${pool.maxNodes} nodes`);
            continue;
          }
          await this.addNode(pool, zones);
          this.recent.set(pod.metadata.uid, now);
          added = true;
          break;
        }
        if (!added && !this.atMax.has(key)) this.unplaceable.set(key, reasons.join('; '));
      }
    } finally {
      this.running = false;
    }
  }
}
