// `CronJob` (batch/v1).
import { K8sObject, objectMeta } from './object';

export interface CronJobInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Five-field cron expression, in UTC. */
  readonly schedule: string;
  /** Labels of the Jobs it creates. */
  readonly jobLabels: Record<string, string>;
  /** Spec of the Jobs it creates. */
  readonly jobSpec: Record<string, unknown>;
}

/**
 * Runs one Job per schedule tick, in UTC (not the controller's local time), never two at once; a tick missed by
 * more than an hour is skipped; three finished Jobs of each outcome are kept for their logs.
 */
export function cronJob(input: CronJobInput): K8sObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: objectMeta(input.name, input.namespace, input.labels),
    spec: {
      schedule: input.schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels: input.jobLabels }, spec: input.jobSpec },
    },
  };
}
