// The typed GPU catalog: accelerators, and per cloud the machine types that carry them.
//
// Figures are the vendors' published numbers: GPU memory and dense (no sparsity) peak tensor
// TFLOPS from NVIDIA data sheets; machine shapes and on-demand list prices (USD per hour, Linux,
// us-east-1 / us-central1 / eastus, checked 2026-11) from the clouds' pricing pages. Prices are
// for cost *estimates* (upper bounds); regions are a documented subset of those offering each
// machine: a region outside the list warns, it does not fail.
import { CloudKind } from './cloud';
import { ErrorScope, InvalidPropError } from './errors';

/** How nodes of a machine type talk to each other (drives NCCL settings). */
export type GpuInterconnect = 'efa' | 'gpudirect-tcpx' | 'gpudirect-tcpxo' | 'infiniband' | 'ethernet';

/** Catalog ids of the accelerators. */
export type GpuId = 'h100-80gb' | 'a100-80gb' | 'a100-40gb' | 'l40s' | 'l4' | 'a10g' | 't4';

/** One machine (instance / VM) type that carries a GPU. */
export interface GpuMachineType {
  /** The cloud's machine type name, e.g. `p5.48xlarge`, `a3-highgpu-8g`, `Standard_ND96isr_H100_v5`. */
  readonly machine: string;
  /** Whole GPUs on one node. */
  readonly gpusPerNode: number;
  readonly vcpus: number;
  /** Host memory, GiB. */
  readonly memoryGiB: number;
  /** Node-to-node network for collectives. */
  readonly interconnect: GpuInterconnect;
  /** EFA network interfaces the instance type supports (AWS, when `interconnect` is `efa`). */
  readonly efaInterfaces?: number;
  /** On-demand list price per node-hour, USD (the cost estimate uses it). */
  readonly pricePerHourUsd: number;
  /** Regions known to offer this machine type (a documented subset). */
  readonly regions: readonly string[];
  /** GCP: the `guest_accelerator` type, e.g. `nvidia-h100-80gb`. */
  readonly acceleratorType?: string;
  /** GCP: the machine type is only sold through spot or queued provisioning (DWS). */
  readonly spotOrQueuedOnly?: boolean;
  /** The cloud quotas a node of this type counts against (checked at scale-up, not at apply). */
  readonly quota: GpuQuota;
}

/** One quota of a cloud, as its console and quota API name it. */
export interface QuotaName {
  /** Display name: `Running On-Demand P instances`, `NVIDIA_H100_GPUS`, `Standard NDSH100v5 Family vCPUs`. */
  readonly name: string;
  /** AWS Service Quotas code (`L-417A185B`). @default - none */
  readonly code?: string;
  /** True for a quota over all regions (GCP `GPUS_ALL_REGIONS`). @default false */
  readonly global?: boolean;
}

/**
 * The quotas a GPU machine type counts against. AWS and Azure count vCPUs of a machine family, GCP counts
 * GPUs of a model per region: a new account or project starts at 0 for most of them, and the shortfall
 * shows only when the autoscaler adds a node.
 */
export interface GpuQuota {
  /** What the quotas count: the node's vCPUs or its GPUs. */
  readonly unit: 'vcpus' | 'gpus';
  /** Quotas on-demand (and reserved) nodes count against. */
  readonly onDemand: readonly QuotaName[];
  /** Quotas spot nodes count against. */
  readonly spot: readonly QuotaName[];
}

// ---- quotas (AWS Service Quotas codes; GCP Compute Engine regional metrics; Azure compute usage names) ----

function awsQuota(family: 'P' | 'G and VT', onDemandCode: string, spotCode: string): GpuQuota {
  return {
    unit: 'vcpus',
    onDemand: [{ name: `Running On-Demand ${family} instances`, code: onDemandCode }],
    spot: [{ name: `All ${family} Spot Instance Requests`, code: spotCode }],
  };
}
const AWS_P_QUOTA = awsQuota('P', 'L-417A185B', 'L-7212CCBC');
const AWS_G_QUOTA = awsQuota('G and VT', 'L-DB2E81BA', 'L-3819A6DF');

