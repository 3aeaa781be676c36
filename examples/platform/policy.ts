// The policy pack on the example platform. Every suppression has a reason; the reasons are recorded in
// cdk.tf.json ("//" blocks) and listed in src/policy/README.md.
import { Aspects } from 'cdktf';
import { IConstruct } from 'constructs';
import { AiInfraPolicyPack, Policy } from '../../src';

export interface PolicedPlatform {
  readonly models: IConstruct;
  readonly cluster: IConstruct;
}

const PUBLIC_ENDPOINT = 'Example: the API endpoint stays public (every request still needs cloud IAM credentials) so '
  + '`cdktf deploy` from any machine reaches the cluster through the helm provider. Production passes authorizedNetworks '
  + '(the deploy runner\'s egress CIDRs) or endpointAccess: "private" and deploys from inside the network.';

const KEY_VAULT_NETWORK = 'Example: Terraform creates the vault\'s keys through the Key Vault data plane from the deploy '
  + 'machine, so the vault cannot deny all networks; access is Entra ID + Azure RBAC only. Production adds the deploy '
  + 'runner\'s egress IPs to network_acls (default Deny) or uses a private endpoint.';

const STORAGE_NETWORK = 'The store does not know which clusters will use it, so it cannot list their subnets; like S3 and '
  + 'GCS it is reached over its public endpoint with Entra ID only (shared keys off, anonymous access off, TLS 1.2). '
  + 'Production adds network_rules for the cluster subnet or a private endpoint.';

/** Applies the library's policy pack to a platform stack, with the example's deliberate suppressions. */
export function applyPolicy(stack: IConstruct & PolicedPlatform): void {
  Aspects.of(stack).add(new AiInfraPolicyPack());
  for (const rule of ['AI-AWS-EKS-2', 'AI-GCP-GKE-2', 'AI-AZ-AKS-1']) Policy.suppress(stack.cluster, rule, PUBLIC_ENDPOINT);
  Policy.suppress(stack.cluster, 'AI-AZ-KV-2', KEY_VAULT_NETWORK);
  Policy.suppress(stack.models, 'AI-AZ-KV-2', KEY_VAULT_NETWORK);
  Policy.suppress(stack.models, 'AI-AZ-ST-3', STORAGE_NETWORK);
}
