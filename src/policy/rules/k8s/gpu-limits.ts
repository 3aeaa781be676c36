import { asObject, GPU_RESOURCE, perContainer, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-GPU-3: GPUs are requested through limits (extended resources cannot be overcommitted). */
export const GpuLimits = kubernetesRule({
  id: 'AI-K8S-GPU-3',
  severity: 'error',
  title: 'GPU requests set in limits (and equal to requests)',
  rationale: 'Kubernetes rejects an extended resource in requests without an equal limit; set in limits only, requests default to the limit.',
  remediation: 'Set resources.limits["nvidia.com/gpu"] (requests, if given, must be equal).',
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c) => {
      const r = asObject(c.resources);
      const req = asObject(r.requests)[GPU_RESOURCE];
      const lim = asObject(r.limits)[GPU_RESOURCE];
      if (req === undefined) return undefined;
      if (lim === undefined) return 'nvidia.com/gpu in requests without limits';
      return String(req) !== String(lim) ? `nvidia.com/gpu requests ${String(req)} != limits ${String(lim)}` : undefined;
    });
  },
});
