// The per-cloud contract of GpuTrainingCluster (types only): what the generic construct hands to a cloud, what
// the cloud hands back, and the cloud facts generic validation needs. Each cloud implements `ClusterSpi` in
// src/clouds/<cloud>/training.ts; src/clouds/registry.ts maps a cloud to it.
import type { Construct, IConstruct } from 'constructs';
import type { ITerraformDependable, TerraformProvider } from 'cdktf';
import type { CapacityKind, GpuReservation } from '../core/capacity';
import type { Cloud } from '../core/cloud';
import type { GpuPoolInfo } from '../core/cluster';
import type { Gpu, GpuMachineType } from '../core/gpu';
import type { IWorkloadIdentity } from '../core/identity';

/** A GPU pool after validation: machine picked, defaults filled. */
export interface ResolvedGpuPool {
  readonly name: string;
  readonly gpu: Gpu;
  readonly machine: GpuMachineType;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly capacity: readonly CapacityKind[];
  readonly reservation?: GpuReservation;
  readonly diskSizeGiB: number;
  /** Use the machine's fast interconnect (EFA interfaces + placement group on AWS). */
  readonly efa: boolean;
  /** GCP compact placement / AWS cluster placement group. */
  readonly compactPlacement: boolean;
  /** GCP queued provisioning (Dynamic Workload Scheduler). */
  readonly queuedProvisioning: boolean;
  /** Zones the pool may use. @default - the cluster's */
  readonly zones?: readonly string[];
  /** Node labels (GPU id, pool, plus the user's). */
  readonly labels: Record<string, string>;
  /** What workloads see. */
  readonly info: GpuPoolInfo;
}

/** The system (add-on) pool after validation. */
export interface ResolvedSystemPool {
  readonly machineType: string;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly diskSizeGiB: number;
}

/** A network to reuse instead of making one. */
export interface ExistingNetwork {
  /** AWS VPC id, GCP network self link / name, Azure VNet resource id. */
  readonly networkId: string;
  /**
   * Private subnets for nodes: AWS subnet ids (>= 2, in distinct zones); GCP one subnetwork self link /
   * name; Azure one subnet resource id (with NAT or another egress already attached).
   */
  readonly subnetIds: readonly string[];
  /** GCP: the subnetwork's secondary range for pods. */
  readonly podsRangeName?: string;
  /** GCP: the subnetwork's secondary range for services. */
  readonly servicesRangeName?: string;
  /**
   * The ranges pods take their IPs from: AWS (VPC CNI) the node subnets' CIDRs, GCP the pods secondary range's
   * CIDR (Azure's overlay pod CIDR is always known). Load balancer sources in NetworkPolicies except them; without
   * them an endpoint warns that a pod may pass as its load balancer.
   * @default - unknown
   */
  readonly podCidrs?: readonly string[];
}

/** Network options: a new one (default) or an existing one. */
export interface ClusterNetworkProps {
  /** CIDR of a new VPC / VNet / subnetwork. @default '10.0.0.0/16' */
  readonly cidr?: string;
  /** Reuse a network; no network resources are made. @default - a new network */
  readonly existing?: ExistingNetwork;
  /**
   * One NAT gateway per zone (AWS; survives a zone outage) or a single one (cheaper). GCP Cloud NAT and
   * the Azure NAT gateway are regional / zone-redundant services either way.
   * @default 'per-zone'
   */
  readonly natGateways?: 'per-zone' | 'single';
}

/** Everything a cloud needs to build the cluster; all validated. */
export interface ClusterBuildSpec {
  readonly kubernetesVersion: string;
  readonly zones?: readonly string[];
  readonly zoneCount: number;
  readonly network: ClusterNetworkProps;
  readonly endpointAccess: 'public' | 'private';
  readonly authorizedNetworks: readonly string[];
  readonly admins: readonly string[];
  readonly systemPool: ResolvedSystemPool;
  readonly gpuPools: readonly ResolvedGpuPool[];
  readonly gpuSoftware: 'device-plugin' | 'gpu-operator';
  readonly dcgmExporter: boolean;
  readonly kueue: boolean;
  /** Install / enable Gateway API support now (else on first use by an endpoint). */
  readonly gatewayApi: boolean;
  readonly releaseChannel: 'RAPID' | 'REGULAR' | 'STABLE';
  readonly deletionProtection: boolean;
  readonly tags?: Record<string, string>;
  /** GKE Binary Authorization (project policy enforced). */
  readonly gkeBinaryAuthorization: boolean;
  /** GKE intranode visibility. */
  readonly gkeIntranodeVisibility: boolean;
}

