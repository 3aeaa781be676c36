// The GPU price table of a cluster's pools for the cost rules: the catalog's on-demand list price of each pool's
// machine (src/core/gpu.ts), scaled per capacity type unless the user gives the prices of their bill.
import { IConstruct } from 'constructs';
import { IGpuCluster } from '../core/cluster';
import { check, InvalidPropError } from '../core/errors';
import { Gpu } from '../core/gpu';
import { LABEL_POOL } from '../k8s/node-labels';
import { CAPACITY_TYPES, CapacityType, GpuPrice } from './rules/cost';

export interface CostProps {
  /**
   * Spot price as a fraction of the on-demand list price (spot prices move; the clouds quote 60-90% off).
   * @default 0.4
   */
  readonly spotPriceRatio?: number;
  /** Reserved / committed-use price as a fraction of on-demand (1-year commitments are about 35-40% off). @default 0.65 */
  readonly reservedPriceRatio?: number;
  /**
   * Your prices, USD per node-hour, by pool name and capacity type (your bill, a private pricing agreement, a
   * Capacity Block): they replace the ratio estimates.
   * @default - the ratios applied to the catalog's on-demand list price
   */
  readonly nodeHourPricesUsd?: Record<string, Partial<Record<CapacityType, number>>>;
}

export function checkCostProps(scope: IConstruct, cost: CostProps | undefined, cluster: IGpuCluster | undefined): void {
  if (!cost) return;
  check.numberInRange(scope, 'cost.spotPriceRatio', cost.spotPriceRatio, 0.01, 1);
  check.numberInRange(scope, 'cost.reservedPriceRatio', cost.reservedPriceRatio, 0.01, 1);
  const pools = (cluster?.gpuPools ?? []).map((p) => p.name);
  for (const [pool, prices] of Object.entries(cost.nodeHourPricesUsd ?? {})) {
    if (!pools.includes(pool)) {
      throw new InvalidPropError(scope, 'cost.nodeHourPricesUsd', pool, `a GPU pool of the monitored cluster (${pools.join(', ') || 'none'})`);
    }
    for (const [capacity, price] of Object.entries(prices ?? {})) {
      check.oneOf(scope, `cost.nodeHourPricesUsd.${pool}`, capacity as CapacityType, CAPACITY_TYPES);
      check.numberInRange(scope, `cost.nodeHourPricesUsd.${pool}.${capacity}`, price, 0, 100_000);
    }
  }
}

/** A pool's on-demand list price per node-hour from the catalog, when its machine is known. */
function listPrice(cluster: IGpuCluster, pool: IGpuCluster['gpuPools'][number]): { machine: string; usd: number } | undefined {
  const machine = pool.machineType ? Gpu.fromId(pool.gpu)?.machineByName(cluster.cloud.kind, pool.machineType) : undefined;
  return machine ? { machine: machine.machine, usd: machine.pricePerHourUsd } : undefined;
}

/** The price of a GPU-hour on each pool at each of its capacity types, and the pools that have none. */
export function gpuPriceTable(cluster: IGpuCluster, cost: CostProps = {}): { prices: GpuPrice[]; unpriced: string[] } {
  const prices: GpuPrice[] = [];
  const unpriced: string[] = [];
  for (const pool of cluster.gpuPools) {
    const list = listPrice(cluster, pool);
    const mine = cost.nodeHourPricesUsd?.[pool.name] ?? {};
    const ratio: Record<CapacityType, number> = { 'reserved': cost.reservedPriceRatio ?? 0.65, 'on-demand': 1, 'spot': cost.spotPriceRatio ?? 0.4 };
    for (const capacity of pool.capacity ?? ['on-demand']) {
      const nodeHour = mine[capacity] ?? (list ? list.usd * ratio[capacity] : undefined);
      if (nodeHour === undefined) {
        unpriced.push(`${pool.name}/${capacity}`);
        continue;
      }
      prices.push({
        pool: pool.nodeSelector[LABEL_POOL] ?? pool.name, capacity, machine: list?.machine ?? pool.machineType ?? 'unknown',
        usdPerGpuHour: Math.round((nodeHour / pool.gpusPerNode) * 10_000) / 10_000,
      });
    }
  }
  return { prices, unpriced };
}

/** On-demand price of a GPU-hour on the first pool that has one (a tenant's first Kueue flavor), for idle quota. */
export function idleGpuHourPrice(cluster: IGpuCluster, cost: CostProps = {}): number {
  for (const pool of cluster.gpuPools) {
    const nodeHour = cost.nodeHourPricesUsd?.[pool.name]?.['on-demand'] ?? listPrice(cluster, pool)?.usd;
    if (nodeHour !== undefined) return Math.round((nodeHour / pool.gpusPerNode) * 10_000) / 10_000;
  }
  return 0;
}
