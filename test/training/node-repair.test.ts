// Issue 22 item 4: every node pool repairs itself with the cloud's own node repair; on EKS the node monitoring agent
// turns NVIDIA XID errors into the node condition repair acts on.
import { Gpu } from '../../src/core/gpu';
import { all, aws, clusterJson, gcp, Json, one } from './cluster-helpers';

describe('node auto-repair on every pool', () => {
  test('EKS: node repair on the system and every GPU node group, and the node monitoring agent add-on', () => {
    const { json } = clusterJson({
      cloud: aws(),
      gpuPools: [
        { gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['reserved', 'on-demand', 'spot'], reservation: { id: 'cr-0123456789abcdef0' } },
        { name: 'serve', gpu: Gpu.L4, gpusPerNode: 1, maxNodes: 4 },
      ],
    });
    const groups = all(json, 'aws_eks_node_group');
    expect(groups).toHaveLength(5); // system + 3 rungs + serve
    expect(groups.map((g: Json) => g.node_repair_config)).toEqual(groups.map(() => ({ enabled: true })));
    const agent = one(json, 'aws_eks_addon', 'NodeMonitoringAgent');
    expect(agent.addon_name).toBe('eks-node-monitoring-agent');
    expect(agent.depends_on.join()).toMatch(/aws_eks_node_group\.train_SystemNodes_/);
  });

  test('GKE: auto_repair on the system and every GPU node pool; off only where GKE forbids it (DWS queued provisioning)', () => {
    const { json } = clusterJson({
      cloud: gcp(), zones: ['us-central1-a', 'us-central1-b'],
      gpuPools: [
        { gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] },
        { name: 'dws', gpu: Gpu.A100_80GB, maxNodes: 2, queuedProvisioning: true },
      ],
    });
    const pools = all(json, 'google_container_node_pool');
    const repair = Object.fromEntries(pools.map((p: Json) => [p.name_prefix ?? p.name, p.management.auto_repair]));
    const dws = pools.filter((p: Json) => p.queued_provisioning?.enabled);
    expect(dws).toHaveLength(1);
    expect(dws[0].management.auto_repair).toBe(false);
    expect(pools.filter((p: Json) => !p.queued_provisioning?.enabled).every((p: Json) => p.management.auto_repair === true)).toBe(true);
    expect(Object.keys(repair).length).toBeGreaterThanOrEqual(4); // system, h100 od, h100 spot, dws
  });
});
