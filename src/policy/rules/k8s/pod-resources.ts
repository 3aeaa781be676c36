import { perContainer, WORKLOAD_KINDS, asObject } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-6: every container requests CPU and memory and limits memory. */
export const PodResources = kubernetesRule({
  id: 'AI-K8S-POD-6',
  severity: 'error',
  title: 'Containers set CPU and memory requests and a memory limit',
  rationale: 'Without requests the scheduler packs pods blindly and quotas cannot be enforced; without a memory limit one pod can OOM a GPU node.',
  remediation: 'Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container.',
  checkov: ['CKV_K8S_10', 'CKV_K8S_12', 'CKV_K8S_13'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c) => {
      const r = asObject(c.resources);
      const missing = [
        ...['cpu', 'memory'].filter((k) => asObject(r.requests)[k] === undefined).map((k) => `requests.${k}`),
        ...(asObject(r.limits).memory === undefined ? ['limits.memory'] : []),
      ];
      return missing.length ? `missing ${missing.join(', ')}` : undefined;
    });
  },
});
