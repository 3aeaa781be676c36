// What every workload identity is (the IWorkloadIdentity contract, its kinds and attributes); the
// WorkloadIdentity construct that makes one is in workload-identity.ts.
import type { IConstruct } from 'constructs';
import type { Cloud, CloudKind } from './cloud';

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
