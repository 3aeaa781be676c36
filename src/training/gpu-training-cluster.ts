import { Construct, IConstruct } from 'constructs';
import { Annotations, ITerraformDependable, TerraformOutput, TerraformProvider } from 'cdktf';
import { Cloud } from '../core/cloud';
import { GpuPoolInfo, IGpuCluster } from '../core/cluster';
import { CONTROL_PLANE_PER_HOUR_USD, CostEstimate, HOURS_PER_MONTH, poolMonthlyCost, sumCost } from '../core/cost';
import { check, InvalidPropError } from '../core/errors';
import { Gpu, GpuMachineType, pickMachine } from '../core/gpu';
import { IWorkloadIdentity } from '../core/identity';
import { checkUserTags } from '../core/tags';
import { GPU_ADDON_NAMESPACE } from './add-on-charts';
import { CapacityKind, checkCapacityLadder, GpuReservation } from './capacity';
import {
  ClusterBuildSpec, ClusterImpl, ClusterNetworkProps, GKE_COMPUTE_CLASS_KEY, gkeUsesComputeClass, GPU_TAINT, ImportedClusterImpl,
  ImportedClusterSpec, LABEL_GPU, LABEL_POOL, ResolvedGpuPool, ResolvedSystemPool,
} from './cluster-impl';
import type { KubernetesWorkload } from '../k8s/delivery';
import type { Tenant, TenantProps } from './tenant';
import type { TrainingJob, TrainingJobProps } from './training-job';
import { checkStateLocation } from '../core/state-backend';

/** One GPU node pool. */
export interface GpuPoolProps {
  /** The accelerator (`Gpu.H100_80GB`); the catalog picks the machine type. */
  readonly gpu: Gpu;
  /** Most nodes the pool scales to (the cost estimate counts this many). */
  readonly maxNodes: number;
  /** Fewest nodes. 0 scales the pool to zero when idle. @default 0 */
  readonly minNodes?: number;
  /**
   * Pool name: a Kubernetes label value, 1-20 characters, lowercase letters, digits and '-', starting
   * with a letter. @default - the GPU id with dots removed, e.g. `h100-80gb`, `l40s`
   */
  readonly name?: string;
  /** GPUs per node. @default - the most the cloud offers on one machine (8 for H100 / A100) */
  readonly gpusPerNode?: number;
  /** A machine type from the catalog instead of the picked one (e.g. `a3-megagpu-8g`). @default - picked */
  readonly machineType?: string;
  /**
   * Where nodes come from, in order of preference: `['reserved', 'on-demand', 'spot']` or any ordered
   * subset (see the README for the per-cloud mapping). @default ['on-demand']
   */
  readonly capacity?: readonly CapacityKind[];
  /** The reservation a `reserved` rung consumes. @default - AWS: open ODCRs; GCP: any reservation; Azure: required */
  readonly reservation?: GpuReservation;
  /** Node boot/root disk, GiB (images and dataset caches are large). @default 500 */
  readonly diskSizeGiB?: number;
  /**
   * Attach the machine's fast interconnect: EFA interfaces and a cluster placement group on AWS
   * (nodes then live in one zone). @default - true where the machine supports EFA
   */
  readonly efa?: boolean;
  /** Place nodes close together: GCP compact placement (one zone), AWS cluster placement group. @default false */
  readonly compactPlacement?: boolean;
  /**
   * GCP only: queued provisioning (Dynamic Workload Scheduler): all nodes of a job are obtained at once
   * through a ProvisioningRequest (Kueue admits it), no reservation, no auto-repair. @default false
   */
  readonly queuedProvisioning?: boolean;
  /**
   * Zones for this pool (where the GPU is offered). On Azure `[]` makes a regional (non-zonal) pool, for
   * GPU sizes a region does not offer per zone. @default - the cluster's zones
   */
  readonly zones?: readonly string[];
  /** Extra node labels. @default - none */
  readonly labels?: Record<string, string>;
}

/** The system pool: on-demand nodes across zones for add-ons (autoscaler, Kueue, DNS). */
export interface SystemPoolProps {
  /** @default - AWS m6i.xlarge, GCP n2-standard-4, Azure Standard_D4ds_v5 */
  readonly machineType?: string;
  /** @default 2 */
  readonly minNodes?: number;
  /** @default 4 */
  readonly maxNodes?: number;
  /** @default 100 */
  readonly diskSizeGiB?: number;
}

