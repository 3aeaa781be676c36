// GKE custom compute classes: how a GPU pool with spot and non-spot rungs orders its node pools.

/** GKE: node pools of a custom compute class carry this label and taint (value: the class name). */
export const GKE_COMPUTE_CLASS_KEY = 'cloud.google.com/compute-class';

/** GKE: a GPU pool gets a ComputeClass (ordered node pools) when its ladder has spot and non-spot rungs. */
export function gkeUsesComputeClass(capacity: readonly string[], queuedProvisioning: boolean): boolean {
  return !queuedProvisioning && capacity.includes('spot') && capacity.some((r) => r !== 'spot');
}
