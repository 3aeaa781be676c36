/**
 * The layout's rules (DESIGN.md "Cloud seam", issue 17), checked over all of src/: no file-level import cycle,
 * provider packages imported only under src/clouds/, no cloud dispatch (`select(`) in generic code, and no
 * function over 80 lines except the listed ones. Each construct's own seam test checks its spi and registry entry.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const src = path.resolve(__dirname, '..', 'src');

function files(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const all = files(src).sort();
const rel = (f: string) => path.relative(src, f).split(path.sep).join('/');
const text = new Map(all.map((f) => [f, fs.readFileSync(f, 'utf8')]));

/** Static imports and re-exports (type-only ones too: a cycle of types is still a tangle). */
function importsOf(file: string): string[] {
  const deps: string[] = [];
  for (const m of text.get(file)!.matchAll(/^(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/gm)) {
    const target = path.resolve(path.dirname(file), m[1]);
    const found = [`${target}.ts`, path.join(target, 'index.ts')].find((c) => text.has(c));
    if (found) deps.push(found);
  }
  return deps;
}

/** Strongly connected components with more than one file (Tarjan). */
function importCycles(): string[][] {
  const graph = new Map(all.map((f) => [f, importsOf(f)]));
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(rel(w)); } while (w !== v);
      if (scc.length > 1) cycles.push(scc.sort());
    }
  };
  for (const f of all) if (!index.has(f)) visit(f);
  return cycles;
}

/** Functions, methods and constructors longer than `max` lines, as `file:line name (lines)`. */
function longFunctions(max: number): string[] {
  const long: string[] = [];
  for (const f of all) {
    const sf = ts.createSourceFile(f, text.get(f)!, ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n.body) {
        const start = sf.getLineAndCharacterOfPosition(n.getStart()).line;
        const lines = sf.getLineAndCharacterOfPosition(n.end).line - start + 1;
        const name = 'name' in n && n.name ? n.name.getText(sf) : ts.SyntaxKind[n.kind];
        if (lines > max) long.push(`${rel(f)} ${name}`);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return long.sort();
}

/** Over 80 lines on purpose; each with its reason. */
const LONG_ON_PURPOSE: Record<string, string> = {
  'clouds/aws/load-balancer-controller.ts loadBalancerControllerPolicy':
    "one IAM policy document that mirrors upstream's iam_policy.json statement by statement; split, it no longer diffs against upstream",
};

test('no file-level import cycle in src/', () => {
  expect(importCycles()).toEqual([]);
});

test('provider packages are imported only under src/clouds/', () => {
  const outside = all.filter((f) => !rel(f).startsWith('clouds/') && /from '@cdktf\/provider-/.test(text.get(f)!)).map(rel);
  expect(outside).toEqual([]);
});

test('generic code never dispatches on a cloud (no select( outside src/clouds/ and Cloud itself)', () => {
  const dispatch = all.filter((f) => !rel(f).startsWith('clouds/') && rel(f) !== 'core/cloud.ts' && /\.select\(\{/.test(text.get(f)!)).map(rel);
  expect(dispatch).toEqual([]);
});

test('no function over 80 lines but the listed ones', () => {
  expect(longFunctions(80)).toEqual(Object.keys(LONG_ON_PURPOSE).sort());
});
