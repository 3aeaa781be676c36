import { check, ErrorScope, InvalidPropError } from '../../core/errors';
import { AlertRule, isDuration, RuleGroup } from './rule';

/**
 * DCGM exporter fields the GPU rules read. The cluster's DCGM exporter runs with a counters file that
 * enables them (XID, ECC and clock-event fields are off in the exporter's default file).
 */
export const DCGM_FIELDS = [
  'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_FB_FREE', 'DCGM_FI_DEV_GPU_TEMP',
  'DCGM_FI_DEV_XID_ERRORS', 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL',
  'DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
] as const;

/**
 * XID codes that point at the hardware or the driver rather than the user's program: 48 double-bit ECC,
 * 61/62 internal micro-controller, 63/64 row remapping, 74 NVLink, 79 fallen off the bus, 92 high
 * single-bit ECC rate, 94/95 contained/uncontained ECC, 119/120 GSP errors.
 */
export const HARDWARE_XIDS: readonly number[] = [48, 61, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120];

/**
 * Clock-event (throttle) reason bits (NVML `nvmlClocksEventReason*`) that mean the GPU is slowed by heat or
 * power faults: 0x8 HW slowdown, 0x20 SW thermal slowdown, 0x40 HW thermal slowdown, 0x80 HW power brake.
 * Ignored: 0x1 idle, 0x2 application clocks, 0x4 SW power cap (normal at full load), 0x10 sync boost,
 * 0x100 display clocks.
 */
export const THROTTLE_BITS: readonly number[] = [0x8, 0x20, 0x40, 0x80];

export interface GpuRuleOptions {
  /** A GPU below this utilization (percent, 0.1-100; under 1 warns: not a fraction) for `idleFor` is idle (cost alert). @default 10 */
  readonly idleUtilizationPercent?: number;
  /** How long a GPU must stay idle. @default '1h' */
  readonly idleFor?: string;
  /** Frame-buffer used / total above which a GPU is near full. @default 0.97 */
  readonly memoryUsedRatio?: number;
  /** How long memory must stay near full. @default '30m' */
  readonly memoryFor?: string;
}

export function checkGpuRuleOptions(scope: ErrorScope, prop: string, o: GpuRuleOptions | undefined): void {
  if (!o) return;
  check.numberInRange(scope, `${prop}.idleUtilizationPercent`, o.idleUtilizationPercent, 0.1, 100);
  check.numberInRange(scope, `${prop}.memoryUsedRatio`, o.memoryUsedRatio, 0.5, 1);
  for (const key of ['idleFor', 'memoryFor'] as const) {
    if (o[key] !== undefined && !isDuration(o[key])) {
      throw new InvalidPropError(scope, `${prop}.${key}`, o[key], 'a Prometheus duration such as "30m" or "1h"');
    }
  }
}

const GPU = '{{ $labels.node }} GPU {{ $labels.gpu }} ({{ $labels.modelName }})';

