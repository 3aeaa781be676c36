// The automatic step after a fatal XID: kured on GPU nodes, with a sentinel that reads the kernel log. It cordons
// the node, drains it (evictions honour PDBs and each pod's grace period: the trainer checkpoints on SIGTERM),
// reboots it (which resets the GPU) and uncordons it; the next training restart lands on a healthy node. A GPU
// still broken after the reboot reports the XID again and the cloud's node repair or the alert takes over.
import { gpuXidSentinelCommand } from '../../k8s/charts';
import { LABEL_GPU } from '../../k8s/node-labels';

/** kured's values (chart `KURED`, installed by installGpuAddOns): GPU nodes only, the XID sentinel, one node at a time, never a forced reboot. */
export function xidRemediationValues(tolerations: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    configuration: {
      // The sentinel command is used only with the host-path sentinel off.
      useRebootSentinelHostPath: false,
      rebootSentinelCommand: gpuXidSentinelCommand(),
      period: '5m',
      concurrency: 1,
      // A drain that cannot finish (a PDB at its limit) leaves the node cordoned, not rebooted under its pods.
      forceReboot: false,
      // Each pod's own terminationGracePeriodSeconds: a training pod gets the time its stop checkpoint needs.
      drainGracePeriod: '-1',
      // A node that never comes back does not hold the lock (and every other GPU node's repair) forever.
      lockTtl: '2h',
      annotateNodes: true,
      preRebootNodeLabels: ['cdktf-ai-infra/gpu-remediation=xid-reboot'],
      postRebootNodeLabels: ['cdktf-ai-infra/gpu-remediation=rebooted'],
    },
    affinity: {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: LABEL_GPU, operator: 'Exists' }] }] } },
    },
    tolerations: tolerations.map((t) => ({ ...t })),
    // nsenter into the host's mount namespace (the chart's default; read-only root kept).
    containerSecurityContext: { privileged: true, readOnlyRootFilesystem: true },
    priorityClassName: 'system-node-critical',
    rbac: { create: true },
  };
}
