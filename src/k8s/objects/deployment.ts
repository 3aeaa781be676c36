// `Deployment` (apps/v1) of GPU server pods: restricted Pod Security, probes, graceful drain, topology spread.
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../security';
import { ContainerInput, ProbePaths, probes } from './container';
import { K8sObject, objectMeta, Toleration } from './object';

export interface DeploymentInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  /** Omitted when an autoscaler owns the count. */
  readonly replicas?: number;
  readonly serviceAccountName: string;
  readonly priorityClassName: string;
  readonly container: ContainerInput;
  /** The container's `http` port. */
  readonly port: number;
  readonly probePaths: ProbePaths;
  readonly startupSeconds: number;
  readonly preStopSeconds: number;
  /** Longest in-flight request; the grace period covers preStop + this + 15 s. */
  readonly drainSeconds: number;
  readonly gpus: number;
  readonly cpu: number;
  readonly memoryGiB: number;
  /** Local disk the pod's emptyDirs may fill (scheduling counts it). */
  readonly ephemeralStorageGiB: number;
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: readonly Toleration[];
  readonly initContainers: readonly Record<string, unknown>[];
  readonly volumes: readonly Record<string, unknown>[];
  /** RollingUpdate counts. @default - maxSurge 1, maxUnavailable 0 */
  readonly rollout?: { readonly maxSurge: number; readonly maxUnavailable: number };
  /** Pod annotations (e.g. the config hash that rolls pods). */
  readonly podAnnotations?: Record<string, string>;
  /** Pod labels beside the selector (e.g. `azure.workload.identity/use`). */
  readonly extraPodLabels?: Record<string, string>;
}

export function terminationGraceSeconds(preStopSeconds: number, drainSeconds: number): number {
  return preStopSeconds + drainSeconds + 15;
}

/** GPU pods spread over zones and nodes, rolled out one surge pod at a time, drained gracefully. */
export function deployment(input: DeploymentInput): K8sObject {
  const memory = `${input.memoryGiB}Gi`;
  const podLabelSet = { ...input.labels, ...input.selector, ...(input.extraPodLabels ?? {}) };
  const container = {
    name: input.container.name,
    image: input.container.image,
    imagePullPolicy: 'IfNotPresent',
    ...(input.container.command ? { command: [...input.container.command] } : {}),
    ...(input.container.args ? { args: [...input.container.args] } : {}),
    env: [...input.container.env],
    ports: [{ name: 'http', containerPort: input.port, protocol: 'TCP' }],
    resources: {
      requests: { cpu: String(input.cpu), memory, 'ephemeral-storage': `${input.ephemeralStorageGiB}Gi`, 'nvidia.com/gpu': String(input.gpus) },
      limits: { memory, 'nvidia.com/gpu': String(input.gpus) },
    },
    ...probes(input.probePaths, { startupSeconds: input.startupSeconds }),
    lifecycle: { preStop: { sleep: { seconds: input.preStopSeconds } } },
    volumeMounts: [...input.container.volumeMounts],
    securityContext: restrictedContainerSecurityContext(),
  };
  const spread = (topologyKey: string, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway') => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: input.selector },
    matchLabelKeys: ['pod-template-hash'],
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      ...(input.replicas !== undefined ? { replicas: input.replicas } : {}),
      revisionHistoryLimit: 5,
      progressDeadlineSeconds: input.startupSeconds + 600,
      selector: { matchLabels: input.selector },
      // By default never fewer serving pods than asked during a rollout: a new pod loads before an old one drains.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: input.rollout?.maxSurge ?? 1, maxUnavailable: input.rollout?.maxUnavailable ?? 0 } },
      template: {
        metadata: { labels: podLabelSet, ...(input.podAnnotations ? { annotations: input.podAnnotations } : {}) },
        spec: {
          serviceAccountName: input.serviceAccountName,
          automountServiceAccountToken: false,
          priorityClassName: input.priorityClassName,
          terminationGracePeriodSeconds: terminationGraceSeconds(input.preStopSeconds, input.drainSeconds),
          securityContext: restrictedPodSecurityContext(),
          nodeSelector: input.nodeSelector,
          tolerations: input.tolerations.map((t) => ({ ...t })),
          // Zones: best effort (GPU capacity differs per zone); nodes: hard, so one node loss takes one replica.
          topologySpreadConstraints: [spread('topology.kubernetes.io/zone', 'ScheduleAnyway'), spread('kubernetes.io/hostname', 'DoNotSchedule')],
          ...(input.initContainers.length > 0 ? { initContainers: [...input.initContainers] } : {}),
          containers: [container],
          volumes: [...input.volumes],
        },
      },
    },
  };
}
