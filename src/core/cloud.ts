import { check, ErrorScope, InvalidPropError } from './errors';
import { stableHash } from './hash';
import { AWS_REGIONS, AZURE_LOCATIONS, GCP_REGIONS } from './regions';

export type CloudKind = 'aws' | 'gcp' | 'azure';

/**
 * One implementation per cloud. Generic construct code hands this to `cloud.select(...)` and never
 * compares cloud names itself: adding a cloud is a compile error everywhere an implementation is due.
 */
export interface PerCloud<T> {
  aws(cloud: AwsCloud): T;
  gcp(cloud: GcpCloud): T;
  azure(cloud: AzureCloud): T;
}

/**
 * How `cdktf deploy` authenticates the push of the bundled images (trainer, server) to the cloud's registry:
 * - `deployer`: with the deploying machine's own registry credentials, which no Terraform value holds: the
 *   docker credential helper named in `~/.docker/config.json` (ECR: `docker-credential-ecr-login`; Artifact
 *   Registry: `gcloud auth configure-docker <region>-docker.pkg.dev`), or for ACR a token from
 *   `az acr login --expose-token` in the `DOCKER_REGISTRY_PASS` environment variable (README: Images).
 * - `terraform-token`: a registry token that Terraform reads or creates (ECR authorization token, the Google
 *   OAuth access token of the deploying identity, an ACR repository-scoped token password). Terraform keeps it
 *   in state, readable by anyone who can read the state; synth warns.
 */
export type ImageRegistryAuth = 'deployer' | 'terraform-token';

/** The ImageRegistryAuth values, for validation. */
export const IMAGE_REGISTRY_AUTH: readonly ImageRegistryAuth[] = ['deployer', 'terraform-token'];

/** Props every cloud shares. */
export interface CloudCommonProps {
  /** How the bundled images' push authenticates (see ImageRegistryAuth). @default 'deployer' */
  readonly registryAuth?: ImageRegistryAuth;
}

export interface AwsCloudProps extends CloudCommonProps {
  /** AWS region, e.g. `us-east-1`. */
  readonly region: string;
  /**
   * The account id (12 digits). Mixed into derived globally-unique names (S3 buckets) so two accounts
   * deploying the same stack do not collide.
   * @default - names depend on the construct path and region only
   */
  readonly accountId?: string;
  /** Accept a region missing from the built-in list (one launched after this release). @default false */
  readonly allowUnknownRegion?: boolean;
}

export interface GcpCloudProps extends CloudCommonProps {
  /** Project id, e.g. `acme-ml`. */
  readonly project: string;
  /** Region, e.g. `us-central1`. */
  readonly region: string;
  /** Accept a region missing from the built-in list. @default false */
  readonly allowUnknownRegion?: boolean;
  /**
   * Generation of the Cloud KMS key-ring names (`-g<n>` appended from 2 on). Cloud KMS never deletes key
   * rings or keys, so after a `cdktf destroy` the old names are still taken in the project: bump this to
   * deploy the platform there again (see "Destroy" in src/training/README.md).
   * @default 1 (no suffix)
   */
  readonly keyRingGeneration?: number;
}

export interface AzureCloudProps extends CloudCommonProps {
  /** Location, e.g. `eastus2`. */
  readonly location: string;
  /**
   * An existing resource group to deploy into.
   * @default - one resource group per stack, named after the stack, is created
   */
  readonly resourceGroupName?: string;
  /**
   * Subscription id. Mixed into globally-unique names (storage accounts).
   * @default - names depend on the construct path and location only
   */
  readonly subscriptionId?: string;
  /** Accept a location missing from the built-in list. @default false */
  readonly allowUnknownRegion?: boolean;
}

/** Label/tag rules of one cloud. */
export interface LabelRules {
  readonly maxKeyLength: number;
  readonly maxValueLength: number;
  /** Lower-case keys and values and keep only `[a-z0-9_-]` (GCP). */
  readonly strict: boolean;
}

/** A typed deployment target: which cloud, which region. Construct props take one of these. */
export abstract class Cloud {
  public static aws(props: AwsCloudProps): AwsCloud {
    return new AwsCloud(props);
  }
  public static gcp(props: GcpCloudProps): GcpCloud {
    return new GcpCloud(props);
  }
  public static azure(props: AzureCloudProps): AzureCloud {
    return new AzureCloud(props);
  }

  public abstract readonly kind: CloudKind;
  /** Region (AWS, GCP) or location (Azure). */
  public abstract readonly region: string;
  /** Tag/label rules of this cloud. */
  public abstract readonly labelRules: LabelRules;
  /** How the bundled images' push authenticates (`CloudCommonProps.registryAuth`). */
  public readonly registryAuth: ImageRegistryAuth;

  protected constructor(where: string, props: CloudCommonProps) {
    check.oneOf(where, 'registryAuth', props.registryAuth, IMAGE_REGISTRY_AUTH);
    this.registryAuth = props.registryAuth ?? 'deployer';
  }

  /** Runs the implementation for this cloud. */
  public abstract select<T>(impls: PerCloud<T>): T;

  /** The same target in another region (replicas, DR). */
  public abstract inRegion(region: string): Cloud;

  /** What makes a derived global name unique beside the construct path (account, project...). */
  public abstract get uniquenessKey(): string;

  /** `aws us-east-1`, for messages. */
  public toString(): string {
    return `${this.kind} ${this.region}`;
  }

