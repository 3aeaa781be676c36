// Every built-in rule, one per file. Generated list: keep it sorted by folder and file.
import { AmpKmsEncryption } from './aws/amp-kms-encryption';
import { Ec2EbsEncryption } from './aws/ec2-ebs-encryption';
import { Ec2Imdsv2 } from './aws/ec2-imdsv2';
import { Ec2NoPublicIp } from './aws/ec2-no-public-ip';
import { EcrImmutableTags } from './aws/ecr-immutable-tags';
import { EcrKmsEncryption } from './aws/ecr-kms-encryption';
import { EcrScanOnPush } from './aws/ecr-scan-on-push';
import { EksAccessEntries } from './aws/eks-access-entries';
import { EksControlPlaneLogs } from './aws/eks-control-plane-logs';
import { EksEndpointAccess } from './aws/eks-endpoint-access';
import { EksNodeNoSsh } from './aws/eks-node-no-ssh';
import { EksPodIdentity } from './aws/eks-pod-identity';
import { EksSecretsEncryption } from './aws/eks-secrets-encryption';
import { IamNoAdminPolicies } from './aws/iam-no-admin-policies';
import { IamNoStaticKeys } from './aws/iam-no-static-keys';
import { IamNoWildcardAction } from './aws/iam-no-wildcard-action';
import { IamNoWildcardResource } from './aws/iam-no-wildcard-resource';
import { IamPodIdentityTrust } from './aws/iam-pod-identity-trust';
import { IamTrustNoWildcard } from './aws/iam-trust-no-wildcard';
import { KmsDeletionWindow } from './aws/kms-deletion-window';
import { KmsRotation } from './aws/kms-rotation';
import { LogsKmsEncryption } from './aws/logs-kms-encryption';
import { LogsRetention } from './aws/logs-retention';
import { S3AccessLogging } from './aws/s3-access-logging';
import { S3KmsEncryption } from './aws/s3-kms-encryption';
import { S3Lifecycle } from './aws/s3-lifecycle';
import { S3NoPublicAcl } from './aws/s3-no-public-acl';
import { S3OwnershipEnforced } from './aws/s3-ownership-enforced';
import { S3PublicAccessBlock } from './aws/s3-public-access-block';
import { S3TlsOnly } from './aws/s3-tls-only';
import { S3Versioning } from './aws/s3-versioning';
import { SecretsKmsEncryption } from './aws/secrets-kms-encryption';
import { SnsKmsEncryption } from './aws/sns-kms-encryption';
import { SqsKmsEncryption } from './aws/sqs-kms-encryption';
import { VpcFlowLogs } from './aws/vpc-flow-logs';
import { VpcNoOpenIngress } from './aws/vpc-no-open-ingress';
import { ArtifactRegistryCmek } from './gcp/artifact-registry-cmek';
import { ArtifactRegistryImmutable } from './gcp/artifact-registry-immutable';
import { FirewallNoOpenIngress } from './gcp/firewall-no-open-ingress';
import { GcsAccessLogging } from './gcp/gcs-access-logging';
import { GcsKmsEncryption } from './gcp/gcs-kms-encryption';
import { GcpNoPublicMembers } from './gcp/gcs-no-public-members';
import { GcsPublicAccessPrevention } from './gcp/gcs-public-access-prevention';
import { GcsUniformAccess } from './gcp/gcs-uniform-access';
import { GcsVersioning } from './gcp/gcs-versioning';
import { GkeAuthorizedNetworks } from './gcp/gke-authorized-networks';
import { GkeBootDiskCmek } from './gcp/gke-boot-disk-cmek';
import { GkeControlPlaneLogs } from './gcp/gke-control-plane-logs';
import { GkeDeletionProtection } from './gcp/gke-deletion-protection';
import { GkeMetadataServer } from './gcp/gke-metadata-server';
import { GkeNetworkPolicy } from './gcp/gke-network-policy';
import { GkeNoLegacyAuth } from './gcp/gke-no-legacy-auth';
import { GkeNodeAutoRepair } from './gcp/gke-node-auto-repair';
import { GkeNodeServiceAccount } from './gcp/gke-node-service-account';
import { GkePrivateNodes } from './gcp/gke-private-nodes';
import { GkeSecretsEncryption } from './gcp/gke-secrets-encryption';
import { GkeShieldedNodes } from './gcp/gke-shielded-nodes';
import { GkeWorkloadIdentity } from './gcp/gke-workload-identity';
import { GcpNoBasicRoles } from './gcp/iam-no-basic-roles';
import { GcpNoServiceAccountKeys } from './gcp/iam-no-service-account-keys';
import { GcpKmsPreventDestroy } from './gcp/kms-prevent-destroy';
import { GcpKmsRotation } from './gcp/kms-rotation';
import { PubsubCmek } from './gcp/pubsub-cmek';
import { SubnetPrivateAccess } from './gcp/subnet-private-access';
import { AcrCmk } from './azure/acr-cmk';
import { AcrNoAdminUser } from './azure/acr-no-admin-user';
import { AcrNoAnonymousPull } from './azure/acr-no-anonymous-pull';
import { AcrPrivateNetwork } from './azure/acr-private-network';
import { AksApiAccess } from './azure/aks-api-access';
import { AksControlPlaneLogs } from './azure/aks-control-plane-logs';
import { AksDiskEncryption } from './azure/aks-disk-encryption';
import { AksEntraRbac } from './azure/aks-entra-rbac';
import { AksHostEncryption } from './azure/aks-host-encryption';
import { AksNetworkPolicy } from './azure/aks-network-policy';
import { AksNoNodePublicIp } from './azure/aks-no-node-public-ip';
import { AksSecretsKms } from './azure/aks-secrets-kms';
import { AksWorkloadIdentity } from './azure/aks-workload-identity';
import { KeyVaultNetwork } from './azure/key-vault-network';
import { KeyVaultPurgeProtection } from './azure/key-vault-purge-protection';
import { NsgNoOpenInbound } from './azure/nsg-no-open-inbound';
import { AzureRoleNoOwner } from './azure/role-no-owner';
import { StorageCmk } from './azure/storage-cmk';
import { StorageContainerPrivate } from './azure/storage-container-private';
import { StorageInfrastructureEncryption } from './azure/storage-infrastructure-encryption';
import { StorageNetworkRestricted } from './azure/storage-network-restricted';
import { StorageNoAnonymousBlobs } from './azure/storage-no-anonymous-blobs';
import { StorageNoSharedKeys } from './azure/storage-no-shared-keys';
import { StorageTlsOnly } from './azure/storage-tls-only';
import { StorageVersioning } from './azure/storage-versioning';
import { GpuLimits } from './k8s/gpu-limits';
import { GpuOnlyGpuPodsTolerate } from './k8s/gpu-only-gpu-pods-tolerate';
import { GpuToleratesTaint } from './k8s/gpu-tolerates-taint';
import { NamespaceDefaultDeny } from './k8s/namespace-default-deny';
import { NamespacePodSecurity } from './k8s/namespace-pod-security';
import { NetworkTlsOnly } from './k8s/network-tls-only';
import { PodDropAllCapabilities } from './k8s/pod-drop-all-capabilities';
import { PodEmptyDirSizeLimit } from './k8s/pod-empty-dir-size-limit';
import { PodImagePinned } from './k8s/pod-image-pinned';
import { PodNoHostNamespaces } from './k8s/pod-no-host-namespaces';
import { PodNoHostPath } from './k8s/pod-no-host-path';
import { PodNoPrivilegeEscalation } from './k8s/pod-no-privilege-escalation';
import { PodNotPrivileged } from './k8s/pod-not-privileged';
import { PodReadOnlyRoot } from './k8s/pod-read-only-root';
import { PodResources } from './k8s/pod-resources';
import { PodRunAsNonRoot } from './k8s/pod-run-as-non-root';
import { PodSeccomp } from './k8s/pod-seccomp';
import { PodServiceAccount } from './k8s/pod-service-account';
import { PodUniqueEnv } from './k8s/pod-unique-env';
import { RbacLeastPrivilege } from './k8s/rbac-least-privilege';
import { ServiceLoadBalancerInternal } from './k8s/service-load-balancer-internal';
import { ServingDistinctProbes } from './k8s/serving-distinct-probes';
import { ServingPdb } from './k8s/serving-pdb';
import { ServingProbes } from './k8s/serving-probes';
import { ServingReplicas } from './k8s/serving-replicas';
import { TrainingBounded } from './k8s/training-bounded';
import { TrainingSpotCheckpoints } from './k8s/training-spot-checkpoints';
import { VpcDefaultSgClosed } from './aws/vpc-default-sg-closed';
import { EcrLifecycle } from './aws/ecr-lifecycle';
import { SnsTopicPolicy } from './aws/sns-topic-policy';
import { AzureRoleDefinitionNoWildcard } from './azure/role-definition-no-wildcard';
import { LogAnalyticsRetention } from './azure/log-analytics-retention';
import { SecretManagerCmek } from './gcp/secret-manager-cmek';
import { PolicyRule } from '../rule';

