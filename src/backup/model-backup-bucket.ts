// ModelBackupBucket: the generic half (cloud-neutral validation and defaults, grants, model references);
// each cloud's half (src/clouds/<cloud>/backup.ts, the contract in ./spi.ts) adds the resources.
import { Construct } from 'constructs';
import type { AwsModelBackupResources } from '../clouds/aws/backup-resources';
import type { AzureModelBackupResources } from '../clouds/azure/backup-resources';
import type { GcpModelBackupResources } from '../clouds/gcp/backup-resources';
import { targetFor } from '../clouds/registry';
import { Cloud } from '../core/cloud';
import { check, InvalidPropError, isLiteral } from '../core/errors';
import { stableHash } from '../core/hash';
import { IWorkloadIdentity } from '../core/identity';
import { IModelStore, ModelReference, ModelReferenceOptions, RegistryModelOptions, RegistryModelReference } from '../core/model-store';
import { checkStateLocation } from '../core/state-backend';
import { checkUserTags } from '../core/tags';
import type { ModelBackupBucketAttributes, ModelBackupBucketProps } from './props';
import { RestoreDrill, RestoreDrillOptions } from './restore-drill';
import type { GrantAccess, GrantTarget, ResolvedBackupProps } from './spi';
import { contributeSummary } from '../summary';

export type {
  AwsModelBackupOptions, AzureBackupNetwork, AzureModelBackupOptions, BucketEncryptionKey, ColdStorageClass, GcpModelBackupOptions,
  ModelBackupBucketAttributes, ModelBackupBucketProps, ObjectLockOptions, ReplicationOptions,
} from './props';

/** Checks the cloud-neutral props (ranges, enums, shapes); throws InvalidPropError. */
function checkProps(scope: Construct, props: ModelBackupBucketProps): void {
  if (!props || !(props.cloud instanceof Cloud)) {
    throw new InvalidPropError(scope, 'cloud', props?.cloud, 'a target from Cloud.aws(...), Cloud.gcp(...) or Cloud.azure(...)');
  }
  check.integerInRange(scope, 'keyRotationDays', props.keyRotationDays, 90, 2560);
  check.integerInRange(scope, 'noncurrentVersionExpirationDays', props.noncurrentVersionExpirationDays, 1, 36500);
  check.integerInRange(scope, 'coldStorageAfterDays', props.coldStorageAfterDays, 1, 36500);
  check.oneOf(scope, 'coldStorageClass', props.coldStorageClass, ['infrequent', 'cold']);
  check.integerInRange(scope, 'abortIncompleteUploadsAfterDays', props.abortIncompleteUploadsAfterDays, 1, 365);
  check.integerInRange(scope, 'softDeleteDays', props.softDeleteDays, 7, 90);
  check.integerInRange(scope, 'accessLogRetentionDays', props.accessLogRetentionDays, 1, 36500);
  if (props.objectLock !== undefined) {
    check.oneOf(scope, 'objectLock.mode', props.objectLock.mode, ['governance', 'compliance']);
    if (props.objectLock.mode === undefined) throw new InvalidPropError(scope, 'objectLock.mode', undefined, "'governance' or 'compliance'");
    if (props.objectLock.days === undefined) throw new InvalidPropError(scope, 'objectLock.days', undefined, 'an integer >= 1 and <= 36500');
    check.integerInRange(scope, 'objectLock.days', props.objectLock.days, 1, 36500);
  }
  if (props.replication !== undefined) {
    if (typeof props.replication.region !== 'string') {
      throw new InvalidPropError(scope, 'replication.region', props.replication.region, 'a region name');
    }
    check.oneOf(scope, 'replication.rpo', props.replication.rpo, ['default', 'turbo']);
  }
  // The per-cloud option blocks are checked on every cloud (a typo fails early, wherever it is deployed).
  check.oneOf(scope, 'gcp.storageClass', props.gcp?.storageClass, ['STANDARD', 'NEARLINE', 'COLDLINE']);
  checkUserTags(scope, props.cloud, props.tags);
}

/**
 * Checks every prop and applies the defaults (the cloud's own rules and defaults included); throws
 * InvalidPropError before any child exists.
 */
