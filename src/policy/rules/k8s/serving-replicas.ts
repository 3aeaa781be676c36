import { asObject, isPlaceholder, specOf } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-SRV-3: endpoints run at least 2 replicas unless they scale to zero. */
export const ServingReplicas = kubernetesRule({
  id: 'AI-K8S-SRV-3',
  severity: 'error',
  title: 'Serving runs at least 2 replicas (unless scale-to-zero)',
  rationale: 'One replica means every node drain, crash or rollout is an outage.',
  remediation: 'Set replicas (or the HPA minReplicas) to 2 or more; for scale-to-zero, use a KEDA ScaledObject with minReplicaCount 0.',
  constructFix: 'InferenceEndpoint replicas.min: 2 or more (the default 2), or autoscaling.scaleToZero',
  kinds: ['Deployment'],
  check(o, ctx) {
    const targets = (x: { namespace?: string; manifest: Record<string, unknown> }, ref: unknown) =>
      x.namespace === o.namespace && asObject(ref).name === o.name && (asObject(ref).kind ?? 'Deployment') === 'Deployment';
    const objects = ctx.kubernetesObjects();
    const keda = objects.find((x) => x.kind === 'ScaledObject' && targets(x, specOf(x).scaleTargetRef));
    if (keda) {
      const min = specOf(keda).minReplicaCount ?? 0;
      if (min === 0 || isPlaceholder(min)) return undefined;
      return typeof min === 'number' && min < 2 ? `ScaledObject minReplicaCount = ${min}` : undefined;
    }
    const hpa = objects.find((x) => x.kind === 'HorizontalPodAutoscaler' && targets(x, specOf(x).scaleTargetRef));
    const min = hpa ? specOf(hpa).minReplicas ?? 1 : specOf(o).replicas ?? 1;
    if (isPlaceholder(min)) return undefined;
    return typeof min === 'number' && min < 2 ? `${hpa ? 'HPA minReplicas' : 'replicas'} = ${min}` : undefined;
  },
});
