// Synth-time GPU memory check: do the weights fit in the GPUs of one replica, with room for the KV cache?
import { InferencePrecision, InferenceQuantization } from './types';

/** Bytes per parameter of the stored weights. */
export function bytesPerParameter(precision: InferencePrecision, quantization: InferenceQuantization): number {
  switch (quantization) {
    case 'int8':
    case 'fp8':
      return 1;
    case 'awq':
    case 'gptq':
      return 0.5;
    case 'none':
      return precision === 'fp32' ? 4 : 2;
  }
}

/** Share of GPU memory the weights may take; the rest holds the KV cache, activations and the CUDA context. */
export const WEIGHT_BUDGET = 0.8;

const GIB = 1024 ** 3;

export interface FitResult {
  readonly fits: boolean;
  /** Weight bytes, GiB. */
  readonly weightsGiB: number;
  /** GPU memory of one replica, GiB. */
  readonly gpuMemoryGiB: number;
  /** The weights' budget (WEIGHT_BUDGET x gpuMemoryGiB), GiB. */
  readonly budgetGiB: number;
  /** The numbers, for an error message. */
  readonly explanation: string;
}

/** Checks `parameterCount` weights against `gpus` GPUs of `gpuMemoryGiB` each. */
export function checkModelFits(parameterCount: number, precision: InferencePrecision, quantization: InferenceQuantization,
  gpuId: string, gpuMemoryGiB: number, gpus: number): FitResult {
  const bytes = bytesPerParameter(precision, quantization);
  const weightsGiB = (parameterCount * bytes) / GIB;
  const total = gpuMemoryGiB * gpus;
  const budgetGiB = total * WEIGHT_BUDGET;
  const format = quantization === 'none' ? precision : quantization;
  const explanation = `${formatCount(parameterCount)} parameters x ${bytes} bytes (${format}) = ${weightsGiB.toFixed(1)} GiB of weights; `
    + `${gpus} x ${gpuId} = ${total} GiB, of which ${Math.round(WEIGHT_BUDGET * 100)}% (${budgetGiB.toFixed(1)} GiB) may hold weights `
    + 'and the rest the KV cache and activations';
  return { fits: weightsGiB <= budgetGiB, weightsGiB, gpuMemoryGiB: total, budgetGiB, explanation };
}

/** 1.21B, 350.0M, 7000. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return String(n);
}
