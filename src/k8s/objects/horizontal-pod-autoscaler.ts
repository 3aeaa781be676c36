// `HorizontalPodAutoscaler` (autoscaling/v2) of a Deployment.
import { K8sObject, objectMeta } from './object';

/** What a replica autoscaler (HPA or KEDA ScaledObject) scales, and within which bounds. */
export interface ScalingInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The Deployment it scales. */
  readonly target: string;
  readonly min: number;
  readonly max: number;
  readonly cooldownSeconds: number;
}

/** Scale-up fast, scale-down slowly: GPU replicas are slow to start. */
export function hpaBehavior(cooldownSeconds: number): Record<string, unknown> {
  return {
    scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }], selectPolicy: 'Max' },
    scaleDown: { stabilizationWindowSeconds: cooldownSeconds, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }], selectPolicy: 'Min' },
  };
}

/** Scales on the pods' average CPU utilization. */
export function cpuHorizontalPodAutoscaler(input: ScalingInput, targetCpuUtilization: number): K8sObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: input.target },
      minReplicas: input.min,
      maxReplicas: input.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCpuUtilization } } }],
      behavior: hpaBehavior(input.cooldownSeconds),
    },
  };
}
