import { Testing } from 'cdktf';
import { buildPlatformApp, Platform } from '../../examples/platform/platform';
import { Cloud } from '../../src/core/cloud';
import { all, azure, clusterJson, expectInvalid, gcp, Json } from '../training/cluster-helpers';
import { elements } from './graph';

/**
 * Issue 15 item 12: `cdktf destroy` either refuses at plan (Terraform prevent_destroy, before anything is
 * deleted) or finishes. A cloud API that refuses deletion (GKE deletion protection) would otherwise stop a
 * destroy half-way, after the workloads are gone.
 */
function expectApiProtectionRefusedAtPlan(json: Json): number {
  let protectedCount = 0;
  for (const [address, body] of elements(json)) {
    if (body.deletion_protection !== true) continue;
    protectedCount += 1;
    expect({ address, preventDestroy: body.lifecycle?.prevent_destroy }).toEqual({ address, preventDestroy: true });
  }
  return protectedCount;
}

describe('destroy refuses up front or finishes (issue 15 item 12)', () => {
  test('platform-gcp: every API-level deletion protection is also a prevent_destroy', () => {
    const stack = buildPlatformApp(Testing.app()).find((s) => s.node.id === 'platform-gcp')!;
    expect(expectApiProtectionRefusedAtPlan(JSON.parse(Testing.synth(stack)))).toBeGreaterThanOrEqual(1);
  });

  test('GKE: a protected cluster refuses destroy at plan; deletionProtection false lets destroy delete it', () => {
    const gke = (props: { deletionProtection?: boolean }) => all(clusterJson({ cloud: gcp(), ...props }).json, 'google_container_cluster')[0];
    expect(gke({})).toMatchObject({ deletion_protection: true, lifecycle: { prevent_destroy: true } });
    const open = gke({ deletionProtection: false });
    expect(open.deletion_protection).toBe(false);
    expect(open.lifecycle).toBeUndefined();
  });

  test('AKS (no API protection): deletionProtection is a prevent_destroy', () => {
    const aks = (props: { deletionProtection?: boolean }) => all(clusterJson({ cloud: azure(), ...props }).json, 'azurerm_kubernetes_cluster')[0];
    expect(aks({}).lifecycle).toEqual({ ignore_changes: ['default_node_pool[0].node_count'], prevent_destroy: true });
    expect(aks({ deletionProtection: false }).lifecycle).toEqual({ ignore_changes: ['default_node_pool[0].node_count'] });
  });

  describe('Cloud KMS key rings (never deleted) get new names for a deployment after a destroy', () => {
    const rings = (cloud: Cloud) => all(JSON.parse(Testing.synth(new Platform(Testing.app(), 'platform-gcp', { cloud }))), 'google_kms_key_ring')
      .map((r) => r.name as string).sort();
    const first = rings(gcp());

    test('generation 1 keeps the names of earlier releases; generation 2 renames every ring, within 63 characters', () => {
      expect(first.length).toBeGreaterThanOrEqual(5);
      expect(rings(Cloud.gcp({ project: 'acme-ml', region: 'us-central1', keyRingGeneration: 1 }))).toEqual(first);
      const second = rings(Cloud.gcp({ project: 'acme-ml', region: 'us-central1', keyRingGeneration: 2 }));
      expect(second).toHaveLength(first.length);
      for (const name of second) {
        expect(name).toMatch(/-g2$/);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(first).not.toContain(name);
      }
    });

    test('the generation is a whole number from 1', () => {
      expectInvalid(() => Cloud.gcp({ project: 'acme-ml', region: 'us-central1', keyRingGeneration: 0 }), /keyRingGeneration/);
      expectInvalid(() => Cloud.gcp({ project: 'acme-ml', region: 'us-central1', keyRingGeneration: 1.5 }), /keyRingGeneration/);
    });
  });
});