/** What a cloud returns. */
export interface ClusterImpl {
  readonly clusterName: string;
  /** API server URL. */
  readonly endpoint: string;
  /** Base64 PEM of the cluster CA. */
  readonly certificateAuthorityData: string;
  /** AKS OIDC issuer (federated credentials); empty elsewhere. */
  readonly oidcIssuerUrl: string;
  readonly helmProvider: TerraformProvider;
  /** Everything a workload release must wait for (nodes and add-ons). */
  readonly addOnDependencies: readonly ITerraformDependable[];
  /**
   * What any release must wait for before it calls the Kubernetes API as the deployer, even one that needs
   * no add-on (AKS: the propagation of the deployer's RBAC Cluster Admin assignment).
   * @default - nothing beyond the cluster (the helm provider's configuration references it)
   */
  readonly apiAccess?: readonly ITerraformDependable[];
  readonly workloadIdentityPodLabels: Record<string, string>;
  /** The ranges pods take IPs from, where known at synth (see `IGpuCluster.podCidrs`). */
  readonly podCidrs?: readonly string[];
  /** The main resources, as escape hatches. */
  readonly resources: Record<string, IConstruct>;
  /**
   * Kubernetes objects the cluster's own configuration needs (AKS priority-expander ConfigMap, GKE
   * ComputeClasses), delivered as one Helm release in kube-system. @default - none
   */
  readonly clusterObjects?: readonly Record<string, unknown>[];
  bindServiceAccount(identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string>;
  /**
   * Makes Gateway API gateways work (once, however often called): EKS installs the AWS Load Balancer
   * Controller and the CRDs, GKE enables its managed Gateway API. Returns the releases Gateway objects
   * must wait for. @default - the cloud has none here
   */
  enableGatewayApi?(): readonly ITerraformDependable[];
  /** Turns on the cloud's managed Secrets Store CSI integration (GKE Secret Manager add-on). @default - none */
  enableSecretStore?(): void;
}

/** What an imported cluster needs to reach the API server and bind identities. */
export interface ImportedClusterSpec {
  readonly clusterName: string;
  readonly endpoint: string;
  readonly certificateAuthorityData: string;
  readonly oidcIssuerUrl?: string;
}

/** What an imported cluster gets from a cloud. */
export interface ImportedClusterImpl {
  readonly helmProvider: TerraformProvider;
  readonly workloadIdentityPodLabels: Record<string, string>;
  bindServiceAccount(identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string>;
}

/** A pattern a string prop must match, and how the error message describes it. */
export interface NamePattern {
  readonly re: RegExp;
  readonly what: string;
}

/** Where pods fetch workload-identity credentials (a default-deny egress policy must let them through). */
export interface CredentialEndpoint {
  readonly cidr: string;
  readonly port: number;
}

/**
 * One cloud's GpuTrainingCluster: the cloud facts generic validation reads, in the order it reads them, and
 * the builders. `C` is the cloud's target class; src/clouds/registry.ts hands each cloud only its own targets.
 */
export interface ClusterSpi<C extends Cloud = Cloud> {
  /** Validates `admins` (principal ARNs, group object ids; or none where the cloud grants access elsewhere). */
  checkAdmins(scope: IConstruct, admins: readonly string[]): void;
  /** Why `gpuSoftware: 'gpu-operator'` is refused here (the allowed value, for the error). @default - allowed */
  readonly gpuOperatorUnsupported?: string;
  /** Validates the shape of an existing network (how many subnets, secondary ranges). */
  checkExistingNetwork(scope: IConstruct, existing: ExistingNetwork): void;
  /** The zone names of `cloud`'s region. */
  zonePattern(cloud: C): NamePattern;
  /** GPU pools may be regional (`zones: []`): some GPU sizes are not zonal in every region. */
  readonly regionalPoolsAllowed: boolean;
  /** The system pool's machine type when none is given. */
  readonly defaultSystemMachineType: string;
  /** What a `reservation.id` looks like here. */
  readonly reservationId: NamePattern;
  /** Why a `reserved` rung needs a `reservation` here (the allowed value, for the error). @default - optional */
  readonly reservationRequired?: string;
  /** Why `queuedProvisioning` is refused here (the allowed value). @default - allowed */
  readonly queuedProvisioningUnsupported?: string;
  /** Why `compactPlacement` is refused here (the allowed value). @default - allowed */
  readonly compactPlacementUnsupported?: string;
  /**
   * The taints a pool's nodes carry besides the GPU taint, and the node selector entries besides the pool
   * label, that land a pod on them (AKS spot taint, GKE compute classes).
   */
  poolPlacement(name: string, capacity: readonly CapacityKind[], queuedProvisioning: boolean): Pick<GpuPoolInfo, 'taints' | 'nodeSelector'>;
  /** How many node groups of a pool with this ladder can each reach `maxNodes` (cost and quota count each). */
  separatelyCappedGroups(capacity: readonly CapacityKind[]): number;
  /** Whether Gateway API support is on when `gatewayApi` is not given. */
  readonly gatewayApiByDefault: boolean;
  /** Whether the GKE props (`gkeBinaryAuthorization`, `gkeIntranodeVisibility`) apply. @default false */
  readonly gkeSecurityOptions?: boolean;
  /** Where pods fetch workload-identity credentials (none where tokens are exchanged over HTTPS). */
  readonly workloadIdentityEndpoints: readonly CredentialEndpoint[];
  /** Makes the cluster (network, control plane, node pools, add-ons) under `scope`. */
  build(scope: Construct, cloud: C, spec: ClusterBuildSpec): ClusterImpl;
  /** Validates what an imported cluster needs here beyond the common attributes. @default - nothing */
  checkImported?(scope: IConstruct, spec: ImportedClusterSpec): void;
  /** A helm provider and identity binder for a cluster made elsewhere. */
  buildImported(scope: Construct, cloud: C, spec: ImportedClusterSpec): ImportedClusterImpl;
}
