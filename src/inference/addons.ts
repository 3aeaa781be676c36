// KEDA, the pinned chart every queue-scaled or scheduled endpoint needs; src/clouds/helm/inference-addons.ts
// installs it once per cluster.
import type { AddonChart } from './spi';

/** KEDA, pinned (event-driven autoscaling: Prometheus and cron scalers, scale to zero). */
export const KEDA_CHART: AddonChart = {
  id: 'Keda',
  releaseName: 'keda',
  repository: 'https://kedacore.github.io/charts',
  chart: 'keda',
  version: '2.17.2',
  namespace: 'keda',
  // templates/crds/ (crds.install): upgraded with the chart
  crds: 'templates',
  values: {
    // Two operator replicas (leader election) and a PDB-friendly metrics server.
    operator: { replicaCount: 2 },
    metricsServer: { replicaCount: 2 },
    podDisruptionBudget: { operator: { maxUnavailable: 1 }, metricServer: { maxUnavailable: 1 } },
    securityContext: {
      operator: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    },
    prometheus: { operator: { enabled: true }, metricServer: { enabled: true } },
  },
};
