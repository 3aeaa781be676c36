import { parse } from 'yaml';
import { Gpu } from '../../src/core/gpu';
import { GpuTrainingClusterProps } from '../../src/training/gpu-training-cluster';
import { all, azure, clusterJson, gcp, Json } from '../training/cluster-helpers';

/**
 * Issue 15 item 10: changing a node pool's machine type (or anything else the cloud cannot change in place)
 * must bring the new pool up before the old one goes, as the anchors do: a name that changes with those
 * settings (deterministic here: a hash, never a random suffix) and create_before_destroy.
 */
const ladder: Partial<GpuTrainingClusterProps> = {
  gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['reserved', 'on-demand', 'spot'], reservation: { id: 'h100-block' } }],
};

function poolNames(json: Json, type: string): string[] {
  return all(json, type).map((p) => p.name).sort();
}

describe('GKE node pools are replaced new-first (issue 15 item 10)', () => {
  const base = clusterJson({ cloud: gcp(), ...ladder });
  const pools = all(base.json, 'google_container_node_pool');

  test('every pool: create_before_destroy, a name keyed on its replace-only settings', () => {
    expect(pools).toHaveLength(3);
    for (const p of pools) expect(p.lifecycle).toEqual({ create_before_destroy: true, ignore_changes: ['initial_node_count'] });
    expect(poolNames(base.json, 'google_container_node_pool').map((n) => n.replace(/-[0-9a-f]{4}$/, '-<hash>')))
      .toEqual(['h100-80gb-od-<hash>', 'h100-80gb-spot-<hash>', 'system-<hash>']);
    // Deterministic: the same props give the same names.
    expect(poolNames(clusterJson({ cloud: gcp(), ...ladder }).json, 'google_container_node_pool')).toEqual(poolNames(base.json, 'google_container_node_pool'));
  });

  test('a new system machine type renames (replaces) only the system pool', () => {
    const changed = poolNames(clusterJson({ cloud: gcp(), ...ladder, systemPool: { machineType: 'n2-standard-8' } }).json, 'google_container_node_pool');
    const before = poolNames(base.json, 'google_container_node_pool');
    expect(changed.filter((n) => !before.includes(n))).toEqual([expect.stringMatching(/^system-[0-9a-f]{4}$/)]);
  });

  test('a GPU pool disk change renames that pool\'s node pools; the ComputeClass follows the names', () => {
    const changed = clusterJson({ cloud: gcp(), gpuPools: [{ ...ladder.gpuPools![0], diskSizeGiB: 800 }] });
    const before = poolNames(base.json, 'google_container_node_pool');
    const after = poolNames(changed.json, 'google_container_node_pool');
    expect(after.filter((n) => !before.includes(n)).map((n) => n.replace(/-[0-9a-f]{4}$/, ''))).toEqual(['h100-80gb-od', 'h100-80gb-spot']);
    const computeClass = (changed.cluster.clusterConfig!.render().objects as Json[]).find((o) => o.kind === 'ComputeClass');
    expect(computeClass.spec.priorities.flatMap((p: Json) => p.nodepools).sort()).toEqual(after.filter((n) => !n.startsWith('system')));
  });
});

describe('AKS node pools are rotated or replaced new-first (issue 15 item 10)', () => {
  const pool = { ...ladder.gpuPools![0], reservation: { id: '/subscriptions/0/resourceGroups/g/providers/Microsoft.Compute/capacityReservationGroups/h100' } };
  const base = clusterJson({ cloud: azure(), gpuPools: [pool] });
  const aks = all(base.json, 'azurerm_kubernetes_cluster')[0];

  test('the system (default) pool rotates through a temporary pool', () => {
    expect(aks.default_node_pool.temporary_name_for_rotation).toBe('systemtmp');
  });

  test('user pools: create_before_destroy and names (at most 12 characters) keyed on their settings', () => {
    const pools = all(base.json, 'azurerm_kubernetes_cluster_node_pool');
    expect(pools).toHaveLength(3);
    for (const p of pools) {
      expect(p.lifecycle).toEqual({ create_before_destroy: true, ignore_changes: ['node_count'] });
      expect(p.name).toMatch(/^g0(rsv|od|spot)[0-9a-f]{4}$/);
      expect(p.name.length).toBeLessThanOrEqual(12);
    }
  });

  test('a disk change renames the pools, and the priority expander follows the names', () => {
    const changed = clusterJson({ cloud: azure(), gpuPools: [{ ...pool, diskSizeGiB: 800 }] });
    const before = poolNames(base.json, 'azurerm_kubernetes_cluster_node_pool');
    const after = poolNames(changed.json, 'azurerm_kubernetes_cluster_node_pool');
    expect(after.filter((n) => before.includes(n))).toEqual([]);
    const cm = (changed.cluster.clusterConfig!.render().objects as Json[]).find((o) => o.kind === 'ConfigMap');
    const patterns = Object.values(parse(cm.data.priorities) as Record<string, string[]>).flat().filter((p) => p !== '.*');
    expect(patterns.sort()).toEqual(after.map((n) => `^aks-${n}-.*`).sort());
  });
});