function resolveBackupProps(scope: Construct, props: ModelBackupBucketProps): ResolvedBackupProps {
  checkProps(scope, props);
  const cloud = props.cloud;
  const impl = targetFor(cloud).backup;
  const resolved: ResolvedBackupProps = {
    bucketName: props.bucketName,
    versioned: props.versioned ?? impl.versionedByDefault(props),
    encryptionKey: props.encryptionKey,
    keyRotationDays: props.keyRotationDays ?? 90,
    noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays ?? 30,
    coldStorageAfterDays: props.coldStorageAfterDays,
    coldStorageClass: props.coldStorageClass ?? 'infrequent',
    abortIncompleteUploadsAfterDays: props.abortIncompleteUploadsAfterDays ?? 7,
    softDeleteDays: props.softDeleteDays ?? 7,
    accessLogs: props.accessLogs ?? true,
    accessLogRetentionDays: props.accessLogRetentionDays ?? 90,
    objectLock: props.objectLock,
    replication: props.replication,
    forceDestroy: props.forceDestroy ?? false,
    tags: props.tags,
    aws: props.aws ?? {},
    gcp: props.gcp ?? {},
    azure: props.azure ?? {},
  };
  if (props.azure?.logAnalyticsWorkspaceId !== undefined) {
    check.matches(scope, 'azure.logAnalyticsWorkspaceId', isLiteral(props.azure.logAnalyticsWorkspaceId) ? props.azure.logAnalyticsWorkspaceId : undefined,
      /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i,
      'a Log Analytics workspace resource id');
  }
  if (props.azure?.hsmKey !== undefined) {
    if (typeof props.azure.hsmKey !== 'boolean') throw new InvalidPropError(scope, 'azure.hsmKey', props.azure.hsmKey, 'true or false');
    if (props.azure.hsmKey && props.encryptionKey) throw new InvalidPropError(scope, 'azure.hsmKey', props.azure.hsmKey, 'unset with your own encryptionKey (its vault decides)');
  }
  impl.validate(scope, cloud, resolved, props.versioned);
  return resolved;
}

/** The part of IModelStore that own and imported stores share: URIs, model references, grants. */
abstract class ModelStoreBase extends Construct implements IModelStore {
  public abstract readonly cloud: Cloud;
  public abstract readonly bucketName: string;
  public abstract readonly uri: string;
  public abstract readonly clientEnvironment: Record<string, string>;
  protected abstract readonly grantTarget: GrantTarget;
  private readonly grants = new Set<string>();

  public get checkpointsUri(): string {
    return `${this.uri}/checkpoints`;
  }

  public get modelsUri(): string {
    return `${this.uri}/models`;
  }

  public grantRead(identity: IWorkloadIdentity, prefix?: string): void {
    this.grant('read', identity, prefix);
  }

  public grantWrite(identity: IWorkloadIdentity, prefix?: string): void {
    this.grant('write', identity, prefix);
  }

  public model(path: string, options: ModelReferenceOptions = {}): ModelReference {
    const clean = check.objectPath(this, 'model(path)', path);
    check.integerInRange(this, 'model(options.parameterCount)', options.parameterCount, 1);
    check.matches(this, 'model(options.preset)', options.preset, /^[a-z0-9][a-z0-9.-]{0,62}$/, 'a preset name such as gpt-1b');
    check.oneOf(this, 'model(options.select)', options.select, ['newest', 'best']);
    return {
      store: this,
      path: clean,
      uri: `${this.uri}/${clean}`,
      parameterCount: options.parameterCount,
      preset: options.preset,
      select: options.select ?? 'newest',
    };
  }

  public registry(name: string, options: RegistryModelOptions = {}): RegistryModelReference {
    check.matches(this, 'registry(name)', name, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a pipeline name of lowercase letters, digits and "-", such as chat-model');
    // aiinfra.registry's alias names: 1-63 lowercase letters, digits and "-", not starting with "-".
    check.matches(this, 'registry(options.alias)', options.alias, /^[a-z0-9][a-z0-9-]{0,62}$/, 'an alias name such as production');
    check.integerInRange(this, 'registry(options.parameterCount)', options.parameterCount, 1);
    check.matches(this, 'registry(options.preset)', options.preset, /^[a-z0-9][a-z0-9.-]{0,62}$/, 'a preset name such as gpt-1b');
    const prefix = options.prefix === undefined ? undefined : check.objectPath(this, 'registry(options.prefix)', options.prefix);
    const path = `${prefix ? `${prefix}/` : ''}models/${name}`;
    return {
      store: this, path, uri: `${this.uri}/${path}`, alias: options.alias ?? 'production',
      ...(options.parameterCount !== undefined ? { parameterCount: options.parameterCount } : {}),
      ...(options.preset !== undefined ? { preset: options.preset } : {}),
    };
  }

  private grant(access: GrantAccess, identity: IWorkloadIdentity, prefix: string | undefined): void {
    const clean = check.objectPrefix(this, 'prefix', prefix);
    const key = `${access}|${identity.node.path}|${clean ?? ''}`;
    if (this.grants.has(key)) return;
    const id = `${access === 'read' ? 'Read' : 'Write'}Grant${stableHash(key)}`;
    targetFor(this.cloud).backup.grant(this, this.cloud, { id, target: this.grantTarget, identity, access, prefix: clean });
    this.grants.add(key);
  }
}

/**
 * The store for checkpoints and model artifacts: an S3 bucket, a GCS bucket or an Azure blob container,
 * with versioning, a customer-managed key, TLS only, no public access, lifecycle rules, access logs and
 * (optionally) object lock and cross-region replication. Grant workload identities access with
 * `grantRead` / `grantWrite`; hand `model(path)` to an inference endpoint.
 */
export class ModelBackupBucket extends ModelStoreBase {
  /** Imports an existing bucket (any cloud); its grants work like a ModelBackupBucket's. */
  public static fromBucketAttributes(scope: Construct, id: string, attrs: ModelBackupBucketAttributes): IModelStore {
    return new ImportedModelStore(scope, id, attrs);
  }

