// Readers over Kubernetes objects for the rules: pod templates of every workload kind, containers,
// GPU requests, label selectors. Values Terraform fills in later (Helm placeholders, cdktf tokens)
// count as unknown and pass.
import { KubernetesObjectView } from './rule';
import { Attrs, blocks } from './util';

export const GPU_RESOURCE = 'nvidia.com/gpu';

/** A value the chart gets from Terraform at apply time. */
export function isPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && (value.includes('{{') || value.includes('${') || value.includes('__AIINFRA_TF_PLACEHOLDER_') || value.includes('__AIINFRA_TF_EMBEDDED_'));
}

function obj(value: unknown): Attrs {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Attrs : {};
}

/** One pod template of a workload: its pod spec and metadata, and where it sits (for messages). */
export interface PodTemplate {
  readonly spec: Attrs;
  readonly metadata: Attrs;
  readonly where: string;
}

/** Every pod template in an object (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, JobSet, PyTorchJob, LeaderWorkerSet). */
export function podTemplates(o: KubernetesObjectView): PodTemplate[] {
  const m = o.manifest;
  const spec = obj(m.spec);
  switch (o.kind) {
    case 'Pod':
      return [{ spec, metadata: obj(m.metadata), where: '' }];
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job':
      return [{ spec: obj(obj(spec.template).spec), metadata: obj(obj(spec.template).metadata), where: '' }];
    case 'CronJob': {
      const t = obj(obj(obj(spec.jobTemplate).spec).template);
      return [{ spec: obj(t.spec), metadata: obj(t.metadata), where: '' }];
    }
    case 'JobSet':
      return blocks(spec.replicatedJobs).map((rj) => {
        const t = obj(obj(obj(rj.template).spec).template);
        return { spec: obj(t.spec), metadata: obj(t.metadata), where: ` (replicatedJob ${String(rj.name)})` };
      });
    case 'PyTorchJob':
      return Object.entries(obj(spec.pytorchReplicaSpecs)).map(([role, r]) => {
        const t = obj(obj(r).template);
        return { spec: obj(t.spec), metadata: obj(t.metadata), where: ` (${role})` };
      });
    case 'LeaderWorkerSet': {
      const lwt = obj(obj(spec.leaderWorkerTemplate));
      return [['leader', lwt.leaderTemplate], ['worker', lwt.workerTemplate]].filter(([, t]) => t)
        .map(([role, t]) => ({ spec: obj(obj(t).spec), metadata: obj(obj(t).metadata), where: ` (${String(role)})` }));
    }
    default:
      return [];
  }
}

export const WORKLOAD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'JobSet', 'PyTorchJob', 'LeaderWorkerSet'];

/** Containers of a pod spec (init containers included unless `mainOnly`). */
export function containersOf(spec: Attrs, mainOnly = false): Attrs[] {
  return [...blocks(spec.containers), ...(mainOnly ? [] : blocks(spec.initContainers))];
}

/** Runs `check` on every container of every pod template; returns messages naming the container. */
export function perContainer(o: KubernetesObjectView, check: (c: Attrs, pod: Attrs) => string | undefined, mainOnly = false): string[] {
  return podTemplates(o).flatMap((t) => containersOf(t.spec, mainOnly).flatMap((c) => {
    const problem = check(c, t.spec);
    return problem ? [`container ${String(c.name)}${t.where}: ${problem}`] : [];
  }));
}

/** The container's security context value, else the pod's. */
export function effective(c: Attrs, pod: Attrs, key: string): unknown {
  const own = obj(c.securityContext)[key];
  return own !== undefined ? own : obj(pod.securityContext)[key];
}

/** GPUs a pod template asks for (limits or requests), 0 when none. */
export function gpuCount(spec: Attrs): number {
  return containersOf(spec).reduce((n, c) => {
    const r = obj(c.resources);
    const v = obj(r.limits)[GPU_RESOURCE] ?? obj(r.requests)[GPU_RESOURCE];
    const count = isPlaceholder(v) ? 1 : Number(v ?? 0);
    return n + (Number.isFinite(count) ? count : 0);
  }, 0);
}

/** True when the pod tolerates the GPU taint (`nvidia.com/gpu`, or an operator Exists with no key). */
export function toleratesGpu(spec: Attrs): boolean {
  return blocks(spec.tolerations).some((t) => t.key === GPU_RESOURCE || (t.key === undefined && t.operator === 'Exists'));
}

/** True when every matchLabels entry of `selector` is in `labels` (matchExpressions unsupported: true). */
export function selects(selector: unknown, labels: unknown): boolean {
  const s = obj(selector);
  const match = obj(s.matchLabels ?? (s.matchExpressions ? {} : s));
  const l = obj(labels);
  const entries = Object.entries(match);
  if (entries.length === 0 && !s.matchExpressions) return true;
  return entries.every(([k, v]) => l[k] === v);
}

export function labelsOf(o: KubernetesObjectView): Attrs {
  return obj(obj(o.manifest.metadata).labels);
}

export function specOf(o: KubernetesObjectView): Attrs {
  return obj(o.manifest.spec);
}

export { obj as asObject };
