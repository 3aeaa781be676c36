// The policy pack on the example platform. Every suppression and acknowledgement has a reason; the reasons are
// recorded in cdk.tf.json ("//" blocks) and listed in src/policy/README.md.
import { Aspects } from 'cdktf';
import { IConstruct } from 'constructs';
import { AiInfraPolicyPack, Policy } from '../../src';

export interface PolicedPlatform extends IConstruct {
  readonly cluster: IConstruct;
  /** The scale-to-zero endpoint: internal, behind the cluster's internal gateway (its request-holding activator's route). */
  readonly llm?: IConstruct & { readonly usesGateway: boolean; readonly url: string };
}

const INTERNAL_GATEWAY = 'Example: an internal endpoint (no domain, so no certificate to issue) reached through an internal gateway '
  + 'in the VPC, as the internal load balancer of the other endpoint is; scale-to-zero puts the gateway in front for the request-holding '
  + 'activator. Production gives it a private domain and a certificate (an HTTPS listener).';

const HOST_ENCRYPTION = 'Example: encryption at host needs the subscription feature Microsoft.Compute/EncryptionAtHost '
  + 'registered, which a runnable example cannot assume; node disks are encrypted with the disk encryption set (CMK). '
  + 'Production registers the feature and enables host encryption on every pool.';

/** Applies the library's policy pack to a platform stack, with the example's suppressions. */
export function applyPolicy(stack: PolicedPlatform): void {
  Aspects.of(stack).add(new AiInfraPolicyPack());
  // The Azure bucket's open network default carries the library's own reasoned AI-AZ-KV-2 / AI-AZ-ST-3
  // suppressions (ModelBackupBucket azure.network closes it).
  Policy.suppress(stack.cluster, 'AI-AZ-AKS-8', HOST_ENCRYPTION);
  if (stack.llm?.usesGateway && stack.llm.url.startsWith('http://')) Policy.suppress(stack.llm, 'AI-K8S-NET-1', INTERNAL_GATEWAY);
}
