import { Construct, IConstruct } from 'constructs';
import { apiObject } from '../k8s/cdk8s';
import { Annotations, ITerraformDependable, TerraformResource, TerraformStack, Token } from 'cdktf';
import { Cloud } from '../core/cloud';
import { GpuPoolInfo, IGpuCluster } from '../core/cluster';
import { check, InvalidPropError } from '../core/errors';
import { cidrContains } from '../core/cidr';
import { Gpu, GpuMachineType } from '../core/gpu';
import { IWorkloadIdentity } from '../core/identity';
import { WorkloadIdentity } from '../core/workload-identity';
import { checkImageUri } from '../core/image';
import { ModelReference } from '../core/model-store';
import { checkUserTags } from '../core/tags';
import { KubernetesWorkload } from '../k8s/delivery';
import { checkDnsLabel, constructDnsLabel } from '../k8s/names';
import { sharedNamespace } from '../k8s/shared-namespace';
import { InferenceClusterAddons } from '../clouds/helm/inference-addons';
import { targetFor } from '../clouds/registry';
import { ContainerInput, mergeEnv, ProbePaths } from '../k8s/objects/container';
import { deployment } from '../k8s/objects/deployment';
import { gateway } from '../k8s/objects/gateway';
import { cpuHorizontalPodAutoscaler } from '../k8s/objects/horizontal-pod-autoscaler';
import { httpRoute } from '../k8s/objects/http-route';
import { identityEgressPolicy, networkPolicy } from '../k8s/objects/network-policy';
import { EnvVar, K8sObject, Toleration } from '../k8s/objects/object';
import { podDisruptionBudget } from '../k8s/objects/pod-disruption-budget';
import { priorityClass } from '../k8s/objects/priority-class';
import { cronTrigger, KedaTrigger, prometheusTrigger, scaledObject } from '../k8s/objects/scaled-object';
import { csiSecretVolume, secretProviderClass } from '../k8s/objects/secret-provider-class';
import { service } from '../k8s/objects/service';
import { serviceAccount } from '../k8s/objects/service-account';
import { serviceMonitor } from '../k8s/objects/service-monitor';
import { gpuPodTolerations } from '../k8s/objects/toleration';
import { KEDA_CHART, KEDA_HTTP_ADDON_CHART } from './addons';
import {
  ACTIVATOR_BACKEND_POD_LABELS, ACTIVATOR_NAMESPACE, activatorObjects, coldStartEstimate, httpAddonTrigger, INTERCEPTOR_PEER, INTERCEPTOR_PROXY_PORT, INTERCEPTOR_PROXY_SERVICE,
  interceptorBackend, interceptorPodMonitor, MAX_WAIT_SECONDS, resolveActivator, ResolvedActivator, ROUTE_HEADER, routeHeaderValue,
} from './activator';
import type { ApiKeyParts, ExposureParts, InferenceSpi } from './spi';
import { API_KEYS_DIR, API_KEYS_FILE, commonLabels, podLabels, SERVER_PORT, SERVICE_PORT } from './manifests';
import { errorRatio, gaugeSum, histogramQuantile, RUNTIME_METRICS, seriesSelector } from './metrics';
import { bytesPerParameter, checkModelFits, formatCount } from './sizing';
import {
  AuthOptions, AutoscalingOptions, EndpointSlo, ExposureOptions, IEndpointMonitoring, InferenceEndpointProps, InferencePrecision,
  InferenceQuantization, InferenceRuntime, isModelImage, ModelImage, ScheduleWindow,
} from './types';
import { ADAPTER_NAME, EndpointAdapter, MAX_ADAPTERS, MAX_GPU_LORAS, maxLoraRankFor, sameModel, VLLM_LORA_RANKS } from './lora';
import { EXPORT_DIR, vllmModelParts } from './model-loading';
import { BUILTIN_QUANTIZATIONS, defaultRuntime, TINY_MODEL_PARAMS, VLLM_IMAGE, VLLM_QUANTIZATIONS, vllmArgs, vllmQuantizationProblem } from './vllm';
import { checkStateLocation } from '../core/state-backend';
import { KUBERNETES_SUPPRESSION_PREFIX } from '../policy/suppress';
import { contributeSummary, SummaryPart } from '../summary';
import { registerPoolDemand, poolDemands } from '../core/pool-demand';
import { resolveRollout, ResolvedRollout, rolloutHeadroom } from './rollout';
import { IProgressiveDeployTarget, ModelRegistryReference } from '../core/deploy-target';
import { RegistryModelReference } from '../core/model-store';
import { canary as flaggerCanary } from '../k8s/objects/canary';
import {
  analysisObjects, autoscalerRef, DEPLOYMENT_SELECTOR_LABEL, FLAGGER_CHART, MODEL_VERSION_ANNOTATION, rejectManualCanary, resolveCanary, ResolvedCanary,
} from './progressive-delivery';
import { builtinResolveParts, isRegistryModel, registryAsModel, vllmResolveParts } from './registry-model';

/** The props after the model is normalized: a registry alias becomes its root as a model reference (resolved in the pod). */
type EndpointProps = Omit<InferenceEndpointProps, 'model'> & { readonly model: ModelReference | ModelImage };

/** How the replica count is managed, after defaults. */
export interface ResolvedScaling {
  readonly kind: 'keda' | 'hpa' | 'fixed';
  readonly metric: 'queue' | 'cpu' | 'none';
  readonly min: number;
  readonly max: number;
  readonly scaleToZero: boolean;
  readonly prometheusUrl?: string;
  readonly targetQueueDepth: number;
  readonly targetCpuUtilization: number;
  readonly cooldownSeconds: number;
}

/** The cloud and GPU pool the endpoint runs on, after defaults. */
interface ResolvedPlacement {
  readonly cloud: Cloud;
  readonly pool: GpuPoolInfo;
}

/** Runtime, namespace and per-replica GPU settings, after defaults. */
interface ResolvedServer {
  readonly runtime: InferenceRuntime;
  readonly namespace: string;
  readonly gpus: number;
  /** Tensor parallel size (vLLM); the rest of `gpus` is pipeline parallel. */
  readonly tp: number;
  readonly precision: InferencePrecision;
  readonly quantization: InferenceQuantization;
}

/** How traffic reaches the endpoint, after defaults. */
interface ResolvedTraffic {
  readonly exposure: ExposureOptions;
  readonly auth: AuthOptions;
  readonly isPublic: boolean;
  readonly apiKeyOn: boolean;
  /** Progressive delivery (Flagger) is on: `canary` is set. */
  readonly progressive: boolean;
  readonly usesGateway: boolean;
}

/** Request, drain and startup timing of a replica (seconds), after defaults. */
interface ResolvedTiming {
  readonly requestTimeout: number;
  readonly preStop: number;
  readonly startupSeconds: number;
}

/** What the render helpers share once the endpoint's settings are resolved and its cloud parts made. */
interface EndpointContext {
  readonly props: EndpointProps;
  readonly app: string;
  readonly registry?: RegistryModelReference;
  readonly labels: Record<string, string>;
  readonly server: ResolvedServer;
  readonly traffic: ResolvedTraffic;
  readonly timing: ResolvedTiming;
  readonly parts: InferenceSpi;
  readonly exposureParts: ExposureParts;
  readonly apiKey?: ApiKeyParts;
  readonly saAnnotations: Record<string, string>;
  /** Name of the API key's SecretProviderClass. */
  readonly spcName: string;
  /** The request-holding activator of a scale-to-zero endpoint. */
  readonly activator?: ResolvedActivator;
}

type VolumeMount = { name: string; mountPath: string; readOnly?: boolean };

/** The runtime-specific half of a server pod. */
interface ServerParts {
  readonly command?: string[];
  readonly args?: string[];
  readonly env: readonly EnvVar[];
  readonly probes: ProbePaths;
  readonly initContainers: Record<string, unknown>[];
  readonly volumes: Record<string, unknown>[];
  readonly mounts: VolumeMount[];
  /** Local disk of the model copy (GiB). */
  cacheGiB: number;
}

/** The pod of one track, before the Deployment wraps it. */
interface PodParts {
  readonly container: ContainerInput;
  readonly probes: ProbePaths;
  readonly initContainers: readonly Record<string, unknown>[];
  readonly volumes: readonly Record<string, unknown>[];
  readonly diskGiB: number;
}

/** The Deployment's settings. */
interface TrackSpec {
  readonly name: string;
  readonly model: ModelReference | ModelImage;
  readonly image: string;
}

const DEFAULT_NAMESPACE = 'inference';
const INTERNAL_HTTP_REASON = 'Internal endpoint: its gateway serves plain HTTP inside the cluster network, like the internal load balancer '
  + 'of an endpoint without a gateway; exposure.type public adds TLS and an API key.';
const DEFAULT_SCRAPER_NAMESPACE = 'monitoring';
const MAX_REQUEST_TIMEOUT_SECONDS = 3600;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** An inference endpoint as other constructs see it (MonitoringStack, dashboards, clients). */
export interface IInferenceEndpoint extends IConstruct {
  readonly cluster: IGpuCluster;
  /** Kubernetes name of the stable Deployment and Service. */
  readonly name: string;
  readonly namespace: string;
  readonly runtime: InferenceRuntime;
  readonly url: string;
  /** Label matchers of the endpoint's series. */
  selector(): string;
  metricLatency(quantile?: number, window?: string): string;
  metricLatencyP95(window?: string): string;
  metricTimeToFirstToken(quantile?: number, window?: string): string;
  metricErrorRatio(window?: string): string;
  metricQueueDepth(): string;
  metricTokensPerSecond(window?: string): string;
  metricKvCacheUsage(): string;
}

/** An endpoint made elsewhere (another stack), for monitoring and clients. */
export interface InferenceEndpointAttributes {
  readonly cluster: IGpuCluster;
  readonly name: string;
  /** @default 'inference' */
  readonly namespace?: string;
  /** @default 'builtin' */
  readonly runtime?: InferenceRuntime;
  /** @default - the in-cluster Service URL */
  readonly url?: string;
  /**
   * The endpoint has progressive delivery (`canary`): its series come from the Services Flagger makes,
   * `<name>-primary` and `<name>-canary`. @default false
   */
  readonly hasCanary?: boolean;
}

/** PromQL accessors shared by a new and an imported endpoint. */
abstract class EndpointMetrics extends Construct {
  public abstract readonly name: string;
  public abstract readonly namespace: string;
  public abstract readonly runtime: InferenceRuntime;
  public abstract readonly hasCanary: boolean;

  /** PromQL: p-quantile of end-to-end request latency (seconds) over `window`, all tracks. */
  public metricLatency(quantile = 0.95, window = '5m'): string {
    return histogramQuantile(RUNTIME_METRICS[this.runtime].requestDuration, this.selector(), quantile, window);
  }

  /** PromQL: p95 of end-to-end request latency (seconds). */
  public metricLatencyP95(window = '5m'): string {
    return this.metricLatency(0.95, window);
  }

  /** PromQL: p-quantile of time to first token (seconds). */
  public metricTimeToFirstToken(quantile = 0.95, window = '5m'): string {
    return histogramQuantile(RUNTIME_METRICS[this.runtime].timeToFirstToken, this.selector(), quantile, window);
  }

  /** PromQL: share of requests answered with a server error (and 429 queue-full for builtin). */
  public metricErrorRatio(window = '5m'): string {
    return errorRatio(RUNTIME_METRICS[this.runtime], this.selector(), window);
  }

