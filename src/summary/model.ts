/**
 * What a construct tells the platform summary (`cdktf.out/stacks/<stack>/PLATFORM.md`, printed by the fast
 * synth): plain data, no construct classes, so `summary/` imports nothing of the constructs it describes.
 */

/** A GPU pool of a cluster. */
export interface PoolSummary {
  readonly name: string;
  readonly gpu: string;
  readonly gpusPerNode: number;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly machineType?: string;
  /** The capacity ladder, in order (`on-demand -> spot`). */
  readonly capacity: readonly string[];
}

export type SummaryPart =
  | { readonly kind: 'cluster'; readonly path: string; readonly cloud: string; readonly name: string; readonly pools: readonly PoolSummary[];
    /** USD per month: every pool at `minNodes` + control plane, and the upper bound (every pool at `maxNodes`). */
    readonly monthlyUsd: { readonly min: number; readonly max: number } }
  | { readonly kind: 'tenant'; readonly path: string; readonly cluster: string; readonly namespace: string; readonly gpuQuota: number; readonly cpuQuota: number; readonly memoryQuotaGiB: number }
  | { readonly kind: 'training-job'; readonly path: string; readonly cluster: string; readonly name: string; readonly namespace: string; readonly pool: string;
    readonly gpus: number; readonly checkpointStore?: string; readonly checkpointPrefix?: string }
  | { readonly kind: 'endpoint'; readonly path: string; readonly cluster: string; readonly name: string; readonly namespace: string; readonly pool: string;
    readonly runtime: string; readonly replicas: { readonly min: number; readonly max: number }; readonly url: string;
    readonly modelStore?: string; readonly modelPath?: string }
  | { readonly kind: 'bucket'; readonly path: string; readonly cloud: string; readonly name: string }
  | { readonly kind: 'pipeline'; readonly path: string; readonly cluster: string; readonly name: string; readonly namespace: string; readonly pool: string;
    readonly gpus: number; readonly schedule?: string; readonly dataStore: string; readonly dataPrefix: string; readonly endpoint?: string }
  | { readonly kind: 'monitoring'; readonly path: string; readonly cloud: string; readonly cluster?: string; readonly backend: string;
    readonly receivers: readonly string[]; readonly routes: Readonly<Record<string, readonly string[]>> };

/** Where a construct keeps its summary function (a registry symbol: one value across copies of the library). */
export const SUMMARY_PART = Symbol.for('cdktf-ai-infra.summary-part');

/** The file the summary is written to, in the stack's folder of the synth output. */
export const PLATFORM_FILE = 'PLATFORM.md';

/** Markers around the compact summary in PLATFORM.md: the fast synth prints what lies between them. */
export const SUMMARY_BEGIN = '<!-- summary:begin -->';
export const SUMMARY_END = '<!-- summary:end -->';
