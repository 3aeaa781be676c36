// How often a cron schedule fires, for the "a run cannot finish before the next is due" warning: the shortest gap
// between two firings over eight weeks (enough for weekly patterns; a monthly one shows its shortest month gap).
import { CRON_MACROS } from '../core/cron';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
interface Range { readonly min: number; readonly max: number; readonly names?: readonly string[]; readonly base?: number }
const RANGES: readonly Range[] = [{ min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, { min: 1, max: 12, names: MONTHS, base: 1 }, { min: 0, max: 6, names: DAYS, base: 0 }];
const MACRO_MINUTES: Record<string, number> = {
  '@hourly': 60, '@daily': 1440, '@midnight': 1440, '@weekly': 10080, '@monthly': 28 * 1440, '@yearly': 365 * 1440, '@annually': 365 * 1440,
};

function num(text: string, names: readonly string[] | undefined, base: number): number {
  const i = names?.indexOf(text.toLowerCase()) ?? -1;
  return i >= 0 ? i + base : Number(text);
}

/** The values a (valid, see core/cron.ts) cron field matches. */
function fieldValues(field: string, { min, max, names, base }: Range): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let lo = min;
    let hi = max;
    if (range !== '*' && range !== '?') {
      const [a, b] = range.split('-');
      lo = num(a, names, base ?? 0);
      hi = b !== undefined ? num(b, names, base ?? 0) : stepText ? max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Shortest time between two firings of a valid cron expression or macro, in minutes (undefined: fires at most once). */
export function minCronIntervalMinutes(expression: string): number | undefined {
  const text = expression.trim().toLowerCase();
  if (text.startsWith('@')) return CRON_MACROS.includes(text) ? MACRO_MINUTES[text] : undefined;
  const fields = text.split(/\s+/);
  const [minutes, hours, doms, months, dows] = fields.map((f, i) => fieldValues(f, RANGES[i]));
  // robfig/cron: when both day fields are restricted, a day matches if either does.
  const domStar = fields[2] === '*' || fields[2] === '?';
  const dowStar = fields[4] === '*' || fields[4] === '?';
  const start = Date.UTC(2026, 0, 5); // a Monday
  let previous: number | undefined;
  let best: number | undefined;
  for (let m = 0; m < 8 * 7 * 1440; m++) {
    const t = new Date(start + m * 60_000);
    if (!minutes.has(t.getUTCMinutes()) || !hours.has(t.getUTCHours()) || !months.has(t.getUTCMonth() + 1)) continue;
    const dom = doms.has(t.getUTCDate());
    const dow = dows.has(t.getUTCDay());
    const day = domStar || dowStar ? dom && dow : dom || dow;
    if (!day) continue;
    if (previous !== undefined) best = Math.min(best ?? Infinity, m - previous);
    previous = m;
  }
  return best;
}
