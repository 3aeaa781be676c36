import { spawnSync } from 'child_process';
import * as path from 'path';
import { packageRoot } from '../../src/core/package-root';

export const root = packageRoot();
export const fixtures = path.join(__dirname, 'fixtures');
const cli = path.join(root, 'src', 'fast-synth', 'cli.ts');

/** Runs the CLI from source (ts-node, transpile only: the CLI is a few small files; the app is bundled by esbuild). */
export function runCli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', cli, ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env },
  });
}
