import { podTemplates, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { blocks } from '../../util';

/** AI-K8S-POD-12: emptyDir volumes are bounded. */
export const PodEmptyDirSizeLimit = kubernetesRule({
  id: 'AI-K8S-POD-12',
  severity: 'error',
  title: 'emptyDir volumes set a sizeLimit',
  rationale: 'With a read-only root filesystem, emptyDirs are all a pod can write locally; unbounded, one job staging a checkpoint fills the node disk (or, for medium Memory, the node RAM) and evicts its neighbours.',
  remediation: 'Set emptyDir.sizeLimit on every emptyDir volume (e.g. 16Gi for /tmp, the shared-memory size for /dev/shm).',
  kinds: WORKLOAD_KINDS,
  check(o) {
    return podTemplates(o).flatMap((t) => blocks(t.spec.volumes)
      .filter((v) => v.emptyDir !== undefined && (v.emptyDir === null || typeof v.emptyDir !== 'object' || (v.emptyDir as Record<string, unknown>).sizeLimit === undefined))
      .map((v) => `emptyDir ${String(v.name)}${t.where} has no sizeLimit`));
  },
});
