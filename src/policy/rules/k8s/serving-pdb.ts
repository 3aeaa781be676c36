import { labelsOf, podTemplates, selects, specOf } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-SRV-1: serving Deployments have a PodDisruptionBudget. */
export const ServingPdb = kubernetesRule({
  id: 'AI-K8S-SRV-1',
  severity: 'error',
  title: 'Deployments have a PodDisruptionBudget',
  rationale: 'Node upgrades and autoscaler scale-down evict pods; without a PDB every replica of an endpoint can go at once.',
  remediation: 'Add a PodDisruptionBudget selecting the Deployment\'s pods with maxUnavailable: 1 (or minAvailable).',
  kinds: ['Deployment'],
  check(o, ctx) {
    const labels = podTemplates(o)[0]?.metadata.labels ?? labelsOf(o);
    const pdb = ctx.kubernetesObjects().some((p) => p.kind === 'PodDisruptionBudget' && p.namespace === o.namespace && selects(specOf(p).selector, labels));
    return pdb ? undefined : 'no PodDisruptionBudget selects its pods';
  },
});
