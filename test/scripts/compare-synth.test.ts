import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// scripts/tools/compare-synth.js, which the CDK Terrain tier (scripts/test-cdktn.sh) uses to compare a synth on
// cdktn with the stock one: it ignores exactly the version each core stamps, and fails with every other change.
const script = path.resolve(__dirname, '..', '..', 'scripts', 'tools', 'compare-synth.js');

function tree(dir: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const stack = (version: string, extra: Record<string, unknown> = {}, indent = 2) => JSON.stringify({
  '//': { metadata: { backend: 'local', stackName: 's', version }, outputs: {} },
  resource: { null_resource: { a: { triggers: {}, depends_on: [] } } },
  ...extra,
}, null, indent);
const manifest = (version: string) => JSON.stringify({ version, stacks: { s: { name: 's' } } });

describe('compare-synth.js', () => {
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-compare-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const run = (b: Record<string, string>) => {
    const stock = tree(path.join(tmp, 'stock'), { 'stacks/s/cdk.tf.json': stack('0.21.0'), 'manifest.json': manifest('0.21.0'), 'assets/x.yaml': 'a: 1\n' });
    return spawnSync(process.execPath, [script, stock, tree(path.join(tmp, 'other'), b), 'cdktn'], { encoding: 'utf8' });
  };

  test('equal except the core version and JSON formatting (empty [] / {} written another way): passes', () => {
    const r = run({ 'stacks/s/cdk.tf.json': stack('0.24.0', {}, 0), 'manifest.json': manifest('0.24.0'), 'assets/x.yaml': 'a: 1\n' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('3 files equal');
  });

  test('any other difference fails, with the JSON path and both values', () => {
    const r = run({
      'stacks/s/cdk.tf.json': stack('0.24.0', { '//': { metadata: { backend: 'local', stackName: 's', version: '0.24.0', extra: 1 }, outputs: {} } }),
      'manifest.json': manifest('0.24.0'),
      'assets/x.yaml': 'a: 2\n',
      'assets/new.txt': '',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stacks/s/cdk.tf.json.//.metadata.extra: stock missing, cdktn 1');
    expect(r.stderr).toContain('assets/x.yaml: content differs');
    expect(r.stderr).toContain('assets/new.txt: only in the cdktn synth');
  });

  test('a version outside the two stamped places is not ignored', () => {
    const r = run({
      'stacks/s/cdk.tf.json': stack('0.24.0', { terraform: { required_providers: { x: { version: '1.0' } } } }),
      'manifest.json': JSON.stringify({ version: '0.24.0', stacks: { s: { name: 's', version: '2' } } }),
      'assets/x.yaml': 'a: 1\n',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stacks/s/cdk.tf.json.terraform: stock missing');
    expect(r.stderr).toContain('manifest.json.stacks.s.version: stock missing, cdktn "2"');
  });
});
