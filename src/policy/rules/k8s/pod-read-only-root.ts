import { perContainer, WORKLOAD_KINDS, asObject } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-5: the root filesystem is read-only (scratch space on emptyDir volumes). */
export const PodReadOnlyRoot = kubernetesRule({
  id: 'AI-K8S-POD-5',
  severity: 'error',
  title: 'Containers have a read-only root filesystem',
  rationale: 'A writable root lets an attacker drop tools and persist; trainers and servers write only to mounted volumes (/tmp, caches, checkpoints).',
  remediation: 'Set securityContext.readOnlyRootFilesystem = true and mount emptyDir volumes for /tmp and caches.',
  checkov: ['CKV_K8S_22'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c) => asObject(c.securityContext).readOnlyRootFilesystem === true ? undefined : 'readOnlyRootFilesystem is not true');
  },
});
