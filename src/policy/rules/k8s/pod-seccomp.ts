import { perContainer, WORKLOAD_KINDS, effective, asObject } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-4: the RuntimeDefault seccomp profile (or a Localhost one) applies. */
export const PodSeccomp = kubernetesRule({
  id: 'AI-K8S-POD-4',
  severity: 'error',
  title: 'Pods use the RuntimeDefault seccomp profile',
  rationale: 'Unconfined containers can call every syscall, the usual path of kernel exploits.',
  remediation: 'Set spec.securityContext.seccompProfile = { type: "RuntimeDefault" } on the pod.',
  checkov: ['CKV_K8S_31'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c, pod) => {
      const type = asObject(effective(c, pod, 'seccompProfile')).type;
      return type === 'RuntimeDefault' || type === 'Localhost' ? undefined : `seccompProfile is ${JSON.stringify(type ?? 'unset')}`;
    });
  },
});
