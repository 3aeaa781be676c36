/**
 * A single-cloud platform repo installs one cloud's provider package (the others are optional peers): the fast
 * synth bundles the library without them, and synthesizes the cloud that is installed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packageRoot } from '../../src/core/package-root';

const root = packageRoot();
const cli = path.join(root, 'src', 'fast-synth', 'cli.ts');
/** What an AWS-only repo has in node_modules (linked from ours): no @cdktf/provider-google or -azurerm. */
const AWS_ONLY = ['cdktf', 'constructs', 'cdk8s', 'yaml', 'esbuild', '@esbuild', '@cdktf/provider-aws', '@cdktf/provider-helm', '@cdktf/provider-docker'];

let project: string;
beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-aws-only-'));
  const modules = path.join(project, 'node_modules');
  for (const pkg of AWS_ONLY) {
    fs.mkdirSync(path.dirname(path.join(modules, pkg)), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules', pkg), path.join(modules, pkg));
  }
  // The library as a package of its own (a copy, so its imports resolve from the project, not from this repo).
  const lib = path.join(modules, 'cdktf-ai-infra');
  fs.cpSync(path.join(root, 'src'), path.join(lib, 'src'), { recursive: true });
  fs.writeFileSync(path.join(lib, 'package.json'), JSON.stringify({ name: 'cdktf-ai-infra', version: '0.0.0-test', main: 'src/index.ts' }));
  fs.writeFileSync(path.join(project, 'main.ts'), [
    "import { App, TerraformStack } from 'cdktf';",
    "import { Cloud, LocalStateBackend, ModelBackupBucket } from 'cdktf-ai-infra';",
    'const app = new App({ stackTraces: false });',
    "const stack = new TerraformStack(app, 'models');",
    'new LocalStateBackend(stack);',
    "new ModelBackupBucket(stack, 'models', { cloud: Cloud.aws({ region: 'us-east-1' }) });",
    'app.synth();',
  ].join('\n'));
});
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

test('an AWS-only install synthesizes with the fast synth', () => {
  expect(fs.existsSync(path.join(project, 'node_modules', '@cdktf', 'provider-azurerm'))).toBe(false);
  const run = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), cli, 'main.ts'], {
    cwd: project, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', TS_NODE_PROJECT: path.join(root, 'tsconfig.json') },
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(project, 'cdktf.out', 'stacks', 'models', 'cdk.tf.json'), 'utf8'));
  expect(Object.keys(json.resource.aws_s3_bucket ?? {}).length).toBeGreaterThan(0);
  expect(Object.keys(json.provider)).toEqual(['aws']);
});
