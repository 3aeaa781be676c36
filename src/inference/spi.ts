// The per-cloud contract of an InferenceEndpoint (types only): load balancer / gateway, certificate, API key
// secret, how an init container copies a model, and the cloud facts the generic construct needs (default
// gateway class, pod labels, identity egress, exposure checks). Each cloud implements it as the `inference`
// const of src/clouds/<cloud>/inference.ts; the endpoint reaches it through `targetFor(cloud).inference`.
import type { Construct } from 'constructs';
import type { Cloud } from '../core/cloud';
import type { IWorkloadIdentity } from '../core/identity';
import type { ModelReference } from '../core/model-store';
import type { GatewayListener } from '../k8s/objects/gateway';
import type { EnvVar, K8sObject } from '../k8s/objects/object';
import type { CrdHandling } from '../k8s/charts';
import type { EndpointCertificate, KeyVaultNetwork } from './types';

export interface ExposureRequest {
  /** Kubernetes base name of the endpoint. */
  readonly app: string;
  readonly namespace: string;
  readonly public: boolean;
  readonly domainName?: string;
  readonly certificate?: EndpointCertificate;
  /** The user's Gateway class, if any. */
  readonly gatewayClassName?: string;
  /** Extra Gateway annotations from the user. */
  readonly gatewayAnnotations?: Record<string, string>;
  /** Traffic goes through a Gateway API gateway (public endpoints and canaries). */
  readonly useGateway: boolean;
  /** Longest request: load balancer idle/backend timeouts are set above it. */
  readonly requestTimeoutSeconds: number;
  /** Seconds a draining target keeps its connections on the load balancer. */
  readonly deregistrationSeconds: number;
  /** The pods' server port (load balancer health checks that name a port use it). */
  readonly serverPort: number;
  readonly tags?: Record<string, string>;
}

/** A gateway backend Service that is not the endpoint's own (the activator's proxy in its add-on's namespace). */
export interface BackendTarget {
  readonly namespace: string;
  /** Port and path the gateway's health check probes (the proxy's admin port, not its traffic port). */
  readonly healthPort: number;
  readonly healthPath: string;
  /** Longest request through it, seconds (the gateway's backend timeout is set above it). */
  readonly requestTimeoutSeconds: number;
}

export interface GatewayParts {
  readonly className: string;
  readonly annotations: Record<string, string>;
  readonly listeners: readonly GatewayListener[];
  readonly addresses?: readonly { type: string; value: string }[];
  readonly infrastructure?: Record<string, unknown>;
}

export interface ExposureParts {
  /** Type of the stable Service. */
  readonly serviceType: 'ClusterIP' | 'LoadBalancer';
  /** Annotations of the stable Service (internal load balancer settings). */
  readonly serviceAnnotations: Record<string, string>;
  /** `spec.loadBalancerClass` of a LoadBalancer stable Service. @default - none: the cluster's built-in controller */
  readonly serviceLoadBalancerClass?: string;
  /**
   * A LoadBalancer stable Service is served by the controller `cluster.enableGatewayApi()` installs (e.g. a load
   * balancer controller). The endpoint's release then depends on that controller, so on destroy the Service
   * (whose finalizer makes the controller delete the load balancer) goes first. @default false
   */
  readonly serviceNeedsClusterController?: boolean;
  /** The gateway, when traffic goes through one. */
  readonly gateway?: GatewayParts;
  /** Cloud-specific objects beside the gateway (load balancer configuration). */
  readonly gatewayObjects: readonly K8sObject[];
  /**
   * Per backend Service: health check and timeout policies of the cloud's gateway. `target` names a Service outside
   * the endpoint (the request-holding activator's proxy): its namespace, health port and path, and timeout.
   */
  backendObjects(serviceName: string, target?: BackendTarget): K8sObject[];
  /** Source ranges the NetworkPolicy admits by default (load balancer / proxy addresses). */
  readonly defaultCidrs: readonly string[];
  /** 'https' when TLS terminates at the load balancer. */
  readonly scheme: 'http' | 'https';
}

