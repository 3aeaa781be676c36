import { perContainer, WORKLOAD_KINDS, asObject } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-9: no privileged containers. */
export const PodNotPrivileged = kubernetesRule({
  id: 'AI-K8S-POD-9',
  severity: 'error',
  title: 'No privileged containers',
  rationale: 'A privileged container has every device and capability of the node: a container escape is not even needed.',
  remediation: 'Remove securityContext.privileged; GPUs are granted by the device plugin through resources.limits["nvidia.com/gpu"].',
  checkov: ['CKV_K8S_16'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c) => asObject(c.securityContext).privileged === true ? 'privileged: true' : undefined);
  },
});
