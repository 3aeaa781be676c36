import { Construct, IConstruct } from 'constructs';
import { Annotations, Aspects, IAspect, ITerraformDependable, TerraformOutput, TerraformProvider, TerraformResource, TerraformStack } from 'cdktf';
import { Cloud } from '../core/cloud';
import { GpuPoolInfo, IGpuCluster } from '../core/cluster';
import { CONTROL_PLANE_PER_HOUR_USD, CostEstimate, HOURS_PER_MONTH, poolMonthlyCost, sumCost } from '../core/cost';
import { check, InvalidPropError } from '../core/errors';
import { Gpu, GpuMachineType, pickMachine } from '../core/gpu';
import { IWorkloadIdentity } from '../core/identity';
import { checkUserTags } from '../core/tags';
import { GPU_ADDON_NAMESPACE } from '../k8s/charts';
import { CapacityKind, checkCapacityLadder, GpuReservation } from '../core/capacity';
import { describeQuotaRequirements, GpuQuotaRequirement, gpuQuotaRequirements } from './quota';
import { GPU_TAINT, LABEL_GPU, LABEL_POOL } from '../k8s/node-labels';
import { targetFor } from '../clouds/registry';
import type {
  ClusterBuildSpec, ClusterImpl, ClusterNetworkProps, ClusterSpi, ImportedClusterImpl, ImportedClusterSpec, NamePattern, ResolvedGpuPool,
  ResolvedSystemPool,
} from './spi';
import { cdk8s } from '../k8s/cdk8s';
import { KubernetesWorkload } from '../k8s/delivery';
import { deliverClusterAddOnNetworkPolicies, isolateKubeSystemReleases } from '../k8s/addon-network-policies';
import { Tenant, TenantProps } from './tenant';
import { TrainingJob, TrainingJobProps } from './training-job';
import { ModelPipeline, ModelPipelineProps } from '../pipeline/model-pipeline';
import { checkStateLocation } from '../core/state-backend';
import { contributeSummary } from '../summary';

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
   * or `private` (only from inside the network). Terraform installs the add-ons and workloads through it, so
   * the machine running `cdktf deploy` must reach it: give its egress CIDR in `authorizedNetworks`, or run
   * Terraform inside the network (see the README's Deploy section; synth warns when a private endpoint
   * cannot be reached on the first deploy).
   * @default - 'public' when authorizedNetworks are given, else 'private'
   */
  readonly endpointAccess?: 'public' | 'private';
  /**
   * CIDRs allowed to reach a public endpoint (EKS `public_access_cidrs`, GKE master authorized networks,
   * AKS `authorized_ip_ranges`): your deployers' and users' egress ranges. Required with
   * `endpointAccess: 'public'`. A `/0` range (any address) needs `publicEndpointFromAnyAddress: true`.
   * @default - none
   */
  readonly authorizedNetworks?: readonly string[];
  /**
   * The explicit opt-in for `authorizedNetworks: ['0.0.0.0/0']`: an API server any address can reach (cloud
   * IAM authentication still required). Synth warns when it is on. @default false
   */
  readonly publicEndpointFromAnyAddress?: boolean;
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
  /**
   * Protect the cluster from `cdktf destroy`. GKE: deletion protection plus Terraform `prevent_destroy` on
   * the cluster and its KMS keys; AKS: `prevent_destroy`; EKS: deletion protection. With `prevent_destroy`
   * a destroy stops at plan, before anything is deleted (see "Destroy" in src/training/README.md).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /** Extra tags / labels on cloud resources. @default - none */
  readonly tags?: Record<string, string>;
  /**
   * GKE only: Binary Authorization enforcing the project's policy (`PROJECT_SINGLETON_POLICY_ENFORCE`), which then
   * decides which images may run (its default policy admits all: write the attestation rules there). Turns the
   * CKV_GCP_66 exemption off. Enables binaryauthorization.googleapis.com.
   * @default false
   */
  readonly gkeBinaryAuthorization?: boolean;
  /**
   * GKE only: intranode visibility, so pod-to-pod traffic on one node goes through the VPC (its firewall rules and
   * flow logs). Every NCCL flow of multi-GPU training is then logged too, at high log volume. Turns the CKV_GCP_61
   * exemption off.
   * @default false
   */
  readonly gkeIntranodeVisibility?: boolean;
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
  /** The ranges the cluster's pods take IPs from, as the making stack's `cluster.podCidrs`. @default - unknown */
  readonly podCidrs?: readonly string[];
}

