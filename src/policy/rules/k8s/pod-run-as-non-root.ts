import { perContainer, WORKLOAD_KINDS, effective } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-1: containers run as a non-root user. */
export const PodRunAsNonRoot = kubernetesRule({
  id: 'AI-K8S-POD-1',
  severity: 'error',
  title: 'Containers run as non-root',
  rationale: 'Root in a container is root on the node after one escape; the restricted Pod Security level rejects it.',
  remediation: 'Set securityContext.runAsNonRoot = true and a runAsUser > 0 (our images run as uid 10001).',
  checkov: ['CKV_K8S_23', 'CKV_K8S_40'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c, pod) => {
      const user = effective(c, pod, 'runAsUser');
      if (user === 0) return 'runAsUser = 0';
      return effective(c, pod, 'runAsNonRoot') === true ? undefined : 'runAsNonRoot is not true';
    });
  },
});
