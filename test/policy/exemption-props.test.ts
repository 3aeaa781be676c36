// Issue 21 item 4: a checkov exemption that records a deliberate choice has a prop that removes it (GKE Binary
// Authorization and intranode visibility, the Azure bucket's HSM key). With the prop
// the setting is on and the pack writes no skip; without it the skip is there with its reason (the fixture).
import { Aspects, Testing } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { AiInfraPolicyPack, CHECKOV_EXEMPTIONS } from '../../src/policy';
import { aws, azure, expectInvalid, gcp, Json, newStack, one } from '../training/cluster-helpers';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { Gpu } from '../../src/core/gpu';
import { ModelBackupBucket } from '../../src/backup/model-backup-bucket';

function gkeCluster(props: { gkeBinaryAuthorization?: boolean; gkeIntranodeVisibility?: boolean }): Json {
  const stack = newStack();
  new GpuTrainingCluster(stack, 'train', { cloud: gcp(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }], ...props });
  Aspects.of(stack).add(new AiInfraPolicyPack());
  Testing.synth(stack); // runs the pack, which writes the skips onto the resources
  return stack.toTerraform();
}
const skips = (cluster: Json): string[] => (cluster['//']?.checkov?.skip ?? []).map((s: { id: string }) => s.id);

describe('exemptions removed by a prop', () => {
  test('GKE: gkeBinaryAuthorization and gkeIntranodeVisibility turn the settings on and drop CKV_GCP_66 and CKV_GCP_61', () => {
    const on = gkeCluster({ gkeBinaryAuthorization: true, gkeIntranodeVisibility: true });
    const cluster = one(on, 'google_container_cluster', 'train');
    expect(cluster.binary_authorization).toEqual({ evaluation_mode: 'PROJECT_SINGLETON_POLICY_ENFORCE' });
    expect(cluster.enable_intranode_visibility).toBe(true);
    // the other GKE exemptions stay (the pack ran), these two are gone
    expect(skips(cluster)).toEqual(expect.arrayContaining(['CKV_GCP_65']));
    expect(skips(cluster).filter((id) => ['CKV_GCP_61', 'CKV_GCP_66'].includes(id))).toEqual([]);
    expect(Object.values(on.resource.google_project_service).map((s) => (s as Json).service)).toContain('binaryauthorization.googleapis.com');
  });

  test('fixture: by default both are off and the skips carry their reason naming the prop', () => {
    const off = gkeCluster({});
    const cluster = one(off, 'google_container_cluster', 'train');
    expect([cluster.binary_authorization, cluster.enable_intranode_visibility]).toEqual([undefined, undefined]);
    const byId = Object.fromEntries((cluster['//'].checkov.skip as { id: string; comment: string }[]).map((s) => [s.id, s.comment]));
    expect(byId.CKV_GCP_66).toMatch(/gkeBinaryAuthorization: true/);
    expect(byId.CKV_GCP_61).toMatch(/gkeIntranodeVisibility: true/);
  });

  test('the GKE props are refused on other clouds and must be booleans', () => {
    expectInvalid(() => new GpuTrainingCluster(newStack(), 'train', { cloud: aws(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }], gkeBinaryAuthorization: true }),
      /gkeBinaryAuthorization/, /a GKE option/);
    expectInvalid(() => new GpuTrainingCluster(newStack(), 'train', { cloud: gcp(), gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2 }], gkeIntranodeVisibility: 'yes' as never }),
      /gkeIntranodeVisibility/, /true or false/);
  });

  function azureBucket(hsmKey?: boolean): Json {
    const stack = newStack();
    new ModelBackupBucket(stack, 'models', { cloud: azure(), ...(hsmKey === undefined ? {} : { azure: { hsmKey } }) });
    Aspects.of(stack).add(new AiInfraPolicyPack());
    Testing.synth(stack);
    return stack.toTerraform();
  }

  test('Azure: ModelBackupBucket azure.hsmKey makes the key RSA-HSM in a Premium vault and drops CKV_AZURE_112; by default the skip is there', () => {
    const key = (j: Json) => Object.values(j.resource.azurerm_key_vault_key)[0] as Json;
    const vault = (j: Json) => Object.values(j.resource.azurerm_key_vault)[0] as Json;
    const on = azureBucket(true);
    expect([key(on).key_type, vault(on).sku_name]).toEqual(['RSA-HSM', 'premium']);
    expect(skips(key(on))).not.toContain('CKV_AZURE_112');
    expect(skips(key(on))).toContain('CKV_AZURE_40'); // the pack ran on the key
    const off = azureBucket();
    expect([key(off).key_type, vault(off).sku_name]).toEqual(['RSA', 'standard']);
    expect(skips(key(off))).toContain('CKV_AZURE_112');
    expectInvalid(() => new ModelBackupBucket(newStack(), 'm', { cloud: azure(), azure: { hsmKey: 'yes' as never } }), /azure.hsmKey/, /true or false/);
  });
});

describe('every exemption of the library says how it is closed', () => {
  const readmes = ['backup', 'training', 'policy'].map((d) => fs.readFileSync(path.join(__dirname, `../../src/${d}/README.md`), 'utf8')).join('\n');
  test.each(CHECKOV_EXEMPTIONS.map((e) => [e.checks.join(', '), e] as const))('%s: a prop that removes it, or the control that meets the check', (_id, e) => {
    expect(e.remedy).toBeDefined();
    if (e.remedy && 'prop' in e.remedy) {
      const prop = e.remedy.prop.split(' ').pop()!;
      // the reason (the skip comment auditors read) names the prop, and a construct README documents it
      expect(e.reason).toContain(`${prop}: true`);
      expect(readmes).toContain(`\`${prop}\``);
    } else {
      expect((e.remedy as { control: string }).control.length).toBeGreaterThan(20);
    }
  });
});
