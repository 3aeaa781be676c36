// KEDA `ScaledObject` (keda.sh/v1alpha1) and its triggers.
import { hpaBehavior, ScalingInput } from './horizontal-pod-autoscaler';
import { K8sObject, objectMeta } from './object';

/** A KEDA trigger. */
export interface KedaTrigger {
  /** `external-push`: the KEDA HTTP add-on's scaler (in-flight requests at its interceptor). */
  readonly type: 'prometheus' | 'cron' | 'cpu' | 'external-push';
  readonly name: string;
  readonly metadata: Record<string, string>;
  readonly metricType?: 'AverageValue' | 'Value' | 'Utilization';
}

export function prometheusTrigger(name: string, serverAddress: string, query: string, threshold: number, activationThreshold = 0): KedaTrigger {
  return {
    type: 'prometheus',
    name,
    metadata: { serverAddress, query, threshold: String(threshold), activationThreshold: String(activationThreshold) },
  };
}

export function cronTrigger(name: string, start: string, end: string, timezone: string, desiredReplicas: number): KedaTrigger {
  return { type: 'cron', name, metadata: { timezone, start, end, desiredReplicas: String(desiredReplicas) } };
}

/** KEDA ScaledObject: it creates and owns the HPA of the Deployment. */
export function scaledObject(input: ScalingInput, triggers: readonly KedaTrigger[], fallbackReplicas?: number): K8sObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: input.target },
      minReplicaCount: input.min,
      maxReplicaCount: input.max,
      pollingInterval: 15,
      cooldownPeriod: input.cooldownSeconds,
      // When Prometheus cannot be read three times in a row, hold a safe replica count instead of freezing.
      ...(fallbackReplicas !== undefined ? { fallback: { failureThreshold: 3, replicas: fallbackReplicas } } : {}),
      advanced: { horizontalPodAutoscalerConfig: { behavior: hpaBehavior(input.cooldownSeconds) } },
      triggers: triggers.map((t) => ({ ...t, metadata: { ...t.metadata } })),
    },
  };
}
