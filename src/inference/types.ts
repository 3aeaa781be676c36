// Props of InferenceEndpoint. Every optional prop documents its default; validation lives in validate.ts.
import { IConstruct } from 'constructs';
import { Cloud } from '../core/cloud';
import { IGpuCluster } from '../core/cluster';
import { Gpu } from '../core/gpu';
import { ModelReference, RegistryModelReference } from '../core/model-store';
import { RolloutOptions } from './rollout';
import { ErrorScope } from '../core/errors';
import { KubernetesWorkload } from '../k8s/delivery';
import type { EndpointAdapter } from './lora';

/** Which server runs in the pods. */
export type InferenceRuntime = 'builtin' | 'vllm';

/** Weight and KV-cache precision. */
export type InferencePrecision = 'bf16' | 'fp16' | 'fp32';

/**
 * Weight quantization. The builtin server supports `int8` (weight-only, per channel); vLLM supports
 * `fp8` (dynamic, Hopper/Ada), `awq` and `gptq` (the model must be quantized that way).
 */
export type InferenceQuantization = 'none' | 'int8' | 'fp8' | 'awq' | 'gptq';

/** A model baked into a container image (the image's own server serves it). */
export interface ModelImage {
  /** The image, pinned by tag or digest, e.g. `123.dkr.ecr.us-east-1.amazonaws.com/chat@sha256:...`. */
  readonly image: string;
  /** Where the weights are inside the image (passed as the model path). */
  readonly modelPath: string;
  /** Parameters of the model, for the GPU memory check. @default - unknown (no fit check) */
  readonly parameterCount?: number;
}

/** Replica bounds. */
export interface ReplicaOptions {
  /**
   * Fewest replicas while serving. Two by default so a node loss or a rollout never takes the endpoint
   * down; `0` only with `autoscaling.scaleToZero`.
   * @default 2
   */
  readonly min?: number;
  /** Most replicas. @default max(min, 4) */
  readonly max?: number;
}

/** How the replica count follows load. */
export interface AutoscalingOptions {
  /**
   * `queue`: KEDA (pinned Helm release, installed once per cluster) scales on the server's queue depth
   * from Prometheus (`vllm:num_requests_waiting` / `aiinfra_server_queue_depth`). `cpu`: a plain
   * HorizontalPodAutoscaler on CPU utilization (no Prometheus needed; a weak signal for GPU serving).
   * `none`: a fixed `replicas.min`.
   * @default 'queue' when a Prometheus is known (`monitoring` with a `prometheusQueryUrl`, or `prometheusUrl`); else
   * 'none' with `scaleToZero` (schedule windows scale it) and 'cpu' without
   */
  readonly metric?: 'queue' | 'cpu' | 'none';
  /** Waiting requests per replica the autoscaler aims for (`queue`). @default 4 */
  readonly targetQueueDepth?: number;
  /** CPU utilization percent the HPA aims for (`cpu`). @default 70 */
  readonly targetCpuUtilization?: number;
  /**
   * Prometheus the KEDA scaler queries (in-cluster URL, no auth). Managed monitoring backends expose none
   * (their query APIs need cloud auth), so queue-depth scaling and `wakeQuery` need the self-managed backend
   * or a URL of your own; scale-to-zero with schedule windows needs none.
   * @default - the `monitoring` stack's query URL
   */
  readonly prometheusUrl?: string;
  /**
   * Scale to zero replicas when idle (KEDA). A request-holding activator (the KEDA HTTP add-on's interceptor) sits in
   * front of the endpoint: a request at zero wakes it and waits for the first ready replica, up to
   * `coldStartTimeoutSeconds`, then gets 503 with Retry-After. Traffic goes through a Gateway API gateway. A
   * `schedule` window or a `wakeQuery` also wakes it. A cold start costs node provisioning + image pull + model
   * load (minutes; see the README).
   * @default false
   */
  readonly scaleToZero?: boolean;
  /**
   * With `scaleToZero`: how long the activator holds a request while the endpoint scales from zero, seconds. At least
   * the pool's documented GPU node scale-up (AWS/GCP 360, Azure 480), or it is an error.
   * @default - the documented cold start: node scale-up + image pull + weights load + engine start (README, Cold start)
   */
  readonly coldStartTimeoutSeconds?: number;
  /** With `scaleToZero`: in-flight requests per replica the activator's scaler aims for. @default 32 */
  readonly targetConcurrency?: number;
  /**
   * PromQL that measures demand while no replica runs (e.g. requests at the load balancer), used to wake
   * a scaled-to-zero endpoint.
   * @default - none: a scaled-to-zero endpoint wakes only on its schedule windows
   */
  readonly wakeQuery?: string;
  /** Seconds of no load before scaling down (KEDA `cooldownPeriod`, HPA scale-down window). @default 300 */
  readonly cooldownSeconds?: number;
}

