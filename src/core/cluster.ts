import { IConstruct } from 'constructs';
import { TerraformProvider } from 'cdktf';
import { Cloud } from './cloud';
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
  readonly interconnect: 'efa' | 'gpudirect-tcpx' | 'gpudirect-tcpxo' | 'infiniband' | 'ethernet';
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
   * ServiceAccount must carry (none on EKS Pod Identity).
   */
  bindServiceAccount(identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string>;
}
