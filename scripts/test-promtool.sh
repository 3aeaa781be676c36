#!/usr/bin/env bash
# Alert rules of MonitoringStack under promtool: renders the typed rules (src/monitoring/rules) for the profile
# in test/monitoring/promtool/profile.json, runs `promtool check rules` on them (and on every Grafana dashboard
# query), checks that promtool rejects a broken rule, runs `promtool test rules` on
# test/monitoring/promtool/*.test.yaml and fails when an alert lacks a case that fires it or one that stays silent.
# Installs promtool when missing (Debian's `prometheus` package ships it; no pip or npm package does, so there is
# no other fallback). Idempotent; quiet on success.
set -euo pipefail
cd "$(dirname "$0")/.."

install_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=() log
    [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
    log=$(mktemp)
    echo "promtool: installing Debian package 'prometheus' (ships promtool)"
    # Wait for another apt/dpkg run to release its locks instead of failing at once.
    if ${sudo[@]+"${sudo[@]}"} apt-get -o DPkg::Lock::Timeout=300 update -qq >"$log" 2>&1 \
      && ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends prometheus >>"$log" 2>&1; then
      rm -f "$log"
      command -v promtool >/dev/null 2>&1 && return 0
    else
      cat "$log" >&2
      rm -f "$log"
    fi
  fi
  echo "promtool: not found and could not be installed. Install it (Debian/Ubuntu: apt-get install prometheus;" >&2
  echo "or the 'promtool' binary from a Prometheus release tarball) and put it on PATH." >&2
  return 1
}
install_promtool

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Compile only the rules module and what it imports (independent of the rest of the tree).
node_modules/.bin/tsc --outDir "$work/build" --rootDir . --module commonjs --target es2022 --moduleResolution node \
  --esModuleInterop --skipLibCheck --strict --types node src/monitoring/rules/index.ts

NODE_PATH="$PWD/node_modules" node - "$work" <<'JS'
const fs = require('fs');
const path = require('path');
const out = process.argv[2];
const rules = require(path.join(out, 'build/src/monitoring/rules/index.js'));
const profile = JSON.parse(fs.readFileSync('test/monitoring/promtool/profile.json', 'utf8'));
const groups = rules.buildRuleGroups('promtool', profile);
fs.writeFileSync(path.join(out, 'rules.yaml'), rules.prometheusRulesYaml(groups, { runbookBaseUrl: 'https://example.com/runbooks' }));
// Unit tests compare labels; the same rules without annotations keep the expected alerts short.
const bare = rules.prometheusGroups(groups).map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, annotations: {} })) }));
fs.writeFileSync(path.join(out, 'rules-test.yaml'), require('yaml').stringify({ groups: bare }, { lineWidth: 0 }));
// A broken rule: promtool must reject it (guards against a check that passes everything).
const bad = { name: 'broken', area: 'platform', rules: [{ ...groups[0].rules[0], name: 'BrokenRule', expr: 'rate(up[5m]) >' }] };
fs.writeFileSync(path.join(out, 'bad-rules.yaml'), rules.prometheusRulesYaml([bad]));
fs.writeFileSync(path.join(out, 'alert-names.json'), JSON.stringify(groups.flatMap((g) => g.rules.map((r) => r.name))));
// Every dashboard query, with its template variables set to match-all, as recording rules: promtool parses them,
// and test/monitoring/promtool/dashboard-*.test.yaml evaluate them over sample metrics. Each is recorded as
// dashboard:<uid>:<panel title>:<refId> (non-alphanumerics as _), e.g. dashboard:aiinfra_training_run:tokens_s:A.
const dir = 'src/monitoring/dashboards';
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
const dashboardGroups = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
  const d = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const rules = d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({
    record: `dashboard:${slug(d.uid)}:${slug(p.title)}:${t.refId}`, expr: t.expr.replace(/\$[a-z]+/g, '.*'),
  })));
  const dup = rules.find((r, i) => rules.findIndex((o) => o.record === r.record) !== i);
  if (dup) throw new Error(`two panels of dashboard ${d.uid} record as ${dup.record}: make their titles distinct`);
  return { name: `dashboard-${d.uid}`, rules };
});
fs.writeFileSync(path.join(out, 'dashboards.yaml'), require('yaml').stringify({ groups: dashboardGroups }, { lineWidth: 0 }));
JS