/** A cron window during which the endpoint keeps at least `replicas` replicas (KEDA cron scaler). */
export interface ScheduleWindow {
  /** Cron expression for the start, e.g. `0 8 * * 1-5`. */
  readonly start: string;
  /** Cron expression for the end, e.g. `0 20 * * 1-5`. */
  readonly end: string;
  /** IANA time zone, e.g. `Europe/Berlin`. @default 'UTC' */
  readonly timezone?: string;
  /** Replicas to hold inside the window. @default replicas.min (or 1 with scaleToZero) */
  readonly replicas?: number;
}

/** TLS certificate for a public endpoint. One of the fields. */
export interface EndpointCertificate {
  /** AWS: an existing ACM certificate ARN. @default - a DNS-validated ACM certificate for `domainName` */
  readonly acmCertificateArn?: string;
  /**
   * GCP: an existing Certificate Manager certificate map name.
   * @default - a Google-managed certificate for `domainName` in a new certificate map
   */
  readonly certificateMapName?: string;
  /**
   * A cert-manager ClusterIssuer (e.g. `letsencrypt`) that issues the certificate into a Secret the
   * gateway reads. Required on Azure (Application Gateway for Containers reads TLS from a Secret).
   * @default - none
   */
  readonly certManagerClusterIssuer?: string;
}

/** Who can reach the endpoint, and how. */
export interface ExposureOptions {
  /**
   * `internal`: a private load balancer in the cluster's network (default). `public`: an internet-facing
   * load balancer, always with TLS and an API key.
   * @default 'internal'
   */
  readonly type?: 'internal' | 'public';
  /** Host name clients use (required for `public`: the certificate is issued for it). @default - none */
  readonly domainName?: string;
  /** TLS is always on for public endpoints; `false` is rejected. @default true for public */
  readonly tls?: boolean;
  /** The certificate for a public endpoint. @default - a managed certificate for `domainName` (AWS, GCP) */
  readonly certificate?: EndpointCertificate;
  /**
   * Source ranges admitted by the NetworkPolicy besides the monitoring scraper (the load balancer /
   * gateway proxies live there).
   * @default - the private ranges (10/8, 172.16/12, 192.168/16), plus Google's front-end ranges on a public GCP endpoint
   */
  readonly allowedCidrs?: readonly string[];
  /**
   * Gateway API class for the L7 path (public endpoints and canaries).
   * @default - aws: `aiinfra-alb` (AWS Load Balancer Controller, created once per cluster); gcp:
   * `gke-l7-global-external-managed` (public) / `gke-l7-rilb` (internal); azure: `azure-alb-external`
   * (public only: an internal Azure canary needs a class you name)
   */
  readonly gatewayClassName?: string;
  /**
   * Route traffic through a Gateway API gateway even when internal without a canary. Set it from the
   * start on an internal endpoint that will get canaries: adding one later moves traffic from the
   * Service's load balancer to the gateway (a new address).
   * @default - true for public endpoints and canaries, false otherwise
   */
  readonly gateway?: boolean;
  /** Extra annotations on the Gateway (e.g. Application Gateway for Containers' `alb.networking.azure.io/alb-name`). @default - none */
  readonly gatewayAnnotations?: Record<string, string>;
}

/** API-key authentication. */
export interface AuthOptions {
  /**
   * Require an API key. The key is generated at deploy time into the cloud's secret manager and mounted
   * into the pods by the Secrets Store CSI driver; it never appears in synth output.
   * @default true for public endpoints (cannot be turned off), false for internal ones
   */
  readonly apiKey?: boolean;
  /** Bump to rotate the key (a new secret version is generated). @default 1 */
  readonly apiKeyVersion?: number;
  /**
   * Azure: networks that may reach the endpoint's Key Vault, which denies all others. Required on Azure
   * when the API key is on. @default - none (AWS and GCP reach their secret managers through IAM only)
   */
  readonly keyVaultNetwork?: KeyVaultNetwork;
}

/** Networks admitted by a Key Vault's firewall. */
export interface KeyVaultNetwork {
  /** Subnet resource ids (AKS node subnets; they need the `Microsoft.KeyVault` service endpoint). @default - none */
  readonly allowedSubnetIds?: readonly string[];
  /** Public IPv4 addresses or CIDRs (where Terraform runs: it writes the key). @default - none */
  readonly allowedIpRanges?: readonly string[];
}

/**
 * Progressive delivery (Flagger, installed once per cluster): every change of the endpoint's pod template (a new
 * `model` or `image`, or a pipeline setting the model version annotation) runs as a canary that takes `steps` of the
 * traffic on the endpoint's Gateway, one step per `interval`, while its own series stay within `slo`; a breach
 * returns all traffic to the previous version. Needs a Prometheus Flagger can query (the monitoring stack's
 * `prometheusQueryUrl` or `autoscaling.prometheusUrl`).
 */