export const AWS_RULES: readonly PolicyRule[] = [
  SnsTopicPolicy,
  EcrLifecycle,
  VpcDefaultSgClosed,
  AmpKmsEncryption,
  Ec2EbsEncryption,
  Ec2Imdsv2,
  Ec2NoPublicIp,
  EcrImmutableTags,
  EcrKmsEncryption,
  EcrScanOnPush,
  EksAccessEntries,
  EksControlPlaneLogs,
  EksEndpointAccess,
  EksNodeNoSsh,
  EksPodIdentity,
  EksSecretsEncryption,
  IamNoAdminPolicies,
  IamNoStaticKeys,
  IamNoWildcardAction,
  IamNoWildcardResource,
  IamTrustNoWildcard,
  IamPodIdentityTrust,
  KmsDeletionWindow,
  KmsRotation,
  LogsKmsEncryption,
  LogsRetention,
  S3AccessLogging,
  S3KmsEncryption,
  S3Lifecycle,
  S3NoPublicAcl,
  S3OwnershipEnforced,
  S3PublicAccessBlock,
  S3TlsOnly,
  S3Versioning,
  SecretsKmsEncryption,
  SnsKmsEncryption,
  SqsKmsEncryption,
  VpcFlowLogs,
  VpcNoOpenIngress,
];