export interface ApiKeyRequest {
  readonly identity: IWorkloadIdentity;
  /** Who may reach the secret store, where the cloud's store has a network rule (Key Vault). */
  readonly network?: KeyVaultNetwork;
  /** Bump to generate a new key. */
  readonly version: number;
  readonly tags?: Record<string, string>;
}

export interface ApiKeyParts {
  /** SecretProviderClass `spec.provider`. */
  readonly provider: string;
  /** SecretProviderClass `spec.parameters` (references only, never the value). */
  readonly parameters: Record<string, string>;
  /** CSI driver name the pod volume uses. */
  readonly csiDriver: string;
  /** Where the key lives in the cloud's secret manager. */
  readonly secretRef: string;
}

export interface ModelCopySpec {
  readonly image: string;
  readonly command: readonly string[];
  readonly env: readonly EnvVar[];
  /** Writable directories the copy tool needs (config, caches) beside the destination. */
  readonly scratchDirs: readonly string[];
}

/** How vLLM streams a model's safetensors straight from the store (its Run:ai model streamer). */
export interface ModelStreamSpec {
  /** What vLLM's `--model` takes (`s3://bucket/path`, `gs://bucket/path`). */
  readonly uri: string;
  /** Environment the streamer needs beside the workload identity (region, concurrency). */
  readonly env: readonly EnvVar[];
}

/** A pinned upstream Helm chart installed once per cluster. */
export interface AddonChart {
  readonly id: string;
  readonly releaseName: string;
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
  /** How its CRDs are installed and upgraded (see `CrdHandling`). */
  readonly crds: CrdHandling;
  /** Skip the chart's `crds/` folder (its CRDs come from templates instead). @default false */
  readonly skipCrds?: boolean;
}

export interface ExposureCheck {
  readonly isPublic: boolean;
  readonly apiKey: boolean;
  readonly keyVaultNetwork?: KeyVaultNetwork;
  readonly usesGateway: boolean;
  readonly certificate?: EndpointCertificate;
  readonly gatewayClassName?: string;
}

/**
 * What one cloud implements for inference endpoints. `C` is the cloud's own class: methods (bivariant
 * parameters) let `InferenceSpi<AwsCloud>` stand in `CloudTarget` as `InferenceSpi`; `targetFor(cloud)` only
 * ever hands a cloud its own kind.
 */
export interface InferenceSpi<C extends Cloud = Cloud> {
  /** The Service / gateway / load balancer objects (and cloud resources such as a certificate) of an endpoint. */
  exposure(scope: Construct, cloud: C, req: ExposureRequest): ExposureParts;
  /** The API key in the cloud's secret manager, readable by the endpoint's identity only. */
  apiKey(scope: Construct, cloud: C, req: ApiKeyRequest): ApiKeyParts;
  /** Copies `model` into `dest` (vLLM reads a local HF-format directory; adapters are always copied). */
  modelCopy(model: ModelReference, dest: string): ModelCopySpec;
  /**
   * vLLM streams `model` from the store instead of copying it (`--load-format runai_streamer`), where the pinned
   * vLLM's streamer reads the cloud's object store. @default - undefined: the model is copied with `modelCopy`
   */
  modelStream?(model: ModelReference): ModelStreamSpec;
  /** Gateway class used when the user names none; undefined when the cloud has no default for that case. */
  defaultGatewayClass(isPublic: boolean): string | undefined;
  /** Cloud-specific exposure checks (InvalidPropError before any child is created). */
  checkExposure(scope: Construct, opts: ExposureCheck): void;
  /** Labels every endpoint pod needs (e.g. for the cloud's workload identity webhook). */
  readonly podLabels: Record<string, string>;
  /** Secrets Store CSI driver + provider chart; undefined when the cloud ships it as a managed add-on. */
  readonly secretsStoreChart?: AddonChart;
  /** Cluster-scoped objects the gateway needs (e.g. a GatewayClass), installed once per cluster. */
  readonly sharedGatewayObjects: readonly K8sObject[];
  /** Egress the pods need to get cloud credentials (pod identity agent, metadata server). */
  readonly identityEgress: readonly { cidr: string; ports: readonly number[] }[];
}
