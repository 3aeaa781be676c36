// Generates the bundled Grafana dashboards: node src/monitoring/dashboards/generate.js src/monitoring/dashboards
// The JSON files are committed; test/monitoring/dashboards.test.ts checks they match this generator.
const fs = require('fs');
const out = process.argv[2];
const ds = { type: 'prometheus', uid: '${datasource}' };
let id = 0;
function panel(title, exprs, opts = {}) {
  id += 1;
  const w = opts.w ?? 12, h = opts.h ?? 8;
  return {
    id, title, type: opts.type ?? 'timeseries', datasource: ds,
    gridPos: { h, w, x: opts.x ?? 0, y: opts.y ?? 0 },
    ...(opts.description ? { description: opts.description } : {}),
    // A relative time of its own (`now/d`: today so far), so one dashboard shows today and this month.
    ...(opts.timeFrom ? { timeFrom: opts.timeFrom } : {}),
    fieldConfig: { defaults: { unit: opts.unit ?? 'short', ...(opts.thresholds ? { thresholds: { mode: 'absolute', steps: opts.thresholds } } : {}) }, overrides: [] },
    options: opts.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background' } : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: exprs.map(([expr, legend], i) => ({
      refId: String.fromCharCode(65 + i), datasource: ds, expr, legendFormat: legend ?? '',
      ...(opts.type === 'table' ? { instant: true, format: 'table' } : {}),
    })),
  };
}
function layout(panels) {
  let x = 0, y = 0, rowH = 0;
  for (const p of panels) {
    if (x + p.gridPos.w > 24) { x = 0; y += rowH; rowH = 0; }
    p.gridPos.x = x; p.gridPos.y = y; x += p.gridPos.w; rowH = Math.max(rowH, p.gridPos.h);
  }
  return panels;
}
function dashboard(uid, title, description, variables, panels) {
  return {
    uid, title, description, tags: ['cdktf-ai-infra'], editable: true, schemaVersion: 39, version: 1, timezone: 'utc',
    time: { from: 'now-6h', to: 'now' }, refresh: '1m', graphTooltip: 1,
    templating: { list: [
      { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
      ...variables.map(([name, label, query]) => ({
        name, label, type: 'query', datasource: ds, query: { query, refId: 'V' }, definition: query, refresh: 2,
        includeAll: true, multi: true, allValue: '.*', current: {}, sort: 1,
      })),
    ] },
    annotations: { list: [] },
    panels: layout(panels),
  };
}
const G = '{node=~"$node"}';
id = 0;
const gpu = dashboard('aiinfra-gpu-fleet', 'AI platform / GPU fleet', 'Every GPU of the cluster (DCGM exporter): utilization, memory, heat, faults and idle cost.',
  [['node', 'Node', 'label_values(DCGM_FI_DEV_GPU_UTIL, node)']], [
  panel('GPUs', [[`count(DCGM_FI_DEV_GPU_UTIL${G})`]], { type: 'stat', w: 4, h: 4 }),
  panel('Idle GPUs (< 10%)', [[`count(DCGM_FI_DEV_GPU_UTIL${G} < 10) or vector(0)`]], { type: 'stat', w: 4, h: 4, thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 1 }], description: 'GPUs below 10% utilization now: paid for, doing nothing.' }),
  panel('GPUs with XID errors', [[`count(DCGM_FI_DEV_XID_ERRORS${G} > 0) or vector(0)`]], { type: 'stat', w: 4, h: 4, thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }] }),
  panel('Double-bit ECC errors', [[`sum(DCGM_FI_DEV_ECC_DBE_VOL_TOTAL${G}) or vector(0)`]], { type: 'stat', w: 4, h: 4, thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }] }),
  panel('GPU nodes not Ready', [['count((kube_node_status_condition{condition="Ready",status="true"} == 0) and on (node) (kube_node_status_capacity{resource="nvidia_com_gpu"} > 0)) or vector(0)']], { type: 'stat', w: 4, h: 4, thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }] }),
  panel('Mean utilization', [[`avg(DCGM_FI_DEV_GPU_UTIL${G})`]], { type: 'stat', w: 4, h: 4, unit: 'percent' }),
  panel('GPU utilization', [[`DCGM_FI_DEV_GPU_UTIL${G}`, '{{node}} gpu{{gpu}}']], { unit: 'percent' }),
  panel('Tensor core activity', [[`DCGM_FI_PROF_PIPE_TENSOR_ACTIVE${G}`, '{{node}} gpu{{gpu}}']], { unit: 'percentunit', description: 'Fraction of cycles the tensor pipes are busy: closer to model FLOPs utilization than GPU_UTIL.' }),
  panel('Frame buffer used', [[`DCGM_FI_DEV_FB_USED${G} / (DCGM_FI_DEV_FB_USED${G} + DCGM_FI_DEV_FB_FREE${G})`, '{{node}} gpu{{gpu}}']], { unit: 'percentunit' }),
  panel('Temperature', [[`DCGM_FI_DEV_GPU_TEMP${G}`, '{{node}} gpu{{gpu}}']], { unit: 'celsius' }),
  panel('Power', [[`DCGM_FI_DEV_POWER_USAGE${G}`, '{{node}} gpu{{gpu}}']], { unit: 'watt' }),
  panel('Throttling (thermal and power violation time)', [[`rate(DCGM_FI_DEV_THERMAL_VIOLATION${G}[5m]) / 1e6`, 'thermal {{node}} gpu{{gpu}}'], [`rate(DCGM_FI_DEV_POWER_VIOLATION${G}[5m]) / 1e6`, 'power {{node}} gpu{{gpu}}']], { unit: 'percentunit' }),
  panel('Last XID per GPU', [[`DCGM_FI_DEV_XID_ERRORS${G} > 0`, '{{node}} gpu{{gpu}}']], { description: 'The value is the XID code; see the alert runbooks.' }),
  panel('NVLink errors', [[`sum by (node) (rate(DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL${G}[5m]) + rate(DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL${G}[5m]))`, '{{node}}']], { unit: 'cps' }),
]);
id = 0;
const T = '{namespace=~"$namespace",aiinfra_training_job=~"$job"}';
// Every trainer gauge is served by local rank 0 of each node, so a job of N nodes has N series of it. Their
// scope (compute/CONTRACT.md) says how to combine them: job-wide values are the same on every node (take max,
// never sum: that multiplied throughput by the number of nodes); per-node values are shown per pod.
const training = dashboard('aiinfra-training-run', 'AI platform / Training run', 'One training job (trainer metrics, compute/CONTRACT.md): progress, throughput, MFU, loss, checkpoints, restarts.',
  [['namespace', 'Namespace', 'label_values(aiinfra_train_step, namespace)'], ['job', 'Training job', 'label_values(aiinfra_train_step{namespace=~"$namespace"}, aiinfra_training_job)']], [
  panel('Step', [[`max by (aiinfra_training_job) (aiinfra_train_step${T})`, '{{aiinfra_training_job}}']], { type: 'stat', w: 6, h: 4 }),
  panel('Tokens / s', [[`max by (aiinfra_training_job) (aiinfra_train_tokens_per_second${T})`, '{{aiinfra_training_job}}']], { type: 'stat', w: 6, h: 4, description: 'Throughput of the whole job (every node reports the same job-wide value).' }),
  panel('MFU', [[`max by (aiinfra_training_job) (aiinfra_train_mfu${T})`, '{{aiinfra_training_job}}']], { type: 'stat', w: 6, h: 4, unit: 'percentunit' }),
  panel('Since last checkpoint', [[`time() - max by (aiinfra_training_job) (aiinfra_train_last_checkpoint_timestamp_seconds${T} > 0)`, '{{aiinfra_training_job}}']], { type: 'stat', w: 6, h: 4, unit: 's' }),
  panel('Loss', [[`max by (aiinfra_training_job) (aiinfra_train_loss${T})`, 'train {{aiinfra_training_job}}'], [`max by (aiinfra_training_job) (aiinfra_train_val_loss${T})`, 'val {{aiinfra_training_job}}']]),
  panel('Throughput', [[`max by (aiinfra_training_job) (aiinfra_train_tokens_per_second${T})`, '{{aiinfra_training_job}}']], { unit: 'short', description: 'Tokens per second of the whole job.' }),
  panel('Step time', [[`max by (aiinfra_training_job) (aiinfra_train_step_seconds${T})`, '{{aiinfra_training_job}}']], { unit: 's', description: 'The slowest node\'s wall time of the last step.' }),
  panel('Model FLOPs utilization', [[`max by (aiinfra_training_job) (aiinfra_train_mfu${T})`, '{{aiinfra_training_job}}']], { unit: 'percentunit' }),
  panel('Steps per minute', [[`max by (aiinfra_training_job) (deriv(aiinfra_train_step${T}[5m])) * 60`, '{{aiinfra_training_job}}']], { description: 'Zero for minutes while the trainer is up means stalled (alert TrainingStalled).' }),
  panel('Restarts (resumes from checkpoint)', [[`max by (aiinfra_training_job) (aiinfra_train_restarts_total${T})`, '{{aiinfra_training_job}}']]),
  panel('Nodes reporting', [[`count by (aiinfra_training_job) (aiinfra_train_step${T})`, '{{aiinfra_training_job}}']], { description: 'Pods whose trainer metrics are scraped: one per node of the job.' }),
  panel('Peak GPU memory (local rank 0 of each node)', [[`aiinfra_train_gpu_memory_bytes${T}`, '{{pod}}']], { unit: 'bytes' }),
  panel('GPU utilization of the job\'s pods', [['avg by (pod) (DCGM_FI_DEV_GPU_UTIL{namespace=~"$namespace",pod=~"$job.*"})', '{{pod}}']], { unit: 'percent' }),
  // Recorded by the training rules (aiinfra:training_*): what a preemption now would cost if the stop checkpoint failed.
  panel('Checkpoint age', [[`max by (aiinfra_training_job) (aiinfra:training_checkpoint_age_seconds${T})`, '{{aiinfra_training_job}}']], { unit: 's', description: 'Time since the newest complete checkpoint: the work a stop loses when the SIGTERM checkpoint cannot be written (grace period too short, node lost).' }),
  panel('Work a preemption loses now', [[`max by (aiinfra_training_job) (aiinfra:training_preemption_loss_gpu_hours${T})`, 'GPU-hours {{aiinfra_training_job}}'], [`max by (aiinfra_training_job) (aiinfra:training_preemption_loss_usd${T})`, 'USD {{aiinfra_training_job}}']], { description: 'Checkpoint age x the job\'s allocated GPUs (GPU-hours) and x their price by pool and capacity type (USD). Kueue preemption and spot reclaim give the trainer its grace period to checkpoint first.' }),
]);
id = 0;
const E = '{namespace=~"$namespace",service=~"$service"}';
const endpoint = dashboard('aiinfra-endpoint', 'AI platform / Inference endpoint', 'One endpoint (builtin server metrics, compute/CONTRACT.md): traffic, errors, latency, time to first token, queue and scaling.',
  [['namespace', 'Namespace', 'label_values(aiinfra_server_requests_total, namespace)'], ['service', 'Endpoint', 'label_values(aiinfra_server_requests_total{namespace=~"$namespace"}, service)']], [
  panel('Requests / s', [[`sum(rate(aiinfra_server_requests_total${E}[5m]))`]], { type: 'stat', w: 6, h: 4, unit: 'reqps' }),
  panel('Error ratio (5xx + 429)', [[`sum(rate(aiinfra_server_requests_total{namespace=~"$namespace",service=~"$service",code=~"5..|429"}[5m])) / sum(rate(aiinfra_server_requests_total${E}[5m]))`]], { type: 'stat', w: 6, h: 4, unit: 'percentunit', thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 0.001 }, { color: 'red', value: 0.01 }] }),
  panel('p95 latency', [[`histogram_quantile(0.95, sum by (le) (rate(aiinfra_server_request_duration_seconds_bucket${E}[5m])))`]], { type: 'stat', w: 6, h: 4, unit: 's' }),
  panel('p95 time to first token', [[`histogram_quantile(0.95, sum by (le) (rate(aiinfra_server_time_to_first_token_seconds_bucket${E}[5m])))`]], { type: 'stat', w: 6, h: 4, unit: 's' }),
  panel('Requests by status code', [[`sum by (code) (rate(aiinfra_server_requests_total${E}[5m]))`, '{{code}}']], { unit: 'reqps' }),
  panel('Error budget burn rate (1h, vs 99.9%)', [[`(sum(rate(aiinfra_server_requests_total{namespace=~"$namespace",service=~"$service",code=~"5..|429"}[1h])) / sum(rate(aiinfra_server_requests_total${E}[1h]))) / 0.001`, 'burn rate']], { description: '1 = spending the 30-day budget exactly; 14.4 pages.' }),
  panel('Request latency', [[`histogram_quantile(0.5, sum by (le) (rate(aiinfra_server_request_duration_seconds_bucket${E}[5m])))`, 'p50'], [`histogram_quantile(0.95, sum by (le) (rate(aiinfra_server_request_duration_seconds_bucket${E}[5m])))`, 'p95'], [`histogram_quantile(0.99, sum by (le) (rate(aiinfra_server_request_duration_seconds_bucket${E}[5m])))`, 'p99']], { unit: 's' }),
  panel('Time to first token / inter-token latency (p95)', [[`histogram_quantile(0.95, sum by (le) (rate(aiinfra_server_time_to_first_token_seconds_bucket${E}[5m])))`, 'TTFT p95'], [`histogram_quantile(0.95, sum by (le) (rate(aiinfra_server_inter_token_latency_seconds_bucket${E}[5m])))`, 'ITL p95']], { unit: 's' }),
  panel('Queue and running requests', [[`sum(aiinfra_server_queue_depth${E})`, 'waiting'], [`sum(aiinfra_server_running_requests${E})`, 'running']]),
  panel('Generated tokens / s', [[`sum(rate(aiinfra_server_generation_tokens_total${E}[5m]))`, 'generated'], [`sum(rate(aiinfra_server_prompt_tokens_total${E}[5m]))`, 'prompt']]),
  panel('KV cache usage (highest replica)', [[`max(aiinfra_server_kv_cache_usage_ratio${E})`, 'kv cache']], { unit: 'percentunit' }),
  panel('Mean batch size', [[`sum(rate(aiinfra_server_batch_size_sum${E}[5m])) / sum(rate(aiinfra_server_batch_size_count${E}[5m]))`, 'sequences per step']]),
  panel('Replicas (current / max)', [['kube_horizontalpodautoscaler_status_current_replicas{namespace=~"$namespace",horizontalpodautoscaler=~"(keda-hpa-)?($service)"}', 'current {{horizontalpodautoscaler}}'], ['kube_horizontalpodautoscaler_spec_max_replicas{namespace=~"$namespace",horizontalpodautoscaler=~"(keda-hpa-)?($service)"}', 'max {{horizontalpodautoscaler}}']]),
]);
id = 0;
// Per tenant (namespace): the cost rules' series (src/monitoring/rules/cost.ts). Sums over a range of a per-hour
// rate recorded once a minute are divided by 60. The dashboard opens on this month so far.
const C = '{namespace=~"$namespace"}';
const usd = { unit: 'currencyUSD' };
const tenantCost = dashboard('aiinfra-tenant-cost', 'AI platform / Tenant GPU cost', 'GPU cost per tenant (namespace): GPUs of running pods priced by pool and capacity type (reserved, on-demand, spot), idle quota, top jobs and endpoints.',
  [['namespace', 'Tenant', 'label_values(aiinfra:tenant_gpu_quota, namespace)']], [
  panel('Cost today', [[`sum(sum_over_time(aiinfra:namespace_gpu_cost_usd_per_hour${C}[$__range])) / 60`]], { type: 'stat', w: 4, h: 4, timeFrom: 'now/d', ...usd }),
  panel('Cost this month', [[`sum(sum_over_time(aiinfra:namespace_gpu_cost_usd_per_hour${C}[$__range])) / 60`]], { type: 'stat', w: 4, h: 4, timeFrom: 'now/M', ...usd, description: 'Month to date, as far back as Prometheus keeps samples (retention).' }),
  panel('Monthly pace (last 24 h)', [[`sum(sum_over_time(aiinfra:namespace_gpu_cost_usd_per_hour${C}[1d])) / 60 * 730 / 24`]], { type: 'stat', w: 4, h: 4, ...usd, description: 'The last 24 hours\' spend kept up for a month (730 h): the budget alert TenantGpuBudgetBurn compares it with monthlyBudgetUsd.' }),
  panel('GPU-hours in range', [[`sum(sum_over_time(aiinfra:namespace_gpus:allocated${C}[$__range])) / 60`]], { type: 'stat', w: 4, h: 4 }),
  panel('Idle quota cost in range', [[`sum(sum_over_time(aiinfra:tenant_idle_quota_cost_usd_per_hour${C}[$__range])) / 60`]], { type: 'stat', w: 4, h: 4, ...usd, description: 'GPUs of the tenant\'s quota that no running pod used, at the on-demand price of its first pool: what holding the quota cost.' }),
  panel('GPUs in use / quota', [[`sum(aiinfra:namespace_gpus:allocated${C}) / sum(aiinfra:tenant_gpu_quota${C})`]], { type: 'stat', w: 4, h: 4, unit: 'percentunit' }),
  panel('Cost rate by capacity type', [[`sum by (namespace, capacity) (aiinfra:workload_gpu_cost_usd_per_hour${C})`, '{{namespace}} {{capacity}}']], { unit: 'currencyUSD', description: 'USD per hour of the GPUs in use, by the nodes\' capacity type.' }),
  panel('GPUs in use and quota', [[`sum by (namespace) (aiinfra:namespace_gpus:allocated${C})`, 'in use {{namespace}}'], [`sum by (namespace) (aiinfra:tenant_gpu_quota${C})`, 'quota {{namespace}}']]),
  panel('Top jobs and endpoints by cost in range', [[`topk(10, sum by (namespace, workload) (sum_over_time(aiinfra:workload_gpu_cost_usd_per_hour${C}[$__range])) / 60)`]], { type: 'table', ...usd, description: 'Training jobs by name, endpoints by app name, other pods by pod name.' }),
  panel('Idle quota cost rate', [[`sum by (namespace) (aiinfra:tenant_idle_quota_cost_usd_per_hour${C})`, '{{namespace}}']], { unit: 'currencyUSD' }),
]);
tenantCost.time = { from: 'now/M', to: 'now' };
id = 0;
// Per tenant queue: Kueue's controller metrics per ClusterQueue (each tenant has one) and kube-state-metrics'
// state of each Kueue Workload (aiinfra_kueue_workload_*: why and since when a job waits).
const Q = '{cluster_queue=~"$queue"}';
const W = '{namespace=~"$namespace",type="QuotaReserved"}';
const tenantQueue = dashboard('aiinfra-tenant-queue', 'AI platform / Tenant queue', 'Kueue queue of a tenant: pending and admitted workloads, admission wait, preemptions, who holds the cohort\'s GPU quota, and each waiting job with Kueue\'s reason.',
  [['queue', 'ClusterQueue', 'label_values(kueue_pending_workloads, cluster_queue)'], ['namespace', 'Tenant namespace', 'label_values(aiinfra_kueue_workload_condition, namespace)']], [
  panel('Pending workloads', [[`sum(kueue_pending_workloads${Q})`]], { type: 'stat', w: 6, h: 4 }),
  panel('Admitted workloads', [[`sum(kueue_admitted_active_workloads${Q})`]], { type: 'stat', w: 6, h: 4 }),
  panel('Admission wait p90 (1 h)', [[`histogram_quantile(0.9, sum by (le) (rate(kueue_admission_wait_time_seconds_bucket${Q}[1h])))`]], { type: 'stat', w: 6, h: 4, unit: 's' }),
  panel('Preempted in the last 24 h', [[`sum(increase(kueue_evicted_workloads_total{cluster_queue=~"$queue",reason="Preempted"}[1d])) or vector(0)`]], { type: 'stat', w: 6, h: 4 }),
  panel('Pending by status', [[`sum by (cluster_queue, status) (kueue_pending_workloads${Q})`, '{{cluster_queue}} {{status}}']], { description: 'active: waiting for quota; inadmissible: cannot be admitted as it stands (no flavor fits, queue stopped).' }),
  panel('Admission wait', [[`histogram_quantile(0.5, sum by (le, cluster_queue) (rate(kueue_admission_wait_time_seconds_bucket${Q}[1h])))`, 'p50 {{cluster_queue}}'], [`histogram_quantile(0.9, sum by (le, cluster_queue) (rate(kueue_admission_wait_time_seconds_bucket${Q}[1h])))`, 'p90 {{cluster_queue}}']], { unit: 's' }),
  panel('Preemptions and evictions', [[`sum by (preempting_cluster_queue, reason) (increase(kueue_preempted_workloads_total{preempting_cluster_queue=~"$queue"}[1h]))`, 'preempted by {{preempting_cluster_queue}} ({{reason}})'], [`sum by (cluster_queue, reason) (increase(kueue_evicted_workloads_total${Q}[1h]))`, 'evicted from {{cluster_queue}} ({{reason}})']], { description: 'Per hour. A preempted training job resumes from its stop checkpoint; the training dashboard shows what it lost.' }),
  panel('Who holds the cohort\'s GPU quota', [[`sum by (cluster_queue) (kueue_cluster_queue_resource_usage{resource="nvidia.com/gpu"} and on (cohort) max by (cohort) (kueue_cluster_queue_resource_usage${Q}))`, 'in use {{cluster_queue}}'], [`sum by (cluster_queue) (kueue_cluster_queue_nominal_quota{resource="nvidia.com/gpu"} and on (cohort) max by (cohort) (kueue_cluster_queue_nominal_quota${Q}))`, 'quota {{cluster_queue}}']], { description: 'GPUs in use and nominal quota of every ClusterQueue in the selected queue\'s cohort: usage above quota is borrowed.' }),
  panel('Waiting jobs (oldest first) and Kueue\'s reason', [[`sort_desc((time() - max by (namespace, workload) (aiinfra_kueue_workload_condition_transition_timestamp_seconds${W})) + on (namespace, workload) group_left (reason, message) (0 * max by (namespace, workload, reason, message) (aiinfra_kueue_workload_condition${W} == 0)) unless on (namespace, workload) (aiinfra_kueue_workload_condition{namespace=~"$namespace",type="Finished"} == 1))`]], { type: 'table', w: 24, unit: 's', description: 'Seconds each not-yet-admitted workload has waited. Exact queue positions: kubectl get --raw /apis/visibility.kueue.x-k8s.io/v1beta1/namespaces/<ns>/localqueues/<queue>/pendingworkloads' }),
]);
id = 0;
// Model pipelines (src/pipeline): Argo's controller counts runs of each WorkflowTemplate by phase; the gate gauge and
// Flagger's canary status are the pipeline's own. The pipeline's namespace is `exported_namespace` under a PodMonitor
// (which adds the controller's own `namespace`), `namespace` under a plain scrape: both are matched.
const P = '{name=~"$pipeline",exported_namespace=~"$namespace"}';
const PN = '{name=~"$pipeline",namespace=~"$namespace"}';
const runs = (phase) => `sum by (name) (increase(argo_workflows_workflowtemplate_triggered_total{name=~"$pipeline",exported_namespace=~"$namespace",phase=~"${phase}"}[$__range]) or increase(argo_workflows_workflowtemplate_triggered_total{name=~"$pipeline",namespace=~"$namespace",phase=~"${phase}"}[$__range]))`;
const pipelines = dashboard('aiinfra-model-pipeline', 'AI platform / Model pipelines', 'Model pipelines (Argo Workflows): runs by outcome, run time, gate rejections in a row and the canary of each pipeline\'s endpoint.',
  [['namespace', 'Namespace', 'label_values(argo_workflows_aiinfra_model_pipeline_gate_rejections, pipeline_namespace)'], ['pipeline', 'Pipeline', 'label_values(argo_workflows_aiinfra_model_pipeline_gate_rejections, pipeline)']], [
  panel('Succeeded runs in range', [[runs('Succeeded'), '{{name}}']], { type: 'stat', w: 6, h: 4 }),
  panel('Failed runs in range', [[runs('Failed|Error'), '{{name}}']], { type: 'stat', w: 6, h: 4, thresholds: [{ color: 'green', value: null }, { color: 'red', value: 1 }] }),
  panel('Gate rejections in a row', [['max by (pipeline) (argo_workflows_aiinfra_model_pipeline_gate_rejections{pipeline=~"$pipeline",pipeline_namespace=~"$namespace"})', '{{pipeline}}']], { type: 'stat', w: 6, h: 4, thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 1 }, { color: 'red', value: 3 }], description: '0 after an accepted version; each rejected version adds one.' }),
  panel('Canary status', [['max by (name) (flagger_canary_status)', '{{name}}']], { type: 'stat', w: 6, h: 4, thresholds: [{ color: 'blue', value: null }, { color: 'green', value: 1 }, { color: 'red', value: 2 }], description: 'Flagger: 0 analysis running, 1 last analysis succeeded (promoted), 2 failed (rolled back).' }),
  panel('Runs by phase', [[`sum by (name, phase) (increase(argo_workflows_workflowtemplate_triggered_total${P}[1h]) or increase(argo_workflows_workflowtemplate_triggered_total${PN}[1h]))`, '{{name}} {{phase}}']], { description: 'Per hour: Pending, Running, Succeeded, Failed, Error transitions.' }),
  panel('Run time p90', [[`histogram_quantile(0.9, sum by (le, name) (rate(argo_workflows_workflowtemplate_runtime_bucket${P}[6h]) or rate(argo_workflows_workflowtemplate_runtime_bucket${PN}[6h])))`, '{{name}}']], { unit: 's', description: 'From Running to completion (not the time waiting for the mutex).' }),
]);
for (const [name, d] of [['gpu-fleet', gpu], ['training-run', training], ['endpoint', endpoint], ['tenant-cost', tenantCost], ['tenant-queue', tenantQueue], ['model-pipeline', pipelines]]) {
  fs.writeFileSync(`${out}/${name}.json`, JSON.stringify(d, null, 2) + '\n');
}
