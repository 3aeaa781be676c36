import { IConstruct } from 'constructs';
import { ITerraformDependable, TerraformProvider } from 'cdktf';
import { Cloud } from './cloud';
import { GpuInterconnect } from './gpu';
import { IWorkloadIdentity } from './identity';

/** A node pool of a GPU cluster, as workloads see it. */
export interface GpuPoolInfo {
  /** Pool name (unique in the cluster). */
  readonly name: string;
  /** Accelerator id from the GPU catalog (e.g. `h100-80gb`). */
  readonly gpu: string;
  readonly gpusPerNode: number;
  readonly maxNodes: number;
  /** GPU memory of one GPU, GiB. */
  readonly gpuMemoryGiB: number;
  /** Labels a pod selects to land on this pool. */
  readonly nodeSelector: Record<string, string>;
  /** Taints of the pool's nodes (`nvidia.com/gpu=present:NoSchedule`). */
  readonly taints: readonly { key: string; value: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** Interconnect for NCCL settings. */
  readonly interconnect: GpuInterconnect;
  /** Machine type of the pool's nodes (e.g. `p5.48xlarge`). @default - unknown (imported pool) */
  readonly machineType?: string;
  /**
   * The pool's capacity ladder (`['reserved', 'on-demand', 'spot']`): a job without checkpoints must not
   * run on a spot-only pool. @default - unknown (imported pool), treated as on-demand
   */
  readonly capacity?: readonly ('reserved' | 'on-demand' | 'spot')[];
}

/**
 * A Kubernetes cluster with GPU pools: a `GpuTrainingCluster`, or one imported with
 * `GpuTrainingCluster.fromClusterAttributes` (e.g. made by another stack).
 */
export interface IGpuCluster extends IConstruct {
  readonly cloud: Cloud;
  readonly clusterName: string;
  readonly gpuPools: readonly GpuPoolInfo[];
  /** The helm provider that reaches this cluster; workloads are `helm_release`s through it. */
  readonly helmProvider: TerraformProvider;
  /**
   * Lets pods running as `namespace/serviceAccount` act as `identity` (EKS Pod Identity association,
   * GKE workload identity binding, AKS federated credential). Returns the annotations the Kubernetes
   * ServiceAccount must carry: put them on it (on EKS the one annotation names the Pod Identity association,
   * which makes the release that creates the ServiceAccount wait for the association).
   */
  bindServiceAccount(identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string>;
  /**
   * Add-on releases (device plugin / GPU operator, DCGM exporter, Kueue and their CRDs) that a workload
   * `helm_release` should `dependsOn`, so custom resources (LocalQueue, ServiceMonitor...) find their CRDs.
   * Empty for an imported cluster whose add-ons another stack installed.
   */
  readonly addOnDependencies?: readonly ITerraformDependable[];
  /**
   * Labels a pod must carry for its ServiceAccount's workload identity to apply
   * (`azure.workload.identity/use: "true"` on AKS; none on EKS and GKE). @default - none
   */
  readonly workloadIdentityPodLabels?: Record<string, string>;
  /** Namespace the cluster's add-ons (Kueue, DCGM exporter) run in. @default 'gpu-system' */
  readonly addOnNamespace?: string;
  /**
   * The address ranges pods take their IPs from, where known (AWS VPC CNI: the node subnets; GKE: the pods
   * secondary range; AKS overlay: the pod CIDR). NetworkPolicies that admit a load balancer's range except
   * them, so no pod passes as the load balancer. @default - unknown (imported without them; an existing AWS or GCP network without `podCidrs`)
   */
  readonly podCidrs?: readonly string[];
  /** Kubernetes minor version (`1.33`), where known: features such as ValidatingAdmissionPolicy need one. @default - unknown (imported) */
  readonly kubernetesVersion?: string;
  /**
   * Makes Gateway API gateways work on the cluster, once however often called (EKS: the AWS Load Balancer
   * Controller with `ALBGatewayAPI` and the Gateway API CRDs; GKE: its managed Gateway API). Inference
   * endpoints behind a gateway (public, canary) call it. Returns the releases Gateway objects must
   * `dependsOn`. @default - absent: the cluster (e.g. imported) provides Gateway API support itself
   */
  enableGatewayApi?(): readonly ITerraformDependable[];
  /**
   * Turns on the cloud's managed Secrets Store CSI integration where it has one (GKE Secret Manager
   * add-on); endpoints with an API key call it. @default - absent: nothing to turn on
   */
  enableSecretStore?(): void;
}
