// The cloud seam of MonitoringStack (issue 17): generic code in src/monitoring never names a cloud nor imports
// a provider; each cloud's facts and resources come from its `monitoring` on src/clouds/registry.ts.
import * as fs from 'fs';
import * as path from 'path';
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
