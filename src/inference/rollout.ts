// Rolling updates of an endpoint and the GPU headroom they need on the serving pool. A Deployment rolling with
// maxSurge starts new pods before old ones stop: at replicas.max those pods need GPUs beyond max, and a canary
// holds its own. If the pool cannot hold them beside the other workloads on it, the rollout hangs with Pending
// pods until progressDeadlineSeconds: found here at synth time instead.
import { IConstruct } from 'constructs';
import { GpuPoolInfo } from '../core/cluster';
import { check, InvalidPropError } from '../core/errors';
import { PoolDemand } from '../core/pool-demand';

/** How the stable Deployment rolls (apps/v1 RollingUpdate, absolute pod counts). */
export interface RolloutOptions {
  /** Pods started above the desired count during a rollout (each needs `gpusPerReplica` free GPUs). @default 1 */
  readonly maxSurge?: number;
  /**
   * Pods that may be down during a rollout. `maxSurge: 0, maxUnavailable: 1` rolls in place: no extra GPUs,
   * one replica less while it rolls. @default 0
   */
  readonly maxUnavailable?: number;
}

export interface ResolvedRollout {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/** Checks `rollout` and fills in the defaults (surge 1, none unavailable: never fewer serving pods). */
export function resolveRollout(scope: IConstruct, o: RolloutOptions | undefined, maxReplicas: number): ResolvedRollout {
  const maxSurge = o?.maxSurge ?? 1;
  const maxUnavailable = o?.maxUnavailable ?? 0;
  check.integerInRange(scope, 'rollout.maxSurge', maxSurge, 0, maxReplicas);
  check.integerInRange(scope, 'rollout.maxUnavailable', maxUnavailable, 0, maxReplicas);
  if (maxSurge === 0 && maxUnavailable === 0) {
    throw new InvalidPropError(scope, 'rollout', o, 'maxSurge or maxUnavailable above 0 (Kubernetes rejects a rollout that may neither add nor remove a pod)');
  }
  return { maxSurge, maxUnavailable };
}

/** What the headroom check knows of one endpoint. */
export interface RolloutHeadroomInput {
  readonly path: string;
  readonly pool: GpuPoolInfo;
  readonly gpusPerReplica: number;
  readonly maxReplicas: number;
  readonly canaryReplicas: number;
  readonly rollout: ResolvedRollout;
  /** The other workloads on the same pool. */
  readonly others: readonly PoolDemand[];
}

export interface RolloutHeadroom {
  /** The rollout cannot finish even with every other workload at its floor. */
  readonly errors: string[];
  /** It fits only while the others stay below their peak. */
  readonly warnings: string[];
}

/**
 * GPUs are summed over the pool (a lower bound: a replica cannot span nodes, so a pool whose node size is not a
 * multiple of gpusPerReplica may still strand GPUs).
 */
export function rolloutHeadroom(i: RolloutHeadroomInput): RolloutHeadroom {
  const poolGpus = i.pool.gpusPerNode * i.pool.maxNodes;
  const g = i.gpusPerReplica;
  const need = (surge: number, canary: number) => (i.maxReplicas + surge + canary) * g;
  const ownNeed = need(i.rollout.maxSurge, i.canaryReplicas);
  const floor = i.others.reduce((s, d) => s + d.floorGpus, 0);
  const peak = i.others.reduce((s, d) => s + d.peakGpus, 0);
  const shape = `replicas.max ${i.maxReplicas} + maxSurge ${i.rollout.maxSurge}${i.canaryReplicas ? ` + canary ${i.canaryReplicas}` : ''} replicas x ${g} GPU${g > 1 ? 's' : ''} = ${ownNeed} GPUs`;
  const holds = `pool ${i.pool.name} holds ${i.pool.maxNodes} x ${i.pool.gpusPerNode} = ${poolGpus} ${i.pool.gpu} GPUs`;
  const list = (pick: (d: PoolDemand) => number) => i.others.map((d) => `${d.path} ${pick(d)}`).join(', ');
  const errors: string[] = [];
  const warnings: string[] = [];
  if (ownNeed + floor > poolGpus) {
    const fixes = [`raise pool ${i.pool.name}'s maxNodes to ${Math.ceil((ownNeed + floor) / i.pool.gpusPerNode)}`];
    if (i.rollout.maxSurge > 0 && need(0, i.canaryReplicas) + floor <= poolGpus) fixes.push('roll in place with rollout { maxSurge: 0, maxUnavailable: 1 }');
    const room = Math.floor((poolGpus - floor) / g) - i.rollout.maxSurge - i.canaryReplicas;
    if (room >= 1) fixes.push(`lower replicas.max to ${room}`);
    const others = floor > 0 ? ` and the other workloads on it hold at least ${floor} (${list((d) => d.floorGpus)})` : '';
    errors.push(new InvalidPropError(i.path, 'rollout', { ...i.rollout, canaryReplicas: i.canaryReplicas },
      `a rollout that fits the serving pool: ${shape}, but ${holds}${others}, so the new pods stay Pending and the rollout never finishes. `
      + `Fixes: ${fixes.join('; or ')}`).message);
  } else if (ownNeed + peak > poolGpus) {
    warnings.push(`${i.path}: a rollout at ${shape} fits ${i.pool.name} (${poolGpus} GPUs) only while the other workloads stay below their peak `
      + `(${peak} GPUs at peak: ${list((d) => d.peakGpus)}); at peak its new pods wait for GPUs or preempt training pods (lower priority: they lose the work since their last checkpoint). Raise maxNodes to `
      + `${Math.ceil((ownNeed + peak) / i.pool.gpusPerNode)} or roll in place (rollout { maxSurge: 0, maxUnavailable: 1 })`);
  }
  return { errors, warnings };
}
