// Pinned upstream Helm charts the cluster installs, and the DCGM counters it enables. No provider
// imports here: monitoring code reads the metric names without loading a Terraform provider.

/**
 * How a pinned chart's CRDs are installed and upgraded when its pin moves. Helm installs a chart's `crds/`
 * folder once and never upgrades (or deletes) it, so a chart with `crds/` needs one of the last three:
 * - `none`: the chart, as configured here, installs no CRDs;
 * - `templates`: its CRDs are templates, upgraded with the chart like any object;
 * - `upgrade-hook`: `crds/` plus a pre-upgrade hook Job of the chart that applies the new CRDs (enabled);
 * - `separate-chart`: the chart's own CRDs are off and a CRD-only chart (templates) pinned to the same
 *   operator version installs them, as its own release that the chart depends on;
 * - `manual`: `crds/` only, no CRD chart upstream: apply the new CRDs before raising the pin (documented).
 */
export type CrdHandling = 'none' | 'templates' | 'upgrade-hook' | 'separate-chart' | 'manual';

/** One pinned upstream chart. */
export interface PinnedChart {
  /** Repository URL (`https://...`) or OCI registry path (`oci://...`). */
  readonly repository: string;
  readonly chart: string;
  /** Exact chart version (never a range): synth output and deploys are reproducible. */
  readonly version: string;
  /** How its CRDs are installed and upgraded (see `CrdHandling`). */
  readonly crds: CrdHandling;
  /** The chart's `appVersion`, where another pin must match it (an operator and its CRD chart). @default - not recorded */
  readonly appVersion?: string;
}

/** NVIDIA device plugin: advertises `nvidia.com/gpu` on nodes whose driver the cloud installed (EKS, AKS). */
export const NVIDIA_DEVICE_PLUGIN: PinnedChart = {
  repository: 'https://nvidia.github.io/k8s-device-plugin', chart: 'nvidia-device-plugin', version: '0.18.0',
  // its node-feature-discovery subchart (CRDs) is off: nfd.enabled false
  crds: 'none',
};

/** NVIDIA GPU operator (driver and toolkit off: the cloud's GPU image carries them). */
export const NVIDIA_GPU_OPERATOR: PinnedChart = {
  repository: 'https://helm.ngc.nvidia.com/nvidia', chart: 'gpu-operator', version: 'v25.3.4',
  // ClusterPolicy / NVIDIADriver / NFD CRDs in crds/; `operator.upgradeCRD` runs the chart's pre-upgrade Job that applies them
  crds: 'upgrade-hook',
};

/** DCGM exporter: per-GPU health and utilization metrics on port 9400. */
export const DCGM_EXPORTER: PinnedChart = {
  repository: 'https://nvidia.github.io/dcgm-exporter/helm-charts', chart: 'dcgm-exporter', version: '4.1.3', crds: 'none',
};

/** The DCGM exporter image matching the chart (pinned separately so a chart bump never changes it silently). */
export const DCGM_EXPORTER_IMAGE_TAG = '4.2.3-4.1.3-ubuntu22.04';

/** Port the DCGM exporter serves `/metrics` on. */
export const DCGM_EXPORTER_PORT = 9400;

/**
 * Kueue: job queueing with GPU quotas (ClusterQueue / LocalQueue). 0.17.0 is the controller the test twin runs
 * (test/twin: built from the sigs.k8s.io/kueue module of the same version, with these values); its CRDs still
 * serve v1beta1, the version the library renders (deprecated there in favour of v1beta2).
 */
export const KUEUE: PinnedChart = {
  repository: 'oci://registry.k8s.io/kueue/charts', chart: 'kueue', version: '0.17.0',
  // templates/crd/
  crds: 'templates',
};

/**
 * Kueue's manager configuration (config.kueue.x-k8s.io/v1beta1, still read by Kueue 0.17): the chart's defaults plus
 * `waitForPodsReady`, so a distributed job whose pods are not all running within 30 minutes (no GPU
 * capacity, a bad node) gives its quota back and is requeued with backoff instead of holding GPUs idle,
 * and only the job kinds the library runs (batch Jobs, JobSets, PyTorchJobs).
 */
