// The workflow engine of model pipelines: Argo Workflows (pinned chart, controller only), installed once per cluster
// however many pipelines use it, in its own namespace with restricted Pod Security and default-deny NetworkPolicies.
import { Construct } from 'constructs';
import { ITerraformDependable, TerraformStack } from 'cdktf';
import { IGpuCluster } from '../core/cluster';
import { stableHash } from '../core/hash';
import { pinnedRelease } from '../clouds/helm/add-ons';
import { apiObject } from '../k8s/cdk8s';
import { ARGO_WORKFLOWS, ARGO_WORKFLOWS_NAMESPACE } from '../k8s/charts';
import { KubernetesWorkload } from '../k8s/delivery';
import { addDefaultDenyNetworkPolicy, addDnsEgressNetworkPolicy, addMetricsIngressNetworkPolicy, addNamespace, MANAGED_BY_LABELS } from '../k8s/namespace';
import { LABEL_POOL } from '../k8s/node-labels';
import { restrictedContainerSecurityContext } from '../k8s/security';

/** Port of the workflow controller's Prometheus metrics (controller and custom pipeline metrics). */
export const ARGO_CONTROLLER_METRICS_PORT = 9090;
/** Labels of the workflow controller's pods (the chart's). */
export const ARGO_CONTROLLER_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/component': 'workflow-controller' };
/** Helm release name of the engine. */
export const ARGO_WORKFLOWS_RELEASE = 'argo-workflows';

/**
 * The API server, as pods reach it: the `kubernetes` Service's endpoints, which live outside the pod network on every
 * cloud (EKS control-plane ENIs in the VPC, GKE's private endpoint range, AKS's API server VNet integration or a
 * public address) and are not known at synth. NetworkPolicy sees the endpoint address after DNAT, so egress to
 * them is allowed by port (443 and 6443), for the pods that need the API only.
 */
export function apiServerEgress(name: string, namespace: string, podLabels: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: { ...MANAGED_BY_LABELS } },
    spec: {
      podSelector: { matchLabels: { ...podLabels } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] }],
    },
  };
}

/** Argo Workflows on one cluster; pipelines find it with `WorkflowEngine.of`. */
export class WorkflowEngine extends Construct {
  /** The engine of `cluster` in the stack of `scope`, made on first use. */
  public static of(scope: Construct, cluster: IGpuCluster): WorkflowEngine {
    const stack = TerraformStack.of(scope);
    const id = `WorkflowEngine-${stableHash(cluster.node.path)}`;
    return (stack.node.tryFindChild(id) as WorkflowEngine | undefined) ?? new WorkflowEngine(stack, id, cluster);
  }

  public readonly cluster: IGpuCluster;
  public readonly namespace = ARGO_WORKFLOWS_NAMESPACE;
  /** Labels of the controller's pods (scraped for the pipeline metrics). */
  public readonly controllerPodLabels = ARGO_CONTROLLER_POD_LABELS;
  /** Name of the controller's metrics container port. */
  public readonly metricsPortName = 'metrics';
  /** The namespace, its policies (a release of its own, before the chart). */
  public readonly setup: KubernetesWorkload;
  /** The helm_release of the chart (escape hatch). */
  public readonly release: ITerraformDependable;

  private constructor(scope: Construct, id: string, cluster: IGpuCluster) {
    super(scope, id);
    this.cluster = cluster;
    this.setup = new KubernetesWorkload(this, 'Namespace', {
      cluster, namespace: ARGO_WORKFLOWS_NAMESPACE, releaseNamespace: cluster.addOnNamespace ?? 'kube-system',
      releaseName: 'aiinfra-workflow-engine', description: 'Argo Workflows namespace and policies (cdktf-ai-infra)',
    });
    const chart = this.setup.chart;
    addNamespace(chart, 'Ns', { name: ARGO_WORKFLOWS_NAMESPACE });
    addDefaultDenyNetworkPolicy(chart, 'DefaultDeny', ARGO_WORKFLOWS_NAMESPACE);
    addDnsEgressNetworkPolicy(chart, 'Dns', ARGO_WORKFLOWS_NAMESPACE);
    apiObject(chart, 'ApiServer', apiServerEgress('allow-apiserver-egress', ARGO_WORKFLOWS_NAMESPACE, { ...ARGO_CONTROLLER_POD_LABELS }) as never);
    // Prometheus (wherever it runs) scrapes the controller's metrics: the pipeline alerts read them.
    addMetricsIngressNetworkPolicy(chart, 'Metrics', {
      name: 'allow-controller-metrics', namespace: ARGO_WORKFLOWS_NAMESPACE, podLabels: { ...ARGO_CONTROLLER_POD_LABELS }, port: ARGO_CONTROLLER_METRICS_PORT,
    });
    this.release = pinnedRelease(this, 'ArgoWorkflows', ARGO_WORKFLOWS, {
      provider: cluster.helmProvider, name: ARGO_WORKFLOWS_RELEASE, namespace: ARGO_WORKFLOWS_NAMESPACE,
      values: argoWorkflowsValues(), dependsOn: [this.setup.release, ...(cluster.addOnDependencies ?? [])],
    });
  }
}

/** Chart values: controller only, restricted executor and controller, metrics on, templates referenced strictly. */
export function argoWorkflowsValues(): Record<string, unknown> {
  const restricted = { ...restrictedContainerSecurityContext(8737) };
  return {
    // Minified CRDs as templates (upgraded with the chart); the full ones come from a hook Job downloading from GitHub.
    crds: { install: true, keep: true, full: false },
    // No UI or API server: pipelines are run by their CronWorkflow, their event sensor, or `argo submit` (kubectl access).
    server: { enabled: false },
    // Pipelines bring their own ServiceAccount and Role each: no shared, broad workflow ServiceAccount.
    workflow: { serviceAccount: { create: false }, rbac: { create: false } },
    controller: {
      replicas: 1,
      nodeSelector: { [LABEL_POOL]: 'system' },
      priorityClassName: 'system-cluster-critical',
      securityContext: restricted,
      podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      metricsConfig: { enabled: true, port: ARGO_CONTROLLER_METRICS_PORT, portName: 'metrics', secure: false },
      // Only Workflows that reference a WorkflowTemplate run: nobody with `create workflows` runs an arbitrary spec.
      workflowRestrictions: { templateReferencing: 'Strict' },
      // Namespaced WorkflowTemplates only: no cluster-wide template RBAC for the controller.
      clusterWorkflowTemplates: { enabled: false },
      workflowDefaults: { spec: { ttlStrategy: { secondsAfterCompletion: 7 * 24 * 3600 }, podGC: { strategy: 'OnPodSuccess' } } },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    },
    // The executor's init and wait containers run in every step pod: restricted, like the steps.
    executor: { securityContext: restricted, resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } } },
    mainContainer: { securityContext: restricted },
  };
}
