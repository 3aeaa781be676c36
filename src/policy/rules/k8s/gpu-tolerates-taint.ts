import { gpuCount, podTemplates, toleratesGpu, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-GPU-1: pods that request GPUs tolerate the GPU node taint. */
export const GpuToleratesTaint = kubernetesRule({
  id: 'AI-K8S-GPU-1',
  severity: 'error',
  title: 'GPU pods tolerate the nvidia.com/gpu taint',
  rationale: 'GPU pools are tainted nvidia.com/gpu:NoSchedule; a GPU pod without the toleration stays Pending forever.',
  remediation: 'Add tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }].',
  kinds: WORKLOAD_KINDS,
  check(o) {
    return podTemplates(o).filter((t) => gpuCount(t.spec) > 0 && !toleratesGpu(t.spec))
      .map((t) => `pod${t.where} requests GPUs without tolerating nvidia.com/gpu`);
  },
});