function gcpQuota(metric: string): GpuQuota {
  const all: QuotaName = { name: 'GPUS_ALL_REGIONS', global: true };
  return { unit: 'gpus', onDemand: [{ name: metric }, all], spot: [{ name: `PREEMPTIBLE_${metric}` }, all] };
}

/** `family`: the usage name as the portal shows it (`Standard NDSH100v5 Family vCPUs`). */
function azureQuota(family: string): GpuQuota {
  return {
    unit: 'vcpus',
    onDemand: [{ name: family }, { name: 'Total Regional vCPUs' }],
    spot: [{ name: 'Total Regional Spot vCPUs' }],
  };
}

/** What a `Gpu` is made from. */
export interface GpuSpec {
  readonly id: GpuId;
  /** Product name, e.g. `NVIDIA H100 80GB (SXM)`. */
  readonly name: string;
  /** Memory of one GPU, GiB. */
  readonly memoryGiB: number;
  /** Dense bf16 tensor peak, TFLOPS (0 when the GPU has no bf16 tensor cores). */
  readonly bf16Tflops: number;
  /** Dense fp16 tensor peak, TFLOPS. */
  readonly fp16Tflops: number;
  /** True when the GPU runs bf16 natively (Ampere and newer). */
  readonly supportsBf16: boolean;
  /** CUDA compute capability, e.g. `8.9` (what kernels such as vLLM's fp8 and AWQ need). */
  readonly computeCapability: number;
  /** Machine types per cloud; a cloud missing here does not offer the GPU. */
  readonly machines: Partial<Record<CloudKind, readonly GpuMachineType[]>>;
}

// ---- region subsets (checked 2026-11) ------------------------------------------------------------

const AWS_P5 = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-north-1', 'eu-west-2', 'ap-northeast-1', 'ap-south-1', 'ap-southeast-2', 'sa-east-1'];
const AWS_P4DE = ['us-east-1', 'us-west-2'];
const AWS_P4D = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1'];
const AWS_G6E = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-central-1', 'eu-north-1', 'eu-west-1', 'eu-south-2', 'ap-northeast-1', 'ap-southeast-2'];
const AWS_G6 = ['us-east-1', 'us-east-2', 'us-west-2', 'ca-central-1', 'eu-central-1', 'eu-west-2', 'eu-north-1', 'ap-northeast-1', 'ap-south-1', 'ap-southeast-2', 'sa-east-1'];
const AWS_G5 = ['us-east-1', 'us-east-2', 'us-west-2', 'ca-central-1', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-north-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-south-1', 'ap-southeast-2', 'sa-east-1'];
const AWS_G4DN = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-north-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'sa-east-1'];

const GCP_A3 = ['us-central1', 'us-east4', 'us-east5', 'us-west1', 'us-south1', 'europe-west1', 'europe-west4', 'asia-northeast1', 'asia-southeast1'];
const GCP_A3_MEGA = ['us-central1', 'us-east4', 'us-east5', 'us-west1', 'europe-west1', 'europe-west4', 'asia-northeast1', 'asia-southeast1'];
const GCP_A2_ULTRA = ['us-central1', 'us-east4', 'us-east5', 'europe-west4', 'asia-southeast1'];
const GCP_A2_HIGH = ['us-central1', 'us-east1', 'us-west1', 'us-west3', 'us-west4', 'europe-west4', 'asia-northeast1', 'asia-northeast3', 'asia-southeast1', 'me-west1'];
const GCP_G2 = ['us-central1', 'us-east1', 'us-east4', 'us-west1', 'us-west4', 'europe-west1', 'europe-west2', 'europe-west3', 'europe-west4', 'asia-east1', 'asia-northeast1', 'asia-south1', 'asia-southeast1'];
const GCP_T4 = ['us-central1', 'us-east1', 'us-east4', 'us-west1', 'us-west2', 'us-west4', 'europe-west1', 'europe-west2', 'europe-west3', 'europe-west4', 'asia-east1', 'asia-northeast1', 'asia-south1', 'asia-southeast1', 'southamerica-east1'];

