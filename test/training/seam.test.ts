// The cloud seam of the cluster, core and k8s code (issue 17): generic code reaches a cloud only through
// src/clouds/registry.ts, clouds see only the contracts (spi.ts files) of src/training, and those
// contracts are types only.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = path.resolve(__dirname, '..', '..', 'src');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

/** Module specifiers of a file's import / export-from declarations. */
function imports(file: string): string[] {
  return parse(file).statements.flatMap((s) => ((ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier
    ? [(s.moduleSpecifier as ts.StringLiteral).text] : []));
}

const rel = (f: string) => path.relative(SRC, f).split(path.sep).join('/');
const generic = ['training', 'k8s', 'core'].flatMap((d) => tsFiles(path.join(SRC, d)));

test('generic cluster, k8s and core code never dispatches on a cloud with select', () => {
  const offenders = generic.filter((f) => rel(f) !== 'core/cloud.ts' && /\.select\s*(<[^>]*>)?\s*\(\s*\{/.test(fs.readFileSync(f, 'utf8')));
  expect(offenders.map(rel)).toEqual([]);
});

test('generic cluster, k8s and core code imports no provider package', () => {
  const offenders = generic.filter((f) => imports(f).some((m) => m.startsWith('@cdktf/provider-')));
  expect(offenders.map(rel)).toEqual([]);
});

test('clouds import from src/training only its spi.ts', () => {
  const offenders = tsFiles(path.join(SRC, 'clouds')).flatMap((f) => imports(f)
    .filter((m) => m.startsWith('.'))
    .map((m) => rel(path.resolve(path.dirname(f), m)))
    .filter((target) => target.startsWith('training/') && target !== 'training/spi')
    .map((target) => `${rel(f)} -> ${target}`));
  expect(offenders).toEqual([]);
});

test.each(['training/spi.ts', 'core/spi.ts'])('%s is types only', (file) => {
  const runtime = parse(path.join(SRC, file)).statements.filter((s) => !(ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)
    || (ts.isImportDeclaration(s) && s.importClause?.isTypeOnly)));
  expect(runtime.map((s) => s.getText().split('\n')[0])).toEqual([]);
});

test('every cloud implements the cluster, identity and image contracts', () => {
  for (const cloud of ['aws', 'gcp', 'azure']) {
    const { target } = require(path.join(SRC, 'clouds', cloud)) as typeof import('../../src/clouds/aws');
    expect(Object.keys(target).sort()).toEqual(expect.arrayContaining(['cluster', 'identity', 'images']));
    expect(typeof target.cluster.build).toBe('function');
    expect(typeof target.cluster.defaultSystemMachineType).toBe('string');
  }
});