  /** PromQL: requests waiting in the servers' queues (what KEDA scales on). */
  public metricQueueDepth(): string {
    return gaugeSum(RUNTIME_METRICS[this.runtime].queueDepth, this.selector());
  }

  /** PromQL: generated tokens per second. */
  public metricTokensPerSecond(window = '5m'): string {
    return `sum(rate(${RUNTIME_METRICS[this.runtime].generationTokens}{${this.selector()}}[${window}]))`;
  }

  /** PromQL: KV cache usage (0-1), the highest replica. */
  public metricKvCacheUsage(): string {
    return `max(${RUNTIME_METRICS[this.runtime].kvCacheUsage}{${this.selector()}})`;
  }

  /**
   * The label selector of every series of this endpoint. With progressive delivery the ServiceMonitor labels them
   * `<name>-primary` and `<name>-canary` (the Services Flagger makes); a managed backend's pod scrape labels them
   * with the pods' `app.kubernetes.io/name`, `<name>`, on both tracks.
   */
  public selector(): string {
    return seriesSelector(this.namespace, this.hasCanary ? [this.name, `${this.name}-primary`, `${this.name}-canary`] : [this.name]);
  }
}

/**
 * A model served on a GPU cluster: Deployment + Service + autoscaling (KEDA on queue depth, or an HPA),
 * PodDisruptionBudget, probes that differ, graceful drain, topology spread, NetworkPolicy, restricted
 * Pod Security, ServiceMonitor; an internal load balancer by default, or a public TLS gateway with an
 * API key held in the cloud's secret manager; progressive delivery with automatic rollback (Flagger). Runtime: the bundled server
 * (images/server) or vLLM.
 *
 * @example
 * new InferenceEndpoint(this, 'Chat', {
 *   cluster, model: models.model('research/gpt-1b', { preset: 'gpt-1b', parameterCount: 1_210_000_000 }),
 *   gpu: Gpu.L4, replicas: { min: 2, max: 8 }, monitoring,
 * });
 */
export class InferenceEndpoint extends EndpointMetrics implements IInferenceEndpoint {
  /** The endpoint as a pipeline's deploy target (src/core/deploy-target.ts), when it has one. */
  public static isProgressiveDeployTarget(x: unknown): x is IProgressiveDeployTarget {
    return x instanceof InferenceEndpoint && x.canaryName !== undefined && x.registry !== undefined;
  }

