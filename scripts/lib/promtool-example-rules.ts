// scripts/test-promtool.sh, step 2: collects the PrometheusRules of the synthesized example stacks
// (cdktf.out/charts/<stack>/...) into <work>/example-rules-<stack>.yaml, and their count into
// <work>/example-rules.count (0 when nothing is synthesized).
// Usage: node -r ts-node/register/transpile-only scripts/lib/promtool-example-rules.ts <work>
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';

const out = process.argv[2];
const root = 'cdktf.out/charts';
const files: string[] = [];
const walk = (d: string): void => {
  if (!fs.existsSync(d)) return;
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p); else if (/-prometheusrule-.*\.yaml$/.test(e.name)) files.push(p);
  }
};
walk(root);
const byStack = new Map<string, unknown[]>();
for (const f of files.sort()) {
  // Helm escapes of literal braces in the chart templates back to the braces Prometheus sees.
  const text = fs.readFileSync(f, 'utf8').replace(/\{\{ "\{\{" \}\}/g, '{{').replace(/\{\{ "\}\}" \}\}/g, '}}');
  const stack = path.relative(root, f).split(path.sep)[0];
  const rule: { spec: { groups: unknown[] } } = parse(text);
  byStack.set(stack, [...(byStack.get(stack) ?? []), ...rule.spec.groups]);
}
for (const [stack, groups] of byStack) fs.writeFileSync(path.join(out, `example-rules-${stack}.yaml`), stringify({ groups }, { lineWidth: 0 }));
fs.writeFileSync(path.join(out, 'example-rules.count'), String(files.length));