export interface CanaryOptions {
  /** Traffic percentages of the canary, strictly increasing, each in (0, 100]; promotion follows the last. @default [5, 25, 50] */
  readonly steps?: readonly number[];
  /** Time at each step; each check reads the canary's series over this window (1m to 24h). @default '10m' */
  readonly interval?: string;
  /** What the canary must hold at every check. @default - errorRatio 0.01, p95TtftMs from `slo.ttftP95Seconds` when set */
  readonly slo?: CanarySlo;
  /** Failed checks before the rollback. @default 2 */
  readonly failedChecks?: number;
  /** @deprecated Removed: the manual canary. Set `model` on the endpoint; a synth error explains the migration. */
  readonly model?: ModelReference | ModelImage;
  /** @deprecated Removed: set `image` on the endpoint. */
  readonly image?: string;
  /** @deprecated Removed: Flagger sets the canary's traffic per step (`steps`). */
  readonly weight?: number;
  /** @deprecated Removed: the canary scales with the endpoint's autoscaler. */
  readonly replicas?: number;
  /** @deprecated Removed: Flagger promotes when the last step passes. */
  readonly promote?: boolean;
}

/** SLOs of a canary, measured on the canary's own series (metrics the endpoint's runtime exports). */
export interface CanarySlo {
  /** Most share of requests answered with a server error (5xx; and 429 for builtin). @default 0.01 */
  readonly errorRatio?: number;
  /** Most p95 time to first token, milliseconds. @default - the endpoint's `slo.ttftP95Seconds`, else no check */
  readonly p95TtftMs?: number;
  /** Fewest generated tokens per second per running request (the decode speed a stream sees). @default - no check */
  readonly minTokensPerSecond?: number;
}

/** Service-level objective, for monitoring and the scale-to-zero warning. */
export interface EndpointSlo {
  /** p95 latency bound, seconds. @default - none */
  readonly latencyP95Seconds?: number;
  /** Availability target, e.g. 0.999. @default - none */
  readonly availability?: number;
  /** p95 time-to-first-token bound, seconds. @default - none */
  readonly ttftP95Seconds?: number;
}

/** The Prometheus side of a MonitoringStack, as an endpoint needs it. */
export interface IEndpointMonitoring {
  /**
   * `self-managed` (Prometheus operator in the cluster: ServiceMonitor CRD) or `managed` (the cloud's
   * Prometheus scrapes through its own objects, made by `watch`). @default 'self-managed'
   */
  readonly backend?: string;
  /** In-cluster URL KEDA queries, e.g. `http://prometheus-operated.monitoring.svc:9090`. */
  readonly prometheusQueryUrl?: string;
  /** Namespace of the scraper (admitted by the NetworkPolicy). */
  readonly scraperNamespace?: string;
  /** Labels a ServiceMonitor needs to be picked up (e.g. `release: kube-prometheus-stack`). */
  readonly serviceMonitorLabels?: Record<string, string>;
  /**
   * Registers the endpoint for alerts and dashboards (a MonitoringStack's `watch`); the endpoint calls it
   * with its SLO. @default - not called
   */
  watch?(target: IConstruct, options?: EndpointWatchOptions): void;
}

/** What the endpoint hands to `monitoring.watch`. */
export interface EndpointWatchOptions {
  readonly latencyP95Seconds?: number;
  readonly ttftP95Seconds?: number;
  readonly availability?: number;
}

/** A tenant the endpoint lands in (a `Tenant` of the cluster fits). */
export interface IEndpointTenant {
  /** The tenant's namespace. */
  readonly namespace: string;
  /** The release that creates the namespace: the endpoint's release depends on it. */
  readonly workload?: KubernetesWorkload;
  /** Throws unless `prefix` lies inside the tenant's object-store prefix. */
  checkPrefix?(scope: ErrorScope, prop: string, prefix: string): void;
}


