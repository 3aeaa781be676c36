// scripts/test-promtool.sh, last step: every alert (<work>/alert-names.json) has a case in
// test/monitoring/promtool/*.test.yaml that fires it and one that expects silence; exits 1 naming the gaps.
// Usage: node -r ts-node/register/transpile-only scripts/lib/promtool-coverage.ts <work>
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

interface PromtoolTestFile {
  readonly tests?: readonly { readonly alert_rule_test?: readonly { readonly alertname: string; readonly exp_alerts?: readonly unknown[] }[] }[];
}

const out = process.argv[2];
const names: string[] = JSON.parse(fs.readFileSync(path.join(out, 'alert-names.json'), 'utf8'));
const fires = new Set<string>(); const silent = new Set<string>();
for (const f of fs.readdirSync('test/monitoring/promtool').filter((f) => f.endsWith('.test.yaml'))) {
  const file: PromtoolTestFile = parse(fs.readFileSync(path.join('test/monitoring/promtool', f), 'utf8'));
  for (const t of file.tests ?? []) {
    for (const a of t.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? fires : silent).add(a.alertname);
  }
}
const gaps = names.flatMap((n) => [fires.has(n) ? [] : [`${n}: no case that fires it`], silent.has(n) ? [] : [`${n}: no case that stays silent`]].flat());
if (gaps.length) { console.error(`promtool tests missing:\n  ${gaps.join('\n  ')}`); process.exit(1); }
console.log(`promtool: ${names.length} alerts pass check rules and their unit tests (firing and silent cases); dashboard queries parse`);