  /** Imports an endpoint made elsewhere (e.g. another stack) for monitoring and clients. */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: InferenceEndpointAttributes): IInferenceEndpoint {
    const where = `${scope.node.path}/${id}`;
    checkDnsLabel(where, 'name', attrs.name, 56);
    const namespace = attrs.namespace ?? DEFAULT_NAMESPACE;
    checkDnsLabel(where, 'namespace', namespace);
    check.oneOf(where, 'runtime', attrs.runtime, ['builtin', 'vllm']);
    class Imported extends EndpointMetrics implements IInferenceEndpoint {
      public readonly cluster = attrs.cluster;
      public readonly name = attrs.name;
      public readonly namespace = namespace;
      public readonly runtime: InferenceRuntime = attrs.runtime ?? 'builtin';
      public readonly hasCanary = attrs.hasCanary ?? false;
      public readonly url = attrs.url ?? `http://${attrs.name}.${namespace}.svc.cluster.local`;
    }
    return new Imported(scope, id);
  }

  public readonly cluster: IGpuCluster;
  public readonly cloud: Cloud;
  public readonly runtime: InferenceRuntime;
  /** Kubernetes name of the stable Deployment and Service. */
  public readonly name: string;
  public readonly namespace: string;
  /** The GPU pool the replicas run on. */
  public readonly pool: GpuPoolInfo;
  public readonly gpusPerReplica: number;
  public readonly precision: InferencePrecision;
  public readonly quantization: InferenceQuantization;
  public readonly scaling: ResolvedScaling;
  /** How the Deployments roll (maxSurge / maxUnavailable). */
  public readonly rollout: ResolvedRollout;
  /** Scale-to-zero's request-holding activator: the wait, the Retry-After and the cold-start estimate they come from. */
  public readonly activator?: ResolvedActivator;
  /** The identity the pods run as (reads the model prefix and the API key only). */
  public readonly identity: IWorkloadIdentity;
  /** The Helm release of the endpoint's objects (escape hatch). */
  public readonly workload: KubernetesWorkload;
  /** Where clients call: `https://<domain>` (public), `http://<domain>` or the in-cluster Service URL. */
  public readonly url: string;
  /** The API key's location in the secret manager (ARN / resource name / Key Vault id); undefined without auth. */
  public readonly apiKeySecret?: string;
  /** True when traffic goes through a Gateway API gateway. */
  public readonly usesGateway: boolean;
  /** The Deployment Flagger watches (its pod template carries `modelVersionAnnotation`). */
  public readonly deploymentName: string;
  /** The Flagger `Canary` (flagger.app/v1beta1), with progressive delivery. */
  public readonly canaryName?: string;
  /** Pod template annotation with the registry version the pods serve (empty: the registry alias). */
  public readonly modelVersionAnnotation: string = MODEL_VERSION_ANNOTATION;
  /** The registry the endpoint serves from, when its model is `bucket.registry(name)`. */
  public readonly registry?: ModelRegistryReference;
  /** Progressive delivery after defaults (undefined without `canary`). */
  public readonly canary?: ResolvedCanary;
  /** Every Kubernetes object of the endpoint, as delivered (tokens unresolved). */
  public readonly objects: readonly K8sObject[];
  /** The endpoint's service-level objective, for the MonitoringStack. */
  public readonly slo?: EndpointSlo;
  /** True with progressive delivery (Flagger runs a canary of every change). */
  public readonly hasCanary: boolean;
  /** The push of the bundled server image, when the endpoint uses it (the release waits for it). */
  private readonly bundledImagePushes: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, rawProps: InferenceEndpointProps) {
    super(scope, id);
    checkStateLocation(this);
    const { props, registry } = normalizeProps(this, rawProps);
    this.registry = registry;
    // ---- validation: every prop, before any child construct exists ----------------------------------
    const placement = this.resolvePlacement(props);
    const server = this.resolveServer(props, placement);
    const traffic = this.resolveTraffic(props);
    const parts = targetFor(placement.cloud).inference;
    parts.checkExposure(this, {
      isPublic: traffic.isPublic, usesGateway: traffic.usesGateway, apiKey: traffic.apiKeyOn, keyVaultNetwork: traffic.auth.keyVaultNetwork,
      certificate: traffic.exposure.certificate, gatewayClassName: traffic.exposure.gatewayClassName,
    });
    const scaling = this.resolveScaling(props.autoscaling, props);
    this.canary = this.resolveProgressive(props, server.runtime, scaling);
    this.rollout = resolveRollout(this, props.rollout, scaling.max);
    if (props.cluster) this.checkReplicasFitPool(placement.pool, server.gpus, scaling.max);
    this.checkSchedule(props.schedule ?? [], scaling.max);
    const activator = scaling.scaleToZero ? this.resolveActivator(props, placement, server) : undefined;
    this.activator = activator;

    // ---- children --------------------------------------------------------------------------------------
    const cloud = placement.cloud;
    // A canary starts at the autoscaler's floor beside the primary (Flagger scales it from zero for the analysis).
    const canaryReplicas = traffic.progressive ? Math.max(1, scaling.min) : 0;
    const cluster = props.cluster ?? this.makeServingCluster(cloud, placement.pool, server.gpus, scaling.max + this.rollout.maxSurge + canaryReplicas, props.tags);
    this.pool = props.cluster ? placement.pool : this.pickPool(cluster, Gpu.fromId(placement.pool.gpu));
    this.checkRolloutHeadroom(cluster, server.gpus, scaling, canaryReplicas);
    this.cluster = cluster;
    this.cloud = cloud;
    this.runtime = server.runtime;
    this.namespace = server.namespace;
    this.gpusPerReplica = server.gpus;
    this.precision = server.precision;
    this.quantization = server.quantization;
    this.scaling = scaling;
    this.usesGateway = traffic.usesGateway;
    this.hasCanary = traffic.progressive;
    this.slo = props.slo;
    const app = constructDnsLabel(this, 40);
    this.name = app;
    this.deploymentName = app;
    if (traffic.progressive) this.canaryName = app;
    const timing: ResolvedTiming = resolveTiming(props);

    this.identity = new WorkloadIdentity(this, 'Identity', { cloud, description: `Inference endpoint ${this.node.path}`, tags: props.tags });
    this.grantModelAccess(props, server.runtime);
    const saAnnotations = cluster.bindServiceAccount(this.identity, this.namespace, app);
    // The gateway's timeouts cover the activator's hold before the request itself.
    const { exposureParts, apiKey } = this.renderAccess(parts, app, traffic, { ...timing, requestTimeout: timing.requestTimeout + (activator?.waitSeconds ?? 0) }, props.tags);
    this.apiKeySecret = apiKey?.secretRef;

    const addons = InferenceClusterAddons.of(this, cluster);
    this.workload = new KubernetesWorkload(this, 'Workload', {
      cluster,
      namespace: this.namespace,
      releaseName: app,
      timeoutSeconds: Math.min(86_400, timing.startupSeconds + 900),
      description: `Inference endpoint ${this.node.path}`.slice(0, 250),
    });
    const ctx: EndpointContext = {
      props, app, registry, labels: commonLabels(app), server, traffic, timing, parts, exposureParts, apiKey, saAnnotations, spcName: `${app}-api-keys`, activator,
    };
    this.addClusterDependencies(ctx, addons);

    // ---- Kubernetes objects ----------------------------------------------------------------------------
    const objects = this.renderObjects(ctx);
    objects.forEach((o, i) => apiObject(this.workload.chart, `${o.kind}${i}`, { ...o }));
    if (this.bundledImagePushes.length > 0) this.workload.addDependency(...new Set(this.bundledImagePushes));
    this.dependOnMonitoring(props.monitoring);
    this.objects = objects;

    this.url = urlOf(exposureParts, traffic.exposure.domainName, app, this.namespace);

    this.watchedBy(props.monitoring, props.slo);
    this.warn(traffic.isPublic, props.slo);
    contributeSummary(this, () => this.summaryPart(props.model));
  }

  /** Read access to every model and adapter served; the export init step also writes the checkpoint's HF directory. */
  private grantModelAccess(props: EndpointProps, runtime: InferenceRuntime): void {
    const m = props.model;
    if (!isModelImage(m)) {
      m.store.grantRead(this.identity, m.path);
      // A registry's versions are immutable: their export goes to local disk, not beside them.
      if (this.isTrainerCheckpoint(m, runtime) && !this.registry) m.store.grantWrite(this.identity, `${m.path}/${EXPORT_DIR}/`);
    }
    for (const a of props.adapters ?? []) a.adapter.store.grantRead(this.identity, a.adapter.path);
  }

  /** How clients reach the endpoint (the cloud's load balancer or gateway) and its API key, when one is on. */
  private renderAccess(
    parts: InferenceSpi, app: string, traffic: ResolvedTraffic, timing: ResolvedTiming, tags: Record<string, string> | undefined,
  ): { exposureParts: ExposureParts; apiKey?: ApiKeyParts } {
    const exposureParts = parts.exposure(this, this.cloud, {
      app, namespace: this.namespace, public: traffic.isPublic, domainName: traffic.exposure.domainName, certificate: traffic.exposure.certificate,
      gatewayClassName: traffic.exposure.gatewayClassName ?? parts.defaultGatewayClass(traffic.isPublic), gatewayAnnotations: traffic.exposure.gatewayAnnotations,
      useGateway: traffic.usesGateway, requestTimeoutSeconds: timing.requestTimeout, deregistrationSeconds: timing.preStop + 5, serverPort: SERVER_PORT, tags,
    });
    const apiKey = traffic.apiKeyOn
      ? parts.apiKey(this, this.cloud, { identity: this.identity, version: traffic.auth.apiKeyVersion ?? 1, network: traffic.auth.keyVaultNetwork, tags })
      : undefined;
    return { exposureParts, apiKey };
  }

  /** What PLATFORM.md shows of this endpoint (src/summary). */
  private summaryPart(model: ModelReference | ModelImage): SummaryPart {
    return {
      kind: 'endpoint', path: this.node.path, cluster: this.cluster.node.path, name: this.name, namespace: this.namespace, pool: this.pool.name,
      runtime: this.runtime, replicas: { min: this.scaling.min, max: this.scaling.max }, url: this.url,
      ...(isModelImage(model) ? {} : { modelStore: model.store.node.path, modelPath: model.path }),
    };
  }

  // ---- resolve: props -> settings after defaults, every check before any child exists ---------------------

  /** The cloud and the GPU pool: the given cluster's, or the one a serving cluster made for the endpoint will have. */
  private resolvePlacement(props: EndpointProps): ResolvedPlacement {
    if (props.cluster) {
      const cloud = props.cluster.cloud;
      if (props.cloud && !props.cloud.sameCloudAs(cloud)) {
        throw new InvalidPropError(this, 'cloud', props.cloud.toString(), `the cluster's cloud (${cloud.toString()}) or nothing`);
      }
      return { cloud, pool: this.pickPool(props.cluster, props.gpu) };
    }
    if (!props.cloud) {
      throw new InvalidPropError(this, 'cluster', props.cluster,
        'an IGpuCluster (a GpuTrainingCluster, or GpuTrainingCluster.fromClusterAttributes), or `cloud` to make a serving cluster');
    }
    return { cloud: props.cloud, pool: this.servingPool(props.cloud, props.gpu, props.gpusPerReplica) };
  }

  /** Runtime, namespace and per-replica GPU settings; the models served fit them. */
  private resolveServer(props: EndpointProps, placement: ResolvedPlacement): ResolvedServer {
    const { cloud, pool } = placement;
    if (!props.model || (isModelImage(props.model) ? false : !props.model.store)) {
      throw new InvalidPropError(this, 'model', props.model, 'bucket.model(path) or { image, modelPath }');
    }
    check.oneOf(this, 'runtime', props.runtime, ['builtin', 'vllm']);
    const runtime = this.resolveRuntime(props);
    checkUserTags(this, cloud, props.tags);
    const namespace = props.tenant?.namespace ?? props.namespace ?? DEFAULT_NAMESPACE;
    checkDnsLabel(this, props.tenant ? 'tenant.namespace' : 'namespace', namespace);
    if (props.tenant && props.namespace !== undefined && props.namespace !== props.tenant.namespace) {
      throw new InvalidPropError(this, 'namespace', props.namespace, `the tenant's namespace (${props.tenant.namespace}) or nothing`);
    }
    this.checkModel(props.model, 'model', cloud);
    for (const [prop, m] of modelProps(props)) {
      if (m && !isModelImage(m) && props.tenant?.checkPrefix) props.tenant.checkPrefix(this, prop, m.path);
    }
    const server = { runtime, namespace, ...this.resolveGpus(props, pool, runtime) };
    check.integerInRange(this, 'maxModelLength', props.maxModelLength, 16, 1_048_576);
    check.integerInRange(this, 'requestTimeoutSeconds', props.requestTimeoutSeconds, 1, MAX_REQUEST_TIMEOUT_SECONDS);
    check.integerInRange(this, 'preStopSeconds', props.preStopSeconds, 0, 120);
    check.integerInRange(this, 'startupSeconds', props.startupSeconds, 60, 7200);
    check.integerInRange(this, 'priority', props.priority, 1, 1_000_000_000);
    check.numberInRange(this, 'cpu', props.cpu, 0.5, 512);
    check.integerInRange(this, 'memoryGiB', props.memoryGiB, 1, 4096);
    if (props.image !== undefined) checkImage(this, 'image', props.image);
    this.checkPresets(props, runtime, server.quantization);
    this.checkModelsFit(props, server, pool);
    this.checkAdapters(props, runtime, cloud);
    check.numberInRange(this, 'slo.latencyP95Seconds', props.slo?.latencyP95Seconds, 0.001, 3600);
    check.numberInRange(this, 'slo.availability', props.slo?.availability, 0.9, 0.99999);
    check.numberInRange(this, 'slo.ttftP95Seconds', props.slo?.ttftP95Seconds, 0.001, 600);
    return server;
  }

  /** GPUs per replica, tensor parallelism, precision and quantization, after defaults. */
  private resolveGpus(props: EndpointProps, pool: GpuPoolInfo, runtime: InferenceRuntime): Omit<ResolvedServer, 'runtime' | 'namespace'> {
    const gpu = Gpu.fromId(pool.gpu);
    const gpus = props.gpusPerReplica ?? 1;
    check.integerInRange(this, 'gpusPerReplica', gpus, 1, pool.gpusPerNode);
    const tp = props.tensorParallelSize ?? gpus;
    check.integerInRange(this, 'tensorParallelSize', tp, 1, gpus);
    if (gpus % tp !== 0) {
      throw new InvalidPropError(this, 'tensorParallelSize', tp, `a divisor of gpusPerReplica (${gpus}): ${divisors(gpus).join(', ')}`);
    }
    if (props.tensorParallelSize !== undefined && runtime !== 'vllm') {
      throw new InvalidPropError(this, 'tensorParallelSize', props.tensorParallelSize, 'only with runtime "vllm" (the builtin server runs one GPU per process)');
    }
    if (runtime === 'builtin' && gpus !== 1) {
      throw new InvalidPropError(this, 'gpusPerReplica', gpus, '1 with runtime "builtin" (use runtime "vllm" for tensor parallel serving)');
    }
    const precision = props.precision ?? (gpu?.supportsBf16 === false ? 'fp16' : 'bf16');
    check.oneOf(this, 'precision', precision, ['bf16', 'fp16', 'fp32']);
    if (precision === 'bf16' && gpu && !gpu.supportsBf16) {
      throw new InvalidPropError(this, 'precision', precision, `fp16 or fp32: ${gpu.id} has no bf16 support`);
    }
    const quantization = props.quantization ?? 'none';
    if (runtime === 'builtin' && VLLM_QUANTIZATIONS.includes(quantization) && !BUILTIN_QUANTIZATIONS.includes(quantization)) {
      throw new InvalidPropError(this, 'quantization', quantization, `${BUILTIN_QUANTIZATIONS.join(', ')} with runtime "builtin" (${quantization} runs on runtime "vllm")`);
    }
    if (runtime === 'vllm' && quantization === 'int8') {
      throw new InvalidPropError(this, 'quantization', quantization, `${VLLM_QUANTIZATIONS.join(', ')} with runtime "vllm" (int8 is the builtin server's: set runtime "builtin")`);
    }
    check.oneOf(this, 'quantization', quantization, runtime === 'vllm' ? VLLM_QUANTIZATIONS : BUILTIN_QUANTIZATIONS);
    const problem = runtime === 'vllm' && gpu ? vllmQuantizationProblem(quantization, precision, gpu) : undefined;
    if (problem) throw new InvalidPropError(this, 'quantization', quantization, problem);
    return { gpus, tp, precision, quantization };
  }

  /**
   * Trainer checkpoints (a preset): vLLM serves their export, which is bf16/fp16/fp32, never AWQ or GPTQ (those
   * need a checkpoint quantized that way); the context is at most the preset's.
   */
  private checkPresets(props: EndpointProps, runtime: InferenceRuntime, quantization: InferenceQuantization): void {
    for (const [prop, m] of modelProps(props)) {
      const preset = m && !isModelImage(m) ? m.preset : undefined;
      if (preset === undefined) continue;
      const dims = this.trainerPreset(preset);
      if (runtime === 'vllm' && dims && (quantization === 'awq' || quantization === 'gptq')) {
        throw new InvalidPropError(this, 'quantization', quantization,
          `none or fp8 for the trainer checkpoint ${prop} (preset ${preset}): its export holds ${'bf16/fp16/fp32'} weights, and ${quantization} `
          + 'needs a checkpoint quantized that way; fp8 quantizes at load time on an fp8-capable GPU');
      }
      if (dims && props.maxModelLength !== undefined && props.maxModelLength > dims.maxSeqLen) {
        throw new InvalidPropError(this, 'maxModelLength', props.maxModelLength, `at most ${dims.maxSeqLen} (the context length of ${preset})`);
      }
    }
  }

  /**
   * The runtime: the user's, or the default rule (vllm.ts `defaultRuntime`) over the models served. A choice that
   * gives up speed or wastes vLLM's start-up is a warning.
   */
  private resolveRuntime(props: EndpointProps): InferenceRuntime {
    const models = modelProps(props).map(([, m]) => m).filter((m): m is ModelReference | ModelImage => m !== undefined);
    const counts = models.map((m) => this.parameterCount(m));
    const known = counts.filter((c): c is number => c !== undefined);
    const largest = known.length === counts.length && known.length > 0 ? Math.max(...known) : undefined;
    const choice = defaultRuntime({ quantization: props.quantization, modelImage: models.some((m) => isModelImage(m)), parameterCount: largest });
    if (props.runtime === undefined) return choice.runtime;
    if (props.runtime === 'builtin' && choice.runtime === 'vllm' && largest !== undefined && largest >= 1_000_000_000) {
      Annotations.of(this).addWarning(`${this.node.path}: runtime "builtin" serves a ${formatCount(largest)}-parameter model in eager mode (no paged KV `
        + 'cache, prefix caching or CUDA graphs); runtime "vllm" (the default) serves the same checkpoint several times faster');
    }
    if (props.runtime === 'vllm' && largest !== undefined && largest < TINY_MODEL_PARAMS) {
      Annotations.of(this).addWarning(`${this.node.path}: runtime "vllm" for a ${formatCount(largest)}-parameter model: vLLM's start-up (memory profiling, `
        + 'CUDA graph capture) dominates a model this small; runtime "builtin" serves it and starts faster');
    }
    return props.runtime;
  }

  /** A trainer checkpoint root (its preset is a trainer preset) that vLLM serves through its Hugging Face export. */
  private isTrainerCheckpoint(model: ModelReference | ModelImage, runtime: InferenceRuntime): boolean {
    return runtime === 'vllm' && !isModelImage(model) && model.preset !== undefined && this.trainerPreset(model.preset) !== undefined;
  }

  /**
   * LoRA adapters: vLLM only; unique names that are not the base model's; ranks vLLM can hold; each adapter trained on
   * the model the endpoint serves, in a store of the endpoint's cloud, inside the tenant's prefix.
   */
  private checkAdapters(props: EndpointProps, runtime: InferenceRuntime, cloud: Cloud): void {
    if (props.adapters === undefined) return;
    if (!Array.isArray(props.adapters)) throw new InvalidPropError(this, 'adapters', props.adapters, 'an array of { name, adapter }');
    const adapters: readonly EndpointAdapter[] = props.adapters;
    if (adapters.length === 0) return;
    if (runtime !== 'vllm') {
      throw new InvalidPropError(this, 'adapters', adapters.map((a) => a?.name), 'none with runtime "builtin": LoRA adapters are served by runtime "vllm"');
    }
    if (this.registry) {
      throw new InvalidPropError(this, 'adapters', adapters.map((a) => a?.name),
        'none with a registry model: an adapter applies only to the weights it was trained on, and a promotion changes them without a deploy');
    }
    if (adapters.length > MAX_ADAPTERS) {
      throw new InvalidPropError(this, 'adapters', `${adapters.length} adapters`,
        `at most ${MAX_ADAPTERS}: vLLM keeps every adapter in its CPU LoRA cache; split them over endpoints`);
    }
    const baseNames = new Set([servedModelName(props.model)]);
    const seen = new Set<string>();
    const topRank = VLLM_LORA_RANKS[VLLM_LORA_RANKS.length - 1];
    adapters.forEach((a, i) => {
      const prop = `adapters[${i}]`;
      if (!a || typeof a.name !== 'string' || !ADAPTER_NAME.test(a.name)) {
        throw new InvalidPropError(this, `${prop}.name`, a?.name, 'a model name of letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters');
      }
      if (seen.has(a.name)) throw new InvalidPropError(this, `${prop}.name`, a.name, 'a name no other adapter of the endpoint has (clients pick adapters by name)');
      if (baseNames.has(a.name)) throw new InvalidPropError(this, `${prop}.name`, a.name, `a name other than the base model's served name (${[...baseNames].join(', ')})`);
      seen.add(a.name);
      const src = a.adapter;
      if (!src || !src.store || typeof src.path !== 'string' || typeof src.uri !== 'string') {
        throw new InvalidPropError(this, `${prop}.adapter`, src, "loraAdapter(bucket, path, { rank }) or a fine-tuning job's job.adapter()");
      }
      check.objectPath(this, `${prop}.adapter.path`, src.path);
      if (typeof src.rank !== 'number' || !Number.isInteger(src.rank) || src.rank < 1 || src.rank > topRank) {
        throw new InvalidPropError(this, `${prop}.adapter.rank`, src.rank,
          `an integer from 1 to ${topRank} (vLLM's --max-lora-rank is one of ${VLLM_LORA_RANKS.join(', ')})`);
      }
      if (src.adapterDir !== undefined) check.objectPath(this, `${prop}.adapter.adapterDir`, src.adapterDir);
      check.oneOf(this, `${prop}.adapter.select`, src.select, ['newest', 'best']);
      if (!src.store.cloud.sameCloudAs(cloud) || src.store.cloud.kind !== cloud.kind) {
        throw new InvalidPropError(this, `${prop}.adapter`, src.uri, `an adapter in a store of the cluster's cloud (${cloud.toString()})`);
      }
      if (props.tenant?.checkPrefix) props.tenant.checkPrefix(this, `${prop}.adapter`, src.path);
      if (src.base) {
        for (const [mprop, m] of modelProps(props)) {
          if (!m) continue;
          if (isModelImage(m) || !sameModel(src.base, m)) {
            throw new InvalidPropError(this, `${prop}.adapter.base`, src.base.uri,
              `the model the endpoint serves (${mprop}: ${isModelImage(m) ? m.image : m.uri}): an adapter applies only to the weights it was trained on`);
          }
        }
      }
    });
  }

  /** Every model served (stable and canary) fits in the replica's GPU memory. */
  private checkModelsFit(props: EndpointProps, server: Omit<ResolvedServer, 'namespace'>, pool: GpuPoolInfo): void {
    for (const [prop, m] of modelProps(props)) {
      if (m) this.checkParameterCount(prop, m);
      const params = m ? this.parameterCount(m) : undefined;
      if (!m || params === undefined) continue;
      const fit = checkModelFits(params, server.precision, server.quantization, pool.gpu, pool.gpuMemoryGiB, server.gpus);
      if (!fit.fits) {
        throw new InvalidPropError(this, prop, isModelImage(m) ? m.image : m.uri,
          `a model that fits ${server.gpus} x ${pool.gpu} per replica: ${fit.explanation}; use more gpusPerReplica (vLLM), a larger GPU or quantization`);
      }
    }
  }

  /** Exposure, auth and canary: whether the endpoint is public, needs an API key and routes through a gateway. */
  private resolveTraffic(props: EndpointProps): ResolvedTraffic {
    const exposure = props.exposure ?? {};
    const isPublic = this.checkExposureProps(exposure);
    const auth = props.auth ?? {};
    if (isPublic && auth.apiKey === false) {
      throw new InvalidPropError(this, 'auth.apiKey', false, 'true (or unset): a public endpoint always requires an API key');
    }
    check.integerInRange(this, 'auth.apiKeyVersion', auth.apiKeyVersion, 1, 1_000_000);
    for (const [i, range] of (auth.keyVaultNetwork?.allowedIpRanges ?? []).entries()) {
      check.ipv4(this, `auth.keyVaultNetwork.allowedIpRanges[${i}]`, range, { prefix: 'optional', allowed: 'an IPv4 address or CIDR such as 203.0.113.0/24' });
    }
    const progressive = props.canary !== undefined;
    // Scale-to-zero's activator is reached from the endpoint's HTTPRoute (the interceptor lives in KEDA's namespace).
    const scaleToZero = props.autoscaling?.scaleToZero === true;
    const usesGateway = isPublic || progressive || scaleToZero || exposure.gateway === true;
    if (exposure.gateway === false && (isPublic || progressive || scaleToZero)) {
      throw new InvalidPropError(this, 'exposure.gateway', false,
        'true or unset: public endpoints, canaries and scale-to-zero endpoints (their request-holding activator) route through a Gateway');
    }
    return { exposure, auth, isPublic, apiKeyOn: auth.apiKey ?? isPublic, progressive, usesGateway };
  }

  /** Checks `exposure`; true when the endpoint is public. */
  private checkExposureProps(exposure: ExposureOptions): boolean {
    check.oneOf(this, 'exposure.type', exposure.type, ['internal', 'public']);
    const isPublic = exposure.type === 'public';
    if (exposure.domainName !== undefined && !DOMAIN.test(exposure.domainName)) {
      throw new InvalidPropError(this, 'exposure.domainName', exposure.domainName, 'a lowercase DNS name such as chat.example.com');
    }
    if (isPublic && exposure.tls === false) {
      throw new InvalidPropError(this, 'exposure.tls', false, 'true (or unset): a public endpoint always terminates TLS');
    }
    if (isPublic && !exposure.domainName) {
      throw new InvalidPropError(this, 'exposure.domainName', exposure.domainName,
        'a DNS name for the public endpoint: TLS needs a certificate for a host name');
    }
    if (!isPublic && exposure.tls === true) {
      throw new InvalidPropError(this, 'exposure.tls', true, 'unset or false for an internal endpoint (TLS is offered on public endpoints)');
    }
    for (const [i, cidr] of (exposure.allowedCidrs ?? []).entries()) {
      check.ipv4(this, `exposure.allowedCidrs[${i}]`, cidr, { prefix: 'required', allowed: 'an IPv4 CIDR such as 10.0.0.0/16' });
    }
    if (exposure.gatewayClassName !== undefined) checkDnsLabel(this, 'exposure.gatewayClassName', exposure.gatewayClassName, 253);
    for (const [key, value] of Object.entries(exposure.gatewayAnnotations ?? {})) {
      if (typeof value !== 'string' || !/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key)) {
        throw new InvalidPropError(this, `exposure.gatewayAnnotations.${key}`, value, 'a Kubernetes annotation: a prefixed or plain name and a string value');
      }
    }
    return isPublic;
  }

  /**
   * Replicas land only on the chosen pool: a max it can never hold would leave replicas Pending exactly when load
   * peaks. An error, since no setting makes it work (a serving cluster made here is sized from max). Rollout surge
   * and canary replicas beside the pool's other workloads: checkRolloutHeadroom.
   */
  private checkReplicasFitPool(pool: GpuPoolInfo, gpus: number, max: number): void {
    const poolGpus = pool.gpusPerNode * pool.maxNodes;
    const holds = `pool ${pool.name} holds ${pool.maxNodes} x ${pool.gpusPerNode} = ${poolGpus} ${pool.gpu} GPUs and each replica takes ${gpus}`;
    if (max * gpus > poolGpus) {
      throw new InvalidPropError(this, 'replicas.max', max, `at most ${Math.floor(poolGpus / gpus)}: ${holds}; raise the pool's maxNodes or lower replicas.max`);
    }
  }

  /**
   * Records what the endpoint holds on its pool and, once every construct exists (a validation, so workloads
   * added later count too), checks that a rollout at replicas.max fits beside the pool's other workloads.
   */
  private checkRolloutHeadroom(cluster: IGpuCluster, gpus: number, scaling: ResolvedScaling, canaryReplicas: number): void {
    const pool = this.pool;
    const path = this.node.path;
    registerPoolDemand(cluster, pool.name, {
      path, kind: 'endpoint', floorGpus: (scaling.min + canaryReplicas) * gpus, peakGpus: (scaling.max + canaryReplicas) * gpus,
    });
    let warned = false;
    this.node.addValidation({
      validate: () => {
        const others = poolDemands(cluster, pool.name).filter((d) => d.path !== path);
        const result = rolloutHeadroom({ path, pool, gpusPerReplica: gpus, maxReplicas: scaling.max, canaryReplicas, rollout: this.rollout, others });
        if (!warned) result.warnings.forEach((w) => Annotations.of(this).addWarning(w));
        warned = true;
        return result.errors;
      },
    });
  }

  private checkSchedule(schedule: readonly ScheduleWindow[], maxReplicas: number): void {
    for (const [i, w] of schedule.entries()) {
      // KEDA's cron scaler parses five fields without macros (robfig/cron, no descriptors).
      if (typeof w.start !== 'string') throw new InvalidPropError(this, `schedule[${i}].start`, w.start, 'a 5-field cron expression such as "0 8 * * 1-5"');
      if (typeof w.end !== 'string') throw new InvalidPropError(this, `schedule[${i}].end`, w.end, 'a 5-field cron expression such as "0 20 * * 1-5"');
      check.cron(this, `schedule[${i}].start`, w.start, { macros: false, example: '0 8 * * 1-5' });
      check.cron(this, `schedule[${i}].end`, w.end, { macros: false, example: '0 20 * * 1-5' });
      check.matches(this, `schedule[${i}].timezone`, w.timezone, /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'an IANA time zone such as Europe/Berlin');
      check.integerInRange(this, `schedule[${i}].replicas`, w.replicas, 1, maxReplicas);
    }
  }

  // ---- render: children and Kubernetes objects ------------------------------------------------------------

  /** The release waits for the namespace, the add-ons it uses and the cluster's gateway controller. */
  private addClusterDependencies(ctx: EndpointContext, addons: InferenceClusterAddons): void {
    const { props, traffic, parts, exposureParts, apiKey } = ctx;
    const cluster = this.cluster;
    if (props.tenant) {
      if (props.tenant.workload) this.workload.addDependency(props.tenant.workload);
    } else {
      this.workload.addDependency(sharedNamespace(cluster, this.namespace));
    }
    if (this.scaling.kind === 'keda') this.workload.addDependency(addons.chart(KEDA_CHART));
    if (ctx.activator) this.addActivatorDependencies(ctx, addons);
    // Flagger's CRDs (Canary, MetricTemplate) and controller, once per cluster.
    if (traffic.progressive) this.workload.addDependency(addons.chart(FLAGGER_CHART));
    if (apiKey && parts.secretsStoreChart) this.workload.addDependency(addons.chart(parts.secretsStoreChart));
    // The cluster's managed CSI integration where the cloud has one; the others use the chart above.
    if (apiKey) cluster.enableSecretStore?.();
    if (!traffic.usesGateway && exposureParts.serviceType === 'LoadBalancer' && exposureParts.serviceNeedsClusterController) {
      // The load balancer controller outlives the Service on destroy (it deletes the load balancer it made). A
      // cluster without enableGatewayApi (imported) runs the controller itself.
      const controller = cluster.enableGatewayApi?.() ?? [];
      if (controller.length) this.workload.addDependency(...controller);
    }
    if (traffic.usesGateway && !traffic.exposure.gatewayClassName) {
      // The cloud's Gateway API controller and CRDs, once per cluster (a cluster of this library installs
      // them; an imported one must have them).
      const gatewayApi = cluster.enableGatewayApi?.() ?? [];
      if (gatewayApi.length) this.workload.addDependency(...gatewayApi);
      const shared = addons.gatewayObjects(parts.sharedGatewayObjects, gatewayApi);
      if (shared) this.workload.addDependency(shared);
    }
  }

  /**
   * The KEDA HTTP add-on (after KEDA, whose CRDs its interceptor's ScaledObject needs) and, once per cluster, the
   * gateway's health and timeout policies of its proxy Service (after the add-on and the gateway's controller).
   */
  private addActivatorDependencies(ctx: EndpointContext, addons: InferenceClusterAddons): void {
    const addon = addons.chart(KEDA_HTTP_ADDON_CHART, [addons.chart(KEDA_CHART)]);
    this.workload.addDependency(addon);
    // The gateway now connects to the interceptor, not the pods: KEDA's namespace admits the same sources the
    // endpoint's own policy admits from its gateway.
    addons.admitActivatorSources(ctx.traffic.exposure.allowedCidrs ?? ctx.exposureParts.defaultCidrs);
    // The longest hold plus the longest request any endpoint may set: the policies are shared by the cluster's endpoints.
    const policies = ctx.exposureParts.backendObjects(INTERCEPTOR_PROXY_SERVICE, interceptorBackend(MAX_WAIT_SECONDS, MAX_REQUEST_TIMEOUT_SECONDS));
    // The interceptors' metrics, where a Prometheus operator scrapes (the first scale-to-zero endpoint's monitoring decides).
    if (wantsServiceMonitor(ctx.props)) policies.push(interceptorPodMonitor({ ...(ctx.props.monitoring?.serviceMonitorLabels ?? {}) }));
    const gatewayApi = ctx.traffic.exposure.gatewayClassName ? [] : this.cluster.enableGatewayApi?.() ?? [];
    const shared = addons.activatorObjects(policies, [addon, ...gatewayApi, ...this.monitoringReleases(ctx.props.monitoring)]);
    if (shared) this.workload.addDependency(shared);
  }

  /** The activator's wait from the documented cold start of the stable model on this pool (a user's wait is checked against it). */
  private resolveActivator(props: EndpointProps, placement: ResolvedPlacement, server: ResolvedServer): ResolvedActivator {
    // (A canary with scaleToZero is refused with the canary: at zero there is no traffic to analyse.)
    const weightsGiB = ((this.parameterCount(props.model) ?? 0) * bytesPerParameter(server.precision, server.quantization)) / 1024 ** 3;
    return resolveActivator(this, {
      timeoutSeconds: props.autoscaling?.coldStartTimeoutSeconds, targetConcurrency: props.autoscaling?.targetConcurrency,
      estimate: coldStartEstimate(placement.cloud.kind, server.runtime, weightsGiB), pool: placement.pool.name, cloudKind: placement.cloud.kind,
    });
  }

  /** Every object of the release, in delivery order (construct ids follow it). */
  private renderObjects(ctx: EndpointContext): K8sObject[] {
    const { props, app, labels, apiKey } = ctx;
    const objects: K8sObject[] = [];
    objects.push(serviceAccount(app, this.namespace, labels, ctx.saAnnotations));
    objects.push(priorityClass(`inference-${app}`, labels, props.priority ?? 100_000,
      'Inference endpoint pods (cdktf-ai-infra): above training jobs, below system components.'));
    if (apiKey) objects.push(secretProviderClass(ctx.spcName, this.namespace, labels, apiKey.provider, apiKey.parameters));
    objects.push(...this.renderTracks(ctx));
    objects.push(...this.renderAutoscaler(ctx));
    objects.push(...this.renderTrafficPath(ctx));
    objects.push(...this.renderPolicies(ctx));
    return objects;
  }

  /**
   * The Deployment, its Service and PodDisruptionBudget and the gateway's backend policies. With progressive delivery
   * Flagger makes the Services (`<app>`, `-primary`, `-canary`) and the primary Deployment from this one; one
   * PodDisruptionBudget per Deployment, the backend policies on both Services the route splits over.
   */
  private renderTracks(ctx: EndpointContext): K8sObject[] {
    const { props, app, labels, server, traffic, exposureParts } = ctx;
    const t: TrackSpec = { name: app, model: props.model, image: this.imageFor(server.runtime, props.model, props.image) };
    if (traffic.progressive) {
      return [
        this.renderDeployment(ctx, t, { [DEPLOYMENT_SELECTOR_LABEL]: app }, labels),
        podDisruptionBudget(app, this.namespace, labels, { [DEPLOYMENT_SELECTOR_LABEL]: app }),
        podDisruptionBudget(`${app}-primary`, this.namespace, labels, { [DEPLOYMENT_SELECTOR_LABEL]: `${app}-primary` }),
        ...exposureParts.backendObjects(`${app}-primary`), ...exposureParts.backendObjects(`${app}-canary`),
      ];
    }
    const selector = podLabels(app, 'stable');
    const isLb = !traffic.usesGateway;
    return [
      this.renderDeployment(ctx, t, selector, { ...labels, 'aiinfra.dev/track': 'stable' }),
      service({
        name: t.name, namespace: this.namespace, labels: { ...labels, 'aiinfra.dev/track': 'stable', 'aiinfra.dev/metrics': 'true' }, selector,
        type: isLb ? exposureParts.serviceType : 'ClusterIP', port: SERVICE_PORT,
        annotations: isLb ? exposureParts.serviceAnnotations : {},
        loadBalancerClass: isLb && exposureParts.serviceType === 'LoadBalancer' ? exposureParts.serviceLoadBalancerClass : undefined,
      }),
      podDisruptionBudget(t.name, this.namespace, labels, selector),
      // Behind the activator the gateway's backend is the interceptor (its health policies live in KEDA's namespace).
      ...(traffic.usesGateway && !ctx.activator ? exposureParts.backendObjects(t.name) : []),
    ];
  }

  private renderDeployment(ctx: EndpointContext, t: TrackSpec, selector: Record<string, string>, labels: Record<string, string>): K8sObject {
    const { props, app, server, timing } = ctx;
    const machine = machineOf(this.cloud, this.pool);
    const weightsGiB = ((this.parameterCount(t.model) ?? 0) * (server.quantization === 'none' ? (server.precision === 'fp32' ? 4 : 2) : 1)) / 1024 ** 3;
    const pod = this.podParts(t, ctx, weightsGiB);
    return deployment({
      name: t.name, namespace: this.namespace, labels, selector,
      replicas: this.scaling.kind === 'fixed' ? this.scaling.min : undefined,
      serviceAccountName: app, priorityClassName: `inference-${app}`, rollout: this.rollout,
      container: pod.container, port: SERVER_PORT, probePaths: pod.probes, startupSeconds: timing.startupSeconds, preStopSeconds: timing.preStop,
      drainSeconds: timing.requestTimeout, gpus: server.gpus, cpu: props.cpu ?? defaultCpu(server.gpus, machine),
      memoryGiB: props.memoryGiB ?? defaultMemory(server.gpus, weightsGiB, machine), ephemeralStorageGiB: pod.diskGiB,
      nodeSelector: { ...this.pool.nodeSelector }, tolerations: tolerationsFor(this.pool),
      initContainers: pod.initContainers, volumes: pod.volumes,
      // Behind the activator: the label the interceptor's egress policy selects (the server port only).
      extraPodLabels: { ...ctx.parts.podLabels, ...(this.cluster.workloadIdentityPodLabels ?? {}), ...(ctx.activator ? ACTIVATOR_BACKEND_POD_LABELS : {}) },
    });
  }

  /**
   * Autoscaling of the Deployment: an HPA on CPU or a KEDA ScaledObject (none for a fixed count). With progressive
   * delivery it scales the canary (its queue over the canary's series) and Flagger copies it for the primary.
   */
  private renderAutoscaler(ctx: EndpointContext): K8sObject[] {
    const { app, labels, props, traffic } = ctx;
    const scaling = this.scaling;
    const scalingInput = { name: app, namespace: this.namespace, labels, target: app, min: scaling.min, max: scaling.max, cooldownSeconds: scaling.cooldownSeconds };
    if (scaling.kind === 'hpa') return [cpuHorizontalPodAutoscaler(scalingInput, scaling.targetCpuUtilization)];
    if (scaling.kind !== 'keda') return [];
    const triggers = this.kedaTriggers(scaling, props, traffic.progressive ? `${app}-canary` : app);
    // KEDA's fallback works with AverageValue metrics only (not the cpu scaler), and not at zero.
    const fallback = !scaling.scaleToZero && triggers.every((t) => t.type !== 'cpu') ? Math.min(scaling.max, Math.max(scaling.min, 2)) : undefined;
    return [scaledObject(scalingInput, triggers, fallback)];
  }

  /**
   * The gateway, the cloud's objects beside it and the route (when traffic goes through a gateway). With progressive
   * delivery Flagger owns the HTTPRoute (weights per step): the Canary and its MetricTemplates instead.
   */
  private renderTrafficPath(ctx: EndpointContext): K8sObject[] {
    const { app, labels, traffic, exposureParts } = ctx;
    const gw = exposureParts.gateway;
    if (!traffic.usesGateway || !gw) return [];
    const activator = ctx.activator;
    const hosts = traffic.exposure.domainName ? [traffic.exposure.domainName] : [];
    // An internal gateway listens on plain HTTP inside the cluster's network, as the internal load balancer Service
    // of an endpoint without a gateway does: TLS and the API key are what a public endpoint adds.
    const annotations = traffic.isPublic ? gw.annotations : { ...(gw.annotations ?? {}), [`${KUBERNETES_SUPPRESSION_PREFIX}AI-K8S-NET-1`]: INTERNAL_HTTP_REASON };
    return [
      ...exposureParts.gatewayObjects,
      gateway({
        name: app, namespace: this.namespace, labels, gatewayClassName: gw.className, listeners: gw.listeners, annotations,
        addresses: gw.addresses, infrastructure: gw.infrastructure,
      }),
      ...(this.canary ? this.renderCanary(ctx, this.canary, hosts) : [
        httpRoute(app, this.namespace, labels, app, hosts,
          activator ? [{ service: INTERCEPTOR_PROXY_SERVICE, namespace: ACTIVATOR_NAMESPACE, port: INTERCEPTOR_PROXY_PORT, weight: 100 }] : [{ service: app, port: SERVICE_PORT, weight: 100 }],
          activator ? [{ name: ROUTE_HEADER, value: routeHeaderValue(this.namespace, app) }] : []),
        ...(activator ? activatorObjects({
          app, namespace: this.namespace, labels, servicePort: SERVICE_PORT, requestTimeoutSeconds: ctx.timing.requestTimeout, activator,
        }) : []),
      ]),
    ];
  }

  /** Flagger's Canary of the Deployment and one MetricTemplate per SLO check (queries over the canary's series). */
  private renderCanary(ctx: EndpointContext, c: ResolvedCanary, hosts: string[]): K8sObject[] {
    const { app, labels, props } = ctx;
    const prometheusUrl = this.scaling.prometheusUrl as string;
    const analysis = analysisObjects(app, this.namespace, labels, c, this.runtime, prometheusUrl);
    const primaryQueries = Object.fromEntries(this.kedaTriggers(this.scaling, props, `${app}-primary`)
      .filter((t) => t.type === 'prometheus').map((t) => [t.name, t.metadata.query]));
    return [
      ...analysis.templates,
      flaggerCanary({
        name: app, namespace: this.namespace, labels, targetDeployment: app, autoscalerRef: autoscalerRef(this.scaling.kind === 'hpa' ? 'hpa' : 'keda', app, primaryQueries),
        servicePort: SERVICE_PORT, targetPort: SERVER_PORT, gateway: app, hosts,
        trackServiceLabels: { 'app.kubernetes.io/name': app, 'aiinfra.dev/metrics': 'true' },
        stepWeights: c.steps, interval: c.interval, threshold: c.failedChecks,
        // A canary pod loads the model first: the deadline covers the startup budget, not Flagger's 10 minutes.
        progressDeadlineSeconds: ctx.timing.startupSeconds + 600,
        metrics: analysis.checks,
      }),
    ];
  }

  /**
   * The ranges the load balancer / gateway proxies connect from (`allowedCidrs`, else the cloud's): the policies
   * except the cluster's pod ranges from them. A range of pods only is an error; unknown pod ranges, a warning.
   */
  private gatewaySources(allowed: readonly string[] | undefined, defaults: readonly string[]): readonly string[] {
    const pods = this.cluster.podCidrs;
    if (pods === undefined) {
      Annotations.of(this).addWarning(`the pod ranges of cluster ${this.cluster.node.path} are unknown, so the NetworkPolicy's load balancer `
        + `sources (${(allowed ?? defaults).join(', ')}) cannot except them: where the CNI applies ipBlocks to pod IPs (EKS's VPC CNI), `
        + 'any pod with open egress in those ranges reaches the model server. Pass network.existing.podCidrs (or podCidrs to '
        + 'GpuTrainingCluster.fromClusterAttributes), or set exposure.allowedCidrs to the load balancer subnets only');
    }
    (allowed ?? []).forEach((cidr, i) => {
      const inside = (pods ?? []).find((p) => cidrContains(p, cidr));
      if (inside) {
        throw new InvalidPropError(this, `exposure.allowedCidrs[${i}]`, cidr, `a range outside the cluster's pod network ${inside} (a load balancer never `
          + 'connects from a pod IP; in-cluster clients reach the endpoint through its Service, by namespace)');
      }
    });
    return allowed ?? defaults;
  }

  /** Who may connect (the ingress path and the scraper), the identity egress, and the ServiceMonitor. */
  private renderPolicies(ctx: EndpointContext): K8sObject[] {
    const { props, app, labels, traffic, parts, exposureParts } = ctx;
    const objects: K8sObject[] = [networkPolicy({
      name: app, namespace: this.namespace, labels, podSelector: { 'app.kubernetes.io/name': app }, port: SERVER_PORT,
      cidrs: this.gatewaySources(traffic.exposure.allowedCidrs, exposureParts.defaultCidrs), podCidrs: this.cluster.podCidrs,
      scraperNamespace: props.monitoring?.scraperNamespace ?? DEFAULT_SCRAPER_NAMESPACE,
      // The activator's interceptor connects to the pods' IPs (the add-on's direct pod routing).
      ...(ctx.activator ? { podPeers: [INTERCEPTOR_PEER] } : {}),
    })];
    if (parts.identityEgress.length > 0) {
      objects.push(identityEgressPolicy(`${app}-identity-egress`, this.namespace, labels, { 'app.kubernetes.io/name': app }, parts.identityEgress));
    }
    if (wantsServiceMonitor(props)) {
      objects.push(serviceMonitor(app, this.namespace, { ...labels, ...(props.monitoring?.serviceMonitorLabels ?? {}) },
        { 'app.kubernetes.io/name': app, 'aiinfra.dev/metrics': 'true' }));
    }
    return objects;
  }

  /** Alerts and dashboards: the monitoring stack watches the endpoint with its SLO. */
  private watchedBy(monitoring: IEndpointMonitoring | undefined, slo: EndpointSlo | undefined): void {
    if (monitoring && typeof monitoring.watch === 'function') {
      monitoring.watch(this, { latencyP95Seconds: slo?.latencyP95Seconds, ttftP95Seconds: slo?.ttftP95Seconds, availability: slo?.availability });
    }
  }

  /** `canary` after defaults, checked against the runtime and the scaling (undefined without it). */
  private resolveProgressive(props: EndpointProps, runtime: InferenceRuntime, scaling: ResolvedScaling): ResolvedCanary | undefined {
    if (props.canary === undefined) return undefined;
    const c = resolveCanary(this, props.canary, {
      runtime, prometheusUrl: scaling.prometheusUrl, scaleToZero: scaling.scaleToZero, scalingKind: scaling.kind, ttftP95Seconds: props.slo?.ttftP95Seconds,
    });
    this.warnLooseCanary(c, props.slo);
    this.warnCanaryPrometheus(props);
    return c;
  }

  /**
   * Flagger's namespace admits egress to our Prometheus only (PROMETHEUS_PEER on 9090): a query URL of its own
   * (another Prometheus, a Thanos, a remote one) is allowed, but its checks stay unanswered until a policy admits it.
   */
  private warnCanaryPrometheus(props: EndpointProps): void {
    const own = props.autoscaling?.prometheusUrl;
    if (own === undefined || own === props.monitoring?.prometheusQueryUrl) return;
    Annotations.of(this).addWarning(`${this.node.path}: canary analysis queries autoscaling.prometheusUrl ${own}, but Flagger's namespace `
      + `(${FLAGGER_CHART.namespace}, default-deny) admits egress only to the monitoring stack's Prometheus on 9090 (pods app.kubernetes.io/name=prometheus `
      + 'in the namespace labelled cdktf-ai-infra/metrics-scraper): label that Prometheus\'s namespace the same, or add a NetworkPolicy in '
      + `${FLAGGER_CHART.namespace} admitting Flagger to it, or each check fails and the canary rolls back`);
  }

  /** A canary gate looser than the endpoint's own SLO promotes versions that then page: allowed, but said. */
  private warnLooseCanary(c: ResolvedCanary, slo: EndpointSlo | undefined): void {
    const loose: string[] = [];
    if (slo?.availability !== undefined && c.errorRatio !== undefined && c.errorRatio > 1 - slo.availability) {
      loose.push(`canary.slo.errorRatio ${c.errorRatio} allows more errors than slo.availability ${slo.availability} (${+(1 - slo.availability).toFixed(6)})`);
    }
    if (slo?.ttftP95Seconds !== undefined && c.p95TtftMs !== undefined && c.p95TtftMs > slo.ttftP95Seconds * 1000) {
      loose.push(`canary.slo.p95TtftMs ${c.p95TtftMs} is above slo.ttftP95Seconds (${slo.ttftP95Seconds * 1000} ms)`);
    }
    if (loose.length > 0) {
      Annotations.of(this).addWarning(`${this.node.path}: ${loose.join('; ')}: a canary that passes can still breach the endpoint's SLO and fire its alerts once promoted`);
    }
  }

  private warn(isPublic: boolean, slo: EndpointSlo | undefined): void {
    if (this.scaling.min === 1 && !this.scaling.scaleToZero) {
      Annotations.of(this).addWarning(`${this.node.path}: a single replica (replicas.min = 1) drops requests during node loss and rollouts; use min >= 2, or autoscaling.scaleToZero for a dev endpoint`);
    }
    if (this.scaling.scaleToZero && isPublic && slo) {
      Annotations.of(this).addWarning(`${this.node.path}: scale-to-zero on a public endpoint with an SLO: the first request after idle waits for a GPU node, the image pull and the model load (minutes), which the SLO will count`);
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private checkModel(model: ModelReference | ModelImage, prop: string, cloud: Cloud): void {
    if (isModelImage(model)) {
      checkImage(this, `${prop}.image`, model.image);
      if (typeof model.modelPath !== 'string' || !model.modelPath.startsWith('/')) {
        throw new InvalidPropError(this, `${prop}.modelPath`, model.modelPath, 'an absolute path inside the image');
      }
      check.integerInRange(this, `${prop}.parameterCount`, model.parameterCount, 1);
      return;
    }
    if (!model.store.cloud.sameCloudAs(cloud) || model.store.cloud.kind !== cloud.kind) {
      throw new InvalidPropError(this, prop, model.uri, `a model in a store of the cluster's cloud (${cloud.toString()})`);
    }
  }

  /**
   * `parameterCount` is a raw count; a shorthand (`7` meaning 7B) would pass the fit check. A count that
   * contradicts the named preset, or under 1000 (no servable model is that small), is an error; a count
   * under 10M without a preset is a warning (tiny test models are real, but rare on a GPU endpoint).
   */
  private checkParameterCount(prop: string, model: ModelReference | ModelImage): void {
    const declared = model.parameterCount;
    if (declared === undefined) return;
    const preset = isModelImage(model) ? undefined : model.preset;
    const dims = preset === undefined ? undefined : this.trainerPreset(preset);
    if (dims && (declared < dims.params / 2 || declared > dims.params * 2)) {
      throw new InvalidPropError(this, `${prop}.parameterCount`, declared,
        `about ${formatCount(dims.params)} (${dims.params}, the count of preset ${preset}), or unset to take the preset's`);
    }
    if (declared < 1000) {
      throw new InvalidPropError(this, `${prop}.parameterCount`, declared,
        `a raw parameter count such as 7_000_000_000 for a 7B model (${declared} looks like billions or millions written short)`);
    }
    if (!dims && declared < 10_000_000) {
      Annotations.of(this).addWarning(`${this.node.path}: ${prop}.parameterCount is ${declared} (${formatCount(declared)}), a very small model for a GPU `
        + 'endpoint; the GPU memory check uses it as given. If it is in millions or billions, write the full count (7_000_000_000 for 7B).');
    }
  }

  /** Declared parameters, or the trainer preset's (`model(path, { preset: 'gpt-1b' })`). */
  private parameterCount(model: ModelReference | ModelImage): number | undefined {
    if (model.parameterCount !== undefined) return model.parameterCount;
    const preset = isModelImage(model) ? undefined : model.preset;
    return preset === undefined ? undefined : this.trainerPreset(preset)?.params;
  }

  /** The trainer's preset table entry (compute/src/aiinfra/presets.json), when `preset` is one. */
  private trainerPreset(preset: string): { params: number; maxSeqLen: number } | undefined {
    const { TRAINER_PRESETS } = require('../training/training-job') as typeof import('../training/training-job');
    return (TRAINER_PRESETS as Record<string, { params: number; maxSeqLen: number } | undefined>)[preset];
  }

  private pickPool(cluster: IGpuCluster, gpu: Gpu | undefined): GpuPoolInfo {
    const pools = cluster.gpuPools;
    if (pools.length === 0) {
      throw new InvalidPropError(this, 'cluster', cluster.node.path, 'a cluster with at least one GPU pool');
    }
    if (!gpu) return pools[0];
    const pool = pools.find((p) => p.gpu === gpu.id);
    if (!pool) {
      throw new InvalidPropError(this, 'gpu', gpu.id, `a GPU the cluster has a pool for: ${[...new Set(pools.map((p) => p.gpu))].join(', ')}`);
    }
    return pool;
  }

  /**
   * The monitoring stack's Helm releases (Prometheus operator CRDs: ServiceMonitor) go first when it is in
   * this stack.
   */
  private dependOnMonitoring(monitoring: IEndpointMonitoring | undefined): void {
    const releases = this.monitoringReleases(monitoring);
    if (releases.length > 0) this.workload.addDependency(...releases);
  }

  /** The monitoring stack's Helm releases, when it is in this stack. */
  private monitoringReleases(monitoring: IEndpointMonitoring | undefined): TerraformResource[] {
    if (!monitoring || !Construct.isConstruct(monitoring)) return [];
    if (TerraformStack.of(monitoring) !== TerraformStack.of(this)) return [];
    return monitoring.node.findAll().filter((c): c is TerraformResource =>
      TerraformResource.isTerraformResource(c) && (c as TerraformResource).terraformResourceType === 'helm_release');
  }

  /** The pool a serving cluster made for this endpoint will have (validated before it exists). */
  private servingPool(cloud: Cloud, gpu: Gpu | undefined, gpusPerReplica: number | undefined): GpuPoolInfo {
    const chosen = gpu ?? [Gpu.L4, Gpu.A10G, Gpu.T4].find((g) => g.isOfferedOn(cloud.kind)) ?? Gpu.offeredOn(cloud.kind)[0];
    if (!chosen.isOfferedOn(cloud.kind)) {
      throw new InvalidPropError(this, 'gpu', chosen.id, `a GPU that ${cloud.kind} offers: ${Gpu.offeredOn(cloud.kind).map((g) => g.id).join(', ')}`);
    }
    const counts = chosen.gpuCounts(cloud.kind);
    const want = gpusPerReplica ?? 1;
    const perNode = counts.find((c) => c >= want);
    if (perNode === undefined) {
      throw new InvalidPropError(this, 'gpusPerReplica', want, `at most ${counts[counts.length - 1]} (the most ${chosen.id} GPUs one ${cloud.kind} machine has)`);
    }
    return {
      name: 'serving', gpu: chosen.id, gpusPerNode: perNode, maxNodes: 1, gpuMemoryGiB: chosen.memoryGiB,
      nodeSelector: {}, taints: [], interconnect: 'ethernet',
    };
  }

  /** A small serving cluster: the system pool plus one on-demand pool of the endpoint's GPU, from zero. */
  private makeServingCluster(cloud: Cloud, pool: GpuPoolInfo, gpus: number, peakReplicas: number, tags: Record<string, string> | undefined): IGpuCluster {
    const { GpuTrainingCluster } = require('../training/gpu-training-cluster') as typeof import('../training/gpu-training-cluster');
    const gpu = Gpu.fromId(pool.gpu) as Gpu;
    // Room for every replica, the rollout surge and a running canary.
    const maxNodes = Math.max(1, Math.ceil((peakReplicas * gpus) / pool.gpusPerNode));
    return new GpuTrainingCluster(this, 'Cluster', {
      cloud,
      gpuPools: [{ gpu, gpusPerNode: pool.gpusPerNode, maxNodes, minNodes: 0, capacity: ['on-demand'], name: 'serving' }],
      kueue: false,
      tags,
    });
  }

  private resolveScaling(opts: AutoscalingOptions | undefined, props: EndpointProps): ResolvedScaling {
    const o = opts ?? {};
    check.oneOf(this, 'autoscaling.metric', o.metric, ['queue', 'cpu', 'none']);
    check.integerInRange(this, 'autoscaling.targetQueueDepth', o.targetQueueDepth, 1, 10_000);
    check.integerInRange(this, 'autoscaling.targetCpuUtilization', o.targetCpuUtilization, 1, 100);
    check.integerInRange(this, 'autoscaling.cooldownSeconds', o.cooldownSeconds, 30, 86_400);
    if (o.prometheusUrl !== undefined) check.matches(this, 'autoscaling.prometheusUrl', o.prometheusUrl, /^https?:\/\/[^\s]+$/, 'an http(s) URL');
    const prometheusUrl = o.prometheusUrl ?? props.monitoring?.prometheusQueryUrl;
    const scaleToZero = o.scaleToZero ?? false;
    const schedule = props.schedule ?? [];
    // Scale to zero needs no Prometheus: the activator's request trigger (and schedule windows) wake it on every backend.
    // Without a query URL (managed backends expose none) its default metric is 'none', not 'cpu'.
    const metric = o.metric ?? (prometheusUrl ? 'queue' : scaleToZero ? 'none' : 'cpu');
    const noUrl = 'managed monitoring backends (Amazon Managed Prometheus, Google Managed Prometheus, Azure Monitor) expose no query URL '
      + 'KEDA can use without cloud auth; the self-managed backend does';
    if (metric === 'queue' && !prometheusUrl) {
      throw new InvalidPropError(this, 'autoscaling.prometheusUrl', o.prometheusUrl,
        `a Prometheus URL (or a monitoring stack with prometheusQueryUrl) for queue-depth autoscaling, or autoscaling.metric "cpu": ${noUrl}`);
    }
    if (scaleToZero && metric === 'cpu') {
      throw new InvalidPropError(this, 'autoscaling.metric', 'cpu',
        'unset or "none" with scaleToZero (CPU of zero pods cannot wake the endpoint; requests at the activator, schedule windows or a wakeQuery do), or "queue" with a Prometheus URL');
    }
    // A request at zero wakes the endpoint through the activator's trigger; windows and wakeQuery wake it too.
    for (const prop of ['coldStartTimeoutSeconds', 'targetConcurrency'] as const) {
      if (o[prop] !== undefined && !scaleToZero) throw new InvalidPropError(this, `autoscaling.${prop}`, o[prop], 'only with autoscaling.scaleToZero (the activator)');
    }
    if (o.wakeQuery !== undefined && !scaleToZero) {
      throw new InvalidPropError(this, 'autoscaling.wakeQuery', o.wakeQuery, 'only with autoscaling.scaleToZero');
    }
    if (o.wakeQuery !== undefined && !prometheusUrl) {
      throw new InvalidPropError(this, 'autoscaling.wakeQuery', o.wakeQuery,
        `only with a Prometheus URL (autoscaling.prometheusUrl or a self-managed monitoring stack): ${noUrl}. Use schedule windows to wake the endpoint instead`);
    }
    const r = props.replicas ?? {};
    check.integerInRange(this, 'replicas.min', r.min, 0, 1000);
    check.integerInRange(this, 'replicas.max', r.max, 1, 1000);
    if (scaleToZero && r.min !== undefined && r.min !== 0) {
      throw new InvalidPropError(this, 'replicas.min', r.min, '0 or unset with autoscaling.scaleToZero');
    }
    if (!scaleToZero && r.min === 0) {
      throw new InvalidPropError(this, 'replicas.min', 0, '>= 1, or set autoscaling.scaleToZero (KEDA) to idle at zero');
    }
    const min = scaleToZero ? 0 : r.min ?? 2;
    const max = r.max ?? Math.max(min, 4);
    if (min > max) throw new InvalidPropError(this, 'replicas', { min, max }, `min <= max (min ${min} > max ${max})`);
    if (max < 1) throw new InvalidPropError(this, 'replicas.max', max, '>= 1');
    const kind = metric === 'queue' || scaleToZero || schedule.length > 0 ? 'keda' : metric === 'cpu' ? (min === max ? 'fixed' : 'hpa') : 'fixed';
    return {
      kind, metric, min, max, scaleToZero, prometheusUrl,
      targetQueueDepth: o.targetQueueDepth ?? 4,
      targetCpuUtilization: o.targetCpuUtilization ?? 70,
      cooldownSeconds: o.cooldownSeconds ?? 300,
    };
  }

  /** KEDA triggers; the queue depth is read from `service`'s series. */
  private kedaTriggers(scaling: ResolvedScaling, props: EndpointProps, service: string): KedaTrigger[] {
    const triggers: KedaTrigger[] = [];
    // Requests held at the activator: what wakes the endpoint from zero (and a floor for scaling out).
    if (scaling.scaleToZero) triggers.push(httpAddonTrigger(this.name));
    const stable = seriesSelector(this.namespace, [service]);
    if (scaling.metric === 'queue' && scaling.prometheusUrl) {
      triggers.push(prometheusTrigger('queue-depth', scaling.prometheusUrl, gaugeSum(RUNTIME_METRICS[this.runtime].queueDepth, stable), scaling.targetQueueDepth));
    }
    if (scaling.metric === 'cpu') {
      triggers.push({ type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(scaling.targetCpuUtilization) } });
    }
    const wake = props.autoscaling?.wakeQuery;
    if (wake && scaling.prometheusUrl) triggers.push(prometheusTrigger('wake', scaling.prometheusUrl, wake, 1, 0));
    (props.schedule ?? []).forEach((w, i) => triggers.push(cronTrigger(`window-${i}`, w.start.trim(), w.end.trim(), w.timezone ?? 'UTC',
      w.replicas ?? Math.max(1, scaling.min))));
    return triggers;
  }

  private imageFor(runtime: InferenceRuntime, model: ModelReference | ModelImage, override: string | undefined): string {
    if (isModelImage(model)) return model.image;
    if (override) return override;
    if (runtime === 'vllm') return VLLM_IMAGE;
    return this.serverImage();
  }

  /** The bundled server image (images/server), built and pushed to the cloud's registry once per stack. */
  private serverImage(): string {
    const image = (require('./server-image') as typeof import('./server-image')).serverImage(this, this.cloud);
    // Nodes get pull access to the stack's registry where the cloud does not grant it already.
    image.grantPull(this.cluster);
    this.bundledImagePushes.push(image.push);
    return image.imageUri;
  }

  /** The bundled trainer image (it contains compute/ and aiinfra.export), for the export init step. */
  private trainerImage(): string {
    const image = (require('../core/image-build') as typeof import('../core/image-build')).trainerImage(this, this.cloud);
    image.grantPull(this.cluster);
    this.bundledImagePushes.push(image.push);
    return image.imageUri;
  }

  /** The server container, its init containers and volumes for one track. */
  private podParts(t: TrackSpec, ctx: EndpointContext, weightsGiB: number): PodParts {
    const TMP_GIB = 16;
    const volumes: Record<string, unknown>[] = [
      { name: 'tmp', emptyDir: { sizeLimit: `${TMP_GIB}Gi` } },
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: `${Math.min(16, 2 + 2 * ctx.server.gpus)}Gi` } },
    ];
    const mounts: VolumeMount[] = [
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'shm', mountPath: '/dev/shm' },
    ];
    if (ctx.apiKey) {
      volumes.push(csiSecretVolume('api-keys', ctx.spcName));
      if (ctx.apiKey.csiDriver !== 'secrets-store.csi.k8s.io') {
        (volumes[volumes.length - 1].csi as Record<string, unknown>).driver = ctx.apiKey.csiDriver;
      }
      mounts.push({ name: 'api-keys', mountPath: API_KEYS_DIR, readOnly: true });
    }
    const store = isModelImage(t.model) ? undefined : t.model.store;
    const storeEnv: EnvVar[] = store ? Object.entries(store.clientEnvironment).map(([name, value]) => ({ name, value })) : [];
    const srv = ctx.server.runtime === 'builtin' ? builtinServer(t, ctx, storeEnv) : vllmServer(t, ctx, storeEnv, {
      weightsGiB, parameterCount: this.parameterCount(t.model) ?? 0, trainerImage: () => this.trainerImage(),
      trainerCheckpoint: !isModelImage(t.model) && this.isTrainerCheckpoint(t.model, 'vllm'),
    });
    volumes.push(...srv.volumes);
    mounts.push(...srv.mounts);
    return {
      container: {
        name: 'server', image: t.image, ...(srv.command ? { command: srv.command } : {}), ...(srv.args ? { args: srv.args } : {}), env: srv.env, volumeMounts: mounts,
      },
      probes: srv.probes,
      initContainers: srv.initContainers,
      volumes,
      diskGiB: TMP_GIB + srv.cacheGiB,
    };
  }
}

