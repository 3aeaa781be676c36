import { IConstruct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { attributeFits, providerFor } from '../../core/providers';

/** The AWS provider for a region in the stack of `scope` (reused, or added once). */
export function awsProvider(scope: IConstruct, region: string): AwsProvider {
  return providerFor<AwsProvider>(scope, 'aws', region, (p) => attributeFits(p.region, region),
    (stack, id, alias) => new AwsProvider(stack, id, { region, alias }));
}
