// Labels and the taint the library puts on cluster nodes: cloud-neutral, read by the generic constructs (pod
// placement) and by every cloud's node pools.

/** Label keys the library puts on nodes. */
export const LABEL_GPU = 'cdktf-ai-infra/gpu';
export const LABEL_POOL = 'cdktf-ai-infra/pool';
export const LABEL_CAPACITY = 'cdktf-ai-infra/capacity';

/** The taint every GPU node carries, so only pods that ask for GPUs land there. */
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' as const };

/** The extended resource the EFA device plugin advertises on nodes of `efa`-interconnect pools. */
export const EFA_RESOURCE = 'vpc.amazonaws.com/efa';