/** A ServiceMonitor (and the activator's PodMonitor) only where a Prometheus operator brings the CRD. */
function wantsServiceMonitor(props: InferenceEndpointProps): boolean {
  return props.serviceMonitor ?? (props.monitoring !== undefined && (props.monitoring.backend ?? 'self-managed') !== 'managed');
}

function checkImage(scope: Construct, prop: string, image: string): void {
  if (typeof image === 'string' && Token.isUnresolved(image)) return;
  checkImageUri(scope, prop, image);
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

function servedModelName(model: ModelReference | ModelImage): string {
  const raw = isModelImage(model) ? model.modelPath : model.path;
  const last = raw.split('/').filter(Boolean).pop() ?? 'model';
  return last.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63) || 'model';
}

function tolerationsFor(pool: GpuPoolInfo): Toleration[] {
  return gpuPodTolerations(pool.taints);
}

/** The catalog machine of a pool (for CPU / memory defaults), when the catalog knows it. */
function machineOf(cloud: Cloud, pool: GpuPoolInfo): GpuMachineType | undefined {
  const gpu = Gpu.fromId(pool.gpu);
  if (!gpu) return undefined;
  const named = pool.machineType ? gpu.machineByName(cloud.kind, pool.machineType) : undefined;
  if (named) return named;
  return [...gpu.machines(cloud.kind)].filter((m) => m.gpusPerNode === pool.gpusPerNode).sort((a, b) => a.vcpus - b.vcpus)[0];
}

