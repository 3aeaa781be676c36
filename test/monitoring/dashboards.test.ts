import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DASHBOARDS } from '../../src/monitoring/dashboards';
import { CONTRACT_METRICS } from './helpers';

const DIR = path.join(__dirname, '..', '..', 'src', 'monitoring', 'dashboards');

interface Panel { title: string; targets: { expr: string }[]; gridPos: { x: number; y: number; w: number; h: number } }

describe('dashboards', () => {
  test('the committed JSON is what the generator writes', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-'));
    execFileSync(process.execPath, [path.join(DIR, 'generate.js'), out]);
    for (const d of DASHBOARDS) {
      expect(fs.readFileSync(path.join(out, `${d.name}.json`), 'utf8')).toBe(fs.readFileSync(path.join(DIR, `${d.name}.json`), 'utf8'));
    }
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('GPU fleet, training run and endpoint, with unique uids and a data source variable', () => {
    expect(DASHBOARDS.map((d) => d.uid)).toEqual(['aiinfra-gpu-fleet', 'aiinfra-training-run', 'aiinfra-endpoint']);
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
});