  /** True when both targets are the same cloud account/project (regions may differ). */
  public sameCloudAs(other: Cloud): boolean {
    return this.kind === other.kind && this.uniquenessKey === other.uniquenessKey;
  }
}

function checkRegion(where: string, prop: string, region: string, pattern: RegExp, known: readonly string[], allowUnknown?: boolean) {
  check.matches(where, prop, region, pattern, `a region name such as ${known.slice(0, 3).join(', ')}`);
  if (!allowUnknown && !known.includes(region)) {
    throw new InvalidPropError(where, prop, region,
      `one of the known regions (${known.join(', ')}), or pass allowUnknownRegion: true for a newer one`);
  }
}

export class AwsCloud extends Cloud {
  public readonly kind = 'aws' as const;
  public readonly region: string;
  public readonly accountId?: string;
  public readonly labelRules: LabelRules = { maxKeyLength: 128, maxValueLength: 256, strict: false };
  private readonly props: AwsCloudProps;

  constructor(props: AwsCloudProps) {
    super('Cloud.aws', props);
    checkRegion('Cloud.aws', 'region', props.region, /^[a-z]{2}(-gov)?-[a-z]+-\d$/, AWS_REGIONS, props.allowUnknownRegion);
    check.matches('Cloud.aws', 'accountId', props.accountId, /^\d{12}$/, 'a 12-digit AWS account id');
    this.props = props;
    this.region = props.region;
    this.accountId = props.accountId;
  }
  public select<T>(impls: PerCloud<T>): T {
    return impls.aws(this);
  }
  public inRegion(region: string): AwsCloud {
    return new AwsCloud({ ...this.props, region });
  }
  public get uniquenessKey(): string {
    return `aws:${this.accountId ?? ''}`;
  }
}

export class GcpCloud extends Cloud {
  public readonly kind = 'gcp' as const;
  public readonly region: string;
  public readonly project: string;
  /** Generation of Cloud KMS key-ring names (`GcpCloudProps.keyRingGeneration`). */
  public readonly keyRingGeneration: number;
  public readonly labelRules: LabelRules = { maxKeyLength: 63, maxValueLength: 63, strict: true };
  private readonly props: GcpCloudProps;

  constructor(props: GcpCloudProps) {
    super('Cloud.gcp', props);
    check.matches('Cloud.gcp', 'project', props.project, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
      'a project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter');
    checkRegion('Cloud.gcp', 'region', props.region, /^[a-z]+-[a-z]+\d+$/, GCP_REGIONS, props.allowUnknownRegion);
    check.integerInRange('Cloud.gcp', 'keyRingGeneration', props.keyRingGeneration, 1, 999);
    this.keyRingGeneration = props.keyRingGeneration ?? 1;
    this.props = props;
    this.region = props.region;
    this.project = props.project;
  }
  public select<T>(impls: PerCloud<T>): T {
    return impls.gcp(this);
  }
  public inRegion(region: string): GcpCloud {
    return new GcpCloud({ ...this.props, region });
  }
  public get uniquenessKey(): string {
    return `gcp:${this.project}`;
  }
}

export class AzureCloud extends Cloud {
  public readonly kind = 'azure' as const;
  public readonly region: string;
  public readonly location: string;
  public readonly resourceGroupName?: string;
  public readonly subscriptionId?: string;
  public readonly labelRules: LabelRules = { maxKeyLength: 512, maxValueLength: 256, strict: false };
  private readonly props: AzureCloudProps;

  constructor(props: AzureCloudProps) {
    super('Cloud.azure', props);
    checkRegion('Cloud.azure', 'location', props.location, /^[a-z]+[a-z0-9]*$/, AZURE_LOCATIONS, props.allowUnknownRegion);
    check.matches('Cloud.azure', 'resourceGroupName', props.resourceGroupName, /^[-\w._()]{1,89}[-\w_()]$/,
      'a resource group name: 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period');
    check.matches('Cloud.azure', 'subscriptionId', props.subscriptionId,
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a subscription GUID in lowercase');
    this.props = props;
    this.region = props.location;
    this.location = props.location;
    this.resourceGroupName = props.resourceGroupName;
    this.subscriptionId = props.subscriptionId;
  }
  public select<T>(impls: PerCloud<T>): T {
    return impls.azure(this);
  }
  public inRegion(location: string): AzureCloud {
    return new AzureCloud({ ...this.props, location });
  }
  public get uniquenessKey(): string {
    return `azure:${this.subscriptionId ?? ''}:${this.resourceGroupName ?? ''}`;
  }
}

/** Hash input for a name that must be unique beyond one stack. */
export function uniqueNameSeed(cloud: Cloud, path: string): string {
  return stableHash(`${cloud.uniquenessKey}|${path}`);
}

/** Checks the region of a replica of a store in `cloud`: a known region of the same cloud, not the store's own. */
export function checkReplicaRegion(scope: ErrorScope, prop: string, cloud: Cloud, region: string): void {
  if (typeof region !== 'string' || region === cloud.region) {
    throw new InvalidPropError(scope, prop, region, `a region other than the bucket's own (${cloud.region})`);
  }
  try {
    cloud.inRegion(region);
  } catch (e) {
    if (e instanceof InvalidPropError) throw new InvalidPropError(scope, prop, region, e.allowed);
    throw e;
  }
}
