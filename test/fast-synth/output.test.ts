import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fixtures, root, runCli } from './run-cli';
import { publishOutput, stageOutput } from '../../src/fast-synth/output';
import { readTree } from '../read-tree';



function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe('fast synth output: all or nothing', () => {
  let tmp: string;
  let out: string;
  let cache: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-output-'));
    out = path.join(tmp, 'cdktf.out');
    cache = path.join(tmp, 'cache');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** An earlier good synth, plus what Terraform keeps in a stack folder. */
  function previousOutput(): Map<string, string> {
    write(path.join(out, 'manifest.json'), '{"old":true}');
    write(path.join(out, 'stacks', 'tiny', 'cdk.tf.json'), '{"old":true}');
    write(path.join(out, 'stacks', 'tiny', '.terraform', 'providers.txt'), 'downloaded');
    return readTree(out);
  }

  test('an app that synthesizes nothing fails clearly and leaves the previous output as it was', () => {
    const before = previousOutput();
    const run = runCli([path.join(fixtures, 'no-synth-app.ts')], { CDKTF_OUTDIR: out, AIINFRA_SYNTH_CACHE_DIR: cache });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/no-synth-app\.ts ran to its end but synthesized nothing: no `app\.synth\(\)` was called/);
    expect(readTree(out)).toEqual(before);
    expect(fs.readdirSync(tmp).sort()).toEqual(['cache', 'cdktf.out']); // no staging folder left
  });

  test('a synth that fails after writing charts leaves none of its files', () => {
    const before = previousOutput();
    const run = runCli([path.join(fixtures, 'fails-at-validation-app.ts')], { CDKTF_OUTDIR: out, AIINFRA_SYNTH_CACHE_DIR: cache });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('refused by a synth-time check');
    expect(readTree(out)).toEqual(before);
    expect(fs.readdirSync(tmp).sort()).toEqual(['cache', 'cdktf.out']);
  });

  test('a good synth replaces the previous output and keeps Terraform\'s files in stack folders', () => {
    previousOutput();
    write(path.join(out, 'stacks', 'gone', 'cdk.tf.json'), '{}');
    write(path.join(out, 'stacks', 'gone', 'terraform.tfstate'), '{"state":1}');
    write(path.join(out, 'stacks', 'gone-clean', 'cdk.tf.json'), '{}');
    const run = runCli([path.join(fixtures, 'tiny-app.ts'), 'tests'], { CDKTF_OUTDIR: out, AIINFRA_SYNTH_CACHE_DIR: cache });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const tree = readTree(out);
    expect(JSON.parse(tree.get('stacks/tiny/cdk.tf.json')!).output.greeting.value).toBe('hello from tests');
    expect(JSON.parse(tree.get('manifest.json')!).stacks.tiny).toBeDefined();
    expect(tree.get('stacks/tiny/.terraform/providers.txt')).toBe('downloaded');
    // The stack that left the app no longer looks deployable, but its state stays.
    expect([...tree.keys()].filter((k) => k.startsWith('stacks/gone'))).toEqual(['stacks/gone/terraform.tfstate']);
    expect(fs.readdirSync(tmp).sort()).toEqual(['cache', 'cdktf.out']);
  });

  test('publishing moves every staged file; the staging folder is a sibling named after the process', () => {
    const env: NodeJS.ProcessEnv = { CDKTF_OUTDIR: out };
    const staged = stageOutput(tmp, env);
    expect(env.CDKTF_OUTDIR).toBe(`${out}.staging-${process.pid}`);
    write(path.join(staged.staging, 'stacks', 'a', 'assets', 'chart', 'Chart.yaml'), 'name: a');
    write(path.join(staged.staging, 'charts', 'a', 'Chart.yaml'), 'name: a');
    write(path.join(staged.staging, 'manifest.json'), '{}');
    publishOutput(staged);
    expect([...readTree(out).keys()].sort()).toEqual(['charts/a/Chart.yaml', 'manifest.json', 'stacks/a/assets/chart/Chart.yaml']);
    expect(fs.existsSync(staged.staging)).toBe(false);
  });
});

describe('fast synth report', () => {
  let tmp: string;
  beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-report-')); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('prints each stack\'s summary, its warnings and the output path; --quiet prints nothing', () => {
    const out = path.join(tmp, 'cdktf.out');
    const env = { CDKTF_OUTDIR: out, AIINFRA_SYNTH_CACHE_DIR: path.join(tmp, 'cache') };
    const run = runCli([path.join(fixtures, 'summary-app.ts')], env);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('stack small-platform');
    expect(run.stdout).toMatch(/^ {2}resources {3}\d+: .*aws_eks_cluster 1/m);
    expect(run.stdout).toContain('  gpu pools   train/h100-80gb: h100-80gb x8 (p5.48xlarge), 1-2 nodes, on-demand');
    expect(run.stdout).toContain('  tenants     research: 8 GPUs');
    expect(run.stdout).toMatch(/^ {2}cost\/month {2}\$[\d,.]+ min \(pools at minNodes\) \/ \$[\d,.]+ max/m);
    expect(run.stdout).toContain('[small-platform] a warning for the report');
    expect(run.stdout.trimEnd().split('\n').pop()).toBe(`output: ${path.relative(root, out).startsWith('..') ? out : path.relative(root, out)}`);
    expect(run.stdout).not.toMatch(/\u001b\[/); // no colour or cursor codes in logs
    // The summary printed is the one written beside the stack, for the PR.
    expect(fs.readFileSync(path.join(out, 'stacks', 'small-platform', 'PLATFORM.md'), 'utf8')).toContain(lines[1]);

    const quiet = runCli(['--quiet', path.join(fixtures, 'summary-app.ts')], env);
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('');
  });
});