const POOL_NAME = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$|^[a-z]$/;
const K8S_VERSION = /^1\.(2[89]|3\d)$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Taints a pool's nodes carry (the GPU taint and the cloud's) and the selector that lands a pod on them. */
function poolPlacement(spi: ClusterSpi, name: string, capacity: readonly CapacityKind[], queued: boolean): Pick<GpuPoolInfo, 'taints' | 'nodeSelector'> {
  const extra = spi.poolPlacement(name, capacity, queued);
  return { taints: [GPU_TAINT, ...extra.taints], nodeSelector: { [LABEL_POOL]: name, ...extra.nodeSelector } };
}

/** The endpoint settings after validation. */
interface ResolvedEndpoint {
  readonly endpointAccess: 'public' | 'private';
  readonly authorizedNetworks: readonly string[];
}

/** Checks who may reach the API server: public only from `authorizedNetworks`, `/0` only with the explicit opt-in. */
function resolveEndpoint(scope: IConstruct, props: GpuTrainingClusterProps): ResolvedEndpoint {
  const authorizedNetworks = props.authorizedNetworks ?? [];
  const endpointAccess = props.endpointAccess ?? (authorizedNetworks.length > 0 ? 'public' : 'private');
  for (const cidr of authorizedNetworks) {
    check.ipv4(scope, 'authorizedNetworks', cidr, { prefix: 'required', allowed: 'IPv4 CIDRs such as "203.0.113.0/24"' });
  }
  if (endpointAccess === 'public' && authorizedNetworks.length === 0) {
    throw new InvalidPropError(scope, 'authorizedNetworks', authorizedNetworks,
      "the CIDRs that may reach a public endpoint (your deployers' egress ranges; ['0.0.0.0/0'] only with publicEndpointFromAnyAddress: true), or endpointAccess: 'private'");
  }
  const anyAddress = authorizedNetworks.filter((cidr) => cidr.endsWith('/0'));
  const openToAll = props.publicEndpointFromAnyAddress ?? false;
  if (typeof openToAll !== 'boolean') throw new InvalidPropError(scope, 'publicEndpointFromAnyAddress', openToAll, 'true or false');
  if (anyAddress.length > 0 && !openToAll) {
    throw new InvalidPropError(scope, 'authorizedNetworks', anyAddress[0],
      'CIDRs of your deployers and users (e.g. your CI runner\'s egress range); an API server open to any address needs publicEndpointFromAnyAddress: true');
  }
  if (openToAll && anyAddress.length === 0) {
    throw new InvalidPropError(scope, 'publicEndpointFromAnyAddress', true, "false unless authorizedNetworks contains '0.0.0.0/0'");
  }
  if (openToAll) {
    Annotations.of(scope).addWarning(`the API server endpoint is open to any address (${anyAddress.join(', ')}), guarded only by cloud IAM `
      + 'authentication: list your deployers\' and users\' egress CIDRs in authorizedNetworks instead');
  }
  if (endpointAccess === 'private' && authorizedNetworks.length > 0) {
    throw new InvalidPropError(scope, 'authorizedNetworks', authorizedNetworks, 'none when endpointAccess is "private" (the endpoint is only reachable inside the network)');
  }
  return { endpointAccess, authorizedNetworks };
}

/** The network props with the default CIDR filled in, checked (an existing network's shape by the cloud). */
function resolveNetwork(scope: IConstruct, spi: ClusterSpi, props: GpuTrainingClusterProps): ClusterNetworkProps {
  const network = props.network ?? {};
  const cidr = network.cidr ?? '10.0.0.0/16';
  check.ipv4(scope, 'network.cidr', cidr, { prefix: 'required', maxPrefix: 20, allowed: 'an IPv4 CIDR of /20 or larger, e.g. "10.0.0.0/16"' });
  check.oneOf(scope, 'network.natGateways', network.natGateways, ['per-zone', 'single']);
  if (network.existing) {
    const ex = network.existing;
    if (typeof ex.networkId !== 'string' || ex.networkId.length === 0) throw new InvalidPropError(scope, 'network.existing.networkId', ex.networkId, 'the id of the VPC / network / VNet');
    podCidrList(scope, 'network.existing.podCidrs', ex.podCidrs);
    spi.checkExistingNetwork(scope, ex);
  }
  return { ...network, cidr };
}

