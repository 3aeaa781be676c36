/**
 * The Job `podFailurePolicy` of every compute-core Job (training jobs, a model pipeline's train and evaluate steps):
 * a disrupted pod (node drain, Kueue preemption, spot reclaim) is retried without counting against `backoffLimit`
 * (the trainer resumes from its checkpoint); exit 2, invalid input or configuration, fails the Job at once (a retry
 * cannot help). `containerName` is the compute core's container.
 */
export function trainerPodFailurePolicy(containerName = 'trainer'): Record<string, unknown> {
  return {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName, operator: 'In', values: [2] } },
    ],
  };
}
