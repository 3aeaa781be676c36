// PromQL for an endpoint's metrics, per runtime. Series come from the ServiceMonitor, so they carry the
// `namespace` and `service` labels of the scraped Service (prometheus-operator's defaults).
import { InferenceRuntime } from './types';

/** Metric names of one runtime (builtin: compute/CONTRACT.md; vLLM: its /metrics). */
export interface RuntimeMetricNames {
  readonly requestDuration: string;
  readonly timeToFirstToken: string;
  readonly interTokenLatency: string;
  readonly queueDepth: string;
  readonly running: string;
  readonly kvCacheUsage: string;
  readonly generationTokens: string;
  /** Request counter and how to select its server errors. */
  readonly requests: string;
  readonly serverErrorMatcher: string;
}

export const RUNTIME_METRICS: Record<InferenceRuntime, RuntimeMetricNames> = {
  builtin: {
    requestDuration: 'aiinfra_server_request_duration_seconds',
    timeToFirstToken: 'aiinfra_server_time_to_first_token_seconds',
    interTokenLatency: 'aiinfra_server_inter_token_latency_seconds',
    queueDepth: 'aiinfra_server_queue_depth',
    running: 'aiinfra_server_running_requests',
    kvCacheUsage: 'aiinfra_server_kv_cache_usage_ratio',
    generationTokens: 'aiinfra_server_generation_tokens_total',
    requests: 'aiinfra_server_requests_total',
    // 429 (queue full) counts against availability, as the MonitoringStack's endpoint rules count it.
    serverErrorMatcher: 'code=~"5..|429"',
  },
  vllm: {
    requestDuration: 'vllm:e2e_request_latency_seconds',
    timeToFirstToken: 'vllm:time_to_first_token_seconds',
    interTokenLatency: 'vllm:inter_token_latency_seconds',
    queueDepth: 'vllm:num_requests_waiting',
    running: 'vllm:num_requests_running',
    kvCacheUsage: 'vllm:kv_cache_usage_perc',
    generationTokens: 'vllm:generation_tokens_total',
    // vLLM's HTTP instrumentation: status is "2xx", "4xx", "5xx".
    requests: 'http_requests_total',
    serverErrorMatcher: 'status="5xx"',
  },
};

/** A label selector for the series of an endpoint (every track, or one Service). */
export function seriesSelector(namespace: string, services: readonly string[]): string {
  const service = services.length === 1 ? `service="${services[0]}"` : `service=~"${services.join('|')}"`;
  return `namespace="${namespace}",${service}`;
}

/** The p-quantile of a histogram over `window`. */
export function histogramQuantile(metric: string, selector: string, quantile: number, window: string): string {
  return `histogram_quantile(${quantile}, sum by (le) (rate(${metric}_bucket{${selector}}[${window}])))`;
}

/** Summed gauge. */
export function gaugeSum(metric: string, selector: string): string {
  return `sum(${metric}{${selector}})`;
}

/** Share of requests that failed with a server error over `window`. */
export function errorRatio(names: RuntimeMetricNames, selector: string, window: string): string {
  return `sum(rate(${names.requests}{${selector},${names.serverErrorMatcher}}[${window}])) / sum(rate(${names.requests}{${selector}}[${window}]))`;
}
