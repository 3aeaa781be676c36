import { labelsOf } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

const ENFORCE = 'pod-security.kubernetes.io/enforce';

/** AI-K8S-NS-1: namespaces enforce a Pod Security Standard. */
export const NamespacePodSecurity = kubernetesRule({
  id: 'AI-K8S-NS-1',
  severity: 'error',
  title: 'Namespaces enforce Pod Security (restricted or baseline)',
  rationale: 'The admission controller then rejects privileged pods even when a chart or a user forgets the security context.',
  remediation: 'Label the namespace pod-security.kubernetes.io/enforce: restricted (and warn/audit: restricted).',
  kinds: ['Namespace'],
  check(o) {
    const level = labelsOf(o)[ENFORCE];
    if (level === 'restricted' || level === 'baseline') return undefined;
    return level === undefined ? `no ${ENFORCE} label` : `${ENFORCE}: ${JSON.stringify(level)}`;
  },
});