export interface GpuTrainingClusterProps {
  /** Where: `Cloud.aws({ region })`, `Cloud.gcp({ project, region })`, `Cloud.azure({ location })`. */
  readonly cloud: Cloud;
  /** GPU node pools (at least one). */
  readonly gpuPools: readonly GpuPoolProps[];
  /** The system pool. @default - 2 to 4 on-demand general-purpose nodes across zones */
  readonly systemPool?: SystemPoolProps;
  /** A new network (default) or an existing one. @default - a new VPC / VNet, private subnets in each zone, NAT */
  readonly network?: ClusterNetworkProps;
  /**
   * Zones: AWS `us-east-1a`..., GCP `us-central1-a`..., Azure `1`, `2`, `3`.
   * @default - the region's first 3 zones (AWS, GCP), zones 1-3 (Azure)
   */
  readonly zones?: readonly string[];
  /** Kubernetes minor version. @default '1.33' */
  readonly kubernetesVersion?: string;
  /**
   * The API server endpoint: `public` (reachable only from `authorizedNetworks`, authenticated by cloud IAM)
   * or `private` (only from inside the network: run Terraform, which installs the add-ons, from there).
   * @default - 'public' when authorizedNetworks are given, else 'private'
   */
  readonly endpointAccess?: 'public' | 'private';
  /**
   * CIDRs allowed to reach a public endpoint (required with `endpointAccess: 'public'`; `['0.0.0.0/0']`
   * opens it to any address, authentication still required). @default - none
   */
  readonly authorizedNetworks?: readonly string[];
  /**
   * Cluster admins: AWS IAM principal ARNs (access entries), Azure Entra group object ids; GCP grants
   * cluster access through project IAM (roles/container.*), so this must be empty there. The identity
   * running Terraform is an admin on AWS (creator permissions) and needs Azure RBAC on AKS.
   * @default - none
   */
  readonly admins?: readonly string[];
  /**
   * How GPUs reach pods: the NVIDIA device plugin (drivers from the cloud's GPU image), or the GPU
   * operator with its driver off. On GKE the cloud installs drivers and its own device plugin, so only
   * 'device-plugin' (meaning: GKE's) is allowed. @default 'device-plugin'
   */
  readonly gpuSoftware?: 'device-plugin' | 'gpu-operator';
  /** Install the DCGM exporter (GPU health and utilization metrics). @default true */
  readonly dcgmExporter?: boolean;
  /** Install Kueue (queues and GPU quotas; tenants and jobs use it). @default true */
  readonly kueue?: boolean;
  /**
   * Gateway API support from the start: EKS installs the AWS Load Balancer Controller (ALB gateways, its
   * own Pod Identity role) and the Gateway API CRDs; GKE enables its managed Gateway API (standard
   * channel). An `InferenceEndpoint` behind a gateway (public, canary) turns it on anyway; `false` only
   * defers it to that first endpoint. No effect on AKS yet (bring Application Gateway for Containers).
   * @default - true on GKE (a free managed setting), false on EKS and AKS
   */
  readonly gatewayApi?: boolean;
  /** GKE release channel. @default 'REGULAR' */
  readonly releaseChannel?: 'RAPID' | 'REGULAR' | 'STABLE';
  /** Protect the cluster from `terraform destroy` (GKE deletion protection). @default true */
  readonly deletionProtection?: boolean;
  /** Extra tags / labels on cloud resources. @default - none */
  readonly tags?: Record<string, string>;
}

/** Attributes of a cluster made elsewhere (another stack): enough to reach it and bind identities. */
export interface GpuClusterAttributes {
  readonly cloud: Cloud;
  readonly clusterName: string;
  /** API server URL (`https://...`). */
  readonly endpoint: string;
  /** Base64 PEM of the cluster CA. */
  readonly certificateAuthorityData: string;
  /** AKS: the OIDC issuer URL (for federated credentials). @default - none (required on Azure) */
  readonly oidcIssuerUrl?: string;
  /** The GPU pools, as the making stack's `cluster.gpuPools`. */
  readonly gpuPools: readonly GpuPoolInfo[];
  /** Namespace of the add-ons. @default 'gpu-system' */
  readonly addOnNamespace?: string;
}

const POOL_NAME = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$|^[a-z]$/;
const K8S_VERSION = /^1\.(2[89]|3\d)$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function isCidr(value: string, maxPrefix = 32): boolean {
  const m = CIDR.exec(value);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= maxPrefix;
}

/**
 * Taints a pool's nodes carry and the selector that lands a pod on them: AKS taints spot nodes itself; a
 * GKE pool with spot and non-spot rungs is a custom ComputeClass (its node pools are labelled and tainted
 * with the class, and the class orders them).
 */
