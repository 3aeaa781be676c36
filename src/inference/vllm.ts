// vLLM: the pinned image and the server arguments derived from the endpoint's props.
import { InferencePrecision, InferenceQuantization } from './types';

/** The vLLM OpenAI-compatible server image, pinned (bump deliberately, with the README's version table). */
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.11.0';

/** Quantization methods vLLM takes from our props (the model must be quantized that way for awq/gptq). */
export const VLLM_QUANTIZATIONS: readonly InferenceQuantization[] = ['none', 'fp8', 'awq', 'gptq'];

/** Quantization methods the builtin server takes. */
export const BUILTIN_QUANTIZATIONS: readonly InferenceQuantization[] = ['none', 'int8'];

export interface VllmArgsInput {
  /** Local directory of the HF-format model. */
  readonly modelPath: string;
  readonly servedModelName: string;
  readonly port: number;
  readonly tensorParallelSize: number;
  readonly pipelineParallelSize: number;
  readonly precision: InferencePrecision;
  readonly quantization: InferenceQuantization;
  readonly maxModelLength?: number;
}

const DTYPE: Record<InferencePrecision, string> = { bf16: 'bfloat16', fp16: 'float16', fp32: 'float32' };

/** `vllm serve` arguments (the entrypoint of the image is the OpenAI API server). */
export function vllmArgs(input: VllmArgsInput): string[] {
  const args = [
    '--model', input.modelPath,
    '--served-model-name', input.servedModelName,
    '--host', '0.0.0.0',
    '--port', String(input.port),
    '--tensor-parallel-size', String(input.tensorParallelSize),
  ];
  if (input.pipelineParallelSize > 1) args.push('--pipeline-parallel-size', String(input.pipelineParallelSize));
  args.push('--dtype', DTYPE[input.precision]);
  if (input.quantization !== 'none') args.push('--quantization', input.quantization);
  if (input.maxModelLength !== undefined) args.push('--max-model-len', String(input.maxModelLength));
  args.push('--gpu-memory-utilization', '0.90');
  return args;
}