/** 4 cores per GPU, within the node's share per GPU (minus one core for the system). */
function defaultCpu(gpus: number, machine: GpuMachineType | undefined): number {
  const want = 4 * gpus;
  if (!machine) return want;
  const share = Math.floor((machine.vcpus * gpus) / machine.gpusPerNode) - 1;
  return Math.max(1, Math.min(want, share));
}

/** Twice the weights (loading), at least 16 GiB per GPU, within 80% of the node's share per GPU. */
function defaultMemory(gpus: number, weightsGiB: number, machine: GpuMachineType | undefined): number {
  const want = Math.max(16 * gpus, Math.ceil(2 * weightsGiB));
  if (!machine) return want;
  const share = Math.floor(((machine.memoryGiB * gpus) / machine.gpusPerNode) * 0.8);
  return Math.max(4, Math.min(want, share));
}

function urlOf(parts: ExposureParts, domain: string | undefined, app: string, namespace: string): string {
  if (domain) return `${parts.scheme}://${domain}`;
  return `http://${app}.${namespace}.svc.cluster.local`;
}

/**
 * The manual canary's fields are refused first (their old meaning would mislead every later check), and a registry
 * alias becomes its root as a model reference: the version is resolved in the pod.
 */
function normalizeProps(scope: Construct, raw: InferenceEndpointProps): { props: EndpointProps; registry?: RegistryModelReference } {
  if (raw.canary !== undefined) rejectManualCanary(scope, raw.canary);
  const registry = isRegistryModel(raw.model) ? raw.model : undefined;
  return { props: { ...raw, model: registry ? registryAsModel(registry) : raw.model as ModelReference | ModelImage }, registry };
}

