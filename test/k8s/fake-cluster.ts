// A minimal IGpuCluster for tests of workloads (jobs, endpoints, monitoring) that need no real cluster.
import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Cloud } from '../../src/core/cloud';
import { GpuPoolInfo, IGpuCluster } from '../../src/core/cluster';
import { IWorkloadIdentity } from '../../src/core/identity';

export interface FakeClusterOptions {
  readonly cloud?: Cloud;
  readonly pools?: GpuPoolInfo[];
  /** The pod ranges; pass `undefined` explicitly for a cluster whose ranges are unknown. @default ['10.64.0.0/14'] */
  readonly podCidrs?: readonly string[];
}

export const H100_POOL: GpuPoolInfo = {
  name: 'h100',
  gpu: 'h100-80gb',
  gpusPerNode: 8,
  maxNodes: 4,
  gpuMemoryGiB: 80,
  nodeSelector: { 'ai-infra/gpu': 'h100-80gb', 'ai-infra/pool': 'h100' },
  taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
  interconnect: 'efa',
};

/** Records each bindServiceAccount call; returns the annotation a GKE/AKS binding would. */
export class FakeGpuCluster extends Construct implements IGpuCluster {
  public readonly cloud: Cloud;
  public readonly clusterName = 'fake-cluster';
  public readonly gpuPools: readonly GpuPoolInfo[];
  public readonly helmProvider: HelmProvider;
  public readonly podCidrs?: readonly string[];
  public readonly bindings: { identity: IWorkloadIdentity; namespace: string; serviceAccount: string }[] = [];

  constructor(scope: Construct, id: string, options: FakeClusterOptions = {}) {
    super(scope, id);
    this.cloud = options.cloud ?? Cloud.aws({ region: 'us-east-1' });
    this.gpuPools = options.pools ?? [H100_POOL];
    this.podCidrs = 'podCidrs' in options ? options.podCidrs : ['10.64.0.0/14'];
    this.helmProvider = new HelmProvider(TerraformStack.of(this), `${id}-helm`, { alias: id.toLowerCase() });
  }

  /** Set once something asked for the cloud's managed Secrets Store CSI integration. */
  public secretStoreEnabled = false;

  public bindServiceAccount(identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string> {
    this.bindings.push({ identity, namespace, serviceAccount });
    return { 'fake.ai-infra/identity': identity.workloadRef };
  }

  public enableSecretStore(): void {
    this.secretStoreEnabled = true;
  }
}
