// Cluster-wide pieces inference endpoints share, installed once per cluster however many endpoints use
// them: KEDA (pinned chart), the Secrets Store CSI driver + the cloud's provider (where the cloud does not
// ship it as a managed add-on) and cluster-scoped gateway objects. Endpoint releases depend on them, so
// CRDs exist before ScaledObjects or SecretProviderClasses are applied. (Endpoint namespaces come from
// k8s/shared-namespace.) Monitoring's Alertmanager secret mounts reuse the Secrets Store chart from here.
import { Construct } from 'constructs';
import { ITerraformDependable, TerraformStack } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import { IGpuCluster } from '../../core/cluster';
import { stableHash } from '../../core/hash';
import { stringify } from '../../core/yaml';
import type { AddonChart } from '../../inference/spi';
import { chartVerification } from '../../k8s/chart-lock';
import { apiObject, cdk8s } from '../../k8s/cdk8s';
import { KubernetesWorkload } from '../../k8s/delivery';
import {
  deliverAddOnNetworkPolicies, flaggerAddOn, isolateKubeSystemReleases, kedaAddOn, kubeSystemAddOn, setAddOnNetworkPolicies,
} from '../../k8s/addon-network-policies';
import { K8sObject } from '../../k8s/objects/object';

/** The once-per-cluster construct; endpoints find it by cluster. */
export class InferenceClusterAddons extends Construct {
  /** The add-ons of `cluster` in the stack of `scope`, made on first use. */
  public static of(scope: Construct, cluster: IGpuCluster): InferenceClusterAddons {
    const stack = TerraformStack.of(scope);
    const id = `InferenceAddons-${stableHash(cluster.node.path)}`;
    return (stack.node.tryFindChild(id) as InferenceClusterAddons | undefined) ?? new InferenceClusterAddons(stack, id, cluster);
  }

  public readonly cluster: IGpuCluster;
  private readonly releases = new Map<string, Release>();
  private sharedObjects?: KubernetesWorkload;
  private activatorWorkload?: KubernetesWorkload;
  /** KEDA's namespace policies (release aiinfra-netpol-keda) and what they admit for the HTTP add-on. */
  private kedaPolicies?: { workload: KubernetesWorkload; namespace: string };
  private httpAddOn = false;
  private readonly gatewaySources = new Set<string>();

  private constructor(scope: Construct, id: string, cluster: IGpuCluster) {
    super(scope, id);
    this.cluster = cluster;
  }

  /** The helm_release of a pinned chart (once), after the releases in `after` (e.g. an add-on after the CRDs of its base). */
  public chart(chart: AddonChart, after: readonly Release[] = []): Release {
    let release = this.releases.get(chart.id);
    if (!release) {
      const dependsOn = [...(this.cluster.addOnDependencies ?? []), ...after];
      release = new Release(this, chart.id, {
        provider: this.cluster.helmProvider,
        name: chart.releaseName,
        namespace: chart.namespace,
        createNamespace: true,
        repository: chart.repository,
        chart: chart.chart,
        version: chart.version,
        ...chartVerification(this, chart),
        values: [stringify(chart.values, { sortMapEntries: true })],
        ...(chart.skipCrds ? { skipCrds: true } : {}),
        atomic: true,
        cleanupOnFail: true,
        timeout: 900,
        dependsOn: dependsOn.length > 0 ? dependsOn : undefined,
      });
      this.releases.set(chart.id, release);
      // KEDA's namespace: default-deny with the webhook, metrics API and scrape flows it needs (issue 21).
      if (chart.chart === 'keda') {
        const workload = deliverAddOnNetworkPolicies(this, `${chart.id}NetworkPolicies`, this.cluster, [kedaAddOn(chart.namespace)], [release]);
        if (workload) this.kedaPolicies = { workload, namespace: chart.namespace };
      }
      // Flagger's namespace: default-deny with its API server, Prometheus query and scrape flows (issue 21).
      if (chart.chart === 'flagger') {
        deliverAddOnNetworkPolicies(this, `${chart.id}NetworkPolicies`, this.cluster, [flaggerAddOn(chart.namespace)], [release]);
      }
      // Our add-ons in kube-system (the Secrets Store CSI driver and provider): isolated pod by pod, as the cluster's
      // own kube-system add-ons are; the cloud's components there stay as they are.
      if (chart.namespace === 'kube-system' && kubeSystemAddOn(chart.chart, chart.releaseName).length > 0) {
        const workload = new KubernetesWorkload(this, `${chart.id}NetworkPolicies`, {
          cluster: this.cluster, namespace: 'kube-system', dependOnClusterAddons: false, releaseName: `aiinfra-netpol-${chart.releaseName}`.slice(0, 53),
          description: `NetworkPolicies of the ${chart.releaseName} pods in kube-system (cdktf-ai-infra)`,
        });
        isolateKubeSystemReleases(workload, this.cluster, [release]);
      }
      // The HTTP add-on lives in KEDA's namespace: its components' flows join that namespace's policies. Their
      // release does not wait for the add-on, so a default-deny without them never holds up its install.
      if (chart.chart === 'keda-add-ons-http') {
        this.httpAddOn = true;
        this.updateKedaPolicies();
      }
    }
    return release;
  }

