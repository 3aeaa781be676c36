// The canary analysis over recorded metric series (issue 25 item 7): test/monitoring/promtool/canary-analysis.test.yaml
// runs the MetricTemplate queries under promtool (scripts/test-promtool.sh in `npm test`; here too when promtool is
// installed). This test keeps that file honest: its expressions are exactly the queries the endpoint renders for the
// fixture's canary, each compared with its thresholdRange the way Flagger compares it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { RUNTIME_METRICS } from '../../src/inference/metrics';
import { canaryQueries, ResolvedCanary } from '../../src/inference/progressive-delivery';
import { build, byKind, endpointObjects, Json } from './helpers';

const FILE = path.join(__dirname, '..', 'monitoring', 'promtool', 'canary-analysis.test.yaml');
const CANARY: ResolvedCanary = {
  steps: [5, 25, 50], interval: '10m', intervalSeconds: 600, failedChecks: 2, errorRatio: 0.01, p95TtftMs: 800, minTokensPerSecond: 20,
};

/** `<query> <= bool max` / `>= bool min`: 1 within the range, 0 outside, nothing without data. */
function checks(runtime: 'builtin' | 'vllm'): string[] {
  return canaryQueries(CANARY, RUNTIME_METRICS[runtime], 'inference', 'chat-canary')
    .map((q) => `(${q.query}) ${q.max !== undefined ? `<= bool ${q.max}` : `>= bool ${q.min}`}`);
}

const file = parse(fs.readFileSync(FILE, 'utf8'), { merge: true }) as { tests: { name: string; promql_expr_test: Json[] }[] };
const exprs = new Set(file.tests.flatMap((t) => t.promql_expr_test.map((e) => e.expr as string)));

test('the promtool file tests exactly the rendered queries: all three builtin checks and vLLM\'s error ratio', () => {
  expect([...exprs].sort()).toEqual([...checks('builtin'), checks('vllm')[0]].sort());
});

test('those are the queries an endpoint with that canary renders into its MetricTemplates', () => {
  const b = build('gcp', () => ({
    monitoring: { prometheusQueryUrl: 'http://prometheus-operated.monitoring.svc:9090' },
    canary: { steps: CANARY.steps, interval: CANARY.interval, slo: { errorRatio: 0.01, p95TtftMs: 800, minTokensPerSecond: 20 } },
  }));
  const objects = endpointObjects(b);
  const rendered = ['error-ratio', 'ttft-p95-ms', 'tokens-per-second']
    .map((n) => (byKind(objects, 'MetricTemplate', `${b.endpoint.name}-${n}`) as Json).spec.query as string)
    .map((q) => q.replace(new RegExp(`${b.endpoint.name}-canary`, 'g'), 'chat-canary'));
  expect(rendered).toEqual(canaryQueries(CANARY, RUNTIME_METRICS.builtin, 'inference', 'chat-canary').map((q) => q.query));
});

test('a good canary passes at every step and each bad one fails a check', () => {
  const byName = (re: RegExp) => file.tests.filter((t) => re.test(t.name));
  const values = (t: { promql_expr_test: Json[] }) => t.promql_expr_test.map((e) => (e.exp_samples as Json[])[0]?.value);
  expect(byName(/^a good canary/).flatMap(values).every((v) => v === 1)).toBe(true);
  for (const t of byName(/errors start|slow first token|5 tokens\/s|429s/)) expect(values(t)).toContain(0);
});

const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).status === 0;
(promtool ? test : test.skip)('promtool evaluates the recorded series as the file expects', () => {
  const r = spawnSync('promtool', ['test', 'rules', path.basename(FILE)], { cwd: path.dirname(FILE), encoding: 'utf8' });
  expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
});
