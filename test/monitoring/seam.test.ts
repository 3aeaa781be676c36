// The cloud seam of MonitoringStack (issue 17): generic code in src/monitoring never names a cloud nor imports
// a provider; each cloud's facts and resources come from its `monitoring` on src/clouds/registry.ts.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { Testing, TerraformStack } from 'cdktf';
import { targetFor } from '../../src/clouds/registry';
import { MonitoringStack } from '../../src/monitoring/monitoring-stack';
import { CLOUDS, CloudName, expectInvalid } from './helpers';

const SRC = path.join(__dirname, '..', '..', 'src', 'monitoring');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * The public props that name their cloud (API: they keep their names) and a book title; everything else is
 * cloud-neutral.
 */
const ALLOWED = /\b(azureScope|azureKeyVaultAllowedIpRanges|Google SRE workbook)\b/g;

describe('src/monitoring is cloud-neutral', () => {
  const files = sources(SRC).filter((f) => !f.endsWith('types.ts'));
  test.each(files.map((f) => [path.relative(SRC, f), f]))('%s names no cloud, selects none, imports no provider', (_name, file) => {
    const text = fs.readFileSync(file, 'utf8').replace(ALLOWED, '');
    expect(text).not.toMatch(/\.select\s*[<(]/);
    expect(text).not.toMatch(/\b(aws|gcp|azure|amazon|google|eks|gke|aks|sns)\b/i);
    expect(text).not.toMatch(/@cdktf\/provider-/);
    expect(text).not.toMatch(/clouds\/(aws|gcp|azure)\//);
  });

  test('spi.ts holds types only', () => {
    const text = fs.readFileSync(path.join(SRC, 'spi.ts'), 'utf8');
    expect(text.match(/^import (?!type )/m)).toBeNull();
    expect(text).not.toMatch(/^export (const|function|class|let|enum)\b/m);
  });
});

/** Functions (and methods) over `max` lines in `file`, as `name:line (n lines)`. */
function longFunctions(file: string, max: number): string[] {
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && (n as ts.FunctionLikeDeclaration).body) {
      const start = src.getLineAndCharacterOfPosition(n.getStart()).line;
      const lines = src.getLineAndCharacterOfPosition(n.end).line - start + 1;
      if (lines > max) out.push(`${(n as ts.FunctionLikeDeclaration).name?.getText() ?? '(anonymous)'}:${start + 1} (${lines} lines)`);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

test('no function of MonitoringStack or its per-cloud parts is over 80 lines', () => {
  const clouds = path.join(SRC, '..', 'clouds');
  const perCloud = fs.readdirSync(clouds).flatMap((c) => (fs.statSync(path.join(clouds, c)).isDirectory()
    ? fs.readdirSync(path.join(clouds, c)).filter((f) => f.startsWith('monitoring')).map((f) => path.join(clouds, c, f)) : []));
  expect(perCloud.length).toBeGreaterThanOrEqual(3);
  const long = [...sources(SRC), ...perCloud].flatMap((f) => longFunctions(f, 80).map((x) => `${path.relative(SRC, f)} ${x}`));
  expect(long).toEqual([]);
});

describe.each(Object.keys(CLOUDS) as CloudName[])('%s monitoring on the registry', (cloudName) => {
  const spi = targetFor(CLOUDS[cloudName]()).monitoring;

  test('secret names follow the cloud\'s secret manager', () => {
    expect(spi.secretNamePattern.test('alert-hook')).toBe(true);
    expect(spi.secretNamePattern.test('has space')).toBe(false);
  });

  test('managed Grafana only where the cloud has one', () => {
    const stack = new TerraformStack(Testing.app(), 'seam');
    const make = () => new MonitoringStack(stack, 'obs', { cloud: CLOUDS[cloudName](), backend: 'managed', managed: { grafana: true } });
    if (cloudName === 'aws') expect(make).not.toThrow();
    else expectInvalid(make, /obs: invalid managed\.grafana = true\. Allowed: AWS only \(Amazon Managed Grafana\)/);
  });
});
