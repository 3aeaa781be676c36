import { Gpu, pickMachine } from '../../src/core/gpu';
import { CloudKind } from '../../src/core/cloud';
import { AWS_REGIONS, AZURE_LOCATIONS, GCP_REGIONS } from '../../src/core/regions';
import { expectInvalid } from './cluster-helpers';

const CLOUDS: CloudKind[] = ['aws', 'gcp', 'azure'];

describe('GPU catalog', () => {
  test('the catalog has the seven accelerators with their memory and bf16 peak', () => {
    expect(Gpu.all.map((g) => [g.id, g.memoryGiB, g.bf16Tflops])).toEqual([
      ['h100-80gb', 80, 989], ['a100-80gb', 80, 312], ['a100-40gb', 40, 312], ['l40s', 48, 362],
      ['l4', 24, 121], ['a10g', 24, 125], ['t4', 16, 0],
    ]);
    expect(Gpu.T4.supportsBf16).toBe(false);
    expect(Gpu.T4.fp16Tflops).toBe(65);
    expect(Gpu.fromId('h100-80gb')).toBe(Gpu.H100_80GB);
    expect(Gpu.fromId('b200')).toBeUndefined();
  });

  test('what each cloud offers', () => {
    expect(Gpu.offeredOn('aws').map((g) => g.id)).toEqual(['h100-80gb', 'a100-80gb', 'a100-40gb', 'l40s', 'l4', 'a10g', 't4']);
    expect(Gpu.offeredOn('gcp').map((g) => g.id)).toEqual(['h100-80gb', 'a100-80gb', 'a100-40gb', 'l4', 't4']);
    expect(Gpu.offeredOn('azure').map((g) => g.id)).toEqual(['h100-80gb', 'a100-80gb', 'a100-40gb', 'a10g', 't4']);
  });

  test.each([
    ['aws', Gpu.H100_80GB, undefined, 'p5.48xlarge', 8, 'efa'],
    ['aws', Gpu.A100_80GB, undefined, 'p4de.24xlarge', 8, 'efa'],
    ['aws', Gpu.A100_40GB, 8, 'p4d.24xlarge', 8, 'efa'],
    ['aws', Gpu.L40S, 1, 'g6e.xlarge', 1, 'ethernet'],
    ['aws', Gpu.L40S, 4, 'g6e.12xlarge', 4, 'efa'],
    ['aws', Gpu.L4, 1, 'g6.xlarge', 1, 'ethernet'],
    ['aws', Gpu.A10G, 4, 'g5.12xlarge', 4, 'efa'],
    ['aws', Gpu.T4, 1, 'g4dn.xlarge', 1, 'ethernet'],
    ['gcp', Gpu.H100_80GB, 8, 'a3-highgpu-8g', 8, 'gpudirect-tcpx'],
    ['gcp', Gpu.H100_80GB, 1, 'a3-highgpu-1g', 1, 'ethernet'],
    ['gcp', Gpu.A100_80GB, 2, 'a2-ultragpu-2g', 2, 'ethernet'],
    ['gcp', Gpu.A100_40GB, 16, 'a2-megagpu-16g', 16, 'ethernet'],
    ['gcp', Gpu.L4, 1, 'g2-standard-4', 1, 'ethernet'],
    ['gcp', Gpu.T4, 4, 'n1-standard-32', 4, 'ethernet'],
    ['azure', Gpu.H100_80GB, 8, 'Standard_ND96isr_H100_v5', 8, 'infiniband'],
    ['azure', Gpu.A100_80GB, 8, 'Standard_ND96amsr_A100_v4', 8, 'infiniband'],
    ['azure', Gpu.A100_80GB, 1, 'Standard_NC24ads_A100_v4', 1, 'ethernet'],
    ['azure', Gpu.A100_40GB, 8, 'Standard_ND96asr_v4', 8, 'infiniband'],
    ['azure', Gpu.A10G, 1, 'Standard_NV36ads_A10_v5', 1, 'ethernet'],
    ['azure', Gpu.T4, 4, 'Standard_NC64as_T4_v3', 4, 'ethernet'],
  ] as const)('%s %s x%s -> %s', (cloud, gpu, count, machine, gpus, interconnect) => {
    const m = pickMachine(cloud, gpu, { gpusPerNode: count });
    expect([m.machine, m.gpusPerNode, m.interconnect]).toEqual([machine, gpus, interconnect]);
  });

  test('GCP picks the on-demand A3 High over the spot-only sizes and over the pricier A3 Mega; Mega by name', () => {
    expect(pickMachine('gcp', Gpu.H100_80GB).machine).toBe('a3-highgpu-8g');
    const mega = pickMachine('gcp', Gpu.H100_80GB, { machine: 'a3-megagpu-8g' });
    expect([mega.acceleratorType, mega.interconnect]).toEqual(['nvidia-h100-mega-80gb', 'gpudirect-tcpxo']);
    expect(pickMachine('gcp', Gpu.H100_80GB, { gpusPerNode: 2 }).spotOrQueuedOnly).toBe(true);
  });

  test('a cloud that does not offer the GPU: the error lists what it does offer', () => {
    expectInvalid(() => pickMachine('gcp', Gpu.L40S), /invalid gpu = "l40s"/, /gcp offers: h100-80gb, a100-80gb, a100-40gb, l4, t4/);
    expectInvalid(() => pickMachine('azure', Gpu.L4), /azure offers: h100-80gb, a100-80gb, a100-40gb, a10g, t4/);
  });

  test('a GPU count no machine has: the error lists the counts', () => {
    expectInvalid(() => pickMachine('aws', Gpu.H100_80GB, { gpusPerNode: 4 }), /gpusPerNode = 4/, /8 \(the GPUs per node aws offers for h100-80gb\)/);
    expectInvalid(() => pickMachine('aws', Gpu.L4, { gpusPerNode: 0 }), /gpusPerNode = 0/);
    expectInvalid(() => pickMachine('aws', Gpu.H100_80GB, { machine: 'p4d.24xlarge' }), /machineType = "p4d.24xlarge"/, /p5\.48xlarge/);
    expectInvalid(() => pickMachine('aws', Gpu.L40S, { machine: 'g6e.12xlarge', gpusPerNode: 8 }), /4 \(the GPUs of g6e\.12xlarge\)/);
  });

  test('every machine has sane figures, GCP machines name their accelerator, EFA machines their interfaces', () => {
    const known: Record<CloudKind, readonly string[]> = { aws: AWS_REGIONS, gcp: GCP_REGIONS, azure: AZURE_LOCATIONS };
    for (const gpu of Gpu.all) {
      for (const cloud of CLOUDS) {
        for (const m of gpu.machines(cloud)) {
          expect(m.gpusPerNode).toBeGreaterThanOrEqual(1);
          expect(m.vcpus).toBeGreaterThanOrEqual(4);
          expect(m.memoryGiB).toBeGreaterThanOrEqual(16);
          expect(m.pricePerHourUsd).toBeGreaterThan(0);
          // Price per GPU-hour is within a plausible band for the GPU.
          expect(m.pricePerHourUsd / m.gpusPerNode).toBeLessThan(15);
          expect(m.regions.length).toBeGreaterThan(0);
          for (const r of m.regions) expect({ machine: m.machine, region: r, known: known[cloud].includes(r) }).toEqual({ machine: m.machine, region: r, known: true });
          if (cloud === 'gcp') expect(m.acceleratorType).toMatch(/^nvidia-/);
          if (m.interconnect === 'efa') expect(m.efaInterfaces).toBeGreaterThanOrEqual(1);
        }
      }
    }
    expect(pickMachine('aws', Gpu.H100_80GB).efaInterfaces).toBe(32);
    expect(Gpu.H100_80GB.regions('aws')).toContain('us-east-1');
    expect(Gpu.H100_80GB.gpuCounts('gcp')).toEqual([1, 2, 4, 8]);
  });
});
