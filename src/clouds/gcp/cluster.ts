import { Construct } from 'constructs';
import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { GcpCloud } from '../../core/cloud';
import { resourceTags } from '../../core/tags';
import type { ClusterBuildSpec } from '../../training/spi';
import { GcpClusterNetwork } from './network';
import { keyRingSuffix } from './kms';
import { gcpProvider } from './provider';
import { requireGcpApis } from './services';
import { GcpAgentApi, gcpServiceAgent } from './service-agents';

/** Roles of the node service account: GKE's minimal node role, and pulling images from Artifact Registry. */
export const GKE_NODE_ROLES = ['roles/container.defaultNodeServiceAccount', 'roles/artifactregistry.reader'];

export interface GcpControlPlane {
  readonly cluster: ContainerCluster;
  readonly nodeServiceAccount: ServiceAccount;
  readonly secretsKey: KmsCryptoKey;
  readonly diskKey: KmsCryptoKey;
  readonly nodeRoles: ProjectIamMember[];
  /** The Compute Engine agent's grant on the disk key (node pools wait for it). */
  readonly diskKeyGrant: KmsCryptoKeyIamMember;
}

/**
 * A regional GKE Standard cluster: private nodes, workload identity, shielded nodes, a release channel,
 * Dataplane V2 (network policy), etcd secrets encrypted with a Cloud KMS key (application-layer
 * encryption, rotated every 90 days), control-plane logs, the default node pool removed, and a
 * dedicated least-privilege node service account. Node boot disks use a second KMS key.
 */
export function gcpControlPlane(scope: Construct, cloud: GcpCloud, spec: ClusterBuildSpec, name: string, network: GcpClusterNetwork): GcpControlPlane {
  const provider = gcpProvider(scope, cloud);
  const labels = resourceTags(scope, cloud, spec.tags);
  const project = new DataGoogleProject(scope, 'Project', { provider, projectId: cloud.project });

  const ring = new KmsKeyRing(scope, 'KeyRing', { provider, project: cloud.project, location: cloud.region, name: `${name}${keyRingSuffix(cloud)}` });
  const key = (id: string, keyName: string, api: GcpAgentApi) => {
    const k = new KmsCryptoKey(scope, id, {
      provider, keyRing: ring.id, name: keyName, rotationPeriod: '7776000s', purpose: 'ENCRYPT_DECRYPT', labels,
      lifecycle: { preventDestroy: spec.deletionProtection },
    });
    // The agent must exist first (a fresh project has neither yet): see gcpServiceAgent.
    const agent = gcpServiceAgent(scope, cloud, api, project.number);
    const member = new KmsCryptoKeyIamMember(scope, `${id}Agent`, {
      provider, cryptoKeyId: k.id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', member: agent.member, dependsOn: [agent.ready],
    });
    return { k, member };
  };
  const secrets = key('SecretsKey', 'gke-secrets', 'container.googleapis.com');
  const disks = key('DiskKey', 'gke-node-disks', 'compute.googleapis.com');

  const nodeServiceAccount = new ServiceAccount(scope, 'NodeServiceAccount', {
    provider, project: cloud.project, accountId: `${name.slice(0, 24)}-nodes`.replace(/-+/g, '-'),
    displayName: `GKE nodes of ${name}`, description: `Node service account of GKE cluster ${scope.node.path} (cdktf-ai-infra)`,
  });
  const nodeRoles = GKE_NODE_ROLES.map((role, i) => new ProjectIamMember(scope, `NodeRole${i}`, {
    provider, project: cloud.project, role, member: nodeServiceAccount.member,
  }));

  const cluster = new ContainerCluster(scope, 'Resource', {
    provider,
    project: cloud.project,
    name,
    location: cloud.region,
    nodeLocations: spec.zones ? [...spec.zones] : undefined,
    network: network.network,
    subnetwork: network.subnetwork,
    networkingMode: 'VPC_NATIVE',
    ipAllocationPolicy: { clusterSecondaryRangeName: network.podsRangeName, servicesSecondaryRangeName: network.servicesRangeName },
    removeDefaultNodePool: true,
    initialNodeCount: 1,
    nodeConfig: {
      serviceAccount: nodeServiceAccount.email,
      oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      workloadMetadataConfig: { mode: 'GKE_METADATA' },
    },
    minMasterVersion: spec.kubernetesVersion,
    releaseChannel: { channel: spec.releaseChannel },
    privateClusterConfig: {
      enablePrivateNodes: true,
      enablePrivateEndpoint: spec.endpointAccess === 'private',
      masterGlobalAccessConfig: { enabled: true },
    },
    masterAuthorizedNetworksConfig: spec.endpointAccess === 'private' || spec.authorizedNetworks.length > 0 ? {
      gcpPublicCidrsAccessEnabled: false,
      cidrBlocks: spec.authorizedNetworks.map((cidrBlock, i) => ({ cidrBlock, displayName: `authorized-${i}` })),
    } : undefined,
    workloadIdentityConfig: { workloadPool: `${cloud.project}.svc.id.goog` },
    enableShieldedNodes: true,
    enableLegacyAbac: false,
    datapathProvider: 'ADVANCED_DATAPATH',
    enableIntranodeVisibility: spec.gkeIntranodeVisibility || undefined,
    binaryAuthorization: spec.gkeBinaryAuthorization ? { evaluationMode: 'PROJECT_SINGLETON_POLICY_ENFORCE' } : undefined,
    databaseEncryption: { state: 'ENCRYPTED', keyName: secrets.k.id },
    loggingConfig: { enableComponents: ['SYSTEM_COMPONENTS', 'APISERVER', 'CONTROLLER_MANAGER', 'SCHEDULER', 'WORKLOADS'] },
    securityPostureConfig: { mode: 'BASIC', vulnerabilityMode: 'VULNERABILITY_BASIC' },
    clusterAutoscaling: { autoscalingProfile: 'OPTIMIZE_UTILIZATION' },
    addonsConfig: { gcsFuseCsiDriverConfig: { enabled: true } },
    deletionProtection: spec.deletionProtection,
    // GKE refuses to delete a protected cluster only when Terraform gets to it, after the node pools and
    // every helm release are gone: prevent_destroy makes `cdktf destroy` refuse at plan, before anything.
    lifecycle: spec.deletionProtection ? { preventDestroy: true } : undefined,
    resourceLabels: labels,
    dependsOn: [secrets.member],
  });
  if (spec.gkeBinaryAuthorization) requireGcpApis(cluster, 'binaryauthorization.googleapis.com');
  return { cluster, nodeServiceAccount, secretsKey: secrets.k, diskKey: disks.k, nodeRoles: [...nodeRoles], diskKeyGrant: disks.member };
}