const AZ_ND_H100 = ['eastus', 'eastus2', 'southcentralus', 'westus3', 'swedencentral', 'uksouth', 'japaneast'];
const AZ_ND_A100_80 = ['eastus', 'eastus2', 'southcentralus', 'westus2', 'westus3', 'westeurope', 'northeurope'];
const AZ_ND_A100_40 = ['eastus', 'southcentralus', 'westus2', 'westeurope', 'japaneast'];
const AZ_NC_A100 = ['eastus', 'eastus2', 'southcentralus', 'westus2', 'westus3', 'westeurope', 'northeurope', 'swedencentral', 'japaneast', 'australiaeast'];
const AZ_NV_A10 = ['eastus', 'eastus2', 'southcentralus', 'westus2', 'westus3', 'westeurope', 'northeurope', 'uksouth', 'japaneast'];
const AZ_NC_T4 = ['eastus', 'eastus2', 'southcentralus', 'westus2', 'westeurope', 'northeurope', 'uksouth', 'centralindia', 'japaneast', 'southeastasia', 'australiaeast'];

type Shape = [machine: string, gpus: number, vcpus: number, memGiB: number, price: number, interconnect?: GpuInterconnect, efa?: number];

function shapes(regions: readonly string[], rows: Shape[], extra: Partial<GpuMachineType> & Pick<GpuMachineType, 'quota'>): GpuMachineType[] {
  return rows.map(([machine, gpusPerNode, vcpus, memoryGiB, pricePerHourUsd, interconnect, efaInterfaces]) => ({
    machine, gpusPerNode, vcpus, memoryGiB, pricePerHourUsd, interconnect: interconnect ?? 'ethernet',
    ...(efaInterfaces !== undefined ? { efaInterfaces } : {}), regions, ...extra,
  }));
}

/**
 * An accelerator type. Pick one of the static members (`Gpu.H100_80GB`) and a GPU count per node; the
 * catalog picks the machine type per cloud (`gpu.machineFor(cloud, gpusPerNode)`).
 */
export class Gpu {
  /** NVIDIA H100 80GB SXM: AWS p5, GCP A3 (High / Mega), Azure ND H100 v5. */
  public static readonly H100_80GB = new Gpu({
    id: 'h100-80gb', name: 'NVIDIA H100 80GB (SXM)', memoryGiB: 80, bf16Tflops: 989, fp16Tflops: 989, supportsBf16: true, computeCapability: 9.0,
    machines: {
      aws: shapes(AWS_P5, [['p5.48xlarge', 8, 192, 2048, 55.04, 'efa', 32]], { quota: AWS_P_QUOTA }),
      gcp: [
        ...shapes(GCP_A3, [
          ['a3-highgpu-1g', 1, 26, 234, 11.06],
          ['a3-highgpu-2g', 2, 52, 468, 22.12],
          ['a3-highgpu-4g', 4, 104, 936, 44.25],
        ], { acceleratorType: 'nvidia-h100-80gb', spotOrQueuedOnly: true, quota: gcpQuota('NVIDIA_H100_GPUS') }),
        ...shapes(GCP_A3, [['a3-highgpu-8g', 8, 208, 1872, 88.49, 'gpudirect-tcpx']], { acceleratorType: 'nvidia-h100-80gb', quota: gcpQuota('NVIDIA_H100_GPUS') }),
        ...shapes(GCP_A3_MEGA, [['a3-megagpu-8g', 8, 208, 1872, 92.58, 'gpudirect-tcpxo']], { acceleratorType: 'nvidia-h100-mega-80gb', quota: gcpQuota('NVIDIA_H100_MEGA_GPUS') }),
      ],
      azure: shapes(AZ_ND_H100, [['Standard_ND96isr_H100_v5', 8, 96, 1900, 98.32, 'infiniband']], { quota: azureQuota('Standard NDSH100v5 Family vCPUs') }),
    },
  });