/** The model prop with its name, for checks. */
function modelProps(props: EndpointProps): (readonly [string, ModelReference | ModelImage | undefined])[] {
  return [['model', props.model]];
}

/** The builtin server (images/server): it reads the model from the store itself. */
function builtinServer(t: TrackSpec, ctx: EndpointContext, storeEnv: readonly EnvVar[]): ServerParts {
  const { server, timing, apiKey, props } = ctx;
  const env: EnvVar[] = [
    { name: 'AIINFRA_MODEL_URI', value: isModelImage(t.model) ? t.model.modelPath : t.model.uri },
    ...(isModelImage(t.model) ? [] : [{ name: 'AIINFRA_MODEL_SELECT', value: t.model.select }]),
    // The server refuses a model outside its store (and path traversal): defense beside the read-only identity.
    ...(isModelImage(t.model) ? [] : [{ name: 'AIINFRA_MODEL_ROOT', value: t.model.store.uri }]),
    { name: 'AIINFRA_SERVED_MODEL_NAME', value: servedModelName(t.model) },
    { name: 'AIINFRA_PORT', value: String(SERVER_PORT) },
    { name: 'AIINFRA_PRECISION', value: server.precision },
    { name: 'AIINFRA_QUANTIZATION', value: server.quantization },
    { name: 'AIINFRA_REQUEST_TIMEOUT', value: String(timing.requestTimeout) },
    { name: 'AIINFRA_DRAIN_TIMEOUT', value: String(timing.requestTimeout) },
    ...(props.maxModelLength ? [{ name: 'AIINFRA_MAX_MODEL_LEN', value: String(props.maxModelLength) }] : []),
    ...(apiKey ? [{ name: 'AIINFRA_API_KEYS_FILE', value: API_KEYS_FILE }] : []),
    // The root filesystem is read-only: caches (Hugging Face tokenizers, torch) go to /tmp.
    { name: 'HOME', value: '/tmp' },
    { name: 'HF_HOME', value: '/tmp/hf' },
    { name: 'XDG_CACHE_HOME', value: '/tmp/cache' },
  ];
  const parts: ServerParts = {
    env: mergeEnv(storeEnv, env),
    probes: { startup: '/readyz', readiness: '/readyz', liveness: '/healthz' },
    initContainers: [], volumes: [], mounts: [], cacheGiB: 0,
  };
  if (!ctx.registry) return parts;
  // A registry alias: the URI is resolved when the pod starts (init container) and read by the server at its start.
  const r = builtinResolveParts(ctx.registry, t.image, storeEnv, MODEL_VERSION_ANNOTATION);
  return {
    ...parts, command: r.serverCommand, env: parts.env.filter((e) => e.name !== 'AIINFRA_MODEL_URI'),
    initContainers: [r.initContainer], volumes: [r.volume], mounts: [r.mount],
  };
}

