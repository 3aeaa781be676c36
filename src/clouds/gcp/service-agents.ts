import { IConstruct } from 'constructs';
import { ITerraformDependable, TerraformStack } from 'cdktf';
import { GcpCloud } from '../../core/cloud';
import { gcpBetaProvider, ProjectServiceIdentity } from './beta';
import { gcpProvider } from './provider';
import { GcpApi, gcpProjectService } from './services';

/** Where each product's service agent lives: `service-<project number>@<domain>`. */
export const GCP_SERVICE_AGENT_DOMAINS = {
  'container.googleapis.com': 'container-engine-robot.iam.gserviceaccount.com',
  'compute.googleapis.com': 'compute-system.iam.gserviceaccount.com',
  'secretmanager.googleapis.com': 'gcp-sa-secretmanager.iam.gserviceaccount.com',
  'pubsub.googleapis.com': 'gcp-sa-pubsub.iam.gserviceaccount.com',
  'artifactregistry.googleapis.com': 'gcp-sa-artifactregistry.iam.gserviceaccount.com',
  'monitoring.googleapis.com': 'gcp-sa-monitoring-notification.iam.gserviceaccount.com',
} as const satisfies Record<GcpApi, string>;

export type GcpAgentApi = keyof typeof GCP_SERVICE_AGENT_DOMAINS;

export interface GcpServiceAgent {
  /** `serviceAccount:service-<number>@<domain>`, for IAM members. */
  readonly member: string;
  /** What makes the agent exist: IAM members naming it depend on this. */
  readonly ready: ITerraformDependable;
}

/**
 * The service agent of `api` in the cloud's project, made to exist before anything grants it a role. Most
 * agents appear only on a product's first use, so a grant on a fresh project fails ("Service account ...
 * does not exist"): `google_project_service_identity` (google-beta) creates them, after the API is on, as
 * terraform-google-modules/project-factory does. Compute Engine's agent is the exception: enabling the API
 * creates it, and Service Usage does not generate it on request. The member's e-mail is built from the
 * project number (deterministic, as the anchor does) rather than read from the identity, whose `email`
 * is empty for some products.
 */
export function gcpServiceAgent(scope: IConstruct, cloud: GcpCloud, api: GcpAgentApi, projectNumber: string): GcpServiceAgent {
  const provider = gcpProvider(scope, cloud);
  const service = gcpProjectService(scope, provider, cloud.project, api);
  const member = `serviceAccount:service-${projectNumber}@${GCP_SERVICE_AGENT_DOMAINS[api]}`;
  if (api === 'compute.googleapis.com') return { member, ready: service };
  const stack = TerraformStack.of(scope);
  const id = `GcpServiceAgent-${cloud.project}-${api.replace('.googleapis.com', '')}`;
  const identity = (stack.node.tryFindChild(id) as ProjectServiceIdentity | undefined) ?? new ProjectServiceIdentity(stack, id, {
    provider: gcpBetaProvider(scope, cloud), project: cloud.project, service: api, dependsOn: [service],
  });
  return { member, ready: identity };
}