export const KUEUE_MANAGER_CONFIG = {
  apiVersion: 'config.kueue.x-k8s.io/v1beta1',
  kind: 'Configuration',
  health: { healthProbeBindAddress: ':8081' },
  // Quota and usage per ClusterQueue and cohort as metrics (the queue dashboard: who holds the cohort's quota).
  metrics: { bindAddress: ':8443', enableClusterQueueResources: true },
  webhook: { port: 9443 },
  leaderElection: { leaderElect: true, resourceName: 'c1f6bfd2.kueue.x-k8s.io' },
  controller: {
    groupKindConcurrency: {
      'Job.batch': 5, 'Pod': 5, 'Workload.kueue.x-k8s.io': 5, 'LocalQueue.kueue.x-k8s.io': 1,
      'ClusterQueue.kueue.x-k8s.io': 1, 'ResourceFlavor.kueue.x-k8s.io': 1,
    },
  },
  clientConnection: { qps: 50, burst: 100 },
  waitForPodsReady: {
    enable: true,
    timeout: '30m',
    blockAdmission: false,
    requeuingStrategy: { timestamp: 'Eviction', backoffBaseSeconds: 60, backoffMaxSeconds: 3600 },
  },
  integrations: { frameworks: ['batch/job', 'jobset.x-k8s.io/jobset', 'kubeflow.org/pytorchjob'] },
} as const;

/** Kubernetes cluster-autoscaler (EKS only: GKE and AKS run their own). */
export const CLUSTER_AUTOSCALER: PinnedChart = {
  repository: 'https://kubernetes.github.io/autoscaler', chart: 'cluster-autoscaler', version: '9.46.3', crds: 'none',
};

/** The cluster-autoscaler image per Kubernetes minor version (the autoscaler must match the control plane). */
export const CLUSTER_AUTOSCALER_IMAGE_TAGS: Record<string, string> = {
  '1.31': 'v1.31.1',
  '1.32': 'v1.32.0',
  '1.33': 'v1.33.0',
};

/** Namespace of the GPU add-ons (device plugin / operator, DCGM exporter). */
export const GPU_ADDON_NAMESPACE = 'gpu-system';

/** Namespace Kueue runs in (its chart's default). */
export const KUEUE_NAMESPACE = 'kueue-system';

/**
 * DCGM fields the exporter emits: the defaults plus the fault signals alert rules need: XID errors,
 * ECC single/double-bit errors (volatile and aggregate), retired pages and remapped rows, NVLink
 * errors, and throttling (power, thermal, sync-boost, board-limit, reliability).
 */
