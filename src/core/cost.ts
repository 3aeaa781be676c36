// Cost estimates at list price. Upper bounds: every pool at its maximum size all month, on-demand
// list price (reserved and spot capacity cost less), no egress, storage, NAT or support charges.

/** Hours in the average month, as the clouds' price calculators count them. */
export const HOURS_PER_MONTH = 730;

/** Control-plane fee per cluster-hour (EKS standard support, GKE, AKS Standard tier), USD. */
export const CONTROL_PLANE_PER_HOUR_USD = 0.1;

/** One line of an estimate. */
export interface CostLine {
  /** What the line is for (a pool name, `control-plane`). */
  readonly item: string;
  /** Machine type (pools). */
  readonly machine?: string;
  /** Nodes counted (the pool's maximum). */
  readonly nodes: number;
  readonly pricePerHourUsd: number;
  readonly monthlyUsd: number;
}

/** An estimate: the lines and their total. */
export interface CostEstimate {
  readonly lines: readonly CostLine[];
  /** Sum of the lines, USD per month, rounded to cents. */
  readonly monthlyUsd: number;
}

function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A pool at its maximum size for a month: list price x max nodes x 730 h. */
export function poolMonthlyCost(item: string, machine: string, pricePerHourUsd: number, maxNodes: number): CostLine {
  return { item, machine, nodes: maxNodes, pricePerHourUsd, monthlyUsd: cents(pricePerHourUsd * maxNodes * HOURS_PER_MONTH) };
}

/** Sums lines into an estimate. */
export function sumCost(lines: readonly CostLine[]): CostEstimate {
  return { lines, monthlyUsd: cents(lines.reduce((sum, l) => sum + l.monthlyUsd, 0)) };
}