export interface InferenceEndpointProps {
  /**
   * The cluster to run on.
   * @default - a small serving cluster with one pool of `gpu` (needs `cloud`)
   */
  readonly cluster?: IGpuCluster;
  /** Cloud of the serving cluster made when `cluster` is omitted. @default - the cluster's cloud */
  readonly cloud?: Cloud;
  /**
   * The model: `bucket.model('llm/v3')`, an image with the weights baked in, or a registry alias
   * (`bucket.registry('chat-model')`: the pods load the version the alias points at when they start, or the version
   * their `ai-infra.dev/model-version` annotation names, which a pipeline sets to roll out a canary).
   */
  readonly model: ModelReference | ModelImage | RegistryModelReference;
  /**
   * The server. `vllm` (paged KV cache, prefix caching, CUDA graphs) serves every model in a bucket, trainer
   * checkpoints included (an init step exports them to a Hugging Face directory once per checkpoint). `builtin`
   * (images/server) serves int8, tiny models and tests.
   * @default - 'vllm', except 'builtin' for a model baked into an image, `quantization: 'int8'` and models under
   * 50M parameters (see the README's runtime rule)
   */
  readonly runtime?: InferenceRuntime;
  /** Server image override (a prebuilt builtin server or a vLLM build). @default - built from images/server (builtin) / the pinned vllm-openai image */
  readonly image?: string;
  /** GPU type each replica runs on. @default - the GPU of the cluster's first pool (L4 / A10G for a new cluster) */
  readonly gpu?: Gpu;
  /** GPUs per replica (one node's worth at most). @default 1 */
  readonly gpusPerReplica?: number;
  /**
   * vLLM tensor parallel size; the rest of the replica's GPUs become pipeline stages
   * (`gpusPerReplica / tensorParallelSize`). Must divide `gpusPerReplica`.
   * @default gpusPerReplica
   */
  readonly tensorParallelSize?: number;
  /** @default - bf16 when the GPU supports it, else fp16 */
  readonly precision?: InferencePrecision;
  /** @default 'none' */
  readonly quantization?: InferenceQuantization;
  /**
   * LoRA adapters served on top of `model` (vLLM only), each addressable by its `name` in the OpenAI API's `model`
   * field: `[{ name: 'support', adapter: loraAdapter(bucket, 'adapters/support', { rank: 16, base: model }) }]`,
   * or a fine-tuning job's `job.adapter()`. At most 32, ranks 1-512, names unique.
   * @default - none
   */
  readonly adapters?: readonly EndpointAdapter[];
  /** Context length to serve (tokens). @default - the model's */
  readonly maxModelLength?: number;
  readonly replicas?: ReplicaOptions;
  readonly autoscaling?: AutoscalingOptions;
  /** Windows that keep replicas warm (KEDA cron). @default - none */
  readonly schedule?: readonly ScheduleWindow[];
  readonly exposure?: ExposureOptions;
  readonly auth?: AuthOptions;
  /**
   * Progressive delivery with automatic rollback (Flagger): `{ steps: [5, 25, 50], interval: '10m', slo: { errorRatio: 0.01, p95TtftMs: 800 } }`.
   * @default - none: a change rolls out as a plain Deployment rollout
   */
  readonly canary?: CanaryOptions;
  /**
   * How the Deployments roll. Checked at synth: replicas.max + maxSurge + a canary's replicas must fit the pool beside
   * its other workloads. @default - maxSurge 1, maxUnavailable 0
   */
  readonly rollout?: RolloutOptions;
  /** @default - none */
  readonly slo?: EndpointSlo;
  /** Monitoring the endpoint reports to (ServiceMonitor labels, scraper namespace, KEDA's Prometheus). @default - none */
  readonly monitoring?: IEndpointMonitoring;
  /** Tenant whose namespace the endpoint lands in. @default - none */
  readonly tenant?: IEndpointTenant;
  /**
   * Render a ServiceMonitor (needs the Prometheus operator's CRD in the cluster).
   * @default - true with a self-managed `monitoring` stack, false otherwise (a managed backend scrapes
   * through the objects its `watch` makes; without monitoring the CRD may not exist)
   */
  readonly serviceMonitor?: boolean;
  /** Namespace (when no tenant). @default 'inference' */
  readonly namespace?: string;
  /** Longest request, seconds: the drain after SIGTERM waits this long for in-flight requests. @default 120 */
  readonly requestTimeoutSeconds?: number;
  /** Seconds between leaving the load balancer and SIGTERM (preStop sleep). @default 15 */
  readonly preStopSeconds?: number;
  /** Longest model load, seconds (startup probe budget). @default 1800 */
  readonly startupSeconds?: number;
  /** PriorityClass value of the pods (training jobs use less, so serving preempts them). @default 100000 */
  readonly priority?: number;
  /** CPU cores requested per replica. @default - 4 per GPU */
  readonly cpu?: number;
  /** Memory per replica, GiB. @default - 2 x the model's weight size, at least 16 per GPU */
  readonly memoryGiB?: number;
  /** Extra tags/labels on cloud resources. @default - none */
  readonly tags?: Record<string, string>;
}

/** True when the model is an image with baked-in weights. */
export function isModelImage(model: ModelReference | ModelImage | RegistryModelReference): model is ModelImage {
  return typeof (model as ModelImage).image === 'string' && (model as ModelReference).store === undefined;
}
