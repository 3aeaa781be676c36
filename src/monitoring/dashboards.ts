import endpoint from './dashboards/endpoint.json';
import gpuFleet from './dashboards/gpu-fleet.json';
import modelPipeline from './dashboards/model-pipeline.json';
import tenantCost from './dashboards/tenant-cost.json';
import tenantQueue from './dashboards/tenant-queue.json';
import trainingRun from './dashboards/training-run.json';
import { configMap } from '../k8s/objects/config-map';

/** A bundled Grafana dashboard (JSON model). */
export interface Dashboard {
  /** File name stem and ConfigMap key (`gpu-fleet`). */
  readonly name: string;
  readonly uid: string;
  readonly title: string;
  /** The dashboard JSON model. */
  readonly model: Record<string, unknown>;
}

/** The dashboards in src/monitoring/dashboards/: GPU fleet, training run, inference endpoint, tenant cost, tenant queue, model pipelines. */
export const DASHBOARDS: readonly Dashboard[] = [
  { name: 'gpu-fleet', uid: gpuFleet.uid, title: gpuFleet.title, model: gpuFleet as Record<string, unknown> },
  { name: 'training-run', uid: trainingRun.uid, title: trainingRun.title, model: trainingRun as Record<string, unknown> },
  { name: 'endpoint', uid: endpoint.uid, title: endpoint.title, model: endpoint as Record<string, unknown> },
  { name: 'tenant-cost', uid: tenantCost.uid, title: tenantCost.title, model: tenantCost as Record<string, unknown> },
  { name: 'tenant-queue', uid: tenantQueue.uid, title: tenantQueue.title, model: tenantQueue as Record<string, unknown> },
  { name: 'model-pipeline', uid: modelPipeline.uid, title: modelPipeline.title, model: modelPipeline as Record<string, unknown> },
];

/** Label the Grafana sidecar of kube-prometheus-stack watches for dashboard ConfigMaps. */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';

/** A ConfigMap the Grafana sidecar loads (one dashboard per ConfigMap, under the folder "AI platform"). */
export function dashboardConfigMap(d: Dashboard, namespace: string, labels: Record<string, string>): Record<string, unknown> {
  return configMap({
    name: `aiinfra-dashboard-${d.name}`,
    namespace,
    labels: { ...labels, [GRAFANA_DASHBOARD_LABEL]: '1' },
    annotations: { grafana_folder: 'AI platform' },
    data: { [`${d.name}.json`]: `${JSON.stringify(d.model, null, 1)}\n` },
  });
}