  /** NVIDIA A100 80GB: AWS p4de, GCP A2 Ultra, Azure ND A100 v4 (amsr) and NC A100 v4. */
  public static readonly A100_80GB = new Gpu({
    id: 'a100-80gb', name: 'NVIDIA A100 80GB', memoryGiB: 80, bf16Tflops: 312, fp16Tflops: 312, supportsBf16: true, computeCapability: 8.0,
    machines: {
      aws: shapes(AWS_P4DE, [['p4de.24xlarge', 8, 96, 1152, 27.45, 'efa', 4]], { quota: AWS_P_QUOTA }),
      gcp: shapes(GCP_A2_ULTRA, [
        ['a2-ultragpu-1g', 1, 12, 170, 5.07],
        ['a2-ultragpu-2g', 2, 24, 340, 10.14],
        ['a2-ultragpu-4g', 4, 48, 680, 20.28],
        ['a2-ultragpu-8g', 8, 96, 1360, 40.55],
      ], { acceleratorType: 'nvidia-a100-80gb', quota: gcpQuota('NVIDIA_A100_80GB_GPUS') }),
      azure: [
        ...shapes(AZ_NC_A100, [
          ['Standard_NC24ads_A100_v4', 1, 24, 220, 3.67],
          ['Standard_NC48ads_A100_v4', 2, 48, 440, 7.35],
          ['Standard_NC96ads_A100_v4', 4, 96, 880, 14.69],
        ], { quota: azureQuota('Standard NCADS_A100_v4 Family vCPUs') }),
        ...shapes(AZ_ND_A100_80, [['Standard_ND96amsr_A100_v4', 8, 96, 1900, 32.77, 'infiniband']], { quota: azureQuota('Standard NDAMSv4_A100Family vCPUs') }),
      ],
    },
  });

  /** NVIDIA A100 40GB: AWS p4d, GCP A2 High, Azure ND A100 v4 (asr). */
  public static readonly A100_40GB = new Gpu({
    id: 'a100-40gb', name: 'NVIDIA A100 40GB', memoryGiB: 40, bf16Tflops: 312, fp16Tflops: 312, supportsBf16: true, computeCapability: 8.0,
    machines: {
      aws: shapes(AWS_P4D, [['p4d.24xlarge', 8, 96, 1152, 21.96, 'efa', 4]], { quota: AWS_P_QUOTA }),
      gcp: shapes(GCP_A2_HIGH, [
        ['a2-highgpu-1g', 1, 12, 85, 3.67],
        ['a2-highgpu-2g', 2, 24, 170, 7.35],
        ['a2-highgpu-4g', 4, 48, 340, 14.69],
        ['a2-highgpu-8g', 8, 96, 680, 29.39],
        ['a2-megagpu-16g', 16, 96, 1360, 55.74],
      ], { acceleratorType: 'nvidia-tesla-a100', quota: gcpQuota('NVIDIA_A100_GPUS') }),
      azure: shapes(AZ_ND_A100_40, [['Standard_ND96asr_v4', 8, 96, 900, 27.2, 'infiniband']], { quota: azureQuota('Standard NDASv4_A100 Family vCPUs') }),
    },
  });

