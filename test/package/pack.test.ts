/**
 * What `npm pack` ships is what a user gets: every README the package ships may link only to files the
 * package ships (a link into the repository is a dead link on npm and in node_modules), and the package
 * carries the licence, the examples and the CI files the READMEs tell users to copy.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../../src/core/package-root';

const root = packageRoot();
const files: string[] = (JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
  cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
}))[0].files as { path: string }[]).map((f) => f.path).sort();
const shipped = new Set(files);

/** Relative link targets in a Markdown file (inline links and images), without their #fragment. */
function relativeLinks(markdown: string): string[] {
  const out: string[] = [];
  const text = markdown.replace(/```[\s\S]*?```/g, ''); // code blocks hold code, not links
  for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1];
    if (/^(?:[a-z]+:|#)/i.test(target)) continue; // URLs, mailto:, in-page anchors
    out.push(target.split('#')[0]);
  }
  return out;
}

test('the package ships the licence, the README, the examples and the CI files', () => {
  for (const f of ['LICENSE', 'README.md', 'package.json', 'examples/platform/platform.ts', 'examples/two-stack/stacks.ts',
    'examples/quickstart/main.ts', 'examples/ci/github-actions.yml', 'CONTRIBUTING.md']) {
    expect({ f, shipped: shipped.has(f) }).toEqual({ f, shipped: true });
  }
});

test('every relative link in every shipped Markdown file resolves inside the package', () => {
  const markdown = files.filter((f) => f.endsWith('.md'));
  expect(markdown.length).toBeGreaterThan(5);
  const dead: string[] = [];
  for (const doc of markdown) {
    for (const link of relativeLinks(fs.readFileSync(path.join(root, doc), 'utf8'))) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(doc), decodeURI(link))).replace(/\/$/, '');
      const ok = shipped.has(target) || files.some((f) => f.startsWith(`${target}/`));
      if (!ok) dead.push(`${doc}: ${link}`);
    }
  }
  expect(dead).toEqual([]);
});