function poolPlacement(cloud: Cloud, name: string, capacity: readonly CapacityKind[], queued: boolean): Pick<GpuPoolInfo, 'taints' | 'nodeSelector'> {
  const extra = cloud.select<GpuPoolInfo['taints']>({
    aws: () => [],
    gcp: () => (gkeUsesComputeClass(capacity, queued) ? [{ key: GKE_COMPUTE_CLASS_KEY, value: name, effect: 'NoSchedule' }] : []),
    azure: () => (capacity.includes('spot') ? [{ key: 'kubernetes.azure.com/scalesetpriority', value: 'spot', effect: 'NoSchedule' }] : []),
  });
  const selector = cloud.select<Record<string, string>>({
    aws: () => ({}),
    gcp: (): Record<string, string> => (gkeUsesComputeClass(capacity, queued) ? { [GKE_COMPUTE_CLASS_KEY]: name } : {}),
    azure: () => ({}),
  });
  return { taints: [GPU_TAINT, ...extra], nodeSelector: { [LABEL_POOL]: name, ...selector } };
}

/**
 * A Kubernetes cluster for GPU training on EKS, GKE or AKS: network, an on-demand system pool across
 * zones, GPU pools from the catalog that scale from zero (tainted `nvidia.com/gpu=present:NoSchedule`),
 * a capacity ladder, workload identity, and pinned add-ons (device plugin or GPU operator, DCGM
 * exporter, Kueue; cluster-autoscaler on EKS) installed through `helmProvider`.
 */
export class GpuTrainingCluster extends Construct implements IGpuCluster {
  /** A cluster made elsewhere (e.g. by an infra stack): for a workloads stack. */
  public static fromClusterAttributes(scope: Construct, id: string, attrs: GpuClusterAttributes): IGpuCluster {
    return new ImportedGpuCluster(scope, id, attrs);
  }