  /** NVIDIA L40S 48GB: AWS g6e (not offered by GCP or Azure as whole GPUs in Kubernetes). */
  public static readonly L40S = new Gpu({
    id: 'l40s', name: 'NVIDIA L40S', memoryGiB: 48, bf16Tflops: 362, fp16Tflops: 362, supportsBf16: true, computeCapability: 8.9,
    machines: {
      aws: shapes(AWS_G6E, [
        ['g6e.xlarge', 1, 4, 32, 1.861],
        ['g6e.2xlarge', 1, 8, 64, 2.242],
        ['g6e.4xlarge', 1, 16, 128, 3.004],
        ['g6e.8xlarge', 1, 32, 256, 4.529, 'efa', 1],
        ['g6e.12xlarge', 4, 48, 384, 10.493, 'efa', 1],
        ['g6e.24xlarge', 4, 96, 768, 15.066, 'efa', 2],
        ['g6e.48xlarge', 8, 192, 1536, 30.131, 'efa', 4],
      ], { quota: AWS_G_QUOTA }),
    },
  });

  /** NVIDIA L4 24GB: AWS g6, GCP G2 (Azure has no L4 VM). */
  public static readonly L4 = new Gpu({
    id: 'l4', name: 'NVIDIA L4', memoryGiB: 24, bf16Tflops: 121, fp16Tflops: 121, supportsBf16: true, computeCapability: 8.9,
    machines: {
      aws: shapes(AWS_G6, [
        ['g6.xlarge', 1, 4, 16, 0.805],
        ['g6.2xlarge', 1, 8, 32, 0.978],
        ['g6.4xlarge', 1, 16, 64, 1.323],
        ['g6.8xlarge', 1, 32, 128, 2.014, 'efa', 1],
        ['g6.12xlarge', 4, 48, 192, 4.602, 'efa', 1],
        ['g6.24xlarge', 4, 96, 384, 6.675, 'efa', 1],
        ['g6.48xlarge', 8, 192, 768, 13.35, 'efa', 1],
      ], { quota: AWS_G_QUOTA }),
      gcp: shapes(GCP_G2, [
        ['g2-standard-4', 1, 4, 16, 0.71],
        ['g2-standard-8', 1, 8, 32, 0.85],
        ['g2-standard-12', 1, 12, 48, 1.0],
        ['g2-standard-16', 1, 16, 64, 1.15],
        ['g2-standard-32', 1, 32, 128, 1.73],
        ['g2-standard-24', 2, 24, 96, 2.0],
        ['g2-standard-48', 4, 48, 192, 4.0],
        ['g2-standard-96', 8, 96, 384, 8.0],
      ], { acceleratorType: 'nvidia-l4', quota: gcpQuota('NVIDIA_L4_GPUS') }),
    },
  });

  /** NVIDIA A10G 24GB (AWS g5) and its twin the A10 24GB (Azure NVadsA10 v5, whole-GPU sizes only). */
  public static readonly A10G = new Gpu({
    id: 'a10g', name: 'NVIDIA A10G / A10 24GB', memoryGiB: 24, bf16Tflops: 125, fp16Tflops: 125, supportsBf16: true, computeCapability: 8.6,
    machines: {
      aws: shapes(AWS_G5, [
        ['g5.xlarge', 1, 4, 16, 1.006],
        ['g5.2xlarge', 1, 8, 32, 1.212],
        ['g5.4xlarge', 1, 16, 64, 1.624],
        ['g5.8xlarge', 1, 32, 128, 2.448, 'efa', 1],
        ['g5.12xlarge', 4, 48, 192, 5.672, 'efa', 1],
        ['g5.24xlarge', 4, 96, 384, 8.144, 'efa', 1],
        ['g5.48xlarge', 8, 192, 768, 16.288, 'efa', 1],
      ], { quota: AWS_G_QUOTA }),
      azure: shapes(AZ_NV_A10, [
        ['Standard_NV36ads_A10_v5', 1, 36, 440, 3.2],
        ['Standard_NV72ads_A10_v5', 2, 72, 880, 6.52],
      ], { quota: azureQuota('Standard NVADSA10v5 Family vCPUs') }),
    },
  });

