import { terraformRule } from '../../rule';
import { dig, isOn } from '../../util';

/** AI-GCP-AR-2: Docker tags cannot be moved. */
export const ArtifactRegistryImmutable = terraformRule({
  id: 'AI-GCP-AR-2',
  severity: 'error',
  title: 'Artifact Registry Docker tags immutable',
  rationale: 'A moved tag swaps the image under running workloads; our tags are content hashes and must never change.',
  remediation: 'Set docker_config { immutable_tags = true } (and enable Container Scanning API for scan on push).',
  resourceTypes: ['google_artifact_registry_repository'],
  check(repo) {
    if (repo.attrs.format !== undefined && String(repo.attrs.format).toUpperCase() !== 'DOCKER') return undefined;
    return isOn(dig(repo.attrs, 'docker_config', 'immutable_tags')) ? undefined : 'docker_config.immutable_tags is not true';
  },
});
