import { ErrorScope, InvalidPropError } from './errors';

/** Where a pool's nodes come from, cheapest-committed first. */
export type CapacityKind = 'reserved' | 'on-demand' | 'spot';

export const CAPACITY_KINDS: readonly CapacityKind[] = ['reserved', 'on-demand', 'spot'];

/**
 * A capacity reservation a `reserved` rung consumes.
 * - AWS: an EC2 Capacity Block (`cr-...`, default) or an On-Demand Capacity Reservation id.
 * - GCP: a Compute Engine reservation name (the pool consumes it SPECIFICally).
 * - Azure: the resource id of a Capacity Reservation Group.
 */
export interface GpuReservation {
  /** Reservation id / name / resource id (see above). */
  readonly id: string;
  /** AWS only: a Capacity Block for ML, or an On-Demand Capacity Reservation (ODCR). @default 'capacity-block' */
  readonly awsType?: 'capacity-block' | 'odcr';
  /**
   * AWS ODCR only: the cluster placement group the reservation was created in. The reserved rung's instances
   * launch into it (an instance in another placement group cannot use the reservation).
   * @default - none: the reserved rung gets no placement group (on-demand and spot rungs of an EFA or
   * `compactPlacement` pool keep the pool's)
   */
  readonly awsPlacementGroup?: string;
}

/** Priority of each rung for autoscaler priority expanders (higher wins). */
export const CAPACITY_PRIORITY: Record<CapacityKind, number> = { reserved: 100, 'on-demand': 50, spot: 10 };

/** Short name of a rung, used in node group / node pool names. */
export const CAPACITY_SUFFIX: Record<CapacityKind, string> = { reserved: 'rsv', 'on-demand': 'od', spot: 'spot' };

/** Validates a ladder: non-empty, known rungs, no duplicates, in the order reserved > on-demand > spot. */
export function checkCapacityLadder(scope: ErrorScope, prop: string, ladder: readonly CapacityKind[]): void {
  const allowed = `a non-empty ordered subset of ${CAPACITY_KINDS.map((k) => JSON.stringify(k)).join(', ')} without repeats, e.g. ['reserved', 'on-demand', 'spot']`;
  if (!Array.isArray(ladder) || ladder.length === 0) throw new InvalidPropError(scope, prop, ladder, allowed);
  const seen = new Set<string>();
  let last = -1;
  for (const rung of ladder) {
    const index = CAPACITY_KINDS.indexOf(rung);
    if (index < 0 || seen.has(rung) || index < last) throw new InvalidPropError(scope, prop, ladder, allowed);
    seen.add(rung);
    last = index;
  }
}

/** True when the ladder can only give spot (preemptible) nodes. */
export function isSpotOnly(ladder: readonly CapacityKind[] | undefined): boolean {
  return ladder !== undefined && ladder.length > 0 && ladder.every((r) => r === 'spot');
}
