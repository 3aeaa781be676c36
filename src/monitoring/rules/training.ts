import { check, ErrorScope, InvalidPropError } from '../../core/errors';
import { AlertRule, durationSeconds, isDuration, promString, RecordingRule, RuleGroup } from './rule';

/** The label every trainer series carries (added by our PodMonitor / scrape config relabeling). */
export const TRAINING_JOB_LABEL = 'aiinfra_training_job';

/** What the training rules need to know about one training job. */
export interface TrainingRuleTarget {
  /** Training job name (the value of the `aiinfra_training_job` label). */
  readonly name: string;
  /** Kubernetes namespace the job's pods run in. */
  readonly namespace: string;
  /** No `aiinfra_train_step` progress for this long means stalled. @default '15m' */
  readonly stalledAfter?: string;
  /** No complete checkpoint for this long means stale. @default '2h' */
  readonly checkpointStaleAfter?: string;
  /** Restarts within one hour that count as restarting repeatedly. @default 3 */
  readonly maxRestartsPerHour?: number;
  /**
   * Regex (anchored) of the Kubernetes Job / pod names of this training job, for kube-state-metrics.
   * @default - `<name>` followed by anything
   */
  readonly kubeNamePattern?: string;
}

export function checkTrainingTarget(scope: ErrorScope, prop: string, t: TrainingRuleTarget): void {
  check.matches(scope, `${prop}.name`, t.name, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes name (DNS-1123 label)');
  check.matches(scope, `${prop}.namespace`, t.namespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace');
  for (const key of ['stalledAfter', 'checkpointStaleAfter'] as const) {
    const v = t[key];
    if (v !== undefined && (!isDuration(v) || durationSeconds(v) < 60)) {
      throw new InvalidPropError(scope, `${prop}.${key}`, v, 'a Prometheus duration of at least 1m, such as "15m" or "2h"');
    }
  }
  check.integerInRange(scope, `${prop}.maxRestartsPerHour`, t.maxRestartsPerHour, 1, 100);
}

/** Prometheus-style window from a duration (`15m` stays `15m`, `1h30m` -> `5400s`). */
function window(d: string): string {
  return /^\d+[smhdw]$/.test(d) ? d : `${durationSeconds(d)}s`;
}

/** Alerts for one training job: stalled, stale checkpoints, failed, restarting repeatedly. */
export function trainingRules(t: TrainingRuleTarget): RuleGroup {
  const sel = `{namespace=${promString(t.namespace)},aiinfra_training_job=${promString(t.name)}}`;
  const kubeName = t.kubeNamePattern ?? `${t.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`;
  const stalled = t.stalledAfter ?? '15m';
  const stale = t.checkpointStaleAfter ?? '2h';
  const restarts = t.maxRestartsPerHour ?? 3;
  const job = `training job ${t.namespace}/${t.name}`;
  const by = `by (namespace, ${TRAINING_JOB_LABEL})`;
  const rules: AlertRule[] = [
    {
      name: 'TrainingStalled',
      expr: `max ${by} (max_over_time(aiinfra_train_step${sel}[${window(stalled)}])) `
        + `- max ${by} (min_over_time(aiinfra_train_step${sel}[${window(stalled)}])) <= 0`,
      for: '2m',
      severity: 'critical',
      summary: `${job} made no step progress for ${stalled}`,
      description: `aiinfra_train_step has not advanced for ${stalled} while the trainer is up: a hung collective (NCCL), `
        + 'a dead rank, a data loader stall or a GPU fault. Every minute of a stalled job still pays for all its GPUs.',
      runbook: 'Check the trainer logs of every rank (kubectl logs -l batch.kubernetes.io/job-name=...) for the last step and NCCL '
        + 'timeouts; check GPU XID/ECC alerts on its nodes. Delete the stuck pods: the job resumes from the last checkpoint.',
    },
    {
      name: 'TrainingCheckpointStale',
      // The newest checkpoint is older than the limit, or there is none (the gauge is 0) and the trainer
      // started longer ago than the limit.
      expr: `(time() - max ${by} (aiinfra_train_last_checkpoint_timestamp_seconds${sel}) > ${durationSeconds(stale)}`
        + ` and max ${by} (aiinfra_train_last_checkpoint_timestamp_seconds${sel}) > 0)`
        + ` or (time() - max ${by} (aiinfra_train_start_timestamp_seconds${sel}) > ${durationSeconds(stale)}`
        + ` and max ${by} (aiinfra_train_last_checkpoint_timestamp_seconds${sel}) == 0)`,
      for: '5m',
      severity: 'warning',
      summary: `${job} has not written a checkpoint for ${stale}`,
      description: `The newest complete checkpoint (manifest written) is older than ${stale}, or the trainer has written none in the `
        + `${stale} since it started. A failure now loses all work since then.`,
      runbook: 'Check the trainer logs for checkpoint write errors (permissions on the bucket, quota, KMS), and the checkpoint '
        + 'interval in the job config. Verify the bucket grant of the job\'s workload identity.',
    },
    {
      name: 'TrainingJobFailed',
      expr: `kube_job_status_failed{namespace=${promString(t.namespace)},job_name=~${promString(kubeName)}} > 0`,
      for: '0s',
      severity: 'critical',
      summary: `Kubernetes Job {{ $labels.job_name }} of ${job} failed`,
      description: 'The Job ran out of retries (backoffLimit) or hit its deadline: training has stopped.',
      runbook: 'kubectl describe job {{ $labels.job_name }} -n {{ $labels.namespace }} and the logs of its last pods. Fix the cause, '
        + 'then re-apply: the trainer resumes from the newest checkpoint.',
    },
    {
      name: 'TrainingJobRestartingRepeatedly',
      expr: `(max ${by} (max_over_time(aiinfra_train_restarts_total${sel}[1h])) `
        + `- min ${by} (min_over_time(aiinfra_train_restarts_total${sel}[1h])) >= ${restarts}) `
        + `or on (namespace) (sum by (namespace) (increase(kube_pod_container_status_restarts_total{namespace=${promString(t.namespace)},`
        + `pod=~${promString(kubeName)}}[1h])) >= ${restarts})`,
      for: '0s',
      severity: 'warning',
      summary: `${job} restarted ${restarts} or more times in the last hour`,
      description: 'The run keeps resuming from checkpoints (aiinfra_train_restarts_total) or its containers keep restarting. '
        + 'Each restart repeats the work since the last checkpoint.',
      runbook: 'Look for OOMKilled containers, spot preemptions (node events) and GPU faults. Move the job to on-demand or reserved '
        + 'capacity, or lower memory use.',
    },
  ];
  return { name: `aiinfra-training-${t.namespace}-${t.name}`.slice(0, 63).replace(/-+$/, ''), area: 'training', rules, records: preemptionCostRecords(t, sel, by) };
}

/**
 * What a preemption (or any stop) of the job would lose now: the age of its newest checkpoint, and that time
 * priced as the job's GPU-hours and USD (the cost rules' per-workload series). The trainer checkpoints on SIGTERM
 * when its grace period allows, so these bound the loss when the stop checkpoint cannot be written.
 */
function preemptionCostRecords(t: TrainingRuleTarget, sel: string, by: string): RecordingRule[] {
  const age = `aiinfra:training_checkpoint_age_seconds{namespace=${promString(t.namespace)},${TRAINING_JOB_LABEL}=${promString(t.name)}}`;
  // The cost rules name the job `workload`; the trainer series name it `aiinfra_training_job`.
  const workload = (record: string) => `label_replace(sum by (namespace, workload) (${record}{namespace=${promString(t.namespace)},workload=${promString(t.name)}}), `
    + `"${TRAINING_JOB_LABEL}", "$1", "workload", "(.+)")`;
  return [
    { record: 'aiinfra:training_checkpoint_age_seconds', expr: `time() - max ${by} (aiinfra_train_last_checkpoint_timestamp_seconds${sel} > 0)` },
    {
      record: 'aiinfra:training_preemption_loss_gpu_hours',
      expr: `${age} / 3600 * on (namespace, ${TRAINING_JOB_LABEL}) group_left () ${workload('aiinfra:workload_gpus:allocated')}`,
    },
    {
      record: 'aiinfra:training_preemption_loss_usd',
      expr: `${age} / 3600 * on (namespace, ${TRAINING_JOB_LABEL}) group_left () ${workload('aiinfra:workload_gpu_cost_usd_per_hour')}`,
    },
  ];
}