/** vLLM's environment: every cache under the writable /tmp, no network calls home. */
const VLLM_ENV: readonly EnvVar[] = [
  { name: 'HOME', value: '/tmp' },
  // uid 10001 has no passwd entry in the image: getpass.getuser() (torch inductor's cache dir) reads USER.
  { name: 'USER', value: 'vllm' },
  { name: 'TORCHINDUCTOR_CACHE_DIR', value: '/tmp/torchinductor' },
  { name: 'HF_HOME', value: '/tmp/hf' },
  { name: 'HF_HUB_OFFLINE', value: '1' },
  { name: 'XDG_CACHE_HOME', value: '/tmp/cache' },
  { name: 'VLLM_CACHE_ROOT', value: '/tmp/vllm' },
  { name: 'TRITON_CACHE_DIR', value: '/tmp/triton' },
  { name: 'NUMBA_CACHE_DIR', value: '/tmp/numba' },
  { name: 'OUTLINES_CACHE_DIR', value: '/tmp/outlines' },
  { name: 'VLLM_NO_USAGE_STATS', value: '1' },
  { name: 'DO_NOT_TRACK', value: '1' },
];

/** What vllmServer needs from the endpoint beside the context. */
interface VllmHooks {
  readonly weightsGiB: number;
  readonly parameterCount: number;
  /** The model is a trainer checkpoint root: export it first. */
  readonly trainerCheckpoint: boolean;
  readonly trainerImage: () => string;
}

