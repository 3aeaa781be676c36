import { Construct, IConstruct } from 'constructs';
import { Cloud, CloudKind } from './cloud';
import { checkUserTags } from './tags';

export type WorkloadIdentityKind = 'aws-iam-role' | 'gcp-service-account' | 'azure-user-assigned-identity';

/**
 * The identity a Kubernetes workload or a cloud service runs as: an IAM role (AWS), a service account
 * (GCP) or a user-assigned managed identity (Azure). Grants (`bucket.grantRead(identity)`) target it.
 * Implement it to bring an identity made elsewhere.
 */
export interface IWorkloadIdentity extends IConstruct {
  readonly cloud: Cloud;
  readonly identityKind: WorkloadIdentityKind;
  /**
   * What a policy names: the role ARN (AWS), `serviceAccount:<email>` member (GCP), the principal
   * (object) id (Azure).
   */
  readonly principal: string;
  /** Role name (AWS), service account email (GCP), client id (Azure): what a Kubernetes SA annotation carries. */
  readonly workloadRef: string;
  /** The cloud resource id: role name (AWS), `projects/p/serviceAccounts/email` (GCP), resource id (Azure). */
  readonly resourceId: string;
}

export interface WorkloadIdentityProps {
  readonly cloud: Cloud;
  /** What the identity is for, recorded on the cloud resource. @default - the construct path */
  readonly description?: string;
  /** Extra tags/labels. @default - none */
  readonly tags?: Record<string, string>;
}

/** The per-cloud half of a workload identity (in src/clouds/<cloud>/identity.ts). */
export interface WorkloadIdentityImpl {
  readonly identityKind: WorkloadIdentityKind;
  readonly principal: string;
  readonly workloadRef: string;
  readonly resourceId: string;
}

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
    const impl = props.cloud.select<WorkloadIdentityImpl>({
      aws: (c) => (require('../clouds/aws/identity') as typeof import('../clouds/aws/identity')).awsWorkloadIdentity(this, c, props),
      gcp: (c) => (require('../clouds/gcp/identity') as typeof import('../clouds/gcp/identity')).gcpWorkloadIdentity(this, c, props),
      azure: (c) => (require('../clouds/azure/identity') as typeof import('../clouds/azure/identity')).azureWorkloadIdentity(this, c, props),
    });
    this.identityKind = impl.identityKind;
    this.principal = impl.principal;
    this.workloadRef = impl.workloadRef;
    this.resourceId = impl.resourceId;
  }
}

export interface WorkloadIdentityAttributes {
  readonly cloud: Cloud;
  readonly identityKind: WorkloadIdentityKind;
  readonly principal: string;
  readonly workloadRef: string;
  readonly resourceId: string;
}

/** The identity kind each cloud uses. */
export const IDENTITY_KIND: Record<CloudKind, WorkloadIdentityKind> = {
  aws: 'aws-iam-role',
  gcp: 'gcp-service-account',
  azure: 'azure-user-assigned-identity',
};
