// Azure RBAC role assignments are eventually consistent: the assignment resource is created at once, but the
// data planes (Key Vault, the AKS API server's Entra ID authorization) see it only after replication, so the
// next step of a fresh apply gets a 403 (Key Vault "ForbiddenByRbac", Kubernetes "User ... cannot create
// resource"). Nothing in the API reports when an assignment is effective: the AVM modules wait a fixed time
// (`time_sleep`, "wait_for_rbac_before_key_operations") between the assignment and its first use, and so
// do we. hashicorp/time has no prebuilt cdktf binding in our dependencies; this typed minimal binding
// declares its own `required_providers` entry. (A `terraform_data` with a `sleep` local-exec would need a
// POSIX shell on every runner and waits again on every replacement of unrelated inputs.)
import { Construct, IConstruct } from 'constructs';
import { ITerraformDependable, TerraformProvider, TerraformResource } from 'cdktf';
import { providerFor } from '../../core/providers';

/** The hashicorp/time release line we declare. */
export const TIME_PROVIDER_VERSION = '~> 0.13';

/** Wait after Key Vault data-plane role assignments (AVM examples use 60 s; their default is 30 s). */
export const KEY_VAULT_RBAC_WAIT = '60s';
/** Wait after the deployer's AKS RBAC Cluster Admin assignment, before anything calls the API server. */
export const AKS_RBAC_WAIT = '120s';

/** `provider "time"` with its `required_providers` entry (hashicorp/time). */
export class TimeProvider extends TerraformProvider {
  private providerAlias?: string;
  constructor(scope: Construct, id: string, config: { alias?: string } = {}) {
    super(scope, id, {
      terraformResourceType: 'time',
      terraformGeneratorMetadata: { providerName: 'time', providerVersionConstraint: TIME_PROVIDER_VERSION },
      terraformProviderSource: 'hashicorp/time',
    });
    this.providerAlias = config.alias;
  }
  public get alias(): string | undefined {
    return this.providerAlias;
  }
  public set alias(value: string | undefined) {
    this.providerAlias = value;
  }
  protected synthesizeAttributes(): Record<string, unknown> {
    return { alias: this.providerAlias };
  }
  protected synthesizeHclAttributes(): Record<string, unknown> {
    return this.providerAlias === undefined ? {} : { alias: { value: this.providerAlias, isBlock: false, type: 'simple', storageClassType: 'string' } };
  }
}

export interface TimeSleepConfig {
  /** How long creating the resource waits, e.g. `60s`. */
  readonly createDuration: string;
  /** What the wait starts after. */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** `time_sleep`: waits `create_duration` after everything it depends on is created. */
export class TimeSleep extends TerraformResource {
  public readonly createDuration: string;
  constructor(scope: Construct, id: string, config: TimeSleepConfig) {
    super(scope, id, {
      terraformResourceType: 'time_sleep',
      terraformGeneratorMetadata: { providerName: 'time', providerVersionConstraint: TIME_PROVIDER_VERSION },
      provider: timeProvider(scope),
      dependsOn: [...config.dependsOn],
    });
    this.createDuration = config.createDuration;
  }
  protected synthesizeAttributes(): Record<string, unknown> {
    return { create_duration: this.createDuration };
  }
  protected synthesizeHclAttributes(): Record<string, unknown> {
    return { create_duration: { value: this.createDuration, isBlock: false, type: 'simple', storageClassType: 'string' } };
  }
}

/** The stack's time provider (reused, or added once). */
export function timeProvider(scope: IConstruct): TimeProvider {
  return providerFor<TimeProvider>(scope, 'time', 'default', () => true, (stack, id, alias) => new TimeProvider(stack, id, { alias }));
}

/**
 * A wait after role assignments, before their first use: what uses the role depends on the returned
 * sleep (never on the assignments directly).
 */
export function rbacPropagation(scope: Construct, id: string, assignments: readonly ITerraformDependable[], duration: string): TimeSleep {
  return new TimeSleep(scope, id, { createDuration: duration, dependsOn: assignments });
}
