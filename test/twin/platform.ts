/**
 * What the twin reads from a synthesized stack: its node pools (EKS node groups, GKE node pools, AKS node
 * pools in cdk.tf.json, with the labels, taints, zones and sizes Terraform gives them, and the machine's
 * allocatable CPU / memory / GPUs from the GPU catalog) and the Kubernetes objects of its own Helm charts
 * (the chart directories the stack ships as assets, with Terraform's apply-time values filled by stand-ins).
 * This is test code reading Terraform output: it names the clouds' resource types on purpose.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { Gpu } from '../../src/core/gpu';

export interface Taint { readonly key: string; readonly value?: string; readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }

export interface NodePool {
  /** Terraform address, e.g. `aws_eks_node_group.train_Pool-serve_NodeGroup-on-demand_DA7FF376`. */
  readonly address: string;
  /** Short name for node names (`serve-od`, `system`). */
  readonly name: string;
  readonly machine: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly zones: readonly string[];
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly cpu: number;
  readonly memoryGiB: number;
  readonly gpus: number;
  readonly maxPods: number;
  /** Boot disk, GiB: the node's ephemeral-storage. */
  readonly diskGiB: number;
  /**
   * Device-plugin resources the node advertises besides GPUs (`vpc.amazonaws.com/efa`: the EFA interfaces of the
   * machine, on nodes where the stack's EFA device plugin DaemonSet runs).
   */
  readonly devices: Readonly<Record<string, number>>;
}

/** Machines without GPUs the library uses for system pools (the clouds' published shapes). */
const CPU_MACHINES: Record<string, { cpu: number; memoryGiB: number }> = {
  'm6i.xlarge': { cpu: 4, memoryGiB: 16 },
  'm6i.2xlarge': { cpu: 8, memoryGiB: 32 },
  'n2-standard-4': { cpu: 4, memoryGiB: 16 },
  'n2-standard-8': { cpu: 8, memoryGiB: 32 },
  'Standard_D4ds_v5': { cpu: 4, memoryGiB: 16 },
  'Standard_D8ds_v5': { cpu: 8, memoryGiB: 32 },
};

type Cloud = 'aws' | 'gcp' | 'azure';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function shape(cloud: Cloud, machine: string, where: string): { cpu: number; memoryGiB: number; gpus: number; efa?: number } {
  for (const gpu of Gpu.all) {
    const m = gpu.machineByName(cloud, machine);
    if (m) return { cpu: m.vcpus, memoryGiB: m.memoryGiB, gpus: m.gpusPerNode, efa: m.efaInterfaces };
  }
  const cpuOnly = CPU_MACHINES[machine];
  if (cpuOnly) return { ...cpuOnly, gpus: 0 };
  throw new Error(`twin: ${where}: machine type ${machine} is neither in the GPU catalog (src/core/gpu.ts) nor in test/twin/platform.ts CPU_MACHINES`);
}

const cpuMemGpu = ({ cpu, memoryGiB, gpus }: ReturnType<typeof shape>) => ({ cpu, memoryGiB, gpus });

/** Whether `tolerations` (a pod's or a DaemonSet's) tolerate `taint`. */
export function tolerates(tolerations: readonly Json[], taint: Taint): boolean {
  return tolerations.some((t) =>
    (t.effect === undefined || t.effect === '' || t.effect === taint.effect)
    && (t.operator === 'Exists' ? (t.key === undefined || t.key === '' || t.key === taint.key)
      : t.key === taint.key && (t.value ?? '') === (taint.value ?? '')));
}

const EFFECTS: Record<string, Taint['effect']> = { NO_SCHEDULE: 'NoSchedule', PREFER_NO_SCHEDULE: 'PreferNoSchedule', NO_EXECUTE: 'NoExecute' };

/** `key=value:Effect` (AKS node_taints). */
function parseTaint(s: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s);
  if (!m) throw new Error(`twin: cannot read the taint ${JSON.stringify(s)}`);
  return { key: m[1], value: m[2], effect: m[3] as Taint['effect'] };
}

export function cloudOf(stack: Json): Cloud {
  const res = stack.resource ?? {};
  if (res.aws_eks_cluster) return 'aws';
  if (res.google_container_cluster) return 'gcp';
  if (res.azurerm_kubernetes_cluster) return 'azure';
  throw new Error('twin: the stack has no EKS, GKE or AKS cluster');
}

