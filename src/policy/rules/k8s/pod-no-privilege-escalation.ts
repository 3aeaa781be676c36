import { perContainer, WORKLOAD_KINDS, asObject } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-2: no privilege escalation (setuid binaries). */
export const PodNoPrivilegeEscalation = kubernetesRule({
  id: 'AI-K8S-POD-2',
  severity: 'error',
  title: 'Containers set allowPrivilegeEscalation: false',
  rationale: 'Without it a process can gain more privileges than its parent through setuid binaries.',
  remediation: 'Set securityContext.allowPrivilegeEscalation = false on every container.',
  checkov: ['CKV_K8S_20'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c) => asObject(c.securityContext).allowPrivilegeEscalation === false ? undefined : 'allowPrivilegeEscalation is not false');
  },
});