  public readonly cloud: Cloud;
  public readonly bucketName: string;
  public readonly uri: string;
  public readonly clientEnvironment: Record<string, string>;
  /** The S3 bucket, its key, log bucket and replica (AWS only). */
  public readonly aws?: AwsModelBackupResources;
  /** The GCS bucket, key ring, key and log bucket (GCP only). */
  public readonly gcp?: GcpModelBackupResources;
  /** The storage account, container, key vault, key and replica (Azure only). */
  public readonly azure?: AzureModelBackupResources;
  protected readonly grantTarget: GrantTarget;
  private drill?: RestoreDrill;

  constructor(scope: Construct, id: string, props: ModelBackupBucketProps) {
    super(scope, id);
    checkStateLocation(this);
    const resolved = resolveBackupProps(this, props);
    this.cloud = props.cloud;
    const impl = targetFor(props.cloud).backup.build(this, props.cloud, resolved);
    this.bucketName = impl.bucketName;
    this.uri = impl.uri;
    this.clientEnvironment = impl.clientEnvironment;
    this.grantTarget = impl.grantTarget;
    this.aws = impl.aws;
    this.gcp = impl.gcp;
    this.azure = impl.azure;
    contributeSummary(this, () => ({ kind: 'bucket', path: this.node.path, cloud: this.cloud.toString(), name: this.bucketName }));
  }

  /** The drill added with `addRestoreDrill`, if any: `MonitoringStack.watch(bucket)` alerts on it. */
  public get restoreDrill(): RestoreDrill | undefined {
    return this.drill;
  }

  /**
   * Drills restores of this bucket's checkpoints on `options.cluster`: a RestoreDrill (a child of this
   * bucket, so in its stack) with a read-only identity. `MonitoringStack.watch(bucket)` then alerts on
   * failed and overdue drills. One per bucket: watch further `new RestoreDrill(...)`s directly.
   */
  public addRestoreDrill(id: string, options: RestoreDrillOptions): RestoreDrill {
    if (this.drill) {
      throw new InvalidPropError(this, 'addRestoreDrill(id)', id,
        `no second drill (the bucket has ${this.drill.node.path}): create more with new RestoreDrill(...) and watch them directly`);
    }
    this.drill = new RestoreDrill(this, id, { ...options, store: this });
    return this.drill;
  }
}

/** A store made elsewhere; grants create policies / IAM members / role assignments in this stack. */
class ImportedModelStore extends ModelStoreBase {
  public readonly cloud: Cloud;
  public readonly bucketName: string;
  public readonly uri: string;
  public readonly clientEnvironment: Record<string, string>;
  protected readonly grantTarget: GrantTarget;

  constructor(scope: Construct, id: string, attrs: ModelBackupBucketAttributes) {
    super(scope, id);
    checkStateLocation(this);
    if (!attrs || !(attrs.cloud instanceof Cloud)) {
      throw new InvalidPropError(this, 'cloud', attrs?.cloud, 'a target from Cloud.aws(...), Cloud.gcp(...) or Cloud.azure(...)');
    }
    if (typeof attrs.bucketName !== 'string' || attrs.bucketName.length === 0) {
      throw new InvalidPropError(this, 'bucketName', attrs.bucketName, 'the bucket (S3, GCS) or container (Azure) name');
    }
    this.cloud = attrs.cloud;
    this.bucketName = attrs.bucketName;
    const shape = targetFor(attrs.cloud).backup.importStore(this, attrs.cloud, attrs);
    this.uri = shape.uri;
    this.clientEnvironment = shape.clientEnvironment;
    this.grantTarget = shape.grantTarget;
  }
}