/** The node pools of a synthesized stack (cdk.tf.json parsed). */
export function nodePools(stack: Json): NodePool[] {
  const res: Json = stack.resource ?? {};
  const cloud = cloudOf(stack);
  const pools: NodePool[] = [];
  if (cloud === 'aws') {
    const region: string = (stack.provider?.aws ?? []).find((p: Json) => !p.alias)?.region;
    const subnets: Json = res.aws_subnet ?? {};
    // `${element(data.aws_availability_zones.X.names, N)}` -> the region's N-th zone (a, b, c, ...).
    const zoneOf = (subnetRef: string): string => {
      const subnet = subnets[/aws_subnet\.([^.]+)\.id/.exec(subnetRef)?.[1] ?? ''];
      const az: string | undefined = subnet?.availability_zone;
      const n = /names, (\d+)\)/.exec(az ?? '')?.[1];
      if (n !== undefined) return `${region}${'abcdef'[Number(n)]}`;
      if (az && !az.includes('${')) return az;
      throw new Error(`twin: cannot tell the zone of subnet ${subnetRef}`);
    };
    // The EFA device plugin advertises the machine's EFA interfaces on the nodes its DaemonSet runs on.
    const efaPlugin = addonValues(stack, 'aws-efa-k8s-device-plugin');
    for (const [id, ng] of Object.entries<Json>(res.aws_eks_node_group ?? {})) {
      const address = `aws_eks_node_group.${id}`;
      const machine: string = ng.instance_types[0];
      const { efa, ...s } = shape(cloud, machine, address);
      const capacity = ng.capacity_type ?? 'ON_DEMAND';
      const name = String(ng.node_group_name_prefix ?? ng.node_group_name ?? id).replace(/-$/, '');
      const lt: Json | undefined = (res.aws_launch_template ?? {})[/aws_launch_template\.([^.]+)\.id/.exec(ng.launch_template?.id ?? '')?.[1] ?? ''];
      const diskGiB = Number(lt?.block_device_mappings?.[0]?.ebs?.volume_size ?? ng.disk_size ?? 20);
      const labels = { ...ng.labels, 'eks.amazonaws.com/nodegroup': name, 'eks.amazonaws.com/capacityType': capacity };
      const taints: Taint[] = (ng.taint ?? []).map((t: Json) => ({ key: t.key, value: t.value, effect: EFFECTS[t.effect] }));
      const efaRuns = efaPlugin && efa && Object.entries<string>(efaPlugin.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)
        && taints.every((t) => t.effect === 'PreferNoSchedule' || tolerates(efaPlugin.tolerations ?? [], t));
      pools.push({
        address, name, machine, ...s, maxPods: 110, diskGiB, labels, taints,
        devices: efaRuns ? { 'vpc.amazonaws.com/efa': efa } : {},
        zones: [...new Set<string>((ng.subnet_ids ?? []).map(zoneOf))],
        minNodes: ng.scaling_config.min_size, maxNodes: ng.scaling_config.max_size,
      });
    }
  } else if (cloud === 'gcp') {
    for (const [id, np] of Object.entries<Json>(res.google_container_node_pool ?? {})) {
      const address = `google_container_node_pool.${id}`;
      const cfg: Json = np.node_config ?? {};
      const machine: string = cfg.machine_type;
      const s = cpuMemGpu(shape(cloud, machine, address));
      const location: string = np.location;
      // A regional pool without node_locations runs in the cluster's zones: three of the region's.
      const zones: string[] = np.node_locations ?? (/-[a-z]$/.test(location) ? [location] : ['a', 'b', 'c'].map((z) => `${location}-${z}`));
      const a = np.autoscaling ?? {};
      // total_* count the whole pool; min/max_node_count count per zone.
      const minNodes = a.total_min_node_count ?? (a.min_node_count ?? np.node_count ?? 0) * zones.length;
      const maxNodes = a.total_max_node_count ?? (a.max_node_count ?? np.node_count ?? 0) * zones.length;
      const accel: Json | undefined = (cfg.guest_accelerator ?? [])[0];
      pools.push({
        address, name: String(np.name), machine, ...s, maxPods: 110, diskGiB: Number(cfg.disk_size_gb ?? 100), devices: {},
        labels: {
          ...cfg.labels, 'cloud.google.com/gke-nodepool': String(np.name),
          ...(cfg.spot ? { 'cloud.google.com/gke-spot': 'true' } : {}),
          ...(accel ? { 'cloud.google.com/gke-accelerator': accel.type } : {}),
        },
        taints: (cfg.taint ?? []).map((t: Json) => ({ key: t.key, value: t.value, effect: EFFECTS[t.effect] })),
        zones, minNodes, maxNodes,
      });
    }
  } else {
    const aks: Json = Object.values<Json>(res.azurerm_kubernetes_cluster)[0];
    const location: string = aks.location;
    const add = (address: string, p: Json) => {
      const machine: string = p.vm_size;
      const spot = p.priority === 'Spot';
      pools.push({
        address, name: String(p.name), machine, ...cpuMemGpu(shape(cloud, machine, address)), maxPods: p.max_pods ?? 110, devices: {},
        diskGiB: Number(p.os_disk_size_gb ?? 128),
        labels: {
          ...p.node_labels, 'kubernetes.azure.com/agentpool': String(p.name),
          ...(spot ? { 'kubernetes.azure.com/scalesetpriority': 'spot' } : {}),
        },
        taints: (p.node_taints ?? []).map(parseTaint),
        zones: (p.zones ?? ['1']).map((z: string) => `${location}-${z}`),
        minNodes: p.auto_scaling_enabled ? p.min_count : p.node_count, maxNodes: p.auto_scaling_enabled ? p.max_count : p.node_count,
      });
    };
    const clusterId = Object.keys(res.azurerm_kubernetes_cluster)[0];
    add(`azurerm_kubernetes_cluster.${clusterId}.default_node_pool`, aks.default_node_pool);
    for (const [id, np] of Object.entries<Json>(res.azurerm_kubernetes_cluster_node_pool ?? {})) add(`azurerm_kubernetes_cluster_node_pool.${id}`, np);
  }
  for (const p of pools) {
    if (p.zones.length === 0) throw new Error(`twin: ${p.address} has no zones`);
    if (!(p.maxNodes >= p.minNodes)) throw new Error(`twin: ${p.address} has min ${p.minNodes} > max ${p.maxNodes}`);
  }
  return pools;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ChartRelease {
  /** The helm_release's Terraform address. */
  readonly address: string;
  readonly release: string;
  readonly namespace: string;
  readonly objects: KubeObject[];
}

