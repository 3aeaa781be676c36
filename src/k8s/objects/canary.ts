// Flagger `Canary` (flagger.app/v1beta1): progressive delivery of a Deployment through the Gateway API provider.
import { K8sObject, objectMeta } from './object';

/** A Prometheus check of the analysis: the MetricTemplate it runs and the range its value must stay in. */
export interface CanaryMetricCheck {
  readonly name: string;
  /** The MetricTemplate (same namespace). */
  readonly templateRef: string;
  readonly min?: number;
  readonly max?: number;
  /** Query window (a Go duration). */
  readonly interval: string;
}

/** What the autoscaler of the target is (Flagger copies it for the primary). */
export interface CanaryAutoscalerRef {
  readonly apiVersion: string;
  readonly kind: 'HorizontalPodAutoscaler' | 'ScaledObject';
  readonly name: string;
  /** KEDA: the primary's query per trigger name (the target's queries select the canary's series). */
  readonly primaryScalerQueries?: Record<string, string>;
}

export interface CanaryInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The Deployment Flagger watches; it creates `<name>-primary` and the Services `<name>`, `-primary`, `-canary`. */
  readonly targetDeployment: string;
  readonly autoscalerRef: CanaryAutoscalerRef;
  readonly servicePort: number;
  readonly targetPort: number;
  /** The Gateway the generated HTTPRoute attaches to. */
  readonly gateway: string;
  readonly hosts: readonly string[];
  /** Labels of the primary and canary Services (the ServiceMonitor selects them; the apex Service gets none). */
  readonly trackServiceLabels: Record<string, string>;
  readonly stepWeights: readonly number[];
  /** Time between steps (a Go duration). */
  readonly interval: string;
  /** Failed checks before the rollback. */
  readonly threshold: number;
  readonly progressDeadlineSeconds: number;
  readonly metrics: readonly CanaryMetricCheck[];
}

export function canary(input: CanaryInput): K8sObject {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      provider: 'gatewayapi:v1',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: input.targetDeployment },
      autoscalerRef: { ...input.autoscalerRef },
      progressDeadlineSeconds: input.progressDeadlineSeconds,
      service: {
        port: input.servicePort,
        targetPort: input.targetPort,
        gatewayRefs: [{ name: input.gateway, namespace: input.namespace }],
        ...(input.hosts.length > 0 ? { hosts: [...input.hosts] } : {}),
        primary: { labels: { ...input.trackServiceLabels } },
        canary: { labels: { ...input.trackServiceLabels } },
      },
      analysis: {
        interval: input.interval,
        threshold: input.threshold,
        stepWeights: [...input.stepWeights],
        metrics: input.metrics.map((m) => ({
          name: m.name,
          templateRef: { name: m.templateRef, namespace: input.namespace },
          thresholdRange: { ...(m.min !== undefined ? { min: m.min } : {}), ...(m.max !== undefined ? { max: m.max } : {}) },
          interval: m.interval,
        })),
      },
    },
  };
}
