import { perContainer } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-SRV-2: serving containers have readiness and liveness probes. */
export const ServingProbes = kubernetesRule({
  id: 'AI-K8S-SRV-2',
  severity: 'error',
  title: 'Serving containers have readiness and liveness probes',
  rationale: 'Without readiness a pod gets traffic while the model loads; without liveness a hung server is never restarted.',
  remediation: 'Add readinessProbe (/readyz), livenessProbe (/healthz) and a startupProbe sized for model loading.',
  checkov: ['CKV_K8S_8', 'CKV_K8S_9'],
  kinds: ['Deployment', 'StatefulSet'],
  check(o) {
    return perContainer(o, (c) => {
      const missing = ['readinessProbe', 'livenessProbe'].filter((p) => c[p] === undefined);
      return missing.length ? `missing ${missing.join(', ')}` : undefined;
    }, true);
  },
});
