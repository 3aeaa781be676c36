// The two google-beta pieces the platform needs, typed by hand: `google_project_service_identity` exists only in
// the google-beta provider (hashicorp/terraform-provider-google has no GA version of it, and
// @cdktf/provider-google has no binding), and a prebuilt google-beta binding is a >100 MB package for one
// resource. Same version as the google provider we are built against, so both come from one release.
import { Construct, IConstruct } from 'constructs';
import { TerraformMetaArguments, TerraformProvider, TerraformResource } from 'cdktf';
import { attributeFits, providerFor } from '../../core/providers';
import { GcpCloud } from '../../core/cloud';

/** The google-beta release used with @cdktf/provider-google 16.12 (google 6.50.0). */
export const GOOGLE_BETA_VERSION = '6.50.0';

export interface GoogleBetaProviderConfig {
  readonly project?: string;
  readonly region?: string;
  readonly alias?: string;
}

/** `provider "google-beta"`, with its `required_providers` entry (hashicorp/google-beta). */
export class GoogleBetaProvider extends TerraformProvider {
  public readonly project?: string;
  public readonly region?: string;
  private providerAlias?: string;

  constructor(scope: Construct, id: string, config: GoogleBetaProviderConfig) {
    super(scope, id, {
      terraformResourceType: 'google-beta',
      terraformGeneratorMetadata: { providerName: 'google-beta', providerVersion: GOOGLE_BETA_VERSION, providerVersionConstraint: `~> ${GOOGLE_BETA_VERSION}` },
      terraformProviderSource: 'hashicorp/google-beta',
    });
    this.project = config.project;
    this.region = config.region;
    this.providerAlias = config.alias;
  }

  public get alias(): string | undefined {
    return this.providerAlias;
  }
  public set alias(value: string | undefined) {
    this.providerAlias = value;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { project: this.project, region: this.region, alias: this.providerAlias };
  }
  protected synthesizeHclAttributes(): Record<string, unknown> {
    return hclStrings({ project: this.project, region: this.region, alias: this.providerAlias });
  }
}

/** `synthesizeHclAttributes` entries of plain string attributes (unset ones left out). */
function hclStrings(attrs: Record<string, string | undefined>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined)
    .map(([k, value]) => [k, { value, isBlock: false, type: 'simple', storageClassType: 'string' }]));
}

/** The google-beta provider for the target's project and region (reused, or added once). */
export function gcpBetaProvider(scope: IConstruct, cloud: GcpCloud): GoogleBetaProvider {
  return providerFor<GoogleBetaProvider>(scope, 'google-beta', `${cloud.project}-${cloud.region}`,
    (p) => attributeFits(p.project, cloud.project) && attributeFits(p.region, cloud.region),
    (stack, id, alias) => new GoogleBetaProvider(stack, id, { project: cloud.project, region: cloud.region, alias }));
}

export interface ProjectServiceIdentityConfig extends TerraformMetaArguments {
  readonly project: string;
  /** The API whose service agent is created, e.g. `secretmanager.googleapis.com`. */
  readonly service: string;
}

/**
 * `google_project_service_identity`: creates a service's agent (Service Usage `generateServiceIdentity`),
 * which many services otherwise create only on first use: an IAM binding naming it before then fails.
 * Create, read and delete are no-ops after the first call: the agent stays.
 */
export class ProjectServiceIdentity extends TerraformResource {
  public readonly project: string;
  public readonly service: string;

  constructor(scope: Construct, id: string, config: ProjectServiceIdentityConfig) {
    super(scope, id, {
      terraformResourceType: 'google_project_service_identity',
      terraformGeneratorMetadata: { providerName: 'google-beta', providerVersion: GOOGLE_BETA_VERSION, providerVersionConstraint: `~> ${GOOGLE_BETA_VERSION}` },
      provider: config.provider,
      dependsOn: config.dependsOn,
      lifecycle: config.lifecycle,
    });
    this.project = config.project;
    this.service = config.service;
  }

  /** The agent's e-mail address (empty for the few services whose agent has none). */
  public get email(): string {
    return this.getStringAttribute('email');
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { project: this.project, service: this.service };
  }
  protected synthesizeHclAttributes(): Record<string, unknown> {
    return hclStrings({ project: this.project, service: this.service });
  }
}
