import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { bundleApp } from '../../src/fast-synth/bundle';
import { parseArgs } from '../../src/fast-synth/cli';
import { fixtures, root, runCli } from './run-cli';
import { readTree } from '../read-tree';
import { copyCore } from '../core-copy';




const mtime = (file: string) => fs.statSync(file).mtimeMs;

describe('fast synth (bundle + V8 code cache)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-fast-synth-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the example platform synthesizes byte-identically to a plain synth, cold and with warm caches', () => {
    const reference = path.join(tmp, 'reference');
    const app = new App({ outdir: reference, stackTraces: false });
    buildPlatformApp(app);
    app.synth();

    const cache = path.join(tmp, 'cache');
    const cold = runCli(['examples/platform/main.ts'], { CDKTF_OUTDIR: path.join(tmp, 'cold'), AIINFRA_SYNTH_CACHE_DIR: cache });
    expect(cold.stderr).toBe('');
    expect(cold.status).toBe(0);
    const [bundleDir] = fs.readdirSync(cache);
    const bundle = path.join(cache, bundleDir, 'app.js');
    const [codeCache] = fs.readdirSync(path.join(cache, bundleDir)).filter((f) => f.endsWith('.v8cache'));
    expect(codeCache).toBeDefined();
    const before = { bundle: mtime(bundle), codeCache: mtime(path.join(cache, bundleDir, codeCache)) };

    const warm = runCli(['examples/platform/main.ts'], { CDKTF_OUTDIR: path.join(tmp, 'warm'), AIINFRA_SYNTH_CACHE_DIR: cache });
    expect(warm.status).toBe(0);
    // neither the bundle rebuilt nor the code cache rejected (a rejected cache is rewritten at exit)
    expect({ bundle: mtime(bundle), codeCache: mtime(path.join(cache, bundleDir, codeCache)) }).toEqual(before);

    const expected = readTree(reference);
    expect(expected.size).toBeGreaterThan(100);
    for (const run of ['cold', 'warm']) {
      const got = readTree(path.join(tmp, run));
      expect([...got.keys()]).toEqual([...expected.keys()]);
      for (const [file, content] of got) expect({ file, content }).toEqual({ file, content: expected.get(file) });
    }
  });

  test('the bundle is reused until one of its inputs changes', async () => {
    // inside the repo, so the app resolves cdktf from node_modules as a user's stack file would
    fs.mkdirSync(path.join(root, 'node_modules', '.cache'), { recursive: true }); // absent after a bare `npm ci`
    const appDir = fs.mkdtempSync(path.join(root, 'node_modules', '.cache', 'aiinfra-test-app-'));
    try {
      const entry = path.join(appDir, 'main.ts');
      fs.copyFileSync(path.join(fixtures, 'tiny-app.ts'), entry);
      const options = { cacheDir: path.join(tmp, 'cache'), packageRoot: root };
      expect((await bundleApp(entry, options)).rebuilt).toBe(true);
      expect((await bundleApp(entry, options)).rebuilt).toBe(false);
      fs.appendFileSync(entry, '\n// edited\n');
      expect((await bundleApp(entry, options)).rebuilt).toBe(true);
      expect((await bundleApp(entry, options)).rebuilt).toBe(false);
      // a different option set is a different bundle
      expect((await bundleApp(entry, { ...options, external: ['yaml'] })).rebuilt).toBe(true);
    } finally {
      fs.rmSync(appDir, { recursive: true, force: true });
    }
  });

  test('the app gets its own arguments and process.argv[1] is the stack file', () => {
    const out = path.join(tmp, 'out');
    const run = runCli([path.join(fixtures, 'tiny-app.ts'), 'the', 'tests'], { CDKTF_OUTDIR: out, AIINFRA_SYNTH_CACHE_DIR: path.join(tmp, 'cache') });
    expect(run.status).toBe(0);
    const tf = JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'tiny', 'cdk.tf.json'), 'utf8'));
    expect(tf.output.greeting.value).toBe('hello from the tests');
  });

  test('a stack file that synthesizes under `if (require.main === module)` synthesizes (was silently skipped)', () => {
    const out = path.join(tmp, 'out');
    const run = runCli([path.join(fixtures, 'main-guard-app.ts')], { CDKTF_OUTDIR: out, AIINFRA_SYNTH_CACHE_DIR: path.join(tmp, 'cache') });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const tf = JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'guarded', 'cdk.tf.json'), 'utf8'));
    expect(tf.output.main.value).toBe('ran as main');
  });

  test('assets found through __dirname work: a zip archive (made by cdktf in a child process) and a file', () => {
    const out = path.join(tmp, 'out');
    const run = runCli([path.join(fixtures, 'asset-app.ts')], { CDKTF_OUTDIR: out, AIINFRA_SYNTH_CACHE_DIR: path.join(tmp, 'cache') });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const stackDir = path.join(out, 'stacks', 'assets');
    const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const zip = fs.readFileSync(path.join(stackDir, tf.output.zip_path.value));
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.includes(Buffer.from('hello.txt'))).toBe(true);
    expect(fs.readFileSync(path.join(stackDir, tf.output.file_path.value), 'utf8')).toBe('hello from an asset\n');
  });

  test('an invalid prop fails the synth with the construct error, and no code cache is kept', () => {
    const cache = path.join(tmp, 'cache');
    const run = runCli([path.join(fixtures, 'failing-app.ts')], { CDKTF_OUTDIR: path.join(tmp, 'out'), AIINFRA_SYNTH_CACHE_DIR: cache });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('models');
    expect(run.stderr).toContain('keyRotationDays');
    // The stack points at the user's file and line (source map), not at the minified bundle.
    expect(run.stderr).toMatch(/test\/fast-synth\/fixtures\/failing-app\.ts:6:\d+/);
    expect(run.stderr).not.toMatch(/app\.js:\d+:\d+/);
    const [bundleDir] = fs.readdirSync(cache);
    expect(fs.readdirSync(path.join(cache, bundleDir)).filter((f) => f.endsWith('.v8cache'))).toEqual([]);
  });

  test('usage errors name the problem', async () => {
    expect(() => parseArgs([])).toThrow(/usage: cdktf-ai-infra-synth/);
    expect(() => parseArgs(['--fast', 'main.ts'])).toThrow(/unknown option --fast/);
    expect(parseArgs(['--external', 'sharp', 'main.ts', '--app-flag'])).toEqual({ entry: 'main.ts', external: ['sharp'], appArgs: ['--app-flag'], quiet: false });
    expect(parseArgs(['--quiet', 'main.ts']).quiet).toBe(true);
    const run = runCli([], {});
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: cdktf-ai-infra-synth');
    await expect(bundleApp(path.join(tmp, 'missing.ts'), { cacheDir: tmp, packageRoot: root })).rejects.toThrow(/missing.ts does not exist/);
  });

  test('the core is recognised by its package name: a node_modules/cdktn install gets the same rewrites', () => {
    // a CDK Terrain project: the core in node_modules/cdktn (package name cdktn), imported as 'cdktn'
    const project = path.join(tmp, 'project');
    copyCore(project, 'cdktn', { name: 'cdktn', version: '0.24.0' });
    const app = path.join(project, 'main.ts');
    fs.writeFileSync(app, fs.readFileSync(path.join(fixtures, 'stack-depth-app.ts'), 'utf8').replace("from 'cdktf/", "from 'cdktn/"));
    const run = runCli([app], { AIINFRA_SYNTH_CACHE_DIR: path.join(tmp, 'cache') });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ limitDuringCapture: 10, frames: 10 });
  });

  test('a file at a core-like path in another package is not rewritten', () => {
    const project = path.join(tmp, 'project');
    const other = path.join(project, 'node_modules', 'not-the-core', 'lib', 'tokens', 'private');
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(project, 'node_modules', 'not-the-core', 'package.json'), '{"name":"not-the-core","version":"1.0.0"}');
    fs.writeFileSync(path.join(other, 'stack-trace.js'), 'Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;\nexports.limit = Error.stackTraceLimit;\n');
    const app = path.join(project, 'main.ts');
    fs.writeFileSync(app, "import { limit } from 'not-the-core/lib/tokens/private/stack-trace';\nprocess.stdout.write(String(limit));\n");
    const run = runCli([app], { AIINFRA_SYNTH_CACHE_DIR: path.join(tmp, 'cache') });
    expect(run.stdout).toBe(String(Number.MAX_SAFE_INTEGER));
  });

  test('two copies of the core in one bundle fail before the app runs, naming both copies', () => {
    const project = path.join(tmp, 'project');
    const cdktf = copyCore(project, 'cdktf');
    const cdktn = copyCore(project, 'cdktn', { name: 'cdktn', version: '0.24.0' });
    const app = path.join(project, 'main.ts');
    fs.writeFileSync(app, [
      "import { App, TerraformStack } from 'cdktn';",
      "import { TerraformOutput } from 'cdktf';",
      "const app = new App(); new TerraformOutput(new TerraformStack(app, 's'), 'o', { value: 1 }); app.synth();",
      "process.stdout.write('synthesized');",
    ].join('\n'));
    const cache = path.join(tmp, 'cache');
    const run = runCli([app], { AIINFRA_SYNTH_CACHE_DIR: cache, CDKTF_OUTDIR: path.join(tmp, 'out') });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('two copies of the CDK for Terraform core are loaded, and the app imports more than one');
    expect(run.stderr).toContain(`bundled: ${path.relative(root, cdktf)} (cdktf 0.21.0)`);
    expect(run.stderr).toContain(`bundled: ${path.relative(root, cdktn)} (cdktn 0.24.0)`);
    expect(run.stderr).toContain('"overrides": { "cdktf": "$cdktf" }');
    // nothing kept: the next run checks again
    const [bundleDir] = fs.readdirSync(cache);
    expect(fs.readdirSync(path.join(cache, bundleDir))).toEqual([]);
  });

  test('token creation stacks are captured and formatted to 10 frames (cdktf asks for all frames)', () => {
    const run = runCli([path.join(fixtures, 'stack-depth-app.ts')], { AIINFRA_SYNTH_CACHE_DIR: path.join(tmp, 'cache') });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toEqual({ limitDuringCapture: 10, frames: 10, first: expect.stringContaining('app.js:'), plain: 'Error: plain' });
  });
});
