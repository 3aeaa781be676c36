// A synth writes a complete, fresh output or none of this run's files. The app synthesizes into a staging
// folder beside the output folder (via CDKTF_OUTDIR, which cdktf's App reads); only a run that ended well and
// synthesized something is published into the output folder, file by file, manifest last. A failed run
// removes its staging folder and leaves the previous output as it was; a run that synthesized nothing fails.
//
// Publishing replaces only what synth owns (manifest.json, charts/, and in each stack folder cdk.tf.json /
// cdk.tf, assets/ and PLATFORM.md), never what Terraform keeps beside it in a stack folder (.terraform/, the lock file,
// a local state file), so `cdktf deploy` does not have to start over after a synth. A stack that left the app
// loses its synthesized files (it no longer looks deployable) but keeps Terraform's.
import * as fs from 'fs';
import * as path from 'path';

/** What cdktf writes into a stack folder: replaced on publish, removed when the stack left the app. */
const STACK_SYNTH_FILES = ['cdk.tf.json', 'cdk.tf', 'assets', 'PLATFORM.md'];

/** Counted by the bundled core each time `App.synth()` finished (see bundle.ts); absent on an unknown core. */
export const SYNTH_COUNTER = '__aiinfraSynthCount';

export interface StagedOutput {
  /** Where the output goes: CDKTF_OUTDIR as the caller set it, else cdktf.out (cdktf's default). */
  readonly outdir: string;
  /** Where the app writes during this run. */
  readonly staging: string;
}

/** Points the app at a staging folder beside the output folder (call before the app runs). */
export function stageOutput(cwd: string, env: NodeJS.ProcessEnv = process.env): StagedOutput {
  const outdir = path.resolve(cwd, env.CDKTF_OUTDIR ?? 'cdktf.out');
  const staging = `${outdir}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  env.CDKTF_OUTDIR = staging;
  return { outdir, staging };
}

function replace(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.renameSync(from, to);
}

/** Moves a finished staging folder's files into the output folder (see the file comment). */
export function publishOutput({ outdir, staging }: StagedOutput): void {
  fs.mkdirSync(outdir, { recursive: true });
  const stagedStacks = path.join(staging, 'stacks');
  const stacks = fs.existsSync(stagedStacks) ? fs.readdirSync(stagedStacks) : [];
  for (const stack of stacks) {
    const target = path.join(outdir, 'stacks', stack);
    fs.mkdirSync(target, { recursive: true });
    for (const entry of fs.readdirSync(path.join(stagedStacks, stack))) replace(path.join(stagedStacks, stack, entry), path.join(target, entry));
  }
  const oldStacks = path.join(outdir, 'stacks');
  for (const stack of fs.existsSync(oldStacks) ? fs.readdirSync(oldStacks) : []) {
    if (stacks.includes(stack)) continue;
    const dir = path.join(oldStacks, stack);
    for (const entry of STACK_SYNTH_FILES) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  }
  // Top-level entries (charts/, ...) then the manifest, which is what readers of the output open first.
  const top = fs.readdirSync(staging).filter((e) => e !== 'stacks' && e !== 'manifest.json');
  for (const entry of top) replace(path.join(staging, entry), path.join(outdir, entry));
  if (fs.existsSync(path.join(staging, 'manifest.json'))) replace(path.join(staging, 'manifest.json'), path.join(outdir, 'manifest.json'));
  fs.rmSync(staging, { recursive: true, force: true });
}

/** Removes what a failed run wrote. */
export function discardOutput({ staging }: StagedOutput): void {
  fs.rmSync(staging, { recursive: true, force: true });
}

/**
 * At exit: publish when the app ended well and synthesized into the staging folder; otherwise discard, and
 * turn "ran but synthesized nothing" into a clear failure (it used to exit 0 and leave old output looking new).
 */
export function finishOutput(staged: StagedOutput, exitCode: number, entry: string): number {
  const synthCount = (globalThis as Record<string, unknown>)[SYNTH_COUNTER] as number | undefined;
  const synthesizedHere = fs.existsSync(path.join(staged.staging, 'manifest.json'));
  if (exitCode !== 0) {
    discardOutput(staged);
    return exitCode;
  }
  if (synthesizedHere) {
    publishOutput(staged);
    return 0;
  }
  discardOutput(staged);
  // An app with its own `outdir` writes there directly (the counter says it synthesized): nothing to publish.
  if (synthCount === undefined || synthCount > 0) return 0;
  process.stderr.write(`cdktf-ai-infra-synth: ${entry} ran to its end but synthesized nothing: no \`app.synth()\` was called `
    + '(is it behind a condition that is false here?). Nothing was written; the previous output, if any, is unchanged.\n');
  return 1;
}
