// The per-cloud contracts of core's own constructs (types only): WorkloadIdentity and BundledImage's image
// repository. Each cloud implements them in src/clouds/<cloud>/identity.ts and registry.ts; src/clouds/registry.ts
// maps a cloud to them.
import type { Construct } from 'constructs';
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

/** A repository the per-cloud code made for one image, and how to push to it. */
export interface ImageRepository {
  /** `host/path/name` without tag. */
  readonly url: string;
  /** Registry host, for docker login. */
  readonly address: string;
  readonly username: string;
  /** A short-lived token (ECR, Artifact Registry) or a repository-scoped push token (ACR). */
  readonly password: string;
}

/** One cloud's image registry, for BundledImage. */
export interface ImageRepositorySpi<C extends Cloud = Cloud> {
  /** Makes the repository of one image under `scope`. */
  repository(scope: Construct, cloud: C, imageName: string): ImageRepository;
  /** Lets the cluster's nodes pull from the registry. @default - nodes already can (node role / service account) */
  grantPull?(scope: Construct, cloud: C, cluster: IGpuCluster): void;
}
