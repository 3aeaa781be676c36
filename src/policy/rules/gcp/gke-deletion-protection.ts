import { terraformRule } from '../../rule';
import { isOff } from '../../util';

/** AI-GCP-GKE-13: clusters are protected from accidental deletion. */
export const GkeDeletionProtection = terraformRule({
  id: 'AI-GCP-GKE-13',
  severity: 'warning',
  title: 'GKE cluster deletion protection on',
  rationale: 'A cluster delete (a rename, a bad refactor) destroys running training jobs and endpoints.',
  remediation: 'Leave deletion_protection unset (true) or set it true; turn it off only in a deliberate change.',
  constructFix: 'GpuTrainingCluster deletionProtection: true (the default)',
  resourceTypes: ['google_container_cluster'],
  check(cluster) {
    return isOff(cluster.attrs.deletion_protection) ? 'deletion_protection = false' : undefined;
  },
});
