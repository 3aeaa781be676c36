// scripts/test-promtool.sh, step 1: renders the typed alert rules (compiled by the script into <work>/build) for
// test/monitoring/promtool/profile.json and every Grafana dashboard query into <work> as promtool inputs.
// Usage: node -r ts-node/register/transpile-only scripts/lib/promtool-render.ts <work>
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import type { RuleGroup, RuleSetInput } from '../../src/monitoring/rules';

type RulesModule = typeof import('../../src/monitoring/rules');

interface Dashboard {
  readonly uid: string;
  readonly panels: readonly { readonly title: string; readonly targets?: readonly { readonly refId: string; readonly expr: string }[] }[];
}

const out = process.argv[2];
// The compiled copy, not src/: the script compiled the rules module alone, under strict tsc.
const rules: RulesModule = require(path.join(out, 'build/src/monitoring/rules/index.js'));
const profile: RuleSetInput = JSON.parse(fs.readFileSync('test/monitoring/promtool/profile.json', 'utf8'));
const groups = rules.buildRuleGroups('promtool', profile);
fs.writeFileSync(path.join(out, 'rules.yaml'), rules.prometheusRulesYaml(groups, { runbookBaseUrl: 'https://example.com/runbooks' }));
// Unit tests compare labels; the same rules without annotations keep the expected alerts short.
const bare = rules.prometheusGroups(groups).map((g) => ({ ...g, rules: g.rules.map((r) => ('alert' in r ? { ...r, annotations: {} } : r)) }));
fs.writeFileSync(path.join(out, 'rules-test.yaml'), stringify({ groups: bare }, { lineWidth: 0 }));
// A broken rule: promtool must reject it (guards against a check that passes everything).
const bad: RuleGroup = { name: 'broken', area: 'platform', rules: [{ ...groups[0].rules[0], name: 'BrokenRule', expr: 'rate(up[5m]) >' }] };
fs.writeFileSync(path.join(out, 'bad-rules.yaml'), rules.prometheusRulesYaml([bad]));
fs.writeFileSync(path.join(out, 'alert-names.json'), JSON.stringify(groups.flatMap((g) => g.rules.map((r) => r.name))));
// Every dashboard query, with its template variables set to match-all, as recording rules: promtool parses them,
// and test/monitoring/promtool/dashboard-*.test.yaml evaluate them over sample metrics. Each is recorded as
// dashboard:<uid>:<panel title>:<refId> (non-alphanumerics as _), e.g. dashboard:aiinfra_training_run:tokens_s:A.
const dir = 'src/monitoring/dashboards';
const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
const dashboardGroups = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
  const d: Dashboard = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const recorded = d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({
    record: `dashboard:${slug(d.uid)}:${slug(p.title)}:${t.refId}`, expr: t.expr.replace(/\$__range/g, '1d').replace(/\$[a-z]+/g, '.*'),
  })));
  const dup = recorded.find((r, i) => recorded.findIndex((o) => o.record === r.record) !== i);
  if (dup) throw new Error(`two panels of dashboard ${d.uid} record as ${dup.record}: make their titles distinct`);
  return { name: `dashboard-${d.uid}`, rules: recorded };
});
fs.writeFileSync(path.join(out, 'dashboards.yaml'), stringify({ groups: dashboardGroups }, { lineWidth: 0 }));