promtool check rules --lint-fatal "$work/rules.yaml" >/dev/null
# The PrometheusRules of the synthesized example stacks (`npm run synth` runs first in `npm test`), when present.
NODE_PATH="$PWD/node_modules" node - "$work" <<'JS'
const fs = require('fs');
const path = require('path');
const { parse, stringify } = require('yaml');
const out = process.argv[2];
const root = 'cdktf.out/charts';
const files = [];
const walk = (d) => fs.existsSync(d) && fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
  const p = path.join(d, e.name);
  if (e.isDirectory()) walk(p); else if (/-prometheusrule-.*\.yaml$/.test(e.name)) files.push(p);
});
walk(root);
const byStack = new Map();
for (const f of files.sort()) {
  // Helm escapes of literal braces in the chart templates back to the braces Prometheus sees.
  const text = fs.readFileSync(f, 'utf8').replace(/\{\{ "\{\{" \}\}/g, '{{').replace(/\{\{ "\}\}" \}\}/g, '}}');
  const stack = path.relative(root, f).split(path.sep)[0];
  byStack.set(stack, [...(byStack.get(stack) ?? []), ...parse(text).spec.groups]);
}
for (const [stack, groups] of byStack) fs.writeFileSync(path.join(out, `example-rules-${stack}.yaml`), stringify({ groups }, { lineWidth: 0 }));
fs.writeFileSync(path.join(out, 'example-rules.count'), String(files.length));
JS
if [ "$(cat "$work/example-rules.count")" -gt 0 ]; then
  for f in "$work"/example-rules-*.yaml; do
    promtool check rules --lint-fatal "$f" >/dev/null 2>&1 || { promtool check rules --lint-fatal "$f" >&2; exit 1; }
  done
  echo "promtool: $(cat "$work/example-rules.count") PrometheusRules of the synthesized stacks pass check rules"
fi
promtool check rules "$work/dashboards.yaml" >/dev/null || { echo "a dashboard query is not valid PromQL" >&2; promtool check rules "$work/dashboards.yaml" >&2; exit 1; }
if promtool check rules "$work/bad-rules.yaml" >/dev/null 2>&1; then
  echo "promtool accepted a broken rule file: the check is not working" >&2
  exit 1
fi

cp test/monitoring/promtool/*.test.yaml "$work/"
tests=()
for f in test/monitoring/promtool/*.test.yaml; do tests+=("$work/$(basename "$f")"); done
( cd "$work" && promtool test rules "${tests[@]##*/}" ) > "$work/test.log" 2>&1 || { cat "$work/test.log" >&2; exit 1; }

# Every alert has a test case that fires it and one that expects silence.
NODE_PATH="$PWD/node_modules" node - "$work" <<'JS'
const fs = require('fs');
const path = require('path');
const { parse } = require('yaml');
const out = process.argv[2];
const names = JSON.parse(fs.readFileSync(path.join(out, 'alert-names.json'), 'utf8'));
const fires = new Set(); const silent = new Set();
for (const f of fs.readdirSync('test/monitoring/promtool').filter((f) => f.endsWith('.test.yaml'))) {
  for (const t of parse(fs.readFileSync(path.join('test/monitoring/promtool', f), 'utf8')).tests ?? []) {
    for (const a of t.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? fires : silent).add(a.alertname);
  }
}
const gaps = names.flatMap((n) => [fires.has(n) ? [] : [`${n}: no case that fires it`], silent.has(n) ? [] : [`${n}: no case that stays silent`]].flat());
if (gaps.length) { console.error(`promtool tests missing:\n  ${gaps.join('\n  ')}`); process.exit(1); }
console.log(`promtool: ${names.length} alerts pass check rules and their unit tests (firing and silent cases); dashboard queries parse`);
JS