  /**
   * Sources a scale-to-zero endpoint's gateway connects to the activator's interceptor from (its `allowedCidrs`, else
   * the cloud's gateway data plane ranges): the interceptor's proxy and health-check ports admit the union.
   */
  public admitActivatorSources(cidrs: readonly string[]): void {
    const before = this.gatewaySources.size;
    cidrs.forEach((c) => this.gatewaySources.add(c));
    if (this.gatewaySources.size !== before) this.updateKedaPolicies();
  }

  private updateKedaPolicies(): void {
    if (!this.kedaPolicies || !this.httpAddOn) return;
    const { workload, namespace } = this.kedaPolicies;
    setAddOnNetworkPolicies(workload, kedaAddOn(namespace, { gatewaySources: [...this.gatewaySources], podCidrs: this.cluster.podCidrs }), this.cluster.cloud);
  }

  /**
   * Cluster-scoped objects the cloud's gateway needs (e.g. the AWS ALB GatewayClass), delivered once,
   * after `dependsOn` (the gateway controller and its CRDs).
   */
  public gatewayObjects(objects: readonly K8sObject[], dependsOn: readonly ITerraformDependable[] = []): KubernetesWorkload | undefined {
    if (objects.length === 0) return undefined;
    if (!this.sharedObjects) {
      this.sharedObjects = new KubernetesWorkload(this, 'Shared', {
        cluster: this.cluster,
        namespace: 'kube-system',
        releaseName: 'aiinfra-inference-shared',
        description: 'Cluster-scoped objects of inference endpoints (cdktf-ai-infra)',
      });
      if (dependsOn.length) this.sharedObjects.addDependency(...dependsOn);
      const chart = this.sharedObjects.chart;
      objects.forEach((o, i) => {
        const obj = apiObject(chart, `Object${i}`, { ...o });
        // Cluster-scoped (GatewayClass): no namespace, whatever the chart's default.
        if (o.metadata.namespace === undefined) obj.addJsonPatch(cdk8s().JsonPatch.remove('/metadata/namespace'));
      });
    }
    return this.sharedObjects;
  }

  /**
   * Namespaced objects of the request-holding activator that belong to the cluster, not to one endpoint (the gateway's
   * health check and timeout policies of the interceptor's proxy Service, in the add-on's namespace): delivered once,
   * by the first scale-to-zero endpoint, after `dependsOn` (the add-on and the gateway's CRDs).
   */
  public activatorObjects(objects: readonly K8sObject[], dependsOn: readonly ITerraformDependable[] = []): KubernetesWorkload | undefined {
    if (objects.length === 0) return undefined;
    if (!this.activatorWorkload) {
      this.activatorWorkload = new KubernetesWorkload(this, 'Activator', {
        cluster: this.cluster,
        namespace: objects[0].metadata.namespace ?? 'keda',
        releaseName: 'aiinfra-inference-activator',
        description: 'Gateway policies of the KEDA HTTP add-on interceptor (cdktf-ai-infra)',
      });
      if (dependsOn.length) this.activatorWorkload.addDependency(...dependsOn);
      objects.forEach((o, i) => apiObject(this.activatorWorkload!.chart, `Object${i}`, { ...o }));
    }
    return this.activatorWorkload;
  }

  /** Everything installed so far (endpoint releases depend on these). */
  public get dependables(): ITerraformDependable[] {
    return [...this.releases.values()];
  }
}
