import { isPlaceholder, specOf } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

const MAX_BACKOFF = 20;

/** AI-K8S-TRN-1: Jobs have a bounded retry count and a deadline. */
export const TrainingBounded = kubernetesRule({
  id: 'AI-K8S-TRN-1',
  severity: 'error',
  title: 'Jobs set backoffLimit (<= 20) and activeDeadlineSeconds',
  rationale: 'A crash-looping multi-node job otherwise burns GPU hours until someone notices.',
  remediation: 'Set spec.backoffLimit (e.g. 6; count node failures in podFailurePolicy) and spec.activeDeadlineSeconds.',
  constructFix: 'TrainingJob maxRestarts (backoffLimit is maxRestarts x nodes) and maxRuntimeHours (activeDeadlineSeconds)',
  kinds: ['Job'],
  check(o) {
    const spec = specOf(o);
    const problems: string[] = [];
    const backoff = spec.backoffLimit;
    if (backoff === undefined && spec.backoffLimitPerIndex === undefined) problems.push('backoffLimit unset (default 6 is implicit)');
    else if (typeof backoff === 'number' && backoff > MAX_BACKOFF) problems.push(`backoffLimit = ${backoff}`);
    if (spec.activeDeadlineSeconds === undefined) problems.push('activeDeadlineSeconds unset');
    else if (!isPlaceholder(spec.activeDeadlineSeconds) && typeof spec.activeDeadlineSeconds !== 'number') problems.push('activeDeadlineSeconds is not a number');
    return problems.length ? problems.join('; ') : undefined;
  },
});