/** A list of pod ranges (`network.existing.podCidrs`, the imported `podCidrs`): IPv4 CIDRs, at least one when given. */
export function podCidrList(scope: IConstruct, prop: string, cidrs: readonly string[] | undefined): void {
  if (cidrs === undefined) return;
  if (!Array.isArray(cidrs) || cidrs.length === 0) throw new InvalidPropError(scope, prop, cidrs, 'a non-empty list of IPv4 CIDRs, or unset');
  cidrs.forEach((c, i) => check.ipv4(scope, `${prop}[${i}]`, c, { prefix: 'required', allowed: 'an IPv4 CIDR of the pod network, e.g. "10.0.0.0/19"' }));
}

/** Checks a zone list against the cloud's zone names: distinct, non-empty unless a regional pool is allowed. */
function checkZones(scope: IConstruct, zonePattern: NamePattern, prop: string, zones: readonly string[] | undefined, allowEmpty = false): void {
  if (zones === undefined) return;
  if (!Array.isArray(zones) || (zones.length === 0 && !allowEmpty) || new Set(zones).size !== zones.length) {
    throw new InvalidPropError(scope, prop, zones, `a ${allowEmpty ? '' : 'non-empty '}list of distinct ${zonePattern.what}${allowEmpty ? ' ([] for a regional, non-zonal pool)' : ''}`);
  }
  zones.forEach((z) => check.matches(scope, prop, z, zonePattern.re, zonePattern.what));
}

/** The system pool with defaults filled in (the machine type is the cloud's general-purpose default). */
function resolveSystemPool(scope: IConstruct, spi: ClusterSpi, props: GpuTrainingClusterProps): ResolvedSystemPool {
  const sys = props.systemPool ?? {};
  const systemPool: ResolvedSystemPool = {
    machineType: sys.machineType ?? spi.defaultSystemMachineType,
    minNodes: sys.minNodes ?? 2,
    maxNodes: sys.maxNodes ?? Math.max(4, sys.minNodes ?? 2),
    diskSizeGiB: sys.diskSizeGiB ?? 100,
  };
  check.integerInRange(scope, 'systemPool.minNodes', systemPool.minNodes, 1, 100);
  check.integerInRange(scope, 'systemPool.maxNodes', systemPool.maxNodes, systemPool.minNodes, 100);
  check.integerInRange(scope, 'systemPool.diskSizeGiB', systemPool.diskSizeGiB, 30, 2000);
  if (typeof systemPool.machineType !== 'string' || systemPool.machineType.length === 0) {
    throw new InvalidPropError(scope, 'systemPool.machineType', systemPool.machineType, 'a machine type name');
  }
  return systemPool;
}

/** What resolving one GPU pool needs beside its props. */
interface GpuPoolContext {
  readonly scope: IConstruct;
  readonly cloud: Cloud;
  readonly spi: ClusterSpi;
  readonly zonePattern: NamePattern;
  /** Names of the pools resolved so far (filled in as pools resolve). */
  readonly names: Set<string>;
  /** Synth warnings (added to as pools resolve). */
  readonly warnings: string[];
}

/** Checks a pool's reservation against its ladder and the cloud's reservation ids. */
function checkReservation(ctx: GpuPoolContext, at: string, p: GpuPoolProps, capacity: readonly CapacityKind[]): void {
  const { scope, spi } = ctx;
  if (p.reservation !== undefined) {
    if (!capacity.includes('reserved')) throw new InvalidPropError(scope, `${at}.reservation`, p.reservation, `only with a 'reserved' rung in capacity (${JSON.stringify(capacity)})`);
    if (typeof p.reservation.id !== 'string' || p.reservation.id.length === 0) throw new InvalidPropError(scope, `${at}.reservation.id`, p.reservation.id, 'a reservation id / name');
    check.oneOf(scope, `${at}.reservation.awsType`, p.reservation.awsType, ['capacity-block', 'odcr']);
    check.matches(scope, `${at}.reservation.id`, p.reservation.id, spi.reservationId.re, spi.reservationId.what);
    const pg = p.reservation.awsPlacementGroup;
    if (pg !== undefined && (p.reservation.awsType !== 'odcr' || typeof pg !== 'string' || !/^[A-Za-z0-9 ._+=:@-]{1,255}$/.test(pg))) {
      throw new InvalidPropError(scope, `${at}.reservation.awsPlacementGroup`, pg,
        "the name of the cluster placement group an ODCR was created in (with awsType: 'odcr' only; a Capacity Block places its instances itself)");
    }
  } else if (capacity.includes('reserved') && spi.reservationRequired) {
    throw new InvalidPropError(scope, `${at}.reservation`, p.reservation, spi.reservationRequired);
  }
}

