// Test doubles for jobs and tenants: a model store that records grants.
import { Construct } from 'constructs';
import { Cloud } from '../../src/core/cloud';
import { IWorkloadIdentity } from '../../src/core/identity';
import { IModelStore, ModelReference, ModelReferenceOptions, RegistryModelOptions, RegistryModelReference } from '../../src/core/model-store';

export interface Grant {
  readonly kind: 'read' | 'write';
  readonly identity: IWorkloadIdentity;
  readonly prefix?: string;
}

/** An IModelStore that records every grant (to assert least privilege) and creates no resources. */
export class FakeStore extends Construct implements IModelStore {
  public readonly cloud: Cloud;
  public readonly bucketName: string;
  public readonly uri: string;
  public readonly checkpointsUri: string;
  public readonly modelsUri: string;
  public readonly clientEnvironment: Record<string, string> = {};
  public readonly grants: Grant[] = [];

  constructor(scope: Construct, id: string, cloud: Cloud = Cloud.aws({ region: 'us-east-1' })) {
    super(scope, id);
    this.cloud = cloud;
    this.bucketName = `bucket-${id.toLowerCase()}`;
    const scheme = cloud.select({ aws: () => 's3', gcp: () => 'gs', azure: () => 'az' });
    this.uri = `${scheme}://${this.bucketName}`;
    this.checkpointsUri = `${this.uri}/checkpoints`;
    this.modelsUri = `${this.uri}/models`;
  }

  public grantRead(identity: IWorkloadIdentity, prefix?: string): void {
    this.grants.push({ kind: 'read', identity, prefix });
  }

  public grantWrite(identity: IWorkloadIdentity, prefix?: string): void {
    this.grants.push({ kind: 'write', identity, prefix });
  }

  public model(path: string, options: ModelReferenceOptions = {}): ModelReference {
    return { store: this, path, uri: `${this.uri}/${path}`, select: options.select ?? 'newest', preset: options.preset, parameterCount: options.parameterCount };
  }

  public registry(name: string, options: RegistryModelOptions = {}): RegistryModelReference {
    const path = `${options.prefix ? `${options.prefix}/` : ''}models/${name}`;
    return { store: this, path, uri: `${this.uri}/${path}`, alias: options.alias ?? 'production', parameterCount: options.parameterCount, preset: options.preset };
  }
}
