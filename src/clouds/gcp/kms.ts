import { IConstruct } from 'constructs';
import { GcpCloud } from '../../core/cloud';
import { NameRules, physicalName } from '../../core/naming';

/** The generation suffix of key-ring names: none for the first generation, `-g<n>` after. */
export function keyRingSuffix(cloud: GcpCloud): string {
  return cloud.keyRingGeneration > 1 ? `-g${cloud.keyRingGeneration}` : '';
}

/**
 * A Cloud KMS key-ring name (at most 63 characters): the construct's physical name plus the cloud's
 * key-ring generation. Cloud KMS never deletes key rings (nor keys: Terraform only destroys their
 * versions), so a destroyed platform leaves its names taken; `Cloud.gcp({ keyRingGeneration })` gives the
 * next deployment new ones. Names of the first generation are the names of earlier releases.
 */
export function gcpKeyRingName(scope: IConstruct, cloud: GcpCloud, rules: Omit<NameRules, 'maxLength'>, ...parts: string[]): string {
  const suffix = keyRingSuffix(cloud);
  return `${physicalName(scope, cloud, { ...rules, maxLength: 63 - suffix.length }, ...parts)}${suffix}`;
}