/** Checks the placement options (queued provisioning, compact placement, EFA) against the cloud and machine. */
function checkPoolPlacement(ctx: GpuPoolContext, at: string, p: GpuPoolProps, machine: GpuMachineType, capacity: readonly CapacityKind[]): void {
  const { scope, spi } = ctx;
  if (p.queuedProvisioning ?? false) {
    if (spi.queuedProvisioningUnsupported) throw new InvalidPropError(scope, `${at}.queuedProvisioning`, true, spi.queuedProvisioningUnsupported);
    if (capacity.length !== 1 || capacity[0] !== 'on-demand') {
      throw new InvalidPropError(scope, `${at}.capacity`, capacity, "['on-demand'] with queuedProvisioning (DWS provisions on-demand capacity without reservations)");
    }
  }
  if ((p.compactPlacement ?? false) && spi.compactPlacementUnsupported) {
    throw new InvalidPropError(scope, `${at}.compactPlacement`, true, spi.compactPlacementUnsupported);
  }
  const efa = p.efa ?? (machine.interconnect === 'efa');
  if (efa && machine.interconnect !== 'efa') {
    throw new InvalidPropError(scope, `${at}.efa`, true, `false: ${machine.machine} has no EFA (EFA machines for ${p.gpu.id}: ${
      p.gpu.machines(ctx.cloud.kind).filter((m: GpuMachineType) => m.interconnect === 'efa').map((m: GpuMachineType) => m.machine).join(', ') || 'none'})`);
  }
}

/** Checks the user's node labels: valid Kubernetes labels outside the library's own prefix. */
function checkPoolLabels(scope: IConstruct, at: string, labels: Record<string, string>): void {
  for (const [k, v] of Object.entries(labels)) {
    check.matches(scope, `${at}.labels key`, k, LABEL_KEY, 'a Kubernetes label key');
    check.matches(scope, `${at}.labels.${k}`, v, LABEL_VALUE, 'a Kubernetes label value (<= 63 characters)');
    if (k.startsWith('cdktf-ai-infra/')) throw new InvalidPropError(scope, `${at}.labels key`, k, 'a key outside cdktf-ai-infra/ (reserved)');
  }
}

/** Checks a pool's name, sizes, machine, ladder and zones; returns its name and picked machine. */
function checkPoolBasics(ctx: GpuPoolContext, at: string, p: GpuPoolProps): { name: string; machine: GpuMachineType; capacity: readonly CapacityKind[] } {
  const { scope, cloud, names } = ctx;
  if (!(p.gpu instanceof Gpu)) {
    throw new InvalidPropError(scope, `${at}.gpu`, p.gpu, `a catalog GPU: ${Gpu.offeredOn(cloud.kind).map((g) => `Gpu.${g.id}`).join(', ')}`);
  }
  const name = p.name ?? p.gpu.id;
  check.matches(scope, `${at}.name`, name, POOL_NAME, '1-20 characters: lowercase letters, digits and "-", starting with a letter, not ending with "-"');
  if (names.has(name)) throw new InvalidPropError(scope, `${at}.name`, name, `a name not used by another pool (${[...names].join(', ')}); pass name for a second ${p.gpu.id} pool`);
  names.add(name);
  check.integerInRange(scope, `${at}.maxNodes`, p.maxNodes, 1, 1000);
  if (p.maxNodes === undefined) throw new InvalidPropError(scope, `${at}.maxNodes`, p.maxNodes, 'an integer >= 1');
  check.integerInRange(scope, `${at}.minNodes`, p.minNodes ?? 0, 0, p.maxNodes);
  check.integerInRange(scope, `${at}.gpusPerNode`, p.gpusPerNode, 1, 16);
  const machine = pickMachine(cloud.kind, p.gpu, { gpusPerNode: p.gpusPerNode, machine: p.machineType, scope });
  const capacity = p.capacity ?? ['on-demand'];
  checkCapacityLadder(scope, `${at}.capacity`, capacity);
  check.integerInRange(scope, `${at}.diskSizeGiB`, p.diskSizeGiB ?? 500, 50, 16000);
  checkZones(scope, ctx.zonePattern, `${at}.zones`, p.zones, ctx.spi.regionalPoolsAllowed);
  return { name, machine, capacity };
}

