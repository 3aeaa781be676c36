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

/**
 * The KEDA HTTP add-on, pinned: the request-holding activator of scale-to-zero endpoints. Its interceptor (a proxy
 * every request of such an endpoint passes) holds a request while the endpoint scales from zero and reports the
 * in-flight count to KEDA through its external scaler. Installed once per cluster, into KEDA's namespace, after KEDA.
 */
export const KEDA_HTTP_ADDON_CHART: AddonChart = {
  id: 'KedaHttpAddon',
  releaseName: 'keda-add-ons-http',
  repository: 'https://kedacore.github.io/charts',
  chart: 'keda-add-ons-http',
  // appVersion 0.15.0 (InterceptorRoute with per-route readiness timeout and cold-start fallback, since 0.14)
  version: '0.15.0',
  namespace: 'keda',
  // templates/crds/ (crds.install): upgraded with the chart
  crds: 'templates',
  values: {
    crds: { install: true },
    // Pinned tags come from the chart's appVersion; IfNotPresent instead of the chart's Always (no pull per restart).
    operator: { pullPolicy: 'IfNotPresent' },
    scaler: { pullPolicy: 'IfNotPresent' },
    interceptor: {
      pullPolicy: 'IfNotPresent',
      // Three interceptors at least (the chart's ScaledObject adds more under load), one lost at a time.
      replicas: { min: 3, max: 50 },
      pdb: { enabled: true, maxUnavailable: 1 },
      // Health checks of the cloud gateways probe the admin port's /readyz (see INTERCEPTOR_ADMIN_PORT).
      admin: { port: 9090 },
      proxy: { port: 8080 },
    },
    securityContext: {
      allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true,
      runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' },
    },
  },
};