/**
 * The objects of the stack's own charts (helm_release with a local chart path), in the stack directory
 * `stackDir`. Apply-time values (`{{ .Values.tf.vN }}`: identities, image repositories) become stand-in
 * strings, as the kube-score tier does; nothing else in our charts is templated.
 */
export function chartReleases(stack: Json, stackDir: string): ChartRelease[] {
  const out: ChartRelease[] = [];
  for (const [id, rel] of Object.entries<Json>(stack.resource?.helm_release ?? {})) {
    if (!String(rel.chart).startsWith('./')) continue;
    const dir = path.join(stackDir, rel.chart, 'templates');
    const objects: KubeObject[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8')
        .replace(/\{\{ "\{\{" \}\}/g, '\u0000OPEN\u0000').replace(/\{\{ "\}\}" \}\}/g, '\u0000CLOSE\u0000')
        .replace(/\{\{ \.Values\.tf\.v(\d+) \| toJson \}\}/g, '"tf-placeholder-$1"')
        // an apply-time address with a prefix (a private endpoint's IP in an ipBlock): a stand-in address that is a CIDR
        .replace(/\{\{ \.Values\.tf\.v(\d+) \}\}\/(\d+)/g, (_m, v: string, len: string) => `198.18.${Number(v) % 256}.1/${len}`)
        .replace(/\{\{ \.Values\.tf\.v(\d+) \}\}/g, 'tf-placeholder-$1');
      if (text.includes('{{')) throw new Error(`twin: ${dir}/${file} has a template expression the twin cannot fill`);
      const plain = text.replace(/\u0000OPEN\u0000/g, '{{').replace(/\u0000CLOSE\u0000/g, '}}');
      for (const doc of parseAllDocuments(plain)) {
        if (doc.errors.length > 0) throw new Error(`twin: ${dir}/${file}: ${doc.errors[0].message}`);
        const obj = doc.toJS() as KubeObject | null;
        if (obj) objects.push(obj);
      }
    }
    out.push({ address: `helm_release.${id}`, release: rel.name, namespace: rel.namespace, objects });
  }
  return out;
}

/**
 * Namespaces that the stack's upstream add-on releases make (a helm_release of a fetched chart with
 * `create_namespace`): the platform delivers its NetworkPolicies into them, and Helm makes them bare (no labels).
 */
export function upstreamNamespaces(stack: Json): string[] {
  return [...new Set(Object.values<Json>(stack.resource?.helm_release ?? {})
    .filter((r) => !String(r.chart).startsWith('./') && r.create_namespace === true && typeof r.namespace === 'string')
    .map((r) => r.namespace as string))].sort();
}

/** The values of an add-on helm_release by chart name (e.g. `kueue`), parsed; undefined when absent. */
export function addonValues(stack: Json, chart: string): Json | undefined {
  const rel = Object.values<Json>(stack.resource?.helm_release ?? {}).find((r) => r.chart === chart);
  if (!rel) return undefined;
  const merged: Json = {};
  for (const v of rel.values ?? []) Object.assign(merged, parseAllDocuments(v)[0]?.toJS() ?? {});
  return merged;
}
