/**
 * The Job `podFailurePolicy` of every trainer Job (training jobs and a model pipeline's train step): a disrupted pod
 * (node drain, Kueue preemption, spot reclaim) is retried without counting against `backoffLimit` (the trainer
 * resumes from its checkpoint); exit 2, an invalid trainer configuration, fails the Job at once (a retry cannot help).
 */
export function trainerPodFailurePolicy(): Record<string, unknown> {
  return {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'trainer', operator: 'In', values: [2] } },
    ],
  };
}
