import { spawnSync } from 'child_process';
import * as path from 'path';

// The import budget (README Performance) holds because importing the library loads cdktf, constructs,
// our own modules and the two small providers every workload and image uses (helm, docker: ~5 ms), but
// no cloud provider package (loaded per cloud by cloud.select) and no cdk8s or yaml (loaded on first
// use). Run in a fresh process, as a user's app would import it.
test('require of the library entry point loads no cloud provider, cdk8s or yaml', () => {
  const root = path.resolve(__dirname, '..', '..');
  const script = `require('./src/index'); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: root, encoding: 'utf8' });
  expect(run.status).toBe(0);
  const packages = new Set((JSON.parse(run.stdout) as string[])
    .map((f) => /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(f)?.[1]?.replace(/\\/g, '/'))
    .filter((p): p is string => p !== undefined && p !== 'ts-node' && !p.startsWith('@cspotcode') && !p.startsWith('typescript')));
  expect([...packages].filter((p) => /^@cdktf\/provider-(?!helm$|docker$)/.test(p) || p === 'cdk8s' || p === 'yaml')).toEqual([]);
  expect(packages.has('cdktf')).toBe(true);
});
