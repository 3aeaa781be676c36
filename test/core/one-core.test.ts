import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { copyCore } from '../core-copy';

// The one-core guard (src/core/one-core.ts), run as a platform repo runs its app: a fresh Node process in a
// project folder with its own node_modules. The library comes from this repo (src/, through ts-node) and so
// resolves this repo's cdktf; the app resolves the core in its project folder.
const root = path.resolve(__dirname, '..', '..');
const ownCore = path.join(root, 'node_modules', 'cdktf');
const fixture = path.join(__dirname, 'fixtures', 'two-cores-app.js');

interface Outcome { ok?: boolean; releases?: number; withDependsOn?: number; error?: string }

function runApp(projectDir: string, env: Record<string, string> = {}): { status: number | null; out: Outcome; stderr: string } {
  const app = path.join(projectDir, 'app.js');
  fs.copyFileSync(fixture, app);
  const run = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), app], {
    cwd: projectDir, encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1', TS_NODE_PROJECT: path.join(root, 'tsconfig.json'), AIINFRA_LIB: path.join(root, 'src', 'index.ts'), CDKTF_OUTDIR: path.join(projectDir, 'cdktf.out'), ...env },
  });
  return { status: run.status, out: JSON.parse(run.stdout || '{}') as Outcome, stderr: run.stderr };
}

describe('one core: constructs of this library in a stack of another copy of the core fail the synth', () => {
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-one-core-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the normal case (one core) synthesizes as before, the library Aspects included', () => {
    // in a folder of this repo, so the app resolves the same cdktf as the library
    fs.mkdirSync(path.join(root, 'node_modules', '.cache'), { recursive: true }); // absent after a bare `npm ci`
    const dir = fs.mkdtempSync(path.join(root, 'node_modules', '.cache', 'aiinfra-one-core-'));
    try {
      const run = runApp(dir);
      expect(run.out).toEqual({ ok: true, releases: expect.any(Number), withDependsOn: expect.any(Number) });
      expect(run.status).toBe(0);
      // every add-on release waits for the node pools: written by KubernetesWorkload's Aspect
      expect(run.out.releases).toBeGreaterThan(0);
      expect(run.out.withDependsOn).toBe(run.out.releases);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('two copies of the same core (the Aspects would be skipped): an error naming both copies and the fix', () => {
    copyCore(tmp, 'cdktf');
    const run = runApp(tmp);
    expect(run.status).toBe(1);
    const rel = path.relative(tmp, ownCore);
    expect(run.out.error).toContain('two copies of the CDK for Terraform core are loaded, and stack "app" comes from the other one');
    expect(run.out.error).toContain(`stack "app": ${path.join('node_modules', 'cdktf')} (cdktf 0.21.0)`);
    expect(run.out.error).toContain(`cdktf-ai-infra: ${rel} (cdktf 0.21.0)`);
    expect(run.out.error).toContain('"overrides": { "cdktf": "$cdktf" }');
    expect(fs.existsSync(path.join(tmp, 'cdktf.out', 'stacks', 'app', 'cdk.tf.json'))).toBe(false);
  });

  test('mixed cores (the app on cdktn 0.24, the library on cdktf 0.21): the same error with both versions', () => {
    copyCore(tmp, 'cdktf', { name: 'cdktn', version: '0.24.0' });
    const run = runApp(tmp);
    expect(run.status).toBe(1);
    expect(run.out.error).toContain(`stack "app": ${path.join('node_modules', 'cdktf')} (cdktn 0.24.0)`);
    expect(run.out.error).toContain(`cdktf-ai-infra: ${path.relative(tmp, ownCore)} (cdktf 0.21.0)`);
  });
});
