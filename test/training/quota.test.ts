// Issue 15 item 14: the GPU quota a cluster needs is stated at synth (an info annotation), per cloud quota name.
import { Gpu } from '../../src/core/gpu';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { aws, azure, gcp, newStack } from './cluster-helpers';

function infos(cluster: GpuTrainingCluster): string[] {
  return cluster.node.metadata.filter((m) => m.type === '@cdktf/info').map((m) => String(m.data));
}

function quotaInfo(cluster: GpuTrainingCluster): string {
  const found = infos(cluster).filter((m) => m.startsWith('GPU quota'));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('GPU quota at synth', () => {
  test('AWS: the P-instance vCPU quotas, on-demand and spot, by Service Quotas code', () => {
    const cluster = new GpuTrainingCluster(newStack(), 'train', {
      cloud: aws(),
      gpuPools: [
        { gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] },
        { gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 3, name: 'small' },
      ],
    });
    const info = quotaInfo(cluster);
    // p5.48xlarge: 192 vCPUs x 2 nodes
    expect(info).toContain('"Running On-Demand P instances" (L-417A185B) in us-east-1 >= 384 vCPUs');
    expect(info).toContain('"All P Spot Instance Requests" (L-7212CCBC) in us-east-1 >= 384 vCPUs');
    // g6.xlarge: 4 vCPUs x 3 nodes, on-demand only
    expect(info).toContain('"Running On-Demand G and VT instances" (L-DB2E81BA) in us-east-1 >= 12 vCPUs (small: 12)');
    expect(info).not.toContain('All G and VT Spot Instance Requests');
    expect(cluster.quotaRequirements.map((r) => r.quota.name)).toEqual([
      'Running On-Demand P instances', 'All P Spot Instance Requests', 'Running On-Demand G and VT instances',
    ]);
  });

  test('GCP: GPU quotas per model (regional, PREEMPTIBLE_ for spot) and GPUS_ALL_REGIONS summed over pools', () => {
    const cluster = new GpuTrainingCluster(newStack(), 'train', {
      cloud: gcp(),
      gpuPools: [
        { gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] },
        { gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 4, name: 'small' },
      ],
    });
    const info = quotaInfo(cluster);
    expect(info).toContain('"NVIDIA_H100_GPUS" in us-central1 >= 16 GPUs');
    expect(info).toContain('"PREEMPTIBLE_NVIDIA_H100_GPUS" in us-central1 >= 16 GPUs');
    expect(info).toContain('"NVIDIA_L4_GPUS" in us-central1 >= 4 GPUs');
    // on-demand and spot groups of h100 (16 + 16) and the L4 pool (4)
    const all = cluster.quotaRequirements.find((r) => r.quota.name === 'GPUS_ALL_REGIONS')!;
    expect(all).toMatchObject({ region: '', amount: 36, unit: 'gpus' });
    expect(info).toContain('"GPUS_ALL_REGIONS" over all regions >= 36 GPUs (h100-80gb: 32, small: 4)');
  });

  test('Azure: the VM family vCPU quota and the regional totals; every rung of the ladder is its own pool', () => {
    const cluster = new GpuTrainingCluster(newStack(), 'train', {
      cloud: azure(),
      gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] }],
    });
    const info = quotaInfo(cluster);
    expect(info).toContain('"Standard NDSH100v5 Family vCPUs" in eastus2 >= 192 vCPUs');
    expect(info).toContain('"Total Regional vCPUs" in eastus2 >= 192 vCPUs');
    expect(info).toContain('"Total Regional Spot vCPUs" in eastus2 >= 192 vCPUs');
  });

  test('every machine type in the catalog names its on-demand and spot quotas', () => {
    for (const gpu of Gpu.all) {
      for (const cloud of ['aws', 'gcp', 'azure'] as const) {
        for (const m of gpu.machines(cloud)) {
          expect({ machine: m.machine, onDemand: m.quota.onDemand.length > 0, spot: m.quota.spot.length > 0 })
            .toEqual({ machine: m.machine, onDemand: true, spot: true });
        }
      }
    }
  });
});
