import { perContainer, WORKLOAD_KINDS } from '../../k8s-util';
import { kubernetesRule } from '../../rule';
import { blocks } from '../../util';

/** AI-K8S-POD-13: a container sets each environment variable once. */
export const PodUniqueEnv = kubernetesRule({
  id: 'AI-K8S-POD-13',
  severity: 'warning',
  title: 'Containers set each environment variable once',
  rationale: 'With a name listed twice Kubernetes silently keeps the last value, so which region, bucket or key a container uses depends on list order; server-side apply rejects the duplicate outright.',
  remediation: 'Merge the env lists by name (e.g. the store\'s client environment and the container\'s own settings) before rendering.',
  constructFix: 'TrainingJob env: do not repeat a variable the construct sets (its store and trainer settings)',
  kinds: WORKLOAD_KINDS,
  check(o) {
    return perContainer(o, (c) => {
      const names = blocks(c.env).map((e) => String(e.name));
      const dup = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
      return dup.length ? `env ${dup.join(', ')} listed more than once` : undefined;
    });
  },
});
