// Pod tolerations of a node pool's taints (a part of a pod spec, as container.ts is).
import { Toleration } from './object';

/** A node taint, as pools declare them. */
export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: Toleration['effect'];
}

/** Tolerates exactly these taints (key, value and effect): nothing broader. */
export function tolerationsOf(taints: readonly Taint[]): Toleration[] {
  return taints.map((t) => ({ key: t.key, operator: 'Equal', value: t.value, effect: t.effect }));
}

/**
 * The tolerations of a GPU pod on a pool: the pool's taints, and the `nvidia.com/gpu` taint whatever its value
 * when the pool does not declare it (the device plugin's and the clouds' GPU nodes carry it).
 */
export function gpuPodTolerations(taints: readonly Taint[]): Toleration[] {
  const list = tolerationsOf(taints);
  if (!taints.some((t) => t.key === 'nvidia.com/gpu')) list.push({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
  return list;
}
