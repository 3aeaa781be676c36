// Terraform ephemeral resources (Terraform >= 1.10), which cdktf 0.21 has no class for: an `ephemeral` block
// whose values Terraform never stores in plan or state. Their values may flow only into write-only arguments
// (`*_wo`), provider blocks and other ephemeral contexts; Terraform rejects any other use at plan.
import { Construct } from 'constructs';
import { TerraformElement, TerraformProvider } from 'cdktf';

export interface EphemeralResourceConfig {
  /** The provider configuration that opens it. */
  readonly provider: TerraformProvider;
  /** The resource's arguments, in Terraform's snake_case. */
  readonly args: Record<string, unknown>;
}

/** One `ephemeral "<type>" "<name>"` block; `attribute(name)` references one of its results. */
export class EphemeralResource extends TerraformElement {
  constructor(scope: Construct, id: string, public readonly terraformResourceType: string, private readonly config: EphemeralResourceConfig) {
    super(scope, id, `ephemeral.${terraformResourceType}`);
  }

  /** A reference to one of its attributes, for a write-only argument. */
  public attribute(name: string): string {
    return `\${ephemeral.${this.terraformResourceType}.${this.friendlyUniqueId}.${name}}`;
  }

  public toTerraform(): Record<string, unknown> {
    return {
      ephemeral: {
        [this.terraformResourceType]: {
          [this.friendlyUniqueId]: { provider: this.config.provider.fqn, ...this.config.args, ...this.rawOverrides },
        },
      },
    };
  }
}
