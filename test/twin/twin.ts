/**
 * The digital twin of one synthesized platform (issue 18): a real control plane (control-plane.ts), kwok nodes
 * made from the stack's node pools with a scale-up loop (nodes.ts), the real Kueue controller with the platform's
 * configuration (kueue.ts), the add-on CRDs from the operators' Go modules, then every object of the platform's
 * own charts applied in dependency order. The `check*` functions return problems (strings) instead of throwing,
 * so the fixtures in describe-twin.ts can show that each check fails on a broken platform.
 *
 * Not run here: the upstream add-on charts (device plugin, DCGM exporter, KEDA, kube-prometheus-stack; they
 * cannot be fetched offline), so DaemonSets of those charts are not placed. KEDA's operator is not running: the
 * twin scales each ScaledObject's Deployment to its minReplicaCount (at least 1 so that its placement is checked),
 * which is what KEDA does while no trigger is active.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ControlPlane, startControlPlane } from './control-plane';
import { apply, installCrds, startKueue } from './kueue';
import { Autoscaler, startKwok } from './nodes';
import { addonValues, chartReleases, KubeObject, NodePool, nodePools, upstreamNamespaces } from './platform';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Kinds of our charts whose CRDs the twin does not have, and why (anything else unknown fails the run). */
export const NOT_INSTALLED: Record<string, string> = {
  'cloud.google.com/v1/ComputeClass': 'a GKE-managed CRD, published in no Go module',
  'secrets-store.csi.x-k8s.io/v1/SecretProviderClass': 'the Secrets Store CSI driver is an AKS add-on, not installed in the twin',
  'networking.gke.io/v1/GCPBackendPolicy': 'a GKE-managed CRD (GKE Gateway controller), published in no Go module',
  'networking.gke.io/v1/HealthCheckPolicy': 'a GKE-managed CRD (GKE Gateway controller), published in no Go module',
  'gateway.k8s.aws/v1beta1/LoadBalancerConfiguration': 'the AWS Load Balancer Controller chart\'s crds/; the Go proxy does not serve its module v2.17.1',
  'gateway.k8s.aws/v1beta1/TargetGroupConfiguration': 'the AWS Load Balancer Controller chart\'s crds/; the Go proxy does not serve its module v2.17.1',
};

/**
 * Namespaces the platform's charts make below Pod Security `restricted`, for upstream add-on pods only (the
 * check fails if one of the platform's own pods runs there), and why.
 */
export const BELOW_RESTRICTED: Record<string, string> = {
  'monitoring': 'kube-prometheus-stack (an upstream chart, not rendered here): baseline enforced, restricted warned and audited (src/monitoring/self-managed.ts)',
  'monitoring-node': 'node-exporter alone: hostNetwork, hostPID and read-only hostPath mounts of /proc, /sys and / (src/monitoring/self-managed.ts)',
};

const ORDER = ['Namespace', 'PriorityClass', 'ResourceFlavor', 'ClusterQueue', 'LocalQueue', 'ServiceAccount', 'Secret', 'ConfigMap',
  'ResourceQuota', 'LimitRange', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'NetworkPolicy', 'Service'];
const WORKLOADS = ['Deployment', 'StatefulSet', 'Job', 'CronJob', 'DaemonSet'];
const rank = (o: KubeObject) => {
  const i = ORDER.indexOf(o.kind);
  if (i >= 0) return i;
  return WORKLOADS.includes(o.kind) ? ORDER.length + 1 : ORDER.length;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (not undefined) or `ms` pass; then returns the last problem. */
export async function waitFor<T>(ms: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await sleep(1000);
  }
}

export interface SynthesizedApp {
  /** e.g. `examples/platform (platform-gcp)` */
  readonly name: string;
  /** cdk.tf.json of each stack that belongs to this cluster, with its directory (charts are relative to it). */
  readonly stacks: readonly { json: Json; dir: string }[];
}

export interface TwinOptions {
  /** More kwok Stage files (startKwok). */
  readonly kwokStages?: readonly string[];
}

export class Twin {
  public static async start(app: SynthesizedApp, options: TwinOptions = {}): Promise<Twin> {
    const clusterStacks = app.stacks.filter((s) => hasCluster(s.json));
    if (clusterStacks.length !== 1) throw new Error(`twin: ${app.name} has ${clusterStacks.length} clusters (expected one)`);
    const pools = nodePools(clusterStacks[0].json);
    const objects = app.stacks.flatMap((s) => chartReleases(s.json, s.dir)).flatMap((r) => r.objects);
    const kueueValues = app.stacks.map((s) => addonValues(s.json, 'kueue')).find(Boolean);
    const kueueConfigYaml: string | undefined = kueueValues?.managerConfig?.controllerManagerConfigYaml;
    if (!kueueConfigYaml) throw new Error(`twin: ${app.name} installs no Kueue (no kueue helm_release with managerConfig.controllerManagerConfigYaml)`);

    // What the upstream releases make (Helm's create_namespace) and the platform's charts do not.
    const own = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
    const addonNamespaces = [...new Set(app.stacks.flatMap((s) => upstreamNamespaces(s.json)))].filter((n) => !own.has(n));

    const cp = await startControlPlane();
    const twin = new Twin(app.name, cp, pools, objects, addonNamespaces);
    try {
      await startKwok(cp, options.kwokStages);
      await twin.autoscaler.start();
      await installCrds(cp, 'prometheus-operator');
      await installCrds(cp, 'keda');
      // The HTTP add-on's InterceptorRoute, Flagger's Canary and MetricTemplate, Argo Workflows' templates,
      // Gateway API (ReferenceGrant, Gateway, HTTPRoute): CRDs of the pinned releases (scripts/tools/kube-twin.sh).
      for (const crds of ['keda-http', 'flagger', 'argo-workflows', 'argo-events', 'gateway-api']) await installCrds(cp, crds);
      const { parse } = await import('yaml');
      await startKueue(cp, parse(kueueConfigYaml));
      await twin.install();
      return twin;
    } catch (e) {
      await twin.stop();
      throw e;
    }
  }