/**
 * vLLM: a store model is streamed by the Run:ai streamer where the cloud supports it, else copied to local disk by an
 * init container; a trainer checkpoint is exported to `<root>/hf` first; adapters are copied into /adapters.
 */
function vllmServer(t: TrackSpec, ctx: EndpointContext, storeEnv: readonly EnvVar[], hooks: VllmHooks): ServerParts {
  const { server, apiKey, props } = ctx;
  const adapters = props.adapters ?? [];
  let parts: Pick<ServerParts, 'initContainers' | 'volumes' | 'mounts' | 'cacheGiB'> = { initContainers: [], volumes: [], mounts: [], cacheGiB: 0 };
  let modelPath: string;
  let stream = false;
  let env: readonly EnvVar[] = VLLM_ENV;
  let adapterPaths: readonly { name: string; path: string }[] = [];
  if (isModelImage(t.model)) {
    modelPath = t.model.modelPath;
  } else if (ctx.registry) {
    const r = vllmResolveParts(ctx.registry, hooks.trainerImage(), storeEnv, MODEL_VERSION_ANNOTATION, {
      trainerCheckpoint: hooks.trainerCheckpoint, precision: server.precision, weightsGiB: hooks.weightsGiB, parameterCount: hooks.parameterCount,
    });
    parts = { initContainers: [r.initContainer], volumes: r.volumes, mounts: r.mounts, cacheGiB: r.diskGiB };
    modelPath = r.modelPath;
  } else {
    const loading = vllmModelParts({
      model: t.model, trainerCheckpoint: hooks.trainerCheckpoint, cloud: ctx.parts, storeEnv, precision: server.precision,
      parameterCount: hooks.parameterCount, weightsGiB: hooks.weightsGiB, trainerImage: hooks.trainerImage, adapters,
    });
    parts = { initContainers: loading.initContainers, volumes: loading.volumes, mounts: loading.mounts, cacheGiB: loading.diskGiB };
    modelPath = loading.modelPath;
    stream = loading.stream;
    env = mergeEnv(loading.env, VLLM_ENV);
    adapterPaths = loading.adapterPaths;
  }
  const args = vllmArgs({
    modelPath, servedModelName: servedModelName(t.model), port: SERVER_PORT, tensorParallelSize: server.tp, pipelineParallelSize: server.gpus / server.tp,
    precision: server.precision, quantization: server.quantization, maxModelLength: props.maxModelLength, stream,
    ...(adapterPaths.length > 0 ? {
      lora: { modules: adapterPaths, maxRank: maxLoraRankFor(adapters.map((a) => a.adapter.rank)), maxLoras: Math.min(MAX_GPU_LORAS, adapters.length) },
    } : {}),
  });
  // vLLM reads one key from VLLM_API_KEY; the file comes from the secret manager through the CSI volume.
  const command = apiKey
    ? ['/bin/sh', '-c', `VLLM_API_KEY="$(head -n 1 ${API_KEYS_FILE})"; export VLLM_API_KEY; exec python3 -m vllm.entrypoints.openai.api_server "$@"`, 'vllm']
    : ['python3', '-m', 'vllm.entrypoints.openai.api_server'];
  // vLLM answers /health (engine up and healthy) without the API key; it exits when its engine dies, so
  // liveness only needs the process to accept connections, and never fails because of load.
  return { ...parts, command, args, env, probes: { startup: '/health', readiness: '/health', liveness: 'tcp' } };
}

/** Request timeout, preStop delay and startup budget, seconds, after defaults. */
function resolveTiming(props: EndpointProps): ResolvedTiming {
  return { requestTimeout: props.requestTimeoutSeconds ?? 120, preStop: props.preStopSeconds ?? 15, startupSeconds: props.startupSeconds ?? 1800 };
}
