// What each workload asks of a GPU pool, so checks that span workloads (rollout headroom) can add them up.
// Kept on the cluster object (a registry symbol: one value across copies of the library), keyed by pool.
import { IConstruct } from 'constructs';

/** GPUs one workload holds on one pool. */
export interface PoolDemand {
  /** Construct path of the workload (named in errors). */
  readonly path: string;
  readonly kind: 'endpoint' | 'training-job';
  /** GPUs no rollout can take from it (an endpoint at `replicas.min` plus a running canary; 0 for a training job, which serving pods preempt). */
  readonly floorGpus: number;
  /** GPUs it may hold at its peak (an endpoint at `replicas.max` plus a running canary; a training job while it runs). */
  readonly peakGpus: number;
}

const DEMANDS = Symbol.for('cdktf-ai-infra.pool-demands');

type Registry = Map<string, PoolDemand[]>;

function registry(cluster: IConstruct): Registry {
  const holder = cluster as unknown as Record<symbol, Registry | undefined>;
  let map = holder[DEMANDS];
  if (!map) {
    map = new Map();
    Object.defineProperty(cluster, DEMANDS, { value: map, enumerable: false });
  }
  return map;
}

/** Records that the workload at `demand.path` runs on `pool` of `cluster`. */
export function registerPoolDemand(cluster: IConstruct, pool: string, demand: PoolDemand): void {
  const map = registry(cluster);
  map.set(pool, [...(map.get(pool) ?? []), demand]);
}

/** Every workload recorded on `pool` of `cluster`, in the order they were made. */
export function poolDemands(cluster: IConstruct, pool: string): readonly PoolDemand[] {
  return registry(cluster).get(pool) ?? [];
}