  public readonly autoscaler: Autoscaler;
  /** Objects not applied, with the reason (NOT_INSTALLED). */
  public readonly skipped: string[] = [];

  private constructor(public readonly name: string, public readonly cp: ControlPlane,
    public readonly pools: readonly NodePool[], public readonly objects: readonly KubeObject[],
    /** Namespaces the upstream add-on releases make (bare, as Helm's create_namespace does). */
    public readonly addonNamespaces: readonly string[] = []) {
    this.autoscaler = new Autoscaler(cp, pools);
  }

  public async stop(): Promise<void> {
    this.autoscaler.stop();
    await this.cp.stop();
  }

  public ofKind(kind: string): KubeObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  private async install(): Promise<void> {
    const apply1: KubeObject[] = this.addonNamespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    for (const o of [...this.objects].sort((a, b) => rank(a) - rank(b))) {
      const gvk = `${o.apiVersion}/${o.kind}`;
      if (NOT_INSTALLED[gvk]) {
        this.skipped.push(`${gvk} ${o.metadata.namespace ?? ''}/${o.metadata.name}: ${NOT_INSTALLED[gvk]}`);
        continue;
      }
      apply1.push(o);
    }
    // In rank groups: a namespace must exist before what lives in it, a ServiceAccount before its pods.
    const groups = new Map<number, KubeObject[]>();
    for (const o of apply1) groups.set(rank(o), [...(groups.get(rank(o)) ?? []), o]);
    for (const [, group] of [...groups.entries()].sort((a, b) => a[0] - b[0])) await apply(this.cp, group);
    // KEDA's part: the ScaledObject's Deployment at its minimum (at least one replica, to check its placement).
    for (const so of this.ofKind('ScaledObject')) {
      const target = so.spec.scaleTargetRef;
      if ((target.kind ?? 'Deployment') !== 'Deployment') continue;
      const replicas = Math.max(so.spec.minReplicaCount ?? 0, 1);
      await this.cp.api('PATCH', `/apis/apps/v1/namespaces/${so.metadata.namespace}/deployments/${target.name}/scale`,
        { spec: { replicas } }, 'application/merge-patch+json');
    }
  }

  public async pods(namespace: string, selector: Record<string, string>): Promise<Json[]> {
    const ls = encodeURIComponent(Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(','));
    return (await this.cp.api<{ items: Json[] }>('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${ls}`)).items;
  }

  public async node(name: string): Promise<Json> {
    return this.cp.api('GET', `/api/v1/nodes/${name}`);
  }

  /** Problems placing `pods` on nodes with `poolLabels`: unscheduled pods (with the autoscaler's reason), wrong pools. */
  public async placementProblems(pods: Json[], poolLabels: Record<string, string>): Promise<string[]> {
    const problems: string[] = [];
    for (const pod of pods) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (!pod.spec.nodeName) {
        const scheduler: string | undefined = (pod.status?.conditions ?? []).find((c: Json) => c.type === 'PodScheduled')?.message;
        const why = [this.autoscaler.unplaceable.get(key) ?? this.autoscaler.atMax.get(key), scheduler && `scheduler: ${scheduler}`]
          .filter(Boolean).join('; ') || 'not scheduled';
        problems.push(`${key} is not scheduled: ${why}`);
        continue;
      }
      const labels: Record<string, string> = (await this.node(pod.spec.nodeName)).metadata.labels;
      for (const [k, v] of Object.entries(poolLabels)) {
        if (labels[k] !== v) problems.push(`${key} runs on ${pod.spec.nodeName} with ${k}=${labels[k] ?? '<none>'}, not ${v}`);
      }
    }
    return problems;
  }
}

function hasCluster(json: Json): boolean {
  const r = json.resource ?? {};
  return Boolean(r.aws_eks_cluster || r.google_container_cluster || r.azurerm_kubernetes_cluster);
}

/** The stacks of a synthesized app directory (`<outdir>/stacks/<name>/cdk.tf.json`). */
export function readApp(name: string, outdir: string): SynthesizedApp {
  const stacksDir = path.join(outdir, 'stacks');
  const stacks = fs.readdirSync(stacksDir).sort().map((s) => ({
    dir: path.join(stacksDir, s), json: JSON.parse(fs.readFileSync(path.join(stacksDir, s, 'cdk.tf.json'), 'utf8')) as Json,
  }));
  return { name, stacks };
}
