import { podTemplates, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { blocks } from '../../util';

/** AI-K8S-POD-7: no hostPath volumes. */
export const PodNoHostPath = kubernetesRule({
  id: 'AI-K8S-POD-7',
  severity: 'error',
  title: 'No hostPath volumes',
  rationale: 'hostPath mounts expose the node filesystem (kubelet credentials, container runtime socket) to the pod.',
  remediation: 'Use emptyDir (medium Memory for /dev/shm), PVCs or CSI volumes instead.',
  checkov: ['CKV_K8S_27'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return podTemplates(o).flatMap((t) => blocks(t.spec.volumes).filter((v) => v.hostPath !== undefined)
      .map((v) => `volume ${String(v.name)}${t.where} is a hostPath`));
  },
});
