// The cluster's defaults pass the library's own policy pack on every cloud: no unsuppressed error, and
// every suppression carries its reason.
import { TerraformStack, Testing } from 'cdktf';
import { Gpu } from '../../src/core/gpu';
import { PolicyPack } from '../../src/policy/pack';
import { GpuTrainingCluster } from '../../src/training/gpu-training-cluster';
import { aws, azure, gcp } from './cluster-helpers';

describe.each([['aws', aws()], ['gcp', gcp()], ['azure', azure()]] as const)('%s cluster against AiInfraPolicyPack', (_name, cloud) => {
  const stack = new TerraformStack(Testing.app(), 'platform');
  new GpuTrainingCluster(stack, 'train', { cloud, gpuPools: [{ gpu: Gpu.H100_80GB, maxNodes: 2, capacity: ['on-demand', 'spot'] }] });
  const findings = PolicyPack.check(stack);

  test('no unsuppressed error', () => {
    expect(findings.filter((f) => f.severity === 'error' && !f.suppressedReason).map((f) => `${f.ruleId} ${f.subject}: ${f.message}`)).toEqual([]);
  });

  test('suppressions are few and explained', () => {
    const suppressed = findings.filter((f) => f.suppressedReason);
    expect(suppressed.map((f) => f.ruleId)).toEqual(cloud.kind === 'azure' ? ['AI-AZ-KV-2'] : []);
    for (const f of suppressed) expect(f.suppressedReason!.length).toBeGreaterThan(80);
  });

  test('warnings are only the opt-in hardening that needs account set-up (AKS encryption at host)', () => {
    expect([...new Set(findings.filter((f) => f.severity === 'warning' && !f.suppressedReason).map((f) => f.ruleId))]).toEqual(cloud.kind === 'azure' ? ['AI-AZ-AKS-8'] : []);
  });
});
