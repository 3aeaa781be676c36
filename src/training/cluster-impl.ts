// What the generic GpuTrainingCluster hands to a cloud, and what the cloud hands back.
import { IConstruct } from 'constructs';
import { ITerraformDependable, TerraformProvider } from 'cdktf';
import { GpuPoolInfo } from '../core/cluster';
import { Gpu, GpuMachineType } from '../core/gpu';
import { IWorkloadIdentity } from '../core/identity';
import { CapacityKind, GpuReservation } from './capacity';

/** Label keys the library puts on nodes. */
export const LABEL_GPU = 'cdktf-ai-infra/gpu';
export const LABEL_POOL = 'cdktf-ai-infra/pool';
export const LABEL_CAPACITY = 'cdktf-ai-infra/capacity';

/** The taint every GPU node carries, so only pods that ask for GPUs land there. */
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' as const };

/** GKE: node pools of a custom compute class carry this label and taint (value: the class name). */
export const GKE_COMPUTE_CLASS_KEY = 'cloud.google.com/compute-class';

/** GKE: a GPU pool gets a ComputeClass (ordered node pools) when its ladder has spot and non-spot rungs. */
export function gkeUsesComputeClass(capacity: readonly string[], queuedProvisioning: boolean): boolean {
  return !queuedProvisioning && capacity.includes('spot') && capacity.some((r) => r !== 'spot');
}

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