/** One GPU pool, checked, with the machine picked and defaults filled in; warnings go to `ctx.warnings`. */
function resolveGpuPool(ctx: GpuPoolContext, p: GpuPoolProps, i: number): ResolvedGpuPool {
  const at = `gpuPools[${i}]`;
  const { name, machine, capacity } = checkPoolBasics(ctx, at, p);
  checkReservation(ctx, at, p, capacity);
  checkPoolPlacement(ctx, at, p, machine, capacity);
  const queuedProvisioning = p.queuedProvisioning ?? false;
  const efa = p.efa ?? (machine.interconnect === 'efa');
  const labels: Record<string, string> = p.labels ?? {};
  checkPoolLabels(ctx.scope, at, labels);
  if (!machine.regions.includes(ctx.cloud.region)) {
    ctx.warnings.push(`${at}: ${machine.machine} (${p.gpu.id}) is not known to be offered in ${ctx.cloud.region}; known regions: ${machine.regions.join(', ')}`);
  }
  if (machine.spotOrQueuedOnly && (capacity.includes('on-demand') || capacity.includes('reserved')) && !queuedProvisioning) {
    ctx.warnings.push(`${at}: ${machine.machine} is sold only as spot or through queued provisioning; on-demand requests will not be filled`);
  }
  const interconnect = (machine.interconnect === 'efa' && !efa) || machine.interconnect === 'gpudirect-tcpx' || machine.interconnect === 'gpudirect-tcpxo'
    ? 'ethernet' : machine.interconnect;
  const nodeLabels = { ...labels, [LABEL_GPU]: p.gpu.id, [LABEL_POOL]: name };
  return {
    name, gpu: p.gpu, machine, minNodes: p.minNodes ?? 0, maxNodes: p.maxNodes, capacity, reservation: p.reservation, diskSizeGiB: p.diskSizeGiB ?? 500, efa,
    compactPlacement: p.compactPlacement ?? false, queuedProvisioning, zones: p.zones, labels: nodeLabels,
    info: {
      name, gpu: p.gpu.id, gpusPerNode: machine.gpusPerNode, maxNodes: p.maxNodes, gpuMemoryGiB: p.gpu.memoryGiB,
      ...poolPlacement(ctx.spi, name, capacity, queuedProvisioning), interconnect, machineType: machine.machine, capacity,
    },
  };
}