  public readonly cloud: Cloud;
  public readonly clusterName: string;
  public readonly gpuPools: readonly GpuPoolInfo[];
  public readonly helmProvider: TerraformProvider;
  public readonly addOnDependencies: readonly ITerraformDependable[];
  public readonly addOnNamespace = GPU_ADDON_NAMESPACE;
  public readonly workloadIdentityPodLabels: Record<string, string>;
  /** API server URL. */
  public readonly endpoint: string;
  /** Base64 PEM of the cluster CA. */
  public readonly certificateAuthorityData: string;
  /** AKS OIDC issuer URL (empty on EKS and GKE). */
  public readonly oidcIssuerUrl: string;
  /**
   * Upper bound of the monthly bill at on-demand list price: every GPU pool at `maxNodes` for 730 h (times
   * the node groups of its ladder that can each reach `maxNodes`: see `separatelyCappedGroups`), plus the
   * control-plane fee. Reserved and spot capacity, and idle scale-to-zero, cost less; network, storage
   * and the system pool are not counted. Also the Terraform output `EstimatedMonthlyCost`.
   */
  public readonly estimatedMonthlyCost: number;
  /** The estimate line by line. */
  public readonly costEstimate: CostEstimate;
  /** The main cloud resources (escape hatches): `cluster`, `network`, node pools by name... */
  public readonly resources: Record<string, IConstruct>;
  /**
   * The release with the cluster's own Kubernetes configuration (AKS priority-expander ConfigMap, GKE
   * ComputeClasses), when the cloud needs one.
   */
  public readonly clusterConfig?: KubernetesWorkload;
  private readonly impl: ClusterImpl;
  private gatewayApiReleases?: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: GpuTrainingClusterProps) {
    super(scope, id);
    checkStateLocation(this);
    const spec = this.validate(props);
    this.cloud = props.cloud;
    this.gpuPools = spec.gpuPools.map((p) => p.info);
    this.costEstimate = sumCost([
      ...spec.gpuPools.map((p) => poolMonthlyCost(p.name, p.machine.machine, p.machine.pricePerHourUsd, p.maxNodes * separatelyCappedGroups(props.cloud, p.capacity))),
      { item: 'control-plane', nodes: 0, pricePerHourUsd: CONTROL_PLANE_PER_HOUR_USD, monthlyUsd: CONTROL_PLANE_PER_HOUR_USD * HOURS_PER_MONTH },
    ]);
    this.estimatedMonthlyCost = this.costEstimate.monthlyUsd;

    this.impl = props.cloud.select<ClusterImpl>({
      aws: (c) => (require('../clouds/aws/gpu-cluster') as typeof import('../clouds/aws/gpu-cluster')).awsGpuCluster(this, c, spec),
      gcp: (c) => (require('../clouds/gcp/gpu-cluster') as typeof import('../clouds/gcp/gpu-cluster')).gcpGpuCluster(this, c, spec),
      azure: (c) => (require('../clouds/azure/gpu-cluster') as typeof import('../clouds/azure/gpu-cluster')).azureGpuCluster(this, c, spec),
    });
    this.clusterName = this.impl.clusterName;
    this.helmProvider = this.impl.helmProvider;
    this.clusterConfig = this.deliverClusterObjects(this.impl.clusterObjects ?? []);
    this.addOnDependencies = [...this.impl.addOnDependencies, ...(this.clusterConfig ? [this.clusterConfig.release] : [])];
    this.workloadIdentityPodLabels = this.impl.workloadIdentityPodLabels;
    this.endpoint = this.impl.endpoint;
    this.certificateAuthorityData = this.impl.certificateAuthorityData;
    this.oidcIssuerUrl = this.impl.oidcIssuerUrl;
    this.resources = this.impl.resources;
    if (spec.gatewayApi) this.enableGatewayApi();

    new TerraformOutput(this, 'EstimatedMonthlyCost', {
      value: this.estimatedMonthlyCost,
      description: `Upper bound, USD/month at on-demand list price: GPU pools at max nodes x 730 h per node group + control plane (${
        this.costEstimate.lines.map((l) => `${l.item} ${l.monthlyUsd}`).join(', ')})`,
    });
  }

  /** Lets pods running as `namespace/serviceAccount` act as `identity`; returns the SA annotations. */
  public bindServiceAccount(identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string> {
    checkBinding(this, this.cloud, identity, namespace, serviceAccount);
    return this.impl.bindServiceAccount(identity, namespace, serviceAccount);
  }

  /**
   * Gateway API support, installed once however often called: EKS the AWS Load Balancer Controller
   * (`ALBGatewayAPI`) + the Gateway API CRDs, GKE its managed Gateway API. Returns the releases Gateway
   * objects must wait for (none on GKE: the cluster setting comes before any node pool). Nothing on AKS.
   */
  public enableGatewayApi(): readonly ITerraformDependable[] {
    this.gatewayApiReleases ??= this.impl.enableGatewayApi ? [...this.impl.enableGatewayApi()] : [];
    return this.gatewayApiReleases;
  }

  /** The cloud's managed Secrets Store CSI integration (GKE Secret Manager add-on); nothing elsewhere. */
  public enableSecretStore(): void {
    this.impl.enableSecretStore?.();
  }

  /**
   * Runs the bundled trainer on this cluster (an Indexed Job under torchrun, checkpointing to a store):
   * `new TrainingJob(this, id, { ...props, cluster: this })`. The job checks, before it makes anything,
   * that nodes x GPUs fit a pool, the model fits GPU memory under the strategy, checkpoints stay on this
   * cloud unless allowed, and a spot-only pool gets a job only with checkpoints.
   */
  public addTrainingJob(id: string, props: Omit<TrainingJobProps, 'cluster'>): TrainingJob {
    const { TrainingJob: Job } = require('./training-job') as typeof import('./training-job');
    return new Job(this, id, { ...props, cluster: this });
  }

  /** A team on this cluster: namespace, quotas, Kueue queue, identity (`new Tenant(this, id, { ...props, cluster: this })`). */
  public addTenant(id: string, props: Omit<TenantProps, 'cluster'>): Tenant {
    const { Tenant: TenantConstruct } = require('./tenant') as typeof import('./tenant');
    return new TenantConstruct(this, id, { ...props, cluster: this });
  }

  private deliverClusterObjects(objects: readonly Record<string, unknown>[]): KubernetesWorkload | undefined {
    if (objects.length === 0) return undefined;
    const { KubernetesWorkload: Workload } = require('../k8s/delivery') as typeof import('../k8s/delivery');
    const { ApiObject, JsonPatch } = require('cdk8s') as typeof import('cdk8s');
    const workload = new Workload(this, 'ClusterConfig', {
      cluster: this, namespace: 'kube-system', releaseName: 'cdktf-ai-infra-cluster-config', dependOnClusterAddons: false,
      description: `cdktf-ai-infra cluster configuration of ${this.node.path}`.slice(0, 250),
    });
    objects.forEach((obj, i) => {
      const { apiVersion, kind, metadata, ...rest } = obj as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
      const apiObject = new ApiObject(workload.chart, `object-${i}`, { apiVersion, kind, metadata, ...rest });
      // A cluster-scoped object (no namespace given) must not get the chart's default namespace.
      if (metadata.namespace === undefined) apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    });
    return workload;
  }

  /** What a second stack passes to `GpuTrainingCluster.fromClusterAttributes` (cross-stack references). */
  public get attributes(): GpuClusterAttributes {
    return {
      cloud: this.cloud,
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      certificateAuthorityData: this.certificateAuthorityData,
      oidcIssuerUrl: this.oidcIssuerUrl || undefined,
      gpuPools: this.gpuPools,
      addOnNamespace: this.addOnNamespace,
    };
  }

  /** The GPU pool info by name (or the only pool). */
  public gpuPool(name?: string): GpuPoolInfo {
    const pool = name === undefined && this.gpuPools.length === 1 ? this.gpuPools[0] : this.gpuPools.find((p) => p.name === name);
    if (!pool) throw new InvalidPropError(this, 'pool', name, `one of ${this.gpuPools.map((p) => p.name).join(', ')}`);
    return pool;
  }

  private validate(props: GpuTrainingClusterProps): ClusterBuildSpec {
    const cloud = props.cloud;
    if (!(cloud instanceof Cloud)) throw new InvalidPropError(this, 'cloud', cloud, 'Cloud.aws(...), Cloud.gcp(...) or Cloud.azure(...)');
    checkUserTags(this, cloud, props.tags);
    const version = props.kubernetesVersion ?? '1.33';
    check.matches(this, 'kubernetesVersion', version, K8S_VERSION, 'a Kubernetes minor version such as "1.33" (1.28 or newer)');
    check.oneOf(this, 'endpointAccess', props.endpointAccess, ['public', 'private']);
    check.oneOf(this, 'gpuSoftware', props.gpuSoftware, ['device-plugin', 'gpu-operator']);
    check.oneOf(this, 'releaseChannel', props.releaseChannel, ['RAPID', 'REGULAR', 'STABLE']);
    const authorizedNetworks = props.authorizedNetworks ?? [];
    const endpointAccess = props.endpointAccess ?? (authorizedNetworks.length > 0 ? 'public' : 'private');
    for (const cidr of authorizedNetworks) {
      if (typeof cidr !== 'string' || !isCidr(cidr)) throw new InvalidPropError(this, 'authorizedNetworks', cidr, 'IPv4 CIDRs such as "203.0.113.0/24"');
    }
    if (endpointAccess === 'public' && authorizedNetworks.length === 0) {
      throw new InvalidPropError(this, 'authorizedNetworks', authorizedNetworks,
        "the CIDRs that may reach a public endpoint (['0.0.0.0/0'] for any address), or endpointAccess: 'private'");
    }
    if (endpointAccess === 'private' && authorizedNetworks.length > 0) {
      throw new InvalidPropError(this, 'authorizedNetworks', authorizedNetworks, 'none when endpointAccess is "private" (the endpoint is only reachable inside the network)');
    }
    const admins = props.admins ?? [];
    cloud.select({
      aws: () => admins.forEach((a) => check.matches(this, 'admins', a, /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, 'IAM role or user ARNs')),
      gcp: () => {
        if (admins.length > 0) throw new InvalidPropError(this, 'admins', admins, 'none on GKE: grant roles/container.developer or roles/container.clusterViewer in project IAM');
      },
      azure: () => admins.forEach((a) => check.matches(this, 'admins', a, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'Entra ID group object ids (lowercase GUIDs)')),
    });
    const gpuSoftware = props.gpuSoftware ?? 'device-plugin';
    if (gpuSoftware === 'gpu-operator') {
      cloud.select({
        aws: () => undefined,
        azure: () => undefined,
        gcp: () => {
          throw new InvalidPropError(this, 'gpuSoftware', gpuSoftware, '"device-plugin" on GKE (GKE installs the driver and its device plugin through gpu_driver_installation_config)');
        },
      });
    }

    // Network and zones.
    const network = props.network ?? {};
    const cidr = network.cidr ?? '10.0.0.0/16';
    if (typeof cidr !== 'string' || !isCidr(cidr, 20)) throw new InvalidPropError(this, 'network.cidr', cidr, 'an IPv4 CIDR of /20 or larger, e.g. "10.0.0.0/16"');
    check.oneOf(this, 'network.natGateways', network.natGateways, ['per-zone', 'single']);
    if (network.existing) {
      const ex = network.existing;
      if (typeof ex.networkId !== 'string' || ex.networkId.length === 0) throw new InvalidPropError(this, 'network.existing.networkId', ex.networkId, 'the id of the VPC / network / VNet');
      const subnets = ex.subnetIds ?? [];
      cloud.select({
        aws: () => {
          if (subnets.length < 2) throw new InvalidPropError(this, 'network.existing.subnetIds', subnets, 'at least 2 private subnet ids in distinct zones');
        },
        gcp: () => {
          if (subnets.length !== 1 || !ex.podsRangeName || !ex.servicesRangeName) {
            throw new InvalidPropError(this, 'network.existing', ex, 'one subnetwork in subnetIds plus podsRangeName and servicesRangeName (its secondary ranges)');
          }
        },
        azure: () => {
          if (subnets.length !== 1) throw new InvalidPropError(this, 'network.existing.subnetIds', subnets, 'one subnet resource id (with egress through NAT already attached)');
        },
      });
    }
    const zonePattern = cloud.select({
      aws: (c) => ({ re: new RegExp(`^${c.region}[a-z]$`), what: `zones of ${c.region}, e.g. "${c.region}a"` }),
      gcp: (c) => ({ re: new RegExp(`^${c.region}-[a-z]$`), what: `zones of ${c.region}, e.g. "${c.region}-a"` }),
      azure: () => ({ re: /^[1-3]$/, what: 'availability zone numbers "1", "2", "3"' }),
    });
    // Azure GPU pools may be regional (`zones: []`): some GPU sizes are not zonal in every region.
    const regionalPoolsAllowed = cloud.select({ aws: () => false, gcp: () => false, azure: () => true });
    const checkZones = (prop: string, zones: readonly string[] | undefined, allowEmpty = false) => {
      if (zones === undefined) return;
      if (!Array.isArray(zones) || (zones.length === 0 && !allowEmpty) || new Set(zones).size !== zones.length) {
        throw new InvalidPropError(this, prop, zones, `a ${allowEmpty ? '' : 'non-empty '}list of distinct ${zonePattern.what}${allowEmpty ? ' ([] for a regional, non-zonal pool)' : ''}`);
      }
      zones.forEach((z) => check.matches(this, prop, z, zonePattern.re, zonePattern.what));
    };
    checkZones('zones', props.zones);
    const zoneCount = props.zones?.length ?? 3;

    // System pool.
    const sys = props.systemPool ?? {};
    const systemPool: ResolvedSystemPool = {
      machineType: sys.machineType ?? cloud.select({ aws: () => 'm6i.xlarge', gcp: () => 'n2-standard-4', azure: () => 'Standard_D4ds_v5' }),
      minNodes: sys.minNodes ?? 2,
      maxNodes: sys.maxNodes ?? Math.max(4, sys.minNodes ?? 2),
      diskSizeGiB: sys.diskSizeGiB ?? 100,
    };
    check.integerInRange(this, 'systemPool.minNodes', systemPool.minNodes, 1, 100);
    check.integerInRange(this, 'systemPool.maxNodes', systemPool.maxNodes, systemPool.minNodes, 100);
    check.integerInRange(this, 'systemPool.diskSizeGiB', systemPool.diskSizeGiB, 30, 2000);
    if (typeof systemPool.machineType !== 'string' || systemPool.machineType.length === 0) {
      throw new InvalidPropError(this, 'systemPool.machineType', systemPool.machineType, 'a machine type name');
    }

    // GPU pools.
    if (!Array.isArray(props.gpuPools) || props.gpuPools.length === 0) {
      throw new InvalidPropError(this, 'gpuPools', props.gpuPools, `at least one pool, e.g. [{ gpu: Gpu.H100_80GB, maxNodes: 2 }]; ${cloud.kind} offers ${Gpu.offeredOn(cloud.kind).map((g) => g.id).join(', ')}`);
    }
    const names = new Set<string>();
    const warnings: string[] = [];
    const gpuPools = props.gpuPools.map((p, i): ResolvedGpuPool => {
      const at = `gpuPools[${i}]`;
      if (!(p.gpu instanceof Gpu)) {
        throw new InvalidPropError(this, `${at}.gpu`, p.gpu, `a catalog GPU: ${Gpu.offeredOn(cloud.kind).map((g) => `Gpu.${g.id}`).join(', ')}`);
      }
      const name = p.name ?? p.gpu.id;
      check.matches(this, `${at}.name`, name, POOL_NAME, '1-20 characters: lowercase letters, digits and "-", starting with a letter, not ending with "-"');
      if (names.has(name)) throw new InvalidPropError(this, `${at}.name`, name, `a name not used by another pool (${[...names].join(', ')}); pass name for a second ${p.gpu.id} pool`);
      names.add(name);
      check.integerInRange(this, `${at}.maxNodes`, p.maxNodes, 1, 1000);
      if (p.maxNodes === undefined) throw new InvalidPropError(this, `${at}.maxNodes`, p.maxNodes, 'an integer >= 1');
      const minNodes = p.minNodes ?? 0;
      check.integerInRange(this, `${at}.minNodes`, minNodes, 0, p.maxNodes);
      check.integerInRange(this, `${at}.gpusPerNode`, p.gpusPerNode, 1, 16);
      const machine = pickMachine(cloud.kind, p.gpu, { gpusPerNode: p.gpusPerNode, machine: p.machineType, scope: this });
      const capacity = p.capacity ?? ['on-demand'];
      checkCapacityLadder(this, `${at}.capacity`, capacity);
      const diskSizeGiB = p.diskSizeGiB ?? 500;
      check.integerInRange(this, `${at}.diskSizeGiB`, diskSizeGiB, 50, 16000);
      checkZones(`${at}.zones`, p.zones, regionalPoolsAllowed);
      if (p.reservation !== undefined) {
        if (!capacity.includes('reserved')) throw new InvalidPropError(this, `${at}.reservation`, p.reservation, `only with a 'reserved' rung in capacity (${JSON.stringify(capacity)})`);
        if (typeof p.reservation.id !== 'string' || p.reservation.id.length === 0) throw new InvalidPropError(this, `${at}.reservation.id`, p.reservation.id, 'a reservation id / name');
        check.oneOf(this, `${at}.reservation.awsType`, p.reservation.awsType, ['capacity-block', 'odcr']);
        cloud.select({
          aws: () => check.matches(this, `${at}.reservation.id`, p.reservation?.id, /^cr-[0-9a-f]{8,17}$/, 'an EC2 capacity reservation id (cr-...)'),
          gcp: () => check.matches(this, `${at}.reservation.id`, p.reservation?.id, /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Compute Engine reservation name'),
          azure: () => check.matches(this, `${at}.reservation.id`, p.reservation?.id, /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/capacityReservationGroups\/[^/]+$/i,
            'a Capacity Reservation Group resource id'),
        });
      } else if (capacity.includes('reserved')) {
        cloud.select({
          aws: () => undefined,
          gcp: () => undefined,
          azure: () => {
            throw new InvalidPropError(this, `${at}.reservation`, p.reservation, 'a Capacity Reservation Group ({ id }) for a \'reserved\' rung on Azure (AKS cannot consume reservations otherwise)');
          },
        });
      }
      const queuedProvisioning = p.queuedProvisioning ?? false;
      if (queuedProvisioning) {
        cloud.select({
          gcp: () => undefined,
          aws: () => {
            throw new InvalidPropError(this, `${at}.queuedProvisioning`, true, 'false on AWS (use a capacity block reservation)');
          },
          azure: () => {
            throw new InvalidPropError(this, `${at}.queuedProvisioning`, true, 'false on Azure');
          },
        });
        if (capacity.length !== 1 || capacity[0] !== 'on-demand') {
          throw new InvalidPropError(this, `${at}.capacity`, capacity, "['on-demand'] with queuedProvisioning (DWS provisions on-demand capacity without reservations)");
        }
      }
      const compactPlacement = p.compactPlacement ?? false;
      if (compactPlacement) {
        cloud.select({
          aws: () => undefined,
          gcp: () => undefined,
          azure: () => {
            throw new InvalidPropError(this, `${at}.compactPlacement`, true, 'false on Azure (ND-series VMs are already placed on one InfiniBand fabric)');
          },
        });
      }
      const efa = p.efa ?? (machine.interconnect === 'efa');
      if (efa && machine.interconnect !== 'efa') {
        throw new InvalidPropError(this, `${at}.efa`, true, `false: ${machine.machine} has no EFA (EFA machines for ${p.gpu.id}: ${
          p.gpu.machines(cloud.kind).filter((m: GpuMachineType) => m.interconnect === 'efa').map((m: GpuMachineType) => m.machine).join(', ') || 'none'})`);
      }
      const labels: Record<string, string> = p.labels ?? {};
      for (const [k, v] of Object.entries(labels)) {
        check.matches(this, `${at}.labels key`, k, LABEL_KEY, 'a Kubernetes label key');
        check.matches(this, `${at}.labels.${k}`, v, LABEL_VALUE, 'a Kubernetes label value (<= 63 characters)');
        if (k.startsWith('cdktf-ai-infra/')) throw new InvalidPropError(this, `${at}.labels key`, k, 'a key outside cdktf-ai-infra/ (reserved)');
      }
      if (!machine.regions.includes(cloud.region)) {
        warnings.push(`${at}: ${machine.machine} (${p.gpu.id}) is not known to be offered in ${cloud.region}; known regions: ${machine.regions.join(', ')}`);
      }
      if (machine.spotOrQueuedOnly && (capacity.includes('on-demand') || capacity.includes('reserved')) && !queuedProvisioning) {
        warnings.push(`${at}: ${machine.machine} is sold only as spot or through queued provisioning; on-demand requests will not be filled`);
      }
      const interconnect = (machine.interconnect === 'efa' && !efa) || machine.interconnect === 'gpudirect-tcpx' || machine.interconnect === 'gpudirect-tcpxo'
        ? 'ethernet' : machine.interconnect;
      const nodeLabels = { ...labels, [LABEL_GPU]: p.gpu.id, [LABEL_POOL]: name };
      return {
        name, gpu: p.gpu, machine, minNodes, maxNodes: p.maxNodes, capacity, reservation: p.reservation, diskSizeGiB, efa,
        compactPlacement, queuedProvisioning, zones: p.zones, labels: nodeLabels,
        info: {
          name, gpu: p.gpu.id, gpusPerNode: machine.gpusPerNode, maxNodes: p.maxNodes, gpuMemoryGiB: p.gpu.memoryGiB,
          ...poolPlacement(cloud, name, capacity, queuedProvisioning), interconnect, machineType: machine.machine, capacity,
        },
      };
    });

    if (zoneCount < 2) warnings.push(`the system pool runs in a single zone (${props.zones?.join(', ')}): a zone outage stops the cluster's add-ons; pass 2 or more zones`);
    for (const w of warnings) Annotations.of(this).addWarning(w);

    return {
      kubernetesVersion: version, zones: props.zones, zoneCount, network: { ...network, cidr }, endpointAccess, authorizedNetworks, admins,
      systemPool, gpuPools, gpuSoftware, dcgmExporter: props.dcgmExporter ?? true, kueue: props.kueue ?? true,
      gatewayApi: props.gatewayApi ?? props.cloud.select({ aws: () => false, gcp: () => true, azure: () => false }),
      releaseChannel: props.releaseChannel ?? 'REGULAR', deletionProtection: props.deletionProtection ?? true, tags: props.tags,
    };
  }
}

/**
 * How many node groups of a pool can each reach `maxNodes`: on EKS the cluster-autoscaler's `--gpu-total`
 * caps all rungs together (1); on GKE reserved + on-demand share one node pool and spot is another; on
 * AKS every rung is its own node pool. The cost estimate counts each.
 */
export function separatelyCappedGroups(cloud: Cloud, capacity: readonly CapacityKind[]): number {
  return cloud.select({
    aws: () => 1,
    gcp: () => (capacity.some((r) => r !== 'spot') ? 1 : 0) + (capacity.includes('spot') ? 1 : 0),
    azure: () => capacity.length,
  });
}

function checkBinding(scope: IConstruct, cloud: Cloud, identity: IWorkloadIdentity, namespace: string, serviceAccount: string): void {
  if (!identity || identity.cloud?.kind !== cloud.kind) {
    throw new InvalidPropError(scope, 'identity', identity?.node?.path ?? identity, `a workload identity on ${cloud.kind} (the cluster runs on ${cloud})`);
  }
  const dns = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
  check.matches(scope, 'namespace', namespace, dns, 'a Kubernetes namespace name');
  check.matches(scope, 'serviceAccount', serviceAccount, /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a Kubernetes ServiceAccount name');
}

/** A cluster made elsewhere. */
class ImportedGpuCluster extends Construct implements IGpuCluster {
  public readonly cloud: Cloud;
  public readonly clusterName: string;
  public readonly gpuPools: readonly GpuPoolInfo[];
  public readonly helmProvider: TerraformProvider;
  public readonly addOnDependencies: readonly ITerraformDependable[] = [];
  public readonly addOnNamespace: string;
  public readonly workloadIdentityPodLabels: Record<string, string>;
  private readonly impl: ImportedClusterImpl;

  constructor(scope: Construct, id: string, attrs: GpuClusterAttributes) {
    super(scope, id);
    checkStateLocation(this);
    if (!(attrs.cloud instanceof Cloud)) throw new InvalidPropError(this, 'cloud', attrs.cloud, 'a Cloud target');
    for (const key of ['clusterName', 'endpoint', 'certificateAuthorityData'] as const) {
      if (typeof attrs[key] !== 'string' || attrs[key].length === 0) throw new InvalidPropError(this, key, attrs[key], 'a non-empty string (or a reference)');
    }
    if (!Array.isArray(attrs.gpuPools)) throw new InvalidPropError(this, 'gpuPools', attrs.gpuPools, 'the GPU pools of the cluster (cluster.gpuPools)');
    const spec: ImportedClusterSpec = {
      clusterName: attrs.clusterName, endpoint: attrs.endpoint, certificateAuthorityData: attrs.certificateAuthorityData, oidcIssuerUrl: attrs.oidcIssuerUrl,
    };
    attrs.cloud.select({
      aws: () => undefined,
      gcp: () => undefined,
      azure: () => {
        if (!attrs.oidcIssuerUrl) throw new InvalidPropError(this, 'oidcIssuerUrl', attrs.oidcIssuerUrl, 'the AKS OIDC issuer URL (cluster.oidcIssuerUrl of the making stack)');
      },
    });
    this.cloud = attrs.cloud;
    this.clusterName = attrs.clusterName;
    this.gpuPools = attrs.gpuPools;
    this.addOnNamespace = attrs.addOnNamespace ?? GPU_ADDON_NAMESPACE;
    this.impl = attrs.cloud.select<ImportedClusterImpl>({
      aws: (c) => (require('../clouds/aws/gpu-cluster') as typeof import('../clouds/aws/gpu-cluster')).awsImportedCluster(this, c, spec),
      gcp: (c) => (require('../clouds/gcp/gpu-cluster') as typeof import('../clouds/gcp/gpu-cluster')).gcpImportedCluster(this, c, spec),
      azure: (c) => (require('../clouds/azure/gpu-cluster') as typeof import('../clouds/azure/gpu-cluster')).azureImportedCluster(this, c, spec),
    });
    this.helmProvider = this.impl.helmProvider;
    this.workloadIdentityPodLabels = this.impl.workloadIdentityPodLabels;
  }

  public bindServiceAccount(identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string> {
    checkBinding(this, this.cloud, identity, namespace, serviceAccount);
    return this.impl.bindServiceAccount(identity, namespace, serviceAccount);
  }
}
