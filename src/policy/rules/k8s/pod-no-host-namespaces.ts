import { podTemplates, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-8: pods do not share the node's network, PID or IPC namespaces. */
export const PodNoHostNamespaces = kubernetesRule({
  id: 'AI-K8S-POD-8',
  severity: 'error',
  title: 'No hostNetwork, hostPID or hostIPC',
  rationale: 'Host namespaces let a pod sniff node traffic, signal node processes and bypass NetworkPolicies.',
  remediation: 'Remove hostNetwork/hostPID/hostIPC; NCCL over EFA/InfiniBand works through the device plugin without hostNetwork.',
  checkov: ['CKV_K8S_17', 'CKV_K8S_18', 'CKV_K8S_19'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return podTemplates(o).flatMap((t) => ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => t.spec[k] === true).map((k) => `${k}: true${t.where}`));
  },
});
