// The per-cloud contracts of core's own constructs (types only): WorkloadIdentity and BundledImage's image
// repository. Each cloud implements them in src/clouds/<cloud>/identity.ts and registry.ts; src/clouds/registry.ts
// maps a cloud to them.
import type { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Cloud } from './cloud';
import type { IGpuCluster } from './cluster';
import type { WorkloadIdentityKind } from './identity';

/** What a cloud needs to make a workload identity. */
export interface WorkloadIdentitySpec {
  /** What the identity is for, recorded on the cloud resource. @default - the construct path */
  readonly description?: string;
  /** Extra tags/labels. @default - none */
  readonly tags?: Record<string, string>;
}

/** The per-cloud half of a workload identity. */
export interface WorkloadIdentityImpl {
  readonly identityKind: WorkloadIdentityKind;
  readonly principal: string;
  readonly workloadRef: string;
  readonly resourceId: string;
}

/** One cloud's WorkloadIdentity. */
export interface IdentitySpi<C extends Cloud = Cloud> {
  /** Makes the identity's cloud resource under `scope` (no permissions). */
  create(scope: Construct, cloud: C, spec: WorkloadIdentitySpec): WorkloadIdentityImpl;
}

/**
 * How the docker provider authenticates a push (Cloud `registryAuth`):
 * - `docker-config`: the deploying machine's `~/.docker/config.json`, whose credential helper (`credHelpers` or
 *   `credsStore`) the provider runs when it starts (provider `registry_auth { config_file }`);
 * - `environment`: a user name in the configuration, the password from `DOCKER_REGISTRY_PASS` in the deploying
 *   environment (provider `registry_auth { username }`), for registries whose helpers return an identity token
 *   the pinned provider (kreuzwerker/docker 3.6.2) drops (ACR);
 * - `terraform-token`: a token Terraform reads or creates, set on the push resource (kept in state).
 */
export type RegistryPushAuth =
  | { readonly kind: 'docker-config' }
  | { readonly kind: 'environment'; readonly username: string }
  | { readonly kind: 'terraform-token'; readonly username: string; readonly password: string };

/** A repository the per-cloud code made for one image, and how to push to it. */
export interface ImageRepository {
  /** `host/path/name` without tag; its host is `address`. */
  readonly url: string;
  /** Registry host, known at synth or plan (the provider's `registry_auth` address). */
  readonly address: string;
  readonly auth: RegistryPushAuth;
  /** What the push must wait for when `url` does not reference the repository. @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/** One cloud's image registry, for BundledImage. */
export interface ImageRepositorySpi<C extends Cloud = Cloud> {
  /** Makes the repository of one image under `scope`. */
  repository(scope: Construct, cloud: C, imageName: string): ImageRepository;
  /** Lets the cluster's nodes pull from the registry. @default - nodes already can (node role / service account) */
  grantPull?(scope: Construct, cloud: C, cluster: IGpuCluster): void;
}
