import { Construct } from 'constructs';
import { ITerraformDependable, TerraformProvider } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import { stringify } from '../../core/yaml';
import {
  DCGM_EXPORTER, DCGM_EXPORTER_IMAGE_TAG, DCGM_EXPORTER_PORT, dcgmCountersCsv, GPU_ADDON_NAMESPACE, KUEUE, KUEUE_MANAGER_CONFIG, KUEUE_NAMESPACE,
  KURED, NVIDIA_DEVICE_PLUGIN, NVIDIA_GPU_OPERATOR, PinnedChart,
} from '../../k8s/charts';
import { chartVerification } from '../../k8s/chart-lock';
import { xidRemediationValues } from './gpu-remediation';
import { LABEL_GPU, LABEL_POOL } from '../../k8s/node-labels';
import { containerResources } from '../../k8s/objects/container';

/** What the GPU add-ons need to know about the cluster. */
export interface GpuAddOnOptions {
  readonly helmProvider: TerraformProvider;
  /** Install a device plugin ('device-plugin'), the GPU operator, or nothing (GKE runs its own). */
  readonly gpuSoftware: 'device-plugin' | 'gpu-operator' | 'cloud-managed';
  /** The node image carries the NVIDIA container toolkit (EKS AL2023 NVIDIA, AKS GPU images). */
  readonly toolkitOnNodes: boolean;
  readonly dcgmExporter: boolean;
  readonly kueue: boolean;
  /** Taints GPU nodes carry (the add-on DaemonSets tolerate them). */
  readonly tolerations: readonly { key: string; operator: 'Exists' | 'Equal'; value?: string; effect?: string }[];
  /**
   * Host directory of the NVIDIA driver when it is not in the default library path (GKE:
   * `/home/kubernetes/bin/nvidia`); mounted into the DCGM exporter at `/usr/local/nvidia`.
   * @default - the driver is on the host's default paths
   */
  readonly driverHostPath?: string;
  /** What the releases wait for (the system node pool). */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** DaemonSets of GPU add-ons run only on GPU nodes (our GPU label). */
const GPU_NODE_AFFINITY = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: LABEL_GPU, operator: 'Exists' }] }],
    },
  },
};

/** A helm_release of a pinned upstream chart with YAML values (deterministic: keys as given). */
export function pinnedRelease(scope: Construct, id: string, chart: PinnedChart, opts: {
  provider: TerraformProvider; name: string; namespace: string; values: Record<string, unknown>; dependsOn?: readonly ITerraformDependable[];
  /** Adopt existing objects the release renders (CRDs another release, or Helm's `crds/` install, made). */
  takeOwnership?: boolean;
}): Release {
  return new Release(scope, id, {
    provider: opts.provider,
    name: opts.name,
    namespace: opts.namespace,
    createNamespace: true,
    repository: chart.repository,
    chart: chart.chart,
    version: chart.version,
    // verify + keyring where the publisher signs this version (src/k8s/charts.lock.json)
    ...chartVerification(scope, chart),
    values: [stringify(opts.values, { sortMapEntries: true, lineWidth: 0, blockQuote: 'literal' })],
    atomic: true,
    cleanupOnFail: true,
    timeout: 900,
    // A chart whose pre-upgrade hook applies new CRDs renders objects of the new schema before the hook has
    // run: client-side validation against the old CRDs must not reject them (NVIDIA's documented upgrade).
    ...(chart.crds === 'upgrade-hook' ? { disableOpenapiValidation: true } : {}),
    ...(opts.takeOwnership ? { takeOwnership: true } : {}),
    dependsOn: opts.dependsOn ? [...opts.dependsOn] : undefined,
  });
}

/**
 * The GPU add-ons as pinned Helm releases: NVIDIA device plugin or GPU operator (driver off: the cloud
 * installs it), the DCGM exporter with the counters alert rules rely on (XID, ECC, throttling...), kured
 * with the fatal-XID sentinel (src/clouds/helm/gpu-remediation.ts) and Kueue. Returns the releases (workload releases depend on them).
 */
