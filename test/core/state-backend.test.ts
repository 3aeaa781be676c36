import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, LocalBackend, TerraformStack, Testing } from 'cdktf';
import { Cloud, InvalidPropError, LocalStateBackend, ModelBackupBucket } from '../../src';

function stackWith(backend: (stack: TerraformStack) => void): { app: App; stack: TerraformStack } {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-state-')), stackTraces: false });
  const stack = new TerraformStack(app, 'platform');
  backend(stack);
  new ModelBackupBucket(stack, 'models', { cloud: Cloud.aws({ region: 'us-east-1' }) });
  return { app, stack };
}

function warnings(stack: TerraformStack): string[] {
  return stack.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
}

describe('LocalStateBackend', () => {
  test('puts the state beside cdktf.out by a relative path that every stack folder resolves alike', () => {
    const { stack } = stackWith((s) => new LocalStateBackend(s));
    const json = JSON.parse(Testing.synth(stack));
    expect(json.terraform.backend.local).toEqual({
      path: '../../../terraform-state/platform.tfstate', workspace_dir: '../../../terraform-state/platform.tfstate.d',
    });
  });

  test('takes another folder below the project root', () => {
    const { stack } = stackWith((s) => new LocalStateBackend(s, { directory: 'state/dev' }));
    expect(JSON.parse(Testing.synth(stack)).terraform.backend.local.path).toBe('../../../state/dev/platform.tfstate');
  });

  test.each(['/var/state', '../elsewhere', '.', 'has space'])('refuses directory %j', (directory) => {
    expect(() => stackWith((s) => new LocalStateBackend(s, { directory }))).toThrow(InvalidPropError);
    expect(() => stackWith((s) => new LocalStateBackend(s, { directory }))).toThrow(/platform: invalid LocalStateBackend\.directory/);
  });
});

describe('state location check (runs at synth)', () => {
  test('no warning for LocalStateBackend', () => {
    const { app, stack } = stackWith((s) => new LocalStateBackend(s));
    app.synth();
    expect(warnings(stack)).toEqual([]);
  });

  test.each([
    ['a relative path', { path: 'terraform.platform.tfstate' }],
    ['a relative path that leaves the stack folder but not cdktf.out', { path: '../platform.tfstate' }],
  ])('warns when the local state lies inside the synth output: %s', (_what, props) => {
    const { app, stack } = stackWith((s) => new LocalBackend(s, props));
    app.synth();
    expect(warnings(stack)).toEqual([expect.stringMatching(/platform: the local state file .* lies inside the synth output \(cdktf\.out\/stacks\/(platform\/terraform\.)?platform\.tfstate\)/)]);
  });

  test('an absolute path inside the outdir warns, one outside does not', () => {
    const inside = stackWith((s) => new LocalBackend(s, { path: path.join(App.of(s).outdir, 'x.tfstate') }));
    inside.app.synth();
    expect(warnings(inside.stack)).toHaveLength(1);
    const outside = stackWith((s) => new LocalBackend(s, { path: path.join(os.tmpdir(), 'aiinfra-elsewhere.tfstate') }));
    outside.app.synth();
    expect(warnings(outside.stack)).toEqual([]);
  });
});
