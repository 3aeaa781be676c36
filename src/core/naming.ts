import { IConstruct } from 'constructs';
import { Cloud } from './cloud';
import { InvalidPropError } from './errors';
import { stableHash } from './hash';

/** The naming rules of one kind of cloud resource. */
export interface NameRules {
  /** Longest name the cloud accepts. */
  readonly maxLength: number;
  /** Shortest name the cloud accepts. @default 1 */
  readonly minLength?: number;
  /** Lower-case the name. @default true */
  readonly lowercase?: boolean;
  /** Separator between path parts; '' for clouds that allow only alphanumerics. @default '-' */
  readonly separator?: '-' | '_' | '';
  /** Must start with a letter (GCP service accounts, Kubernetes names). @default false */
  readonly startWithLetter?: boolean;
  /** Characters of the name reserved for a suffix added later (e.g. `-replica`). @default 0 */
  readonly reserve?: number;
}

const HASH_LENGTH = 8;

/** Path parts that add nothing to a name. */
const NOISE = new Set(['Resource', 'Default']);

/**
 * A physical name derived from the construct path: readable parts, then a hash of the full path and
 * the cloud's uniqueness key. Stable across machines and runs (never random, never a timestamp), unique
 * per path, and within the cloud's limits.
 */
export function physicalName(scope: IConstruct, cloud: Cloud, rules: NameRules, ...suffix: string[]): string {
  const sep = rules.separator ?? '-';
  const lowercase = rules.lowercase ?? true;
  const parts = [...scope.node.scopes.slice(1).map((s) => s.node.id).filter((id) => !NOISE.has(id)), ...suffix];
  const hash = stableHash(`${cloud.uniquenessKey}|${scope.node.path}|${suffix.join('/')}`, HASH_LENGTH);
  const budget = rules.maxLength - (rules.reserve ?? 0) - HASH_LENGTH - sep.length;
  let human = parts.join(sep);
  if (lowercase) human = human.toLowerCase();
  human = human.replace(sep === '' ? /[^a-zA-Z0-9]/g : /[^a-zA-Z0-9]+/g, sep);
  if (sep) human = human.split(sep).filter(Boolean).join(sep);
  if (rules.startWithLetter && !/^[a-zA-Z]/.test(human)) human = `r${sep}${human}`;
  human = human.slice(0, Math.max(0, budget));
  if (sep) human = human.replace(new RegExp(`\\${sep}+$`), '');
  const name = human ? `${human}${sep}${hash}` : `${rules.startWithLetter ? 'r' : ''}${hash}`;
  return name;
}

/** Checks a user-given name against the rules; throws InvalidPropError naming what is allowed. */
export function checkName(scope: IConstruct, prop: string, name: string | undefined, rules: NameRules, pattern: RegExp, what: string): void {
  if (name === undefined) return;
  const min = rules.minLength ?? 1;
  const max = rules.maxLength - (rules.reserve ?? 0);
  if (typeof name !== 'string' || name.length < min || name.length > max || !pattern.test(name)) {
    throw new InvalidPropError(scope, prop, name, `${min}-${max} characters; ${what}`);
  }
}