/** Alerts on the GPUs themselves (DCGM exporter) and on GPU nodes (kube-state-metrics). */
export function gpuRules(options: GpuRuleOptions = {}): RuleGroup {
  const idle = options.idleUtilizationPercent ?? 10;
  const idleFor = options.idleFor ?? '1h';
  const memRatio = options.memoryUsedRatio ?? 0.97;
  // Newer DCGM names the field CLOCKS_EVENT_REASONS, older THROTTLE_REASONS: accept either.
  const clockReasons = 'max without () (DCGM_FI_DEV_CLOCKS_EVENT_REASONS or DCGM_FI_DEV_CLOCK_THROTTLE_REASONS)';
  const rules: AlertRule[] = [
    {
      name: 'GpuXidHardwareError',
      expr: `DCGM_FI_DEV_XID_ERRORS == ${HARDWARE_XIDS.map((x) => `${x}`).join(' or DCGM_FI_DEV_XID_ERRORS == ')}`,
      for: '0s',
      severity: 'critical',
      summary: `XID {{ $value }} (hardware/driver) on ${GPU}`,
      description: 'The GPU reported an XID that points at hardware or the driver (ECC, row remap, NVLink, fallen off the bus, GSP). '
        + 'Jobs on this GPU fail or silently slow down; a multi-node training job runs at the pace of its worst GPU.',
      runbook: 'Cordon and drain the node (kubectl cordon/drain), let the training job resume from its last checkpoint on other '
        + 'nodes, then reset the GPU (nvidia-smi -r) or replace the node. Open a support case if the XID repeats after reset.',
    },
    {
      name: 'GpuXidError',
      expr: `DCGM_FI_DEV_XID_ERRORS > 0 unless (DCGM_FI_DEV_XID_ERRORS == ${HARDWARE_XIDS.join(' or DCGM_FI_DEV_XID_ERRORS == ')})`,
      for: '0s',
      severity: 'warning',
      summary: `XID {{ $value }} on ${GPU}`,
      description: 'The GPU reported an XID error (the value is the last XID code). XID 13, 31 and 43 are usually the program '
        + '(illegal memory access, page fault); others may be the driver.',
      runbook: 'Look up the code in the NVIDIA XID catalog and check the pod logs on that node. Application XIDs: fix the program. '
        + 'Repeated non-application XIDs: cordon the node and reset the GPU.',
    },
    {
      name: 'GpuDoubleBitEccError',
      expr: 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL > 0',
      for: '0s',
      severity: 'critical',
      summary: `Uncorrectable (double-bit) ECC errors on ${GPU}`,
      description: '{{ $value }} double-bit ECC errors since the last GPU reset: data in GPU memory was corrupted and could not be '
        + 'corrected. Results computed on this GPU are not trustworthy.',
      runbook: 'Cordon and drain the node, reset the GPU so row remapping takes effect, and run the trainer burn-in '
        + '(aiinfra-train burnin) before uncordoning. Replace the node if errors return.',
    },
    {
      name: 'GpuThermalOrPowerThrottling',
      expr: `(${THROTTLE_BITS.map((bit) => `floor(${clockReasons} / ${bit}) % 2`).join(' + ')}) > 0`,
      for: '10m',
      severity: 'warning',
      summary: `${GPU} is throttled by heat or a power fault`,
      description: 'Clock-event reasons show HW slowdown, SW/HW thermal slowdown or HW power brake ({{ $value }} such reasons active). '
        + 'A throttled GPU slows every collective of a multi-node job.',
      runbook: 'Check DCGM_FI_DEV_GPU_TEMP and power on the GPU fleet dashboard, the node\'s cooling and power supply. '
        + 'Drain the node if it persists; on cloud VMs, replace the instance.',
    },
    {
      name: 'GpuIdle',
      expr: `DCGM_FI_DEV_GPU_UTIL < ${idle}`,
      for: idleFor,
      severity: 'warning',
      summary: `${GPU} idle (< ${idle}% utilization for ${idleFor})`,
      description: `The GPU has been below ${idle}% utilization for ${idleFor} ({{ $value }}% now). An idle accelerator costs the same as a busy one.`,
      runbook: 'Find the pod holding the GPU (label pod/namespace, or kubectl describe node). Stop forgotten notebooks or jobs, '
        + 'lower the endpoint\'s minimum replicas, or let the pool scale to zero.',
      labels: { category: 'cost' },
    },
    {
      name: 'GpuMemoryNearFull',
      expr: `DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > ${memRatio}`,
      for: options.memoryFor ?? '30m',
      severity: 'warning',
      summary: `${GPU} frame buffer over ${Math.round(memRatio * 100)}% used`,
      description: 'GPU memory is almost exhausted ({{ $value | humanizePercentage }}); the next larger batch or longer '
        + 'sequence fails with CUDA out of memory.',
      runbook: 'Lower the micro-batch size or sequence length, enable activation checkpointing or FSDP sharding for training; '
        + 'lower max concurrent sequences or KV-cache fraction for serving.',
    },
    {
      name: 'GpuNodeNotReady',
      expr: '(kube_node_status_condition{condition="Ready",status="true"} == 0) '
        + 'and on (node) (kube_node_status_capacity{resource="nvidia_com_gpu"} > 0)',
      for: '5m',
      severity: 'critical',
      summary: 'GPU node {{ $labels.node }} is not Ready',
      description: 'A node with GPUs has not been Ready for 5 minutes: its pods are being evicted and its GPUs are paid for but unusable.',
      runbook: 'kubectl describe node {{ $labels.node }}: check kubelet, the NVIDIA driver/device plugin pods and disk pressure. '
        + 'Delete the node (the node group replaces it) if it does not recover.',
    },
  ];
  return { name: 'aiinfra-gpu', area: 'gpu', rules };
}
