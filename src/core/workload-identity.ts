import { Construct } from 'constructs';
import type { Cloud } from './cloud';
import { targetFor } from '../clouds/registry';
import type { IWorkloadIdentity, WorkloadIdentityAttributes, WorkloadIdentityKind, WorkloadIdentityProps } from './identity';
import { checkUserTags } from './tags';

/**
 * A new workload identity with no permissions: grant it access with `bucket.grantRead(...)` and bind it
 * to a Kubernetes service account with a cluster. AWS: an IAM role assumable by EKS Pod Identity;
 * GCP: a service account; Azure: a user-assigned managed identity.
 */
export class WorkloadIdentity extends Construct implements IWorkloadIdentity {
  /** Imports an existing identity (any cloud). */
  public static fromAttributes(scope: Construct, id: string, attrs: WorkloadIdentityAttributes): IWorkloadIdentity {
    class Imported extends Construct implements IWorkloadIdentity {
      public readonly cloud = attrs.cloud;
      public readonly identityKind = attrs.identityKind;
      public readonly principal = attrs.principal;
      public readonly workloadRef = attrs.workloadRef;
      public readonly resourceId = attrs.resourceId;
    }
    return new Imported(scope, id);
  }

  public readonly cloud: Cloud;
  public readonly identityKind: WorkloadIdentityKind;
  public readonly principal: string;
  public readonly workloadRef: string;
  public readonly resourceId: string;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    checkUserTags(this, props.cloud, props.tags);
    this.cloud = props.cloud;
    const impl = targetFor(props.cloud).identity.create(this, props.cloud, props);
    this.identityKind = impl.identityKind;
    this.principal = impl.principal;
    this.workloadRef = impl.workloadRef;
    this.resourceId = impl.resourceId;
  }
}