  /** NVIDIA T4 16GB (no bf16: fp16 only): AWS g4dn, GCP N1 + T4, Azure NCasT4 v3. */
  public static readonly T4 = new Gpu({
    id: 't4', name: 'NVIDIA T4', memoryGiB: 16, bf16Tflops: 0, fp16Tflops: 65, supportsBf16: false, computeCapability: 7.5,
    machines: {
      aws: shapes(AWS_G4DN, [
        ['g4dn.xlarge', 1, 4, 16, 0.526],
        ['g4dn.2xlarge', 1, 8, 32, 0.752],
        ['g4dn.4xlarge', 1, 16, 64, 1.204],
        ['g4dn.8xlarge', 1, 32, 128, 2.176, 'efa', 1],
        ['g4dn.16xlarge', 1, 64, 256, 4.352, 'efa', 1],
        ['g4dn.12xlarge', 4, 48, 192, 3.912, 'efa', 1],
        ['g4dn.metal', 8, 96, 384, 7.824, 'efa', 1],
      ], { quota: AWS_G_QUOTA }),
      gcp: shapes(GCP_T4, [
        // N1 VM price + $0.35 per T4.
        ['n1-standard-8', 1, 8, 30, 0.73],
        ['n1-standard-16', 2, 16, 60, 1.46],
        ['n1-standard-32', 4, 32, 120, 2.92],
      ], { acceleratorType: 'nvidia-tesla-t4', quota: gcpQuota('NVIDIA_T4_GPUS') }),
      azure: shapes(AZ_NC_T4, [
        ['Standard_NC4as_T4_v3', 1, 4, 28, 0.526],
        ['Standard_NC8as_T4_v3', 1, 8, 56, 0.752],
        ['Standard_NC16as_T4_v3', 1, 16, 110, 1.204],
        ['Standard_NC64as_T4_v3', 4, 64, 440, 4.352],
      ], { quota: azureQuota('Standard NCASv3_T4 Family vCPUs') }),
    },
  });

  /** Every accelerator in the catalog. */
  public static get all(): readonly Gpu[] {
    return [Gpu.H100_80GB, Gpu.A100_80GB, Gpu.A100_40GB, Gpu.L40S, Gpu.L4, Gpu.A10G, Gpu.T4];
  }

  /** The catalog entry for an id (`h100-80gb`); undefined when unknown. */
  public static fromId(id: string): Gpu | undefined {
    return Gpu.all.find((g) => g.id === id);
  }

  /** The accelerators a cloud offers. */
  public static offeredOn(cloud: CloudKind): readonly Gpu[] {
    return Gpu.all.filter((g) => g.isOfferedOn(cloud));
  }

  public readonly id: GpuId;
  public readonly name: string;
  public readonly memoryGiB: number;
  public readonly bf16Tflops: number;
  public readonly fp16Tflops: number;
  public readonly supportsBf16: boolean;
  public readonly computeCapability: number;
  private readonly machineTable: Partial<Record<CloudKind, readonly GpuMachineType[]>>;

  private constructor(spec: GpuSpec) {
    this.id = spec.id;
    this.name = spec.name;
    this.memoryGiB = spec.memoryGiB;
    this.bf16Tflops = spec.bf16Tflops;
    this.fp16Tflops = spec.fp16Tflops;
    this.supportsBf16 = spec.supportsBf16;
    this.computeCapability = spec.computeCapability;
    this.machineTable = spec.machines;
  }

  /** True when the cloud has at least one machine type with this GPU. */
  public isOfferedOn(cloud: CloudKind): boolean {
    return (this.machineTable[cloud]?.length ?? 0) > 0;
  }

  /** Machine types with this GPU on a cloud, in catalog order (empty when not offered). */
  public machines(cloud: CloudKind): readonly GpuMachineType[] {
    return [...(this.machineTable[cloud] ?? [])];
  }

  /** The GPU counts per node a cloud offers for this GPU, ascending. */
  public gpuCounts(cloud: CloudKind): number[] {
    return [...new Set(this.machines(cloud).map((m) => m.gpusPerNode))].sort((a, b) => a - b);
  }