export const GCP_RULES: readonly PolicyRule[] = [
  SecretManagerCmek,
  ArtifactRegistryCmek,
  ArtifactRegistryImmutable,
  FirewallNoOpenIngress,
  GcsAccessLogging,
  GcsKmsEncryption,
  GcpNoPublicMembers,
  GcsPublicAccessPrevention,
  GcsUniformAccess,
  GcsVersioning,
  GkeAuthorizedNetworks,
  GkeBootDiskCmek,
  GkeControlPlaneLogs,
  GkeDeletionProtection,
  GkeMetadataServer,
  GkeNetworkPolicy,
  GkeNoLegacyAuth,
  GkeNodeAutoRepair,
  GkeNodeServiceAccount,
  GkePrivateNodes,
  GkeSecretsEncryption,
  GkeShieldedNodes,
  GkeWorkloadIdentity,
  GcpNoBasicRoles,
  GcpNoServiceAccountKeys,
  GcpKmsPreventDestroy,
  GcpKmsRotation,
  PubsubCmek,
  SubnetPrivateAccess,
];

export const AZURE_RULES: readonly PolicyRule[] = [
  LogAnalyticsRetention,
  AzureRoleDefinitionNoWildcard,
  AcrCmk,
  AcrNoAdminUser,
  AcrNoAnonymousPull,
  AcrPrivateNetwork,
  AksApiAccess,
  AksControlPlaneLogs,
  AksDiskEncryption,
  AksEntraRbac,
  AksHostEncryption,
  AksNetworkPolicy,
  AksNoNodePublicIp,
  AksSecretsKms,
  AksWorkloadIdentity,
  KeyVaultNetwork,
  KeyVaultPurgeProtection,
  NsgNoOpenInbound,
  AzureRoleNoOwner,
  StorageCmk,
  StorageContainerPrivate,
  StorageInfrastructureEncryption,
  StorageNetworkRestricted,
  StorageNoAnonymousBlobs,
  StorageNoSharedKeys,
  StorageTlsOnly,
  StorageVersioning,
];

export const K8S_RULES: readonly PolicyRule[] = [
  GpuLimits,
  GpuOnlyGpuPodsTolerate,
  GpuToleratesTaint,
  NamespaceDefaultDeny,
  NamespacePodSecurity,
  NetworkTlsOnly,
  PodDropAllCapabilities,
  PodEmptyDirSizeLimit,
  PodImagePinned,
  PodNoHostNamespaces,
  PodNoHostPath,
  PodNoPrivilegeEscalation,
  PodNotPrivileged,
  PodReadOnlyRoot,
  PodResources,
  PodRunAsNonRoot,
  PodSeccomp,
  PodServiceAccount,
  PodUniqueEnv,
  RbacLeastPrivilege,
  ServiceLoadBalancerInternal,
  ServingDistinctProbes,
  ServingPdb,
  ServingProbes,
  ServingReplicas,
  TrainingBounded,
  TrainingSpotCheckpoints,
];

/** Every built-in rule. */
export const ALL_RULES: readonly PolicyRule[] = [...AWS_RULES, ...GCP_RULES, ...AZURE_RULES, ...K8S_RULES];
