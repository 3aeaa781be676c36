// The policy pack on the example platform. Every suppression and acknowledgement has a reason; the reasons are
// recorded in cdk.tf.json ("//" blocks) and listed in src/policy/README.md.
import { Aspects } from 'cdktf';
import { IConstruct } from 'constructs';
import { AiInfraPolicyPack, Policy } from '../../src';

export interface PolicedPlatform extends IConstruct {
  readonly models: IConstruct;
  readonly cluster: IConstruct;
}

const KEY_VAULT_NETWORK = 'Example: Terraform creates the vault\'s keys through the Key Vault data plane from the deploy '
  + 'machine, so the vault cannot deny all networks; access is Entra ID + Azure RBAC only. Production adds the deploy '
  + 'runner\'s egress IPs to network_acls (default Deny) or uses a private endpoint.';

const STORAGE_NETWORK = 'The store does not know which clusters will use it, so it cannot list their subnets; like S3 and '
  + 'GCS it is reached over its public endpoint with Entra ID only (shared keys off, anonymous access off, TLS 1.2). '
  + 'Production adds network_rules for the cluster subnet or a private endpoint.';

const HOST_ENCRYPTION = 'Example: encryption at host needs the subscription feature Microsoft.Compute/EncryptionAtHost '
  + 'registered, which a runnable example cannot assume; node disks are encrypted with the disk encryption set (CMK). '
  + 'Production registers the feature and enables host encryption on every pool.';

/** Applies the library's policy pack to a platform stack, with the example's suppressions. */
export function applyPolicy(stack: PolicedPlatform): void {
  Aspects.of(stack).add(new AiInfraPolicyPack());
  Policy.suppress(stack.models, 'AI-AZ-KV-2', KEY_VAULT_NETWORK);
  Policy.suppress(stack.models, 'AI-AZ-ST-3', STORAGE_NETWORK);
  Policy.suppress(stack.cluster, 'AI-AZ-AKS-8', HOST_ENCRYPTION);
}
