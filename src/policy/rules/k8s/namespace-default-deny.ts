import { asObject, specOf } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { strings } from '../../util';

/** AI-K8S-NS-2: every namespace we create has a default-deny NetworkPolicy. */
export const NamespaceDefaultDeny = kubernetesRule({
  id: 'AI-K8S-NS-2',
  severity: 'error',
  title: 'Namespaces have a default-deny NetworkPolicy',
  rationale: 'Kubernetes allows all pod traffic by default: one tenant could reach another tenant\'s endpoints and the metadata of its jobs.',
  remediation: 'Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules, then allow what the workloads need (DNS, the API, object storage).',
  kinds: ['Namespace'],
  check(o, ctx) {
    const empty = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0);
    const deny = ctx.kubernetesObjects().some((p) => {
      if (p.kind !== 'NetworkPolicy' || p.namespace !== o.name) return false;
      const spec = specOf(p);
      const selector = asObject(spec.podSelector);
      const types = strings(spec.policyTypes);
      return Object.keys(asObject(selector.matchLabels)).length === 0 && selector.matchExpressions === undefined
        && types.includes('Ingress') && types.includes('Egress') && empty(spec.ingress) && empty(spec.egress);
    });
    return deny ? undefined : `no default-deny (Ingress and Egress) NetworkPolicy in namespace ${o.name}`;
  },
});