  /** Regions known to offer any machine type with this GPU on a cloud. */
  public regions(cloud: CloudKind): string[] {
    return [...new Set(this.machines(cloud).flatMap((m) => m.regions))].sort();
  }

  /** The catalog entry of a machine type by name, when it carries this GPU. */
  public machineByName(cloud: CloudKind, machine: string): GpuMachineType | undefined {
    return this.machines(cloud).find((m) => m.machine === machine);
  }

  public toString(): string {
    return this.id;
  }
}

/** Options for `pickMachine`. */
export interface PickMachineOptions {
  /** GPUs per node. @default - the largest count the cloud offers (training wants full nodes) */
  readonly gpusPerNode?: number;
  /** A machine type by name, overriding the choice (must carry this GPU). @default - picked */
  readonly machine?: string;
  /** Prefer machines sold on demand (skip GCP's spot/DWS-only A3 sizes) when another fits. @default true */
  readonly preferOnDemand?: boolean;
  /** Where errors point. @default 'Gpu' */
  readonly scope?: ErrorScope;
}

/**
 * Picks the machine type for a GPU on a cloud: the cheapest with exactly `gpusPerNode` GPUs, preferring
 * the fastest interconnect on ties (A3 Mega over A3 High costs more, so A3 High wins by price; pass
 * `machine: 'a3-megagpu-8g'` to choose it). Throws InvalidPropError when the cloud does not offer the
 * GPU (listing what it does) or no machine has that many GPUs (listing the counts it has).
 */
export function pickMachine(cloud: CloudKind, gpu: Gpu, options: PickMachineOptions = {}): GpuMachineType {
  const where = options.scope ?? 'Gpu';
  const machines = gpu.machines(cloud);
  if (machines.length === 0) {
    throw new InvalidPropError(where, 'gpu', gpu.id,
      `a GPU that ${cloud} offers: ${Gpu.offeredOn(cloud).map((g) => g.id).join(', ')}`);
  }
  if (options.machine !== undefined) {
    const named = gpu.machineByName(cloud, options.machine);
    if (!named) {
      throw new InvalidPropError(where, 'machineType', options.machine,
        `a ${cloud} machine type with ${gpu.id}: ${machines.map((m) => m.machine).join(', ')}`);
    }
    if (options.gpusPerNode !== undefined && named.gpusPerNode !== options.gpusPerNode) {
      throw new InvalidPropError(where, 'gpusPerNode', options.gpusPerNode,
        `${named.gpusPerNode} (the GPUs of ${named.machine})`);
    }
    return named;
  }
  const counts = gpu.gpuCounts(cloud);
  const want = options.gpusPerNode ?? counts[counts.length - 1];
  if (!Number.isInteger(want) || want < 1) {
    throw new InvalidPropError(where, 'gpusPerNode', want, `an integer >= 1; ${gpu.id} on ${cloud} comes in ${counts.join(', ')} per node`);
  }
  let fits = machines.filter((m) => m.gpusPerNode === want);
  if (fits.length === 0) {
    throw new InvalidPropError(where, 'gpusPerNode', want, `${counts.join(', ')} (the GPUs per node ${cloud} offers for ${gpu.id})`);
  }
  if (options.preferOnDemand ?? true) {
    const onDemand = fits.filter((m) => !m.spotOrQueuedOnly);
    if (onDemand.length > 0) fits = onDemand;
  }
  const rank: Record<GpuInterconnect, number> = { 'gpudirect-tcpxo': 0, infiniband: 0, efa: 1, 'gpudirect-tcpx': 1, ethernet: 2 };
  return [...fits].sort((a, b) => a.pricePerHourUsd - b.pricePerHourUsd || rank[a.interconnect] - rank[b.interconnect])[0];
}

/** True when `region` is in the catalog's list for the machine type. */
export function machineOfferedIn(machine: GpuMachineType, region: string): boolean {
  return machine.regions.includes(region);
}