export function installGpuAddOns(scope: Construct, opts: GpuAddOnOptions): Release[] {
  const common = { provider: opts.helmProvider, dependsOn: opts.dependsOn };
  const tolerations = opts.tolerations.map((t) => ({ ...t }));
  const releases: Release[] = [];
  if (opts.gpuSoftware === 'device-plugin') {
    releases.push(pinnedRelease(scope, 'NvidiaDevicePlugin', NVIDIA_DEVICE_PLUGIN, {
      ...common, name: 'nvidia-device-plugin', namespace: GPU_ADDON_NAMESPACE, values: devicePluginValues(tolerations),
    }));
  } else if (opts.gpuSoftware === 'gpu-operator') {
    releases.push(pinnedRelease(scope, 'NvidiaGpuOperator', NVIDIA_GPU_OPERATOR, {
      ...common, name: 'gpu-operator', namespace: GPU_ADDON_NAMESPACE, values: gpuOperatorValues(tolerations, opts.toolkitOnNodes),
    }));
  }
  if (opts.dcgmExporter) {
    releases.push(pinnedRelease(scope, 'DcgmExporter', DCGM_EXPORTER, {
      ...common, name: 'dcgm-exporter', namespace: GPU_ADDON_NAMESPACE, values: dcgmExporterValues(tolerations, opts.driverHostPath),
    }));
  }
  // The automatic step after a fatal XID (cordon, drain, reboot, uncordon); no workload waits for it.
  pinnedRelease(scope, 'GpuXidRemediation', KURED, {
    ...common, name: 'gpu-xid-remediation', namespace: GPU_ADDON_NAMESPACE, values: xidRemediationValues(tolerations),
  });
  if (opts.kueue) {
    releases.push(pinnedRelease(scope, 'Kueue', KUEUE, { ...common, name: 'kueue', namespace: KUEUE_NAMESPACE, values: kueueValues() }));
  }
  return releases;
}

function devicePluginValues(tolerations: Record<string, unknown>[]): Record<string, unknown> {
  return {
    affinity: GPU_NODE_AFFINITY,
    tolerations,
    gfd: { enabled: false },
    nfd: { enabled: false },
    priorityClassName: 'system-node-critical',
    migStrategy: 'none',
    failOnInitError: true,
    deviceListStrategy: 'envvar',
  };
}

function gpuOperatorValues(tolerations: Record<string, unknown>[], toolkitOnNodes: boolean | undefined): Record<string, unknown> {
  return {
    // The chart's pre-upgrade Job applies the ClusterPolicy/NVIDIADriver/NFD CRDs of the new version.
    operator: { defaultRuntime: 'containerd', upgradeCRD: true },
    driver: { enabled: false },
    toolkit: { enabled: !toolkitOnNodes },
    dcgmExporter: { enabled: false },
    devicePlugin: { enabled: true },
    migManager: { enabled: false },
    daemonsets: { tolerations, priorityClassName: 'system-node-critical' },
    nfd: { enabled: true },
  };
}

function dcgmExporterValues(tolerations: Record<string, unknown>[], driverHostPath: string | undefined): Record<string, unknown> {
  return {
    image: { tag: DCGM_EXPORTER_IMAGE_TAG },
    arguments: ['-f', '/etc/dcgm-exporter/default-counters.csv'],
    customMetrics: dcgmCountersCsv(),
    extraConfigMapVolumes: [{
      name: 'exporter-metrics-volume',
      configMap: { name: 'exporter-metrics-config-map', items: [{ key: 'metrics', path: 'default-counters.csv' }] },
    }],
    extraVolumeMounts: [
      { name: 'exporter-metrics-volume', mountPath: '/etc/dcgm-exporter/default-counters.csv', subPath: 'default-counters.csv' },
      ...(driverHostPath ? [{ name: 'nvidia-driver', mountPath: '/usr/local/nvidia', readOnly: true }] : []),
    ],
    ...(driverHostPath ? {
      extraHostVolumes: [{ name: 'nvidia-driver', hostPath: driverHostPath }],
      extraEnv: [{ name: 'LD_LIBRARY_PATH', value: '/usr/local/nvidia/lib64' }],
    } : {}),
    service: { enable: true, port: DCGM_EXPORTER_PORT },
    // The monitoring stack adds its own scrape config; the ServiceMonitor CRD may not exist yet.
    serviceMonitor: { enabled: false },
    podLabels: { 'app.kubernetes.io/part-of': 'cdktf-ai-infra' },
    affinity: GPU_NODE_AFFINITY,
    tolerations,
    priorityClassName: 'system-node-critical',
    resources: containerResources('100m', '256Mi', '1Gi'),
  };
}

function kueueValues(): Record<string, unknown> {
  return {
    controllerManager: {
      replicas: 2,
      manager: { priorityClassName: 'system-cluster-critical' },
      nodeSelector: { [LABEL_POOL]: 'system' },
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
    },
    managerConfig: { controllerManagerConfigYaml: stringify(KUEUE_MANAGER_CONFIG, { lineWidth: 0 }) },
    enablePrometheus: false,
  };
}
