import { IConstruct } from 'constructs';
import { CRON_MACROS, cronProblem } from './cron';

/** Where an error points: a construct (its path is used) or a plain location such as `Cloud.aws`. */
export type ErrorScope = IConstruct | string;

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