/** Checks the cluster-wide props; returns what the cloud needs to build (warnings added to `scope`). */
function resolveClusterSpec(scope: IConstruct, props: GpuTrainingClusterProps): ClusterBuildSpec {
  const cloud = props.cloud;
  if (!(cloud instanceof Cloud)) throw new InvalidPropError(scope, 'cloud', cloud, 'Cloud.aws(...), Cloud.gcp(...) or Cloud.azure(...)');
  const spi = targetFor(cloud).cluster;
  checkUserTags(scope, cloud, props.tags);
  const version = props.kubernetesVersion ?? '1.33';
  check.matches(scope, 'kubernetesVersion', version, K8S_VERSION, 'a Kubernetes minor version such as "1.33" (1.28 or newer)');
  check.oneOf(scope, 'endpointAccess', props.endpointAccess, ['public', 'private']);
  check.oneOf(scope, 'gpuSoftware', props.gpuSoftware, ['device-plugin', 'gpu-operator']);
  check.oneOf(scope, 'releaseChannel', props.releaseChannel, ['RAPID', 'REGULAR', 'STABLE']);
  const { endpointAccess, authorizedNetworks } = resolveEndpoint(scope, props);
  const admins = props.admins ?? [];
  spi.checkAdmins(scope, admins);
  for (const prop of ['gkeBinaryAuthorization', 'gkeIntranodeVisibility'] as const) {
    if (props[prop] !== undefined && typeof props[prop] !== 'boolean') throw new InvalidPropError(scope, prop, props[prop], 'true or false');
    if (props[prop] !== undefined && !spi.gkeSecurityOptions) throw new InvalidPropError(scope, prop, props[prop], 'undefined: a GKE option (Cloud.gcp(...))');
  }
  const gpuSoftware = props.gpuSoftware ?? 'device-plugin';
  if (gpuSoftware === 'gpu-operator' && spi.gpuOperatorUnsupported) throw new InvalidPropError(scope, 'gpuSoftware', gpuSoftware, spi.gpuOperatorUnsupported);
  const network = resolveNetwork(scope, spi, props);
  const zonePattern = spi.zonePattern(cloud);
  checkZones(scope, zonePattern, 'zones', props.zones);
  const zoneCount = props.zones?.length ?? 3;
  const systemPool = resolveSystemPool(scope, spi, props);
  if (!Array.isArray(props.gpuPools) || props.gpuPools.length === 0) {
    throw new InvalidPropError(scope, 'gpuPools', props.gpuPools, `at least one pool, e.g. [{ gpu: Gpu.H100_80GB, maxNodes: 2 }]; ${cloud.kind} offers ${Gpu.offeredOn(cloud.kind).map((g) => g.id).join(', ')}`);
  }
  const ctx: GpuPoolContext = { scope, cloud, spi, zonePattern, names: new Set(), warnings: [] };
  const gpuPools = props.gpuPools.map((p, i) => resolveGpuPool(ctx, p, i));
  if (zoneCount < 2) ctx.warnings.push(`the system pool runs in a single zone (${props.zones?.join(', ')}): a zone outage stops the cluster's add-ons; pass 2 or more zones`);
  for (const w of ctx.warnings) Annotations.of(scope).addWarning(w);
  return {
    kubernetesVersion: version, zones: props.zones, zoneCount, network, endpointAccess, authorizedNetworks, admins,
    systemPool, gpuPools, gpuSoftware, dcgmExporter: props.dcgmExporter ?? true, kueue: props.kueue ?? true,
    gatewayApi: props.gatewayApi ?? spi.gatewayApiByDefault,
    releaseChannel: props.releaseChannel ?? 'REGULAR', deletionProtection: props.deletionProtection ?? true, tags: props.tags,
    gkeBinaryAuthorization: props.gkeBinaryAuthorization ?? false, gkeIntranodeVisibility: props.gkeIntranodeVisibility ?? false,
  };
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
  /** Kubernetes minor version of the control plane (`kubernetesVersion` prop, default 1.33). */
  public readonly kubernetesVersion: string;
  public readonly workloadIdentityPodLabels: Record<string, string>;
  /**
   * The ranges pods take IPs from (EKS: the private subnets; GKE: the pods range; AKS: the overlay), or
   * `network.existing.podCidrs`; undefined for an existing AWS or GCP network without them.
   */
  public readonly podCidrs?: readonly string[];
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
  /**
   * Cloud quotas the GPU pools use at full scale (every pool at `maxNodes` in each node group of its ladder),
   * per quota: AWS vCPU quotas of the instance family, GCP GPU quotas of the model, Azure family vCPU quotas.
   * Synth prints them (an info annotation): request increases before the first scale-up.
   */
  public readonly quotaRequirements: readonly GpuQuotaRequirement[];
  /** The main cloud resources (escape hatches): `cluster`, `network`, node pools by name... */
  public readonly resources: Record<string, IConstruct>;
  /**
   * The release with the cluster's own Kubernetes configuration (AKS priority-expander ConfigMap, GKE
   * ComputeClasses), when the cloud needs one.
   */
  public readonly clusterConfig?: KubernetesWorkload;
  /** Default-deny NetworkPolicies of the GPU add-on and Kueue namespaces, with each add-on's flows (src/k8s/addon-network-policies.ts). */
  public readonly addOnNetworkPolicies?: KubernetesWorkload;
  private readonly impl: ClusterImpl;
  private gatewayApiReleases?: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: GpuTrainingClusterProps) {
    super(scope, id);
    checkStateLocation(this);
    const spec = resolveClusterSpec(this, props);
    this.cloud = props.cloud;
    this.kubernetesVersion = spec.kubernetesVersion;
    this.gpuPools = spec.gpuPools.map((p) => p.info);
    this.costEstimate = sumCost([
      ...spec.gpuPools.map((p) => poolMonthlyCost(p.name, p.machine.machine, p.machine.pricePerHourUsd, p.maxNodes * separatelyCappedGroups(props.cloud, p.capacity))),
      { item: 'control-plane', nodes: 0, pricePerHourUsd: CONTROL_PLANE_PER_HOUR_USD, monthlyUsd: CONTROL_PLANE_PER_HOUR_USD * HOURS_PER_MONTH },
    ]);
    this.estimatedMonthlyCost = this.costEstimate.monthlyUsd;
    const minimumMonthlyUsd = sumCost([
      ...spec.gpuPools.map((p) => poolMonthlyCost(p.name, p.machine.machine, p.machine.pricePerHourUsd, p.minNodes)),
      { item: 'control-plane', nodes: 0, pricePerHourUsd: CONTROL_PLANE_PER_HOUR_USD, monthlyUsd: CONTROL_PLANE_PER_HOUR_USD * HOURS_PER_MONTH },
    ]).monthlyUsd;
    contributeSummary(this, () => ({
      kind: 'cluster', path: this.node.path, cloud: this.cloud.toString(), name: this.clusterName,
      pools: spec.gpuPools.map((p) => ({
        name: p.name, gpu: p.gpu.id, gpusPerNode: p.machine.gpusPerNode, minNodes: p.minNodes, maxNodes: p.maxNodes, machineType: p.machine.machine, capacity: p.capacity,
      })),
      monthlyUsd: { min: minimumMonthlyUsd, max: this.estimatedMonthlyCost },
    }));
    this.quotaRequirements = gpuQuotaRequirements(props.cloud.region, spec.gpuPools.map((p) => {
      const nonSpot = p.capacity.filter((r) => r !== 'spot');
      return {
        name: p.name, machine: p.machine, maxNodes: p.maxNodes,
        onDemandGroups: nonSpot.length ? separatelyCappedGroups(props.cloud, nonSpot) : 0,
        spotGroups: p.capacity.includes('spot') ? separatelyCappedGroups(props.cloud, ['spot']) : 0,
      };
    }));
    // Quota is checked when a node is created, not at apply: without it the first GPU scale-up fails.
    Annotations.of(this).addInfo(`GPU quota this cluster needs at max scale (request increases before the first GPU job): ${describeQuotaRequirements(this.quotaRequirements)}`);

    this.impl = targetFor(props.cloud).cluster.build(this, props.cloud, spec);
    this.clusterName = this.impl.clusterName;
    this.helmProvider = this.impl.helmProvider;
    this.clusterConfig = this.deliverClusterObjects(this.impl.clusterObjects ?? []);
    this.addOnDependencies = [...this.impl.addOnDependencies, ...(this.clusterConfig ? [this.clusterConfig.release] : [])];
    this.addOnNetworkPolicies = deliverClusterAddOnNetworkPolicies(this, { gpuOperator: spec.gpuSoftware === 'gpu-operator', dcgmExporter: spec.dcgmExporter, kueue: spec.kueue });
    this.workloadIdentityPodLabels = this.impl.workloadIdentityPodLabels;
    this.podCidrs = this.impl.podCidrs;
    this.endpoint = this.impl.endpoint;
    this.certificateAuthorityData = this.impl.certificateAuthorityData;
    this.oidcIssuerUrl = this.impl.oidcIssuerUrl;
    this.resources = this.impl.resources;
    if (spec.gatewayApi) this.enableGatewayApi();
    if (spec.endpointAccess === 'private' && !spec.network.existing) Aspects.of(this).add(new UnreachableEndpointCheck(this));

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
    if (!this.gatewayApiReleases) {
      this.gatewayApiReleases = this.impl.enableGatewayApi ? [...this.impl.enableGatewayApi()] : [];
      // the gateway controller's own pods in kube-system (EKS): isolated like the other add-ons
      if (this.addOnNetworkPolicies) isolateKubeSystemReleases(this.addOnNetworkPolicies, this, this.gatewayApiReleases);
    }
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
    return new TrainingJob(this, id, { ...props, cluster: this });
  }

  /**
   * The model lifecycle as one pipeline on this cluster (Argo Workflows): data prep -> train -> evaluate -> gate ->
   * canary -> promote or roll back, on a schedule or by hand: `new ModelPipeline(this, id, { ...props, cluster: this })`.
   */
  public addModelPipeline(id: string, props: Omit<ModelPipelineProps, 'cluster'>): ModelPipeline {
    return new ModelPipeline(this, id, { ...props, cluster: this });
  }

  /** A team on this cluster: namespace, quotas, Kueue queue, identity (`new Tenant(this, id, { ...props, cluster: this })`). */
  public addTenant(id: string, props: Omit<TenantProps, 'cluster'>): Tenant {
    return new Tenant(this, id, { ...props, cluster: this });
  }

  private deliverClusterObjects(objects: readonly Record<string, unknown>[]): KubernetesWorkload | undefined {
    if (objects.length === 0) return undefined;
    const { ApiObject, JsonPatch } = cdk8s();
    const workload = new KubernetesWorkload(this, 'ClusterConfig', {
      cluster: this, namespace: 'kube-system', releaseName: 'cdktf-ai-infra-cluster-config', dependOnClusterAddons: false,
      description: `cdktf-ai-infra cluster configuration of ${this.node.path}`.slice(0, 250),
    });
    // No add-on to wait for, but the deployer's access to the API server must be effective.
    workload.addDependency(...(this.impl.apiAccess ?? []));
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
      ...(this.podCidrs ? { podCidrs: this.podCidrs } : {}),
    };
  }

  /** The GPU pool info by name (or the only pool). */
  public gpuPool(name?: string): GpuPoolInfo {
    const pool = name === undefined && this.gpuPools.length === 1 ? this.gpuPools[0] : this.gpuPools.find((p) => p.name === name);
    if (!pool) throw new InvalidPropError(this, 'pool', name, `one of ${this.gpuPools.map((p) => p.name).join(', ')}`);
    return pool;
  }
}

