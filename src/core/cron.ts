// The one cron validator for every schedule the library writes (training CronJobs, restore drills, KEDA
// cron windows). It accepts what both consumers parse, robfig/cron v3 (Kubernetes CronJob uses
// cron.ParseStandard; KEDA's cron scaler a 5-field parser without descriptors): five fields, each `*`
// or `?`, values, ranges `a-b`, steps `*/n`, `a-b/n`, `a/n`, comma lists, and JAN-DEC / SUN-SAT names
// (any case). Day of week is 0-6 (robfig rejects 7). `@daily`-style macros only where the consumer parses them.

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Value of names[0] (months start at 1). */
  readonly nameBase?: number;
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 6, names: DAYS, nameBase: 0 },
];

/** Macros Kubernetes CronJob accepts (robfig descriptors, without `@every`). */
export const CRON_MACROS: readonly string[] = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function value(text: string, f: CronField): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= f.min && n <= f.max ? n : `${text} is outside ${f.min}-${f.max}`;
  }
  const i = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (i >= 0) return i + (f.nameBase ?? 0);
  return f.names ? `${text} is not a number ${f.min}-${f.max} or a name (${f.names[0].toUpperCase()}-${f.names[f.names.length - 1].toUpperCase()})`
    : `${text} is not a number ${f.min}-${f.max}`;
}

/** What is wrong with one field, or undefined. */
function fieldProblem(text: string, f: CronField): string | undefined {
  for (const part of text.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === '') return `"${part}" is not a value, range or step`;
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > f.max - f.min + 1)) {
      return `step "/${step}" must be 1-${f.max - f.min + 1}`;
    }
    if (range === '*' || range === '?') continue;
    const [a, b, more] = range.split('-');
    if (more !== undefined) return `"${range}" is not a range a-b`;
    const lo = value(a, f);
    if (typeof lo === 'string') return lo;
    if (b !== undefined) {
      const hi = value(b, f);
      if (typeof hi === 'string') return hi;
      if (hi < lo) return `range ${range} runs backwards`;
    }
  }
  return undefined;
}

/**
 * What is wrong with a cron expression, or undefined when it is valid. `macros`: accept `@daily` and the
 * other descriptors (Kubernetes CronJob does; KEDA cron windows do not).
 */
export function cronProblem(expression: unknown, macros: boolean): string | undefined {
  if (typeof expression !== 'string' || expression.trim() === '') return 'not a string';
  const text = expression.trim();
  if (text.startsWith('@')) {
    if (macros && CRON_MACROS.includes(text.toLowerCase())) return undefined;
    return macros ? `unknown macro (${CRON_MACROS.join(', ')})` : 'macros are not accepted here';
  }
  if (/^(CRON_)?TZ=/.test(text)) return 'a time zone prefix is not allowed (schedules are UTC, or use the timezone option)';
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return `${fields.length} fields; a cron expression has 5 (minute hour day-of-month month day-of-week)`;
  for (let i = 0; i < 5; i++) {
    const problem = fieldProblem(fields[i], FIELDS[i]);
    if (problem) return `${FIELDS[i].name} field "${fields[i]}": ${problem}`;
  }
  return undefined;
}
