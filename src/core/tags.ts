import { IConstruct } from 'constructs';
import { Cloud } from './cloud';
import { InvalidPropError } from './errors';
import { stableHash } from './hash';

export const MANAGED_BY_KEY = 'managed-by';
export const MANAGED_BY_VALUE = 'cdktf-ai-infra';
export const PATH_KEY = 'cdktf-ai-infra-path';

const GCP_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const GCP_VALUE = /^[a-z0-9_-]{0,63}$/;

/** Shortens a value to `max` characters, keeping it unique with a hash of the whole. */
function fit(value: string, max: number): string {
  if (value.length <= max) return value;
  const hash = stableHash(value, 8);
  return `${value.slice(0, max - 9)}-${hash}`;
}

/**
 * Validates user tags against the cloud's rules. GCP labels are strict (lowercase, `[a-z0-9_-]`,
 * <= 63 chars): a user label that breaks them is an error, not silently rewritten, because users
 * query by those labels.
 */
export function checkUserTags(scope: IConstruct, cloud: Cloud, tags: Record<string, string> | undefined, prop = 'tags'): void {
  if (!tags) return;
  const rules = cloud.labelRules;
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== 'string') throw new InvalidPropError(scope, `${prop}.${key}`, value, 'a string value');
    if (rules.strict) {
      if (!GCP_KEY.test(key)) {
        throw new InvalidPropError(scope, `${prop} key`, key,
          `${cloud.kind} label keys: start with a lowercase letter; lowercase letters, digits, '_' and '-'; at most 63 characters`);
      }
      if (!GCP_VALUE.test(value)) {
        throw new InvalidPropError(scope, `${prop}.${key}`, value,
          `${cloud.kind} label values: lowercase letters, digits, '_' and '-'; at most 63 characters`);
      }
    } else {
      if (key.length === 0 || key.length > rules.maxKeyLength || /[<>%&\\?]/.test(key)) {
        throw new InvalidPropError(scope, `${prop} key`, key, `1-${rules.maxKeyLength} characters without < > % & \\ ?`);
      }
      if (value.length > rules.maxValueLength) {
        throw new InvalidPropError(scope, `${prop}.${key}`, value, `at most ${rules.maxValueLength} characters`);
      }
    }
  }
}

/**
 * Tags (AWS, Azure) or labels (GCP) for a resource: the user's, plus `managed-by` and the construct
 * path, sanitized to the cloud's rules. Deterministic.
 */
export function resourceTags(scope: IConstruct, cloud: Cloud, userTags?: Record<string, string>): Record<string, string> {
  const rules = cloud.labelRules;
  const path = scope.node.path;
  const pathValue = rules.strict
    ? fit(path.toLowerCase().replace(/[^a-z0-9_-]+/g, '_'), rules.maxValueLength)
    : fit(path, rules.maxValueLength);
  return { ...(userTags ?? {}), [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [PATH_KEY]: pathValue };
}