/**
 * How many node groups of a pool can each reach `maxNodes`: on EKS the cluster-autoscaler's `--gpu-total`
 * caps all rungs together (1); on GKE reserved + on-demand share one node pool and spot is another; on
 * AKS every rung is its own node pool. The cost estimate counts each.
 */
export function separatelyCappedGroups(cloud: Cloud, capacity: readonly CapacityKind[]): number {
  return targetFor(cloud).cluster.separatelyCappedGroups(capacity);
}

/**
 * Warns at synth when nothing outside the cluster's new network can reach its private API server, yet helm
 * releases in this stack must go through it: from a laptop or a hosted CI runner the first deploy ends in
 * dial timeouts. Runs once, when the cluster is visited (all releases exist by then).
 */
class UnreachableEndpointCheck implements IAspect {
  private done = false;
  constructor(private readonly cluster: GpuTrainingCluster) {}
  public visit(node: IConstruct): void {
    if (node !== this.cluster || this.done) return;
    this.done = true;
    const releases = TerraformStack.of(this.cluster).node.findAll().filter((c): c is TerraformResource => TerraformResource.isTerraformResource(c)
      && c.terraformResourceType === 'helm_release' && c.provider === this.cluster.helmProvider);
    if (releases.length === 0) return;
    Annotations.of(this.cluster).addWarning(`the API server endpoint is private and its network is made in this stack, but ${releases.length} helm `
      + 'release(s) here install through it: from a laptop or a hosted CI runner the first deploy fails with dial timeouts. Either pass '
      + "authorizedNetworks: ['<your deployer\'s egress CIDR>'] (a public endpoint for those addresses only), or make the network in "
      + 'its own stack (network: { existing }) and run cdktf deploy for this one from a runner inside it (see "Deploy" in the '
      + 'GpuTrainingCluster README)');
  }
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
  public readonly podCidrs?: readonly string[];
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
    const spi = targetFor(attrs.cloud).cluster;
    spi.checkImported?.(this, spec);
    this.cloud = attrs.cloud;
    this.clusterName = attrs.clusterName;
    this.gpuPools = attrs.gpuPools;
    this.addOnNamespace = attrs.addOnNamespace ?? GPU_ADDON_NAMESPACE;
    podCidrList(this, 'podCidrs', attrs.podCidrs);
    this.podCidrs = attrs.podCidrs;
    this.impl = spi.buildImported(this, attrs.cloud, spec);
    this.helmProvider = this.impl.helmProvider;
    this.workloadIdentityPodLabels = this.impl.workloadIdentityPodLabels;
  }

  public bindServiceAccount(identity: IWorkloadIdentity, namespace: string, serviceAccount: string): Record<string, string> {
    checkBinding(this, this.cloud, identity, namespace, serviceAccount);
    return this.impl.bindServiceAccount(identity, namespace, serviceAccount);
  }
}
