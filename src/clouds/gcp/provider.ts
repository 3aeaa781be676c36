import { IConstruct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { attributeFits, providerFor } from '../../core/providers';
import { GcpCloud } from '../../core/cloud';
import { registerGcpProvider } from './services';

/** The Google provider for the target's project and region (reused, or added once). */
export function gcpProvider(scope: IConstruct, cloud: GcpCloud): GoogleProvider {
  const key = `${cloud.project}-${cloud.region}`;
  const provider = providerFor<GoogleProvider>(scope, 'google', key,
    (p) => attributeFits(p.project, cloud.project) && attributeFits(p.region, cloud.region),
    (stack, id, alias) => new GoogleProvider(stack, id, {
      project: cloud.project, region: cloud.region, alias,
      // Our own labels mark what we manage; the provider's extra label would differ per provider version.
      addTerraformAttributionLabel: false,
    }));
  // Every google resource of ours goes through here: the stack enables the APIs they call (services.ts).
  registerGcpProvider(provider, cloud.project);
  return provider;
}
