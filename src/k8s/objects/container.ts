// Container parts of a pod template: env, init containers and probes (restricted Pod Security).
import { restrictedContainerSecurityContext } from '../security';
import { EnvVar } from './object';

export interface ProbePaths {
  /** Passes once the model is loaded (startup probe; its budget is `startupSeconds`). */
  readonly startup: string;
  /** Fails while loading and while draining (503), so the pod leaves the load balancer. */
  readonly readiness: string;
  /**
   * Fails only when the process is wedged: an HTTP path, or `tcp` (the server accepts connections) where
   * the server has no health endpoint independent of load.
   */
  readonly liveness: string | 'tcp';
}

export interface ProbeTiming {
  readonly startupSeconds: number;
}

/** Three probes that differ: a long startup budget, a quick readiness, a tolerant liveness on another check. */
export function probes(paths: ProbePaths, timing: ProbeTiming): Record<string, unknown> {
  const get = (path: string) => ({ httpGet: { path, port: 'http' } });
  const live = paths.liveness === 'tcp' ? { tcpSocket: { port: 'http' } } : get(paths.liveness);
  return {
    startupProbe: { ...get(paths.startup), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: Math.ceil(timing.startupSeconds / 10) },
    readinessProbe: { ...get(paths.readiness), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 },
    livenessProbe: { ...live, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
  };
}

/** One entry per name, the last value winning, in first-seen order (Kubernetes keeps only one anyway). */
export function mergeEnv(...lists: readonly (readonly EnvVar[])[]): EnvVar[] {
  const byName = new Map<string, string>();
  for (const list of lists) for (const e of list) byName.set(e.name, e.value);
  return [...byName.entries()].map(([name, value]) => ({ name, value }));
}

/**
 * Container sizing: CPU requested (no CPU limit: throttling helps no one on a node with idle cores), memory
 * requested and limited (a pod over its memory is killed, never its neighbours).
 */
export function containerResources(cpu: string, memory: string, memoryLimit = memory): { requests: Record<string, string>; limits: Record<string, string> } {
  return { requests: { cpu, memory }, limits: { memory: memoryLimit } };
}

export interface ContainerInput {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env: readonly EnvVar[];
  readonly volumeMounts: readonly { name: string; mountPath: string; readOnly?: boolean }[];
  readonly resources?: Record<string, unknown>;
}

export function initContainer(input: ContainerInput): Record<string, unknown> {
  return {
    name: input.name,
    image: input.image,
    ...(input.command ? { command: [...input.command] } : {}),
    ...(input.args ? { args: [...input.args] } : {}),
    env: [...input.env],
    volumeMounts: [...input.volumeMounts],
    resources: input.resources ?? containerResources('1', '2Gi'),
    securityContext: restrictedContainerSecurityContext(),
  };
}