export const DCGM_COUNTERS: readonly (readonly [field: string, type: 'gauge' | 'counter', help: string])[] = [
  ['DCGM_FI_DEV_SM_CLOCK', 'gauge', 'SM clock frequency (in MHz).'],
  ['DCGM_FI_DEV_MEM_CLOCK', 'gauge', 'Memory clock frequency (in MHz).'],
  ['DCGM_FI_DEV_MEMORY_TEMP', 'gauge', 'Memory temperature (in C).'],
  ['DCGM_FI_DEV_GPU_TEMP', 'gauge', 'GPU temperature (in C).'],
  ['DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W).'],
  ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'counter', 'Total energy consumption since boot (in mJ).'],
  ['DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 'counter', 'Total number of PCIe retries.'],
  ['DCGM_FI_DEV_GPU_UTIL', 'gauge', 'GPU utilization (in %).'],
  ['DCGM_FI_DEV_MEM_COPY_UTIL', 'gauge', 'Memory utilization (in %).'],
  ['DCGM_FI_DEV_FB_FREE', 'gauge', 'Framebuffer memory free (in MiB).'],
  ['DCGM_FI_DEV_FB_USED', 'gauge', 'Framebuffer memory used (in MiB).'],
  ['DCGM_FI_DEV_XID_ERRORS', 'gauge', 'Value of the last XID error encountered.'],
  ['DCGM_FI_DEV_POWER_VIOLATION', 'counter', 'Throttling duration due to power constraints (in us).'],
  ['DCGM_FI_DEV_THERMAL_VIOLATION', 'counter', 'Throttling duration due to thermal constraints (in us).'],
  ['DCGM_FI_DEV_SYNC_BOOST_VIOLATION', 'counter', 'Throttling duration due to sync-boost constraints (in us).'],
  ['DCGM_FI_DEV_BOARD_LIMIT_VIOLATION', 'counter', 'Throttling duration due to board limit constraints (in us).'],
  ['DCGM_FI_DEV_RELIABILITY_VIOLATION', 'counter', 'Throttling duration due to reliability constraints (in us).'],
  ['DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'gauge', 'Current clock event (throttle) reasons, a bitmask (DCGM 3.3+ name).'],
  ['DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', 'counter', 'Total number of single-bit volatile ECC errors.'],
  ['DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'counter', 'Total number of double-bit volatile ECC errors.'],
  ['DCGM_FI_DEV_ECC_SBE_AGG_TOTAL', 'counter', 'Total number of single-bit persistent ECC errors.'],
  ['DCGM_FI_DEV_ECC_DBE_AGG_TOTAL', 'counter', 'Total number of double-bit persistent ECC errors.'],
  ['DCGM_FI_DEV_RETIRED_SBE', 'counter', 'Total number of retired pages due to single-bit errors.'],
  ['DCGM_FI_DEV_RETIRED_DBE', 'counter', 'Total number of retired pages due to double-bit errors.'],
  ['DCGM_FI_DEV_RETIRED_PENDING', 'counter', 'Total number of pages pending retirement.'],
  ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'counter', 'Number of remapped rows for uncorrectable errors.'],
  ['DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', 'counter', 'Number of remapped rows for correctable errors.'],
  ['DCGM_FI_DEV_ROW_REMAP_FAILURE', 'gauge', 'Whether remapping of rows has failed.'],
  ['DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL', 'counter', 'Total number of NVLink flow-control CRC errors.'],
  ['DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL', 'counter', 'Total number of NVLink data CRC errors.'],
  ['DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL', 'counter', 'Total number of NVLink retries.'],
  ['DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL', 'counter', 'Total number of NVLink recovery errors.'],
  ['DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL', 'counter', 'Total number of NVLink bandwidth counters for all lanes.'],
  ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'gauge', 'Ratio of time the graphics engine is active.'],
  ['DCGM_FI_PROF_SM_ACTIVE', 'gauge', 'Ratio of cycles an SM has at least 1 warp assigned.'],
  ['DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', 'gauge', 'Ratio of cycles the tensor (HMMA) pipe is active.'],
  ['DCGM_FI_PROF_DRAM_ACTIVE', 'gauge', 'Ratio of cycles the device memory interface is active.'],
  ['DCGM_FI_PROF_PCIE_TX_BYTES', 'counter', 'Bytes of active PCIe tx data including header and payload.'],
  ['DCGM_FI_PROF_PCIE_RX_BYTES', 'counter', 'Bytes of active PCIe rx data including header and payload.'],
];

/** The counters as the exporter's CSV (`field, type, help` per line). */
export function dcgmCountersCsv(): string {
  return ['# DCGM FIELD, Prometheus metric type, help message (cdktf-ai-infra)',
    ...DCGM_COUNTERS.map(([field, type, help]) => `${field}, ${type}, ${help}`)].join('\n') + '\n';
}

/** AWS EFA device plugin: advertises `vpc.amazonaws.com/efa` on EFA nodes (EKS, pools with EFA only). */
export const AWS_EFA_DEVICE_PLUGIN: PinnedChart = {
  repository: 'https://aws.github.io/eks-charts', chart: 'aws-efa-k8s-device-plugin', version: 'v0.5.7', crds: 'none',
};

/**
 * AWS Load Balancer Controller (chart 1.17.1 = controller v2.17.1): ALBs for Gateway API gateways
 * (`ALBGatewayAPI`, controller >= 2.14). The chart's `crds/` carries its own CRDs, the Gateway ones
 * (`LoadBalancerConfiguration`, `TargetGroupConfiguration`, `ListenerRuleConfiguration`) included.
 */
