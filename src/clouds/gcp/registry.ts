import { Construct } from 'constructs';
import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { GcpCloud } from '../../core/cloud';
import type { ImageRepository, ImageRepositorySpi } from '../../core/spi';
import { physicalName } from '../../core/naming';
import { resourceTags } from '../../core/tags';
import { gcpKeyRingName } from './kms';
import { gcpProvider } from './provider';
import { gcpServiceAgent } from './service-agents';
import { warnRegistryToken } from '../docker/image';

/**
 * An Artifact Registry Docker repository for one bundled image: immutable tags, CMEK (a KMS key with 90-day
 * rotation, granted to the Artifact Registry service agent), vulnerability scanning inherited from the
 * project (Container Scanning API), a cleanup policy keeping the newest 30 versions. Pushes authenticate with
 * the deploying machine's gcloud credential helper (`gcloud auth configure-docker <region>-docker.pkg.dev`), or
 * with `registryAuth: 'terraform-token'` the deploying identity's OAuth access token read by a data source (in state).
 */
export function gcpImageRepository(scope: Construct, cloud: GcpCloud, imageName: string): ImageRepository {
  const provider = gcpProvider(scope, cloud);
  const labels = resourceTags(scope, cloud);
  const name = physicalName(scope, cloud, { maxLength: 63, startWithLetter: true });
  const project = new DataGoogleProject(scope, 'RegistryProject', { provider, projectId: cloud.project });
  const ring = new KmsKeyRing(scope, 'RegistryKeyRing', {
    provider, project: cloud.project, location: cloud.region, name: gcpKeyRingName(scope, cloud, { startWithLetter: true }),
  });
  const key = new KmsCryptoKey(scope, 'RegistryKey', {
    provider, keyRing: ring.id, name: 'artifact-registry', rotationPeriod: '7776000s', purpose: 'ENCRYPT_DECRYPT', labels,
    lifecycle: { preventDestroy: true },
  });
  const agent = gcpServiceAgent(scope, cloud, 'artifactregistry.googleapis.com', project.number);
  const grant = new KmsCryptoKeyIamMember(scope, 'RegistryKeyAgent', {
    provider,
    cryptoKeyId: key.id,
    role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
    member: agent.member,
    dependsOn: [agent.ready],
  });
  const repo = new ArtifactRegistryRepository(scope, 'Repository', {
    provider,
    project: cloud.project,
    location: cloud.region,
    repositoryId: name,
    format: 'DOCKER',
    description: `Images of ${scope.node.path} (cdktf-ai-infra)`,
    kmsKeyName: key.id,
    dockerConfig: { immutableTags: true },
    vulnerabilityScanningConfig: { enablementConfig: 'INHERITED' },
    cleanupPolicyDryRun: false,
    cleanupPolicies: [{ id: 'keep-newest-30', action: 'KEEP', mostRecentVersions: { keepCount: 30 } }],
    labels,
    dependsOn: [grant],
  });
  const host = `${cloud.region}-docker.pkg.dev`;
  const url = `${host}/${cloud.project}/${repo.repositoryId}/${imageName}`;
  if (cloud.registryAuth === 'terraform-token') {
    warnRegistryToken(scope, cloud, 'the deploying identity\'s OAuth access token (google_client_config, valid 1 hour, every permission of that identity)');
    const client = new DataGoogleClientConfig(scope, 'RegistryClient', { provider });
    return { url, address: host, auth: { kind: 'terraform-token', username: 'oauth2accesstoken', password: client.accessToken } };
  }
  return { url, address: host, auth: { kind: 'docker-config' } };
}

/** Gcp's image registry, for BundledImage (src/core/spi.ts). */
export const images: ImageRepositorySpi<GcpCloud> = { repository: gcpImageRepository };
