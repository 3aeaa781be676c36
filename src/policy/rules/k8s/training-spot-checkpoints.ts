import { containersOf, podTemplates } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { blocks, strings } from '../../util';

/** Node labels and taints that mark spot / preemptible capacity on EKS, GKE, AKS and Karpenter. */
const SPOT_MARKERS = [
  'eks.amazonaws.com/capacityType', 'karpenter.sh/capacity-type', 'cloud.google.com/gke-spot', 'cloud.google.com/gke-preemptible',
  'kubernetes.azure.com/scalesetpriority',
];

function onSpot(spec: Record<string, unknown>): boolean {
  const text = JSON.stringify({ nodeSelector: spec.nodeSelector, affinity: spec.affinity, tolerations: spec.tolerations });
  return SPOT_MARKERS.some((m) => text.includes(`"${m}"`)) && /spot|SPOT|true/.test(text);
}

function checkpoints(spec: Record<string, unknown>): boolean {
  return containersOf(spec, true).some((c) => blocks(c.env).some((e) => e.name === 'AIINFRA_CHECKPOINT_DIR' && (e.value !== undefined || e.valueFrom !== undefined))
    || [...strings(c.args), ...strings(c.command)].some((a) => a.startsWith('--checkpoint-dir')));
}

/** AI-K8S-TRN-2: training on spot capacity writes checkpoints. */
export const TrainingSpotCheckpoints = kubernetesRule({
  id: 'AI-K8S-TRN-2',
  severity: 'error',
  title: 'Training on spot capacity configures checkpoints',
  rationale: 'Spot nodes are reclaimed with 30 s-2 min notice; without checkpoints every preemption restarts training from step 0.',
  remediation: 'Pass checkpoints (a ModelBackupBucket) to the training job: the trainer gets AIINFRA_CHECKPOINT_DIR and checkpoints on SIGTERM.',
  constructFix: 'TrainingJob checkpoints (a ModelBackupBucket) for a job on a spot pool',
  kinds: ['Job', 'JobSet', 'PyTorchJob', 'CronJob'],
  check(o) {
    return podTemplates(o).filter((t) => onSpot(t.spec) && !checkpoints(t.spec))
      .map((t) => `pod${t.where} runs on spot capacity without AIINFRA_CHECKPOINT_DIR / --checkpoint-dir`);
  },
});
