import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DASHBOARDS } from '../../src/monitoring/dashboards';
import { trainingRules } from '../../src/monitoring/rules/training';
import { CONTRACT_METRICS } from './helpers';

const DIR = path.join(__dirname, '..', '..', 'src', 'monitoring', 'dashboards');

interface Panel { title: string; targets: { expr: string }[]; gridPos: { x: number; y: number; w: number; h: number } }

/** The argument of every `sum` / `sum by (...)` / `sum without (...)` aggregation in a PromQL expression. */
function summedArguments(expr: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(/\bsum\s*(?:(?:by|without)\s*\([^)]*\)\s*)?\(/g)) {
    let depth = 1;
    let i = m.index! + m[0].length;
    const start = i;
    for (; i < expr.length && depth > 0; i++) depth += expr[i] === '(' ? 1 : expr[i] === ')' ? -1 : 0;
    out.push(expr.slice(start, i - 1));
  }
  return out;
}

describe('dashboards', () => {
  test('the committed JSON is what the generator writes', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-'));
    execFileSync(process.execPath, [path.join(DIR, 'generate.js'), out]);
    for (const d of DASHBOARDS) {
      expect(fs.readFileSync(path.join(out, `${d.name}.json`), 'utf8')).toBe(fs.readFileSync(path.join(DIR, `${d.name}.json`), 'utf8'));
    }
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('GPU fleet, training run, endpoint, tenant cost and tenant queue, with unique uids and a data source variable', () => {
    expect(DASHBOARDS.map((d) => d.uid)).toEqual(['aiinfra-gpu-fleet', 'aiinfra-training-run', 'aiinfra-endpoint', 'aiinfra-tenant-cost', 'aiinfra-tenant-queue', 'aiinfra-model-pipeline']);
    for (const d of DASHBOARDS) {
      const vars = (d.model.templating as { list: { name: string }[] }).list.map((v) => v.name);
      expect(vars[0]).toBe('datasource');
    }
  });

  test('panels do not overlap and stay within the 24-column grid', () => {
    for (const d of DASHBOARDS) {
      const panels = d.model.panels as Panel[];
      const cells = new Set<string>();
      for (const p of panels) {
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            const key = `${x},${y}`;
            expect(cells.has(key)).toBe(false);
            cells.add(key);
          }
        }
      }
    }
  });

  test('queries use the contract metric names and DCGM fields', () => {
    const exprs = DASHBOARDS.flatMap((d) => (d.model.panels as Panel[]).flatMap((p) => p.targets.map((t) => t.expr)));
    const aiinfra = new Set(exprs.flatMap((e) => e.match(/aiinfra_(train|server)_[a-z_]+/g) ?? []).map((m) => m.replace(/_(bucket|sum|count)$/, '')));
    // The trainer also exports its validation loss (compute/src/aiinfra/metrics.py), beside the contract's names.
    for (const m of aiinfra) expect([...CONTRACT_METRICS, 'aiinfra_train_val_loss']).toContain(m);
    expect(exprs.join('\n')).toContain('DCGM_FI_DEV_GPU_UTIL');
  });
  // compute/CONTRACT.md is the one source of each trainer metric's scope. Every node's local rank 0 serves the
  // gauges, so a job-wide value appears once per node: summed, a 4-node job showed 4x its throughput. The
  // numbers over a 4-node job's series are checked under promtool (test/monitoring/promtool/dashboard-training.test.yaml).
  test('job-wide trainer metrics are never summed across pods (scopes from compute/CONTRACT.md)', () => {
    const contract = fs.readFileSync(path.join(__dirname, '..', '..', 'compute', 'CONTRACT.md'), 'utf8');
    const scopes = new Map([...contract.matchAll(/^\| `(aiinfra_train_[a-z_]+)` \| (job|node)\b/gm)].map((m) => [m[1], m[2]]));
    expect(scopes.get('aiinfra_train_tokens_per_second')).toBe('job');
    expect(scopes.get('aiinfra_train_gpu_memory_bytes')).toBe('node');
    const exprs = [
      ...DASHBOARDS.flatMap((d) => (d.model.panels as Panel[]).flatMap((p) => p.targets.map((t) => t.expr))),
      ...trainingRules({ name: 'pretrain', namespace: 'research' }).rules.map((r) => r.expr),
    ];
    const used = new Set<string>();
    for (const expr of exprs) {
      for (const metric of expr.match(/aiinfra_train_[a-z_]+/g) ?? []) {
        expect(scopes.has(metric)).toBe(true); // every metric a panel or rule uses has a documented scope
        used.add(metric);
        const summed = summedArguments(expr).some((arg) => arg.includes(metric));
        if (scopes.get(metric) === 'job') expect({ metric, expr, summed }).toEqual({ metric, expr, summed: false });
      }
    }
    expect(used).toContain('aiinfra_train_tokens_per_second');
    expect(summedArguments('sum by (job) (rate(x[5m])) / sum(y)')).toEqual(['rate(x[5m])', 'y']);
  });
});
