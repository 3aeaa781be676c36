import { perContainer, WORKLOAD_KINDS, asObject } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { strings } from '../../util';

/** AI-K8S-POD-3: containers drop every Linux capability (NET_BIND_SERVICE may be added back). */
export const PodDropAllCapabilities = kubernetesRule({
  id: 'AI-K8S-POD-3',
  severity: 'error',
  title: 'Containers drop ALL capabilities',
  rationale: 'Default capabilities (NET_RAW, CHOWN, SETUID...) help an attacker after a compromise; none of our workloads needs them.',
  remediation: 'Set securityContext.capabilities = { drop: ["ALL"] } (add back only NET_BIND_SERVICE if needed).',
  checkov: ['CKV_K8S_28', 'CKV_K8S_37'],
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c) => {
      const caps = asObject(asObject(c.securityContext).capabilities);
      if (!strings(caps.drop).includes('ALL')) return 'capabilities.drop does not include ALL';
      const added = strings(caps.add).filter((a) => a !== 'NET_BIND_SERVICE');
      return added.length ? `adds capabilities ${added.join(', ')}` : undefined;
    });
  },
});
