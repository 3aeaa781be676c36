import { IConstruct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { attributeFits, providerFor } from '../../core/providers';
import { GcpCloud } from '../../core/cloud';

/** The Google provider for the target's project and region (reused, or added once). */
export function gcpProvider(scope: IConstruct, cloud: GcpCloud): GoogleProvider {
  const key = `${cloud.project}-${cloud.region}`;
  return providerFor<GoogleProvider>(scope, 'google', key,
    (p) => attributeFits(p.project, cloud.project) && attributeFits(p.region, cloud.region),
    (stack, id, alias) => new GoogleProvider(stack, id, {
      project: cloud.project, region: cloud.region, alias,
      // Our own labels mark what we manage; the provider's extra label would differ per provider version.
      addTerraformAttributionLabel: false,
    }));
}
