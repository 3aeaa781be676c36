import { IConstruct } from 'constructs';
import { Annotations } from 'cdktf';
import { ErrorScope, InvalidPropError } from '../core/errors';
import { stableHash } from '../core/hash';

/** RFC 1123 DNS label: what namespaces, Services and most object names must be. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 DNS subdomain (ConfigMaps, ServiceAccounts, Jobs...). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Namespaces a workload of this library may not take over. */
export const RESERVED_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Throws InvalidPropError unless `value` is a DNS label of at most `max` characters. */
export function checkDnsLabel(scope: ErrorScope, prop: string, value: string | undefined, max = 63): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !DNS_LABEL.test(value)) {
    throw new InvalidPropError(scope, prop, value,
      `a DNS label: 1-${max} characters, lowercase letters, digits and '-', starting and ending with a letter or digit`);
  }
}

/**
 * A DNS label derived from `text` (an id or a construct path): lowercased, other characters turned into
 * '-', cut to `max` with a stable hash of the whole when it had to be changed or cut. Deterministic.
 */
export function toDnsLabel(text: string, max = 63): string {
  const clean = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (clean === text && clean.length <= max && DNS_LABEL.test(clean)) return clean;
  const hash = stableHash(text, 6);
  const head = clean.slice(0, Math.max(0, max - hash.length - 1)).replace(/-+$/, '');
  return head ? `${head}-${hash}` : `x${hash}`;
}

/**
 * A Kubernetes name derived from a construct id (`toDnsLabel(text, max)`), for a name the user sees and
 * uses (a tenant's namespace, a job's name). When the id is not already a valid name (uppercase, '_',
 * longer than `max`), the derived one carries a hash (`Research` -> `research-979d63`): a warning names it
 * and the prop that sets the name. A warning, not an error: PascalCase construct ids are the CDK custom and
 * the derived name is stable, so stacks already deployed with it keep working.
 */
export function derivedDnsLabel(scope: IConstruct, text: string, max: number, prop: string): string {
  const name = toDnsLabel(text, max);
  if (name === text) return name;
  const plain = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const suggestion = plain.length > 0 && plain.length <= max && DNS_LABEL.test(plain) ? plain : name.replace(/-[0-9a-f]+$/, '').slice(0, max);
  Annotations.of(scope).addWarning(`${scope.node.path}: "${text}" is not a Kubernetes name (a DNS label: lowercase letters, digits and '-', `
    + `at most ${max} characters), so ${prop} became "${name}"; set ${prop} (e.g. "${suggestion}") to choose it`);
  return name;
}

/** A DNS label for a construct: its path below the stack, cut to `max` characters with a hash. */
export function constructDnsLabel(scope: IConstruct, max = 53): string {
  const parts = scope.node.scopes.slice(1).map((s) => s.node.id).filter((id) => id !== 'Resource' && id !== 'Default');
  const human = parts.join('-').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const hash = stableHash(scope.node.path, 8);
  const head = human.slice(0, Math.max(0, max - hash.length - 1)).replace(/-+$/, '');
  const name = head ? `${head}-${hash}` : `w${hash}`;
  return /^[a-z]/.test(name) ? name : `w${name}`.slice(0, max);
}