export const AWS_LOAD_BALANCER_CONTROLLER: PinnedChart = {
  repository: 'https://aws.github.io/eks-charts', chart: 'aws-load-balancer-controller', version: '1.17.1',
  // crds/ only (TargetGroupBinding, IngressClassParams, the Gateway configurations): src/training/README.md, Upgrading add-ons
  crds: 'manual',
};

/**
 * The Gateway API CRDs, standard channel only (Gateway API v1.3.0, the version the AWS Load Balancer
 * Controller v2.17 is built against), from Envoy Gateway's CRD-only chart: its CRDs are templates, so a
 * chart bump upgrades them (Helm never upgrades a chart's `crds/`).
 */
export const GATEWAY_API_CRDS: PinnedChart = {
  repository: 'oci://docker.io/envoyproxy', chart: 'gateway-crds-helm', version: 'v1.5.6', crds: 'templates',
};

/**
 * kured (kubereboot, CNCF): cordons a node, drains it (evictions, respecting PodDisruptionBudgets and each pod's
 * own grace period, so a trainer writes its stop checkpoint), reboots it and uncordons it, one node at a time.
 * The library runs it on GPU nodes with a sentinel that fires on a fatal XID (`gpuXidSentinelCommand`).
 */
export const KURED: PinnedChart = {
  repository: 'https://kubereboot.github.io/charts', chart: 'kured', version: '6.1.0', crds: 'none', appVersion: '1.23.0',
};

/**
 * XIDs after which the GPU needs a reset (a reboot on a cloud VM) before it can be trusted: 48 double-bit ECC,
 * 61/62 internal micro-controller, 63/64 row remapping, 74 NVLink, 79 fallen off the bus, 92 high single-bit
 * ECC rate, 94/95 contained/uncontained ECC, 119/120 GSP. The same set the GpuXidHardwareError alert fires on.
 */
export const FATAL_XIDS: readonly number[] = [48, 61, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120];

/**
 * The extended regular expression that matches a fatal XID in the kernel log, as the NVIDIA driver writes it:
 * `NVRM: Xid (PCI:0000:3b:00): 79, pid=..., GPU has fallen off the bus.` No `: ` (colon space) in it: kured's
 * chart writes the sentinel command into an unquoted YAML scalar, where `: ` would end the scalar.
 */
export const FATAL_XID_PATTERN = `NVRM:.Xid.\\(PCI:[^)]*\\):.(${FATAL_XIDS.join('|')}),`;

/**
 * kured's sentinel command, run on the host (kured enters its mount namespace): exit 0 (reboot) when the kernel
 * log since boot holds a fatal XID, 1 otherwise. A reboot clears the log, so a node reboots once per fault.
 */
export function gpuXidSentinelCommand(): string {
  return `sh -c "dmesg | grep -Eq '${FATAL_XID_PATTERN}'"`;
}

/**
 * Argo Workflows (argoproj/argo-helm chart 1.0.18 = Argo Workflows v4.0.6): the engine of model pipelines
 * (src/pipeline). Controller only (the server / UI is off); its CRDs are the chart's minified templates
 * (`crds.full: false`), upgraded with the chart. Not v4.0.5: advisories are reported against it (the argo CLI
 * the tests build from the v4.0.5 Go module only lints).
 */
export const ARGO_WORKFLOWS: PinnedChart = {
  repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-workflows', version: '1.0.18', crds: 'templates', appVersion: 'v4.0.6',
};

/** Argo Events (controller only: EventSources, Sensors, EventBuses), for model pipelines' new-data triggers. */
export const ARGO_EVENTS: PinnedChart = {
  repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-events', version: '2.4.22', crds: 'templates', appVersion: 'v1.9.10',
};

/** Namespace the Argo Events controller runs in. */
export const ARGO_EVENTS_NAMESPACE = 'argo-events';

/** Namespace the Argo Workflows controller runs in (restricted Pod Security, default-deny ingress). */
export const ARGO_WORKFLOWS_NAMESPACE = 'argo-workflows';
