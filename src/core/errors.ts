import { Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { CRON_MACROS, cronProblem } from './cron';

/** Where an error points: a construct (its path is used) or a plain location such as `Cloud.aws`. */
export type ErrorScope = IConstruct | string;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

function pathOf(scope: ErrorScope): string {
  return typeof scope === 'string' ? scope : scope.node.path;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A prop a user passed cannot work. Thrown at synth time, before any resource is added, so the
 * message names the construct path, the prop, the value given and what is allowed.
 */
export class InvalidPropError extends Error {
  public readonly constructPath: string;
  public readonly prop: string;
  public readonly value: unknown;
  public readonly allowed: string;

  constructor(scope: ErrorScope, prop: string, value: unknown, allowed: string) {
    const path = pathOf(scope);
    super(`${path}: invalid ${prop} = ${show(value)}. Allowed: ${allowed}`);
    this.name = 'InvalidPropError';
    this.constructPath = path;
    this.prop = prop;
    this.value = value;
    this.allowed = allowed;
  }
}

/** True for a literal value we can check at synth time (not a Terraform reference). */
export function isLiteral(value: string): boolean {
  return !Token.isUnresolved(value);
}

const OBJECT_SEGMENT = /^[A-Za-z0-9._=+@,:~-]+$/;
const OBJECT_PATH_ALLOWED = "a relative path such as 'research/gpt-1b': no leading '/', no '.' or '..' or empty segments, "
  + 'segments of letters, digits and . _ - = + @ , : ~, at most 512 characters';

/** Small checks shared by every construct; each throws InvalidPropError. */
export const check = {
  integerInRange(scope: ErrorScope, prop: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      const upper = max === Number.MAX_SAFE_INTEGER ? '' : ` and <= ${max}`;
      throw new InvalidPropError(scope, prop, value, `an integer >= ${min}${upper}`);
    }
  },
  numberInRange(scope: ErrorScope, prop: string, value: number | undefined, min: number, max: number): void {
    if (value === undefined) return;
    if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
      throw new InvalidPropError(scope, prop, value, `a number from ${min} to ${max}`);
    }
  },
  oneOf<T extends string>(scope: ErrorScope, prop: string, value: T | undefined, allowed: readonly T[]): void {
    if (value === undefined) return;
    if (!allowed.includes(value)) {
      throw new InvalidPropError(scope, prop, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    }
  },
  matches(scope: ErrorScope, prop: string, value: string | undefined, pattern: RegExp, allowed: string): void {
    if (value === undefined) return;
    if (typeof value !== 'string' || !pattern.test(value)) throw new InvalidPropError(scope, prop, value, allowed);
  },
  /**
   * A relative object path in a bucket (`research/gpt-1b`): no leading slash, no empty, `.` or `..` segments,
   * only URL-safe characters. Returns it without a trailing slash.
   */
  objectPath(scope: ErrorScope, prop: string, path: string): string {
    if (typeof path !== 'string' || path.length === 0 || path.length > 512 || path.startsWith('/')) {
      throw new InvalidPropError(scope, prop, path, OBJECT_PATH_ALLOWED);
    }
    const trimmed = path.replace(/\/+$/, '');
    const segments = trimmed.split('/');
    if (trimmed.length === 0 || segments.some((s) => s === '' || s === '.' || s === '..' || !OBJECT_SEGMENT.test(s))) {
      throw new InvalidPropError(scope, prop, path, OBJECT_PATH_ALLOWED);
    }
    return trimmed;
  },
  /** An object prefix: a checked object path ending in `/` (so `research` never matches `research-old/`). */
  objectPrefix(scope: ErrorScope, prop: string, prefix: string | undefined): string | undefined {
    if (prefix === undefined) return undefined;
    return `${check.objectPath(scope, prop, prefix)}/`;
  },
  /**
   * An IPv4 CIDR (`prefix: 'required'`) or an address or CIDR (`'optional'`): four octets of 0-255, a prefix
   * length up to `maxPrefix` (32; 20 for "a /20 or larger network").
   */
  ipv4(scope: ErrorScope, prop: string, value: string | undefined, options: { prefix: 'required' | 'optional'; maxPrefix?: number; allowed: string }): void {
    if (value === undefined) return;
    const m = typeof value === 'string' ? IPV4.exec(value) : null;
    const ok = !!m && m.slice(1, 5).every((o) => Number(o) <= 255)
      && (m[5] === undefined ? options.prefix === 'optional' : Number(m[5]) <= (options.maxPrefix ?? 32));
    if (!ok) throw new InvalidPropError(scope, prop, value, options.allowed);
  },
  /**
   * A cron schedule every consumer parses (src/core/cron.ts): 5 fields with ranges, steps, lists and
   * JAN/MON names; `macros` also allows `@daily` and the like (Kubernetes CronJob, not KEDA windows).
   */
  cron(scope: ErrorScope, prop: string, value: string | undefined, options: { macros: boolean; example: string }): void {
    if (value === undefined) return;
    const problem = cronProblem(value, options.macros);
    if (problem === undefined) return;
    throw new InvalidPropError(scope, prop, value, `a 5-field cron expression (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, `
      + `day of week 0-6 or SUN-SAT; *, a-b, */n, lists), e.g. '${options.example}'${options.macros ? `, or ${CRON_MACROS.join('/')}` : ''}: ${problem}`);
  },
};
