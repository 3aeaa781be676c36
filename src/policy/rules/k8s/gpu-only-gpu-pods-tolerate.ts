import { gpuCount, podTemplates, toleratesGpu, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-GPU-2: pods without GPUs do not tolerate the GPU taint (node agents excepted). */
export const GpuOnlyGpuPodsTolerate = kubernetesRule({
  id: 'AI-K8S-GPU-2',
  severity: 'error',
  title: 'Only GPU pods tolerate the nvidia.com/gpu taint',
  rationale: 'A CPU pod that tolerates the taint can land on an idle GPU node, keep it from scaling to zero and take the slot of a GPU job. DaemonSets (node agents such as the DCGM exporter) are exempt.',
  remediation: 'Remove the nvidia.com/gpu toleration from pods that request no nvidia.com/gpu.',
  kinds: WORKLOAD_KINDS.filter((k) => k !== 'DaemonSet'),
  check(o) {
    return podTemplates(o).filter((t) => gpuCount(t.spec) === 0 && toleratesGpu(t.spec))
      .map((t) => `pod${t.where} requests no GPU but tolerates nvidia.com/gpu`);
  },
});
