import { podTemplates, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';

/** AI-K8S-POD-11: pods run as their own service account, not `default`. */
export const PodServiceAccount = kubernetesRule({
  id: 'AI-K8S-POD-11',
  severity: 'warning',
  title: 'Pods use a dedicated service account',
  rationale: 'Workload identity binds cloud permissions to a service account; sharing `default` shares those permissions with every pod of the namespace.',
  remediation: 'Set spec.serviceAccountName to a service account made for the workload (automountServiceAccountToken: false when it needs no API access).',
  checkov: ['CKV_K8S_38', 'CKV_K8S_41'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return podTemplates(o).flatMap((t) => {
      const sa = t.spec.serviceAccountName ?? t.spec.serviceAccount;
      return sa === undefined || sa === 'default' ? [`pod${t.where} runs as the default service account`] : [];
    });
  },
});
