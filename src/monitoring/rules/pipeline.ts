import { check, ErrorScope, InvalidPropError } from '../../core/errors';
import { AlertRule, promString, RuleGroup } from './rule';

/** Argo's controller counter of template-based workflows by phase (Prometheus name, `argo_workflows_` prefix). */
export const ARGO_TEMPLATE_RUNS = 'argo_workflows_workflowtemplate_triggered_total';
/** The pipeline's gate gauge (an Argo custom metric: consecutive rejected versions, 0 after an accepted one). */
export const PIPELINE_GATE_REJECTIONS = 'argo_workflows_aiinfra_model_pipeline_gate_rejections';
/** Flagger's last canary analysis result per Canary: 0 running, 1 succeeded, 2 failed (rolled back). */
export const FLAGGER_CANARY_STATUS = 'flagger_canary_status';

/** What the pipeline rules need to know about one model pipeline. */
export interface PipelineRuleTarget {
  /** The WorkflowTemplate's name. */
  readonly name: string;
  /** Its namespace (the tenant's). */
  readonly namespace: string;
  /** Shortest time between scheduled runs, seconds: no successful run in twice that alerts. @default - no schedule, no such alert */
  readonly scheduleIntervalSeconds?: number;
  /** Consecutive gate rejections that alert. @default 3 */
  readonly maxGateRejections?: number;
  /** The Flagger Canary the pipeline deploys through. @default - none (no rollback alert) */
  readonly canary?: { readonly name: string; readonly namespace: string };
}

export function checkPipelineTarget(scope: ErrorScope, prop: string, t: PipelineRuleTarget): void {
  const dns = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
  check.matches(scope, `${prop}.name`, t.name, dns, 'a Kubernetes name (DNS-1123 label)');
  check.matches(scope, `${prop}.namespace`, t.namespace, dns, 'a Kubernetes namespace');
  check.integerInRange(scope, `${prop}.maxGateRejections`, t.maxGateRejections, 1, 100);
  if (t.scheduleIntervalSeconds !== undefined && !(Number.isInteger(t.scheduleIntervalSeconds) && t.scheduleIntervalSeconds >= 60)) {
    throw new InvalidPropError(scope, `${prop}.scheduleIntervalSeconds`, t.scheduleIntervalSeconds, 'whole seconds, at least 60');
  }
  if (t.canary) {
    check.matches(scope, `${prop}.canary.name`, t.canary.name, dns, 'a Kubernetes name');
    check.matches(scope, `${prop}.canary.namespace`, t.canary.namespace, dns, 'a Kubernetes namespace');
  }
}

/**
 * `metric{matchers}` for a series whose own `namespace` label names the object: a scrape that adds the target's
 * `namespace` (prometheus-operator's PodMonitor) renames the series' label to `exported_namespace`, a plain scrape keeps
 * it. Both forms are matched: `fn(a) or fn(b)`.
 */
function either(fn: (sel: string) => string, metric: string, namespace: string, matchers: string): string {
  const sel = (label: string) => `${metric}{${label}=${promString(namespace)},${matchers}}`;
  return `(${fn(sel('namespace'))} or ${fn(sel('exported_namespace'))})`;
}

/** Alerts for one model pipeline: a run failed, the gate rejected N in a row, the canary rolled back, no successful run. */
export function pipelineRules(t: PipelineRuleTarget): RuleGroup {
  const what = `model pipeline ${t.namespace}/${t.name}`;
  const tpl = `name=${promString(t.name)}`;
  const n = t.maxGateRejections ?? 3;
  const rules: AlertRule[] = [
    {
      name: 'ModelPipelineRunFailed',
      expr: `sum(${either((s) => `increase(${s}[30m])`, ARGO_TEMPLATE_RUNS, t.namespace, `${tpl},phase=~"Failed|Error"`)}) > 0`,
      for: '0m',
      severity: 'warning',
      summary: `a run of ${what} failed`,
      description: 'A step failed after its retries (data preparation, training, evaluation, a registry write, the deploy step), or the '
        + 'canary analysis failed and Flagger rolled back. Production keeps the version it had: the alias moves only at the end of a good run.',
      runbook: `argo list -n ${t.namespace} -l ai-infra/model-pipeline=${t.name}; argo get -n ${t.namespace} <run> shows the failed step; `
        + 'argo logs <run> <step>. A failed canary step means the new version breached the endpoint\'s SLOs (see the Flagger Canary events).',
    },
    {
      name: 'ModelPipelineGateRejectedRepeatedly',
      expr: `max(${PIPELINE_GATE_REJECTIONS}{pipeline=${promString(t.name)},pipeline_namespace=${promString(t.namespace)}}) >= ${n}`,
      for: '0m',
      severity: 'warning',
      summary: `the gate of ${what} rejected ${n} or more versions in a row`,
      description: `The last ${n} or more candidates were worse than production on the held-out split (or had no comparable loss). `
        + 'Production is safe, but the pipeline spends GPU hours without producing a model: the data, the hyperparameters or the gate threshold need a look.',
      runbook: 'python -m aiinfra.registry --root <registry> show --version <n> prints each rejected version\'s decision and reasons; compare '
        + 'the data manifests (record counts, split sizes) of the last runs.',
    },
  ];
  if (t.canary) {
    rules.push({
      name: 'ModelPipelineCanaryRolledBack',
      expr: `max(${either((s) => s, FLAGGER_CANARY_STATUS, t.canary.namespace, `name=${promString(t.canary.name)}`)}) == 2`,
      for: '0m',
      severity: 'warning',
      summary: `the canary of ${what} was rolled back (${t.canary.namespace}/${t.canary.name})`,
      description: 'Flagger\'s analysis of the new version breached the endpoint\'s SLOs: traffic went back to the previous version and the '
        + 'production alias was not moved. The alert clears with the next successful analysis.',
      runbook: `kubectl -n ${t.canary.namespace} describe canary ${t.canary.name} lists the failed checks; the registry version stays `
        + 'accepted by the gate but never became production.',
    });
  }
  if (t.scheduleIntervalSeconds !== undefined) {
    const window = `${2 * t.scheduleIntervalSeconds}s`;
    rules.push({
      name: 'ModelPipelineNoSuccessfulRun',
      // No Succeeded transition in twice the schedule's interval; `or vector(0)` covers a controller that never saw one.
      expr: `(sum(${either((s) => `increase(${s}[${window}])`, ARGO_TEMPLATE_RUNS, t.namespace, `${tpl},phase="Succeeded"`)}) or vector(0)) < 0.5`,
      for: '30m',
      severity: 'warning',
      summary: `${what} has had no successful run in twice its schedule (${window})`,
      description: 'Runs fail, are skipped because the previous one is still running (concurrencyPolicy Forbid), wait for quota in the '
        + 'tenant\'s Kueue queue, or the CronWorkflow is suspended: the model in production is getting stale.',
      runbook: `kubectl -n ${t.namespace} get cronworkflow ${t.name} (suspended? last scheduled time), argo list -n ${t.namespace}, and the `
        + 'tenant\'s queue (kubectl -n <ns> get workloads) for a train step waiting for GPUs.',
    });
  }
  return { name: `aiinfra-pipeline-${t.namespace}-${t.name}`.slice(0, 63).replace(/-+$/, ''), area: 'training', rules };
}
