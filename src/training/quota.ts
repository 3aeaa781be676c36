// GPU quota a cluster needs at full scale, from the catalog's quota facts (src/core/gpu.ts). Cloud quotas are
// checked when a node is created, not when Terraform applies the node pool: a new account or project (quota 0)
// deploys cleanly and fails only when the autoscaler adds the first GPU node. Synth states the need up front.
import { GpuQuota, QuotaName } from '../core/gpu';

/** How much of one cloud quota a cluster's GPU pools can use at once. */
export interface GpuQuotaRequirement {
  /** The quota, as the cloud's console names it. */
  readonly quota: QuotaName;
  /** What it counts: vCPUs (AWS, Azure) or GPUs (GCP). */
  readonly unit: 'vcpus' | 'gpus';
  /** The cluster's region (empty for a global quota). */
  readonly region: string;
  /** The most the pools can use together: every pool at `maxNodes` in each of its separately capped node groups. */
  readonly amount: number;
  /** Each pool's share. */
  readonly pools: readonly { readonly pool: string; readonly amount: number }[];
}

/** The parts of a resolved pool the quota needs. */
export interface QuotaPool {
  readonly name: string;
  readonly machine: { readonly machine: string; readonly vcpus: number; readonly gpusPerNode: number; readonly quota: GpuQuota };
  readonly maxNodes: number;
  /** Node groups of on-demand / reserved capacity that can each reach `maxNodes`. */
  readonly onDemandGroups: number;
  /** Node groups of spot capacity that can each reach `maxNodes`. */
  readonly spotGroups: number;
}

/** Sums, per quota, what the pools need at full scale (in the order quotas first appear). */
export function gpuQuotaRequirements(region: string, pools: readonly QuotaPool[]): GpuQuotaRequirement[] {
  const byKey = new Map<string, { quota: QuotaName; unit: 'vcpus' | 'gpus'; pools: { pool: string; amount: number }[] }>();
  const add = (quota: QuotaName, unit: 'vcpus' | 'gpus', pool: string, amount: number) => {
    if (amount <= 0) return;
    const key = `${quota.global ? 'global' : region}|${quota.name}`;
    const entry = byKey.get(key) ?? { quota, unit, pools: [] };
    const mine = entry.pools.find((p) => p.pool === pool);
    if (mine) mine.amount += amount;
    else entry.pools.push({ pool, amount });
    byKey.set(key, entry);
  };
  for (const p of pools) {
    const q = p.machine.quota;
    const perNode = q.unit === 'vcpus' ? p.machine.vcpus : p.machine.gpusPerNode;
    for (const quota of q.onDemand) add(quota, q.unit, p.name, perNode * p.maxNodes * p.onDemandGroups);
    for (const quota of q.spot) add(quota, q.unit, p.name, perNode * p.maxNodes * p.spotGroups);
  }
  return [...byKey.values()].map((e) => ({
    quota: e.quota, unit: e.unit, region: e.quota.global ? '' : region,
    amount: e.pools.reduce((s, p) => s + p.amount, 0), pools: e.pools,
  }));
}

/** One line per quota: `"Running On-Demand P instances" (L-417A185B) in us-east-1 >= 384 vCPUs (h100: 384)`. */
export function describeQuotaRequirements(reqs: readonly GpuQuotaRequirement[]): string {
  return reqs.map((r) => {
    const unit = r.unit === 'vcpus' ? 'vCPUs' : 'GPUs';
    const where = r.region ? `in ${r.region}` : 'over all regions';
    return `"${r.quota.name}"${r.quota.code ? ` (${r.quota.code})` : ''} ${where} >= ${r.amount} ${unit} (${r.pools.map((p) => `${p.pool}: ${p.amount}`).join(', ')})`;
  }).join('; ');
}
