// Google Cloud APIs a stack needs, derived from what it synthesizes. A fresh project has only a handful of
// APIs on (Service Usage, Storage, Logging, Monitoring...): creating a GKE cluster, a key ring or a secret
// there fails with "API has not been used in project ... or it is disabled". One Aspect (installed with the
// stack's first Google provider) looks at every google resource and data source, enables the APIs its
// type calls with a `google_project_service` (one per project and API, `disable_on_destroy = false` as
// terraform-google-modules/project-factory does: a destroy must not switch off an API other stacks use),
// and makes the resource depend on it. A new resource type with no entry below gets a synth warning, and
// a test fails for every google type imported under src/ that is missing here.
import { IConstruct } from 'constructs';
import {
  Annotations, Aspects, dependable, IAspect, TerraformDataSource, TerraformProvider, TerraformResource, TerraformStack,
} from 'cdktf';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';

/** API of a service agent's product, e.g. `container.googleapis.com`. */
export type GcpApi = `${string}.googleapis.com`;

/**
 * The APIs each google resource / data source type calls: exact types first, then type prefixes (first
 * match). An empty list: the type calls no API that a project can disable (or only Service Usage itself).
 */
const EXACT: Readonly<Record<string, readonly GcpApi[]>> = {
  google_client_config: [],
  google_project_service: [],
  google_project_service_identity: [],
  google_project: ['cloudresourcemanager.googleapis.com'],
  // Control-plane logs and managed Prometheus: GKE writes to Cloud Logging and Cloud Monitoring.
  google_container_cluster: ['container.googleapis.com', 'logging.googleapis.com', 'monitoring.googleapis.com'],
  google_billing_budget: ['billingbudgets.googleapis.com'],
};
const BY_PREFIX: readonly (readonly [string, readonly GcpApi[]])[] = [
  ['google_container_', ['container.googleapis.com']],
  ['google_compute_', ['compute.googleapis.com']],
  ['google_kms_', ['cloudkms.googleapis.com']],
  ['google_artifact_registry_', ['artifactregistry.googleapis.com']],
  ['google_secret_manager_', ['secretmanager.googleapis.com']],
  ['google_monitoring_', ['monitoring.googleapis.com']],
  ['google_logging_', ['logging.googleapis.com']],
  ['google_pubsub_', ['pubsub.googleapis.com']],
  ['google_service_account', ['iam.googleapis.com']],
  ['google_storage_', ['storage.googleapis.com']],
  ['google_certificate_manager_', ['certificatemanager.googleapis.com']],
  ['google_project_iam_', ['cloudresourcemanager.googleapis.com']],
];

/** The APIs a google resource or data source type calls; undefined when the type is unknown here. */
export function gcpApisOf(terraformType: string): readonly GcpApi[] | undefined {
  if (terraformType in EXACT) return EXACT[terraformType];
  return BY_PREFIX.find(([prefix]) => terraformType.startsWith(prefix))?.[1];
}

/** The project each google provider we configured deploys into. */
const providerProjects = new WeakMap<TerraformProvider, string>();
/** APIs a resource needs beyond its type's (a setting that turns on another product). */
const extraApis = new WeakMap<IConstruct, Set<GcpApi>>();
const enabledFor = new WeakMap<IConstruct, Set<string>>();
const withAspect = new WeakSet<TerraformStack>();

/**
 * Records the project of a google provider and installs the API aspect on its stack (once).
 * Called by `gcpProvider`, which every GCP part uses.
 */
export function registerGcpProvider(provider: TerraformProvider, project: string): void {
  providerProjects.set(provider, project);
  const stack = TerraformStack.of(provider);
  if (withAspect.has(stack)) return;
  withAspect.add(stack);
  Aspects.of(stack).add(new GcpProjectApis());
}

/** Declares that `resource` also needs `apis` (e.g. a GKE add-on backed by another product). */
export function requireGcpApis(resource: IConstruct, ...apis: GcpApi[]): void {
  const set = extraApis.get(resource) ?? new Set<GcpApi>();
  apis.forEach((a) => set.add(a));
  extraApis.set(resource, set);
}

/** The stack's `google_project_service` for `api` in `project` (made once, with `provider`). */
export function gcpProjectService(scope: IConstruct, provider: TerraformProvider, project: string, api: GcpApi): ProjectService {
  const stack = TerraformStack.of(scope);
  const id = `GcpApi-${project}-${api.replace('.googleapis.com', '')}`;
  const existing = stack.node.tryFindChild(id) as ProjectService | undefined;
  if (existing) return existing;
  return new ProjectService(stack, id, {
    provider, project, service: api,
    // Never switch an API off on destroy: other stacks and people in the project use it too.
    disableOnDestroy: false,
    disableDependentServices: false,
  });
}

function isGoogleElement(node: IConstruct): node is TerraformResource | TerraformDataSource {
  return (node instanceof TerraformResource || node instanceof TerraformDataSource)
    && node.terraformGeneratorMetadata?.providerName === 'google';
}

/** The Aspect: every google resource and data source depends on the enablement of the APIs it calls. */
class GcpProjectApis implements IAspect {
  public visit(node: IConstruct): void {
    if (!isGoogleElement(node) || node instanceof ProjectService) return;
    const provider = node.provider;
    const project = provider ? providerProjects.get(provider) : undefined;
    // A resource on a provider we did not configure (the user's own alias): its project is unknown here.
    if (!provider || !project) return;
    const typeApis = gcpApisOf(node.terraformResourceType);
    if (!typeApis) {
      Annotations.of(node).addWarning(`cdktf-ai-infra does not know which Google Cloud API ${node.terraformResourceType} calls: `
        + 'enable it in the project yourself (google_project_service) and depend on it');
      return;
    }
    const apis = [...new Set([...typeApis, ...(extraApis.get(node) ?? [])])].sort();
    const done = enabledFor.get(node) ?? new Set<string>();
    enabledFor.set(node, done);
    for (const api of apis) {
      if (done.has(api)) continue;
      done.add(api);
      const service = gcpProjectService(node, provider, project, api);
      node.dependsOn = [...(node.dependsOn ?? []), dependable(service)];
    }
  }
}
