#!/usr/bin/env node
// `cdktf-ai-infra-synth <app.ts|app.js>`: the fast synth. Use it as the `app` in cdktf.json:
//   "app": "node --max-semi-space-size=1 --v8-pool-size=1 node_modules/cdktf-ai-infra/lib/src/fast-synth/cli.js main.ts"
// It bundles the app once (bundle.ts, reused until an input changes) and runs the bundle with a V8
// code cache (code-cache.ts). The node flags are optional: they cap V8's young generation and
// background threads, which cuts peak memory by ~25 % at no measurable cost for a synth.
// It transpiles without type checking: run `tsc --noEmit` in CI as you would with any bundler.
// Output is all or nothing (output.ts): a failed run, or one that synthesized nothing, exits non-zero and
// leaves the previous output as it was.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../core/package-root';
import { bundleApp } from './bundle';
import { runWithCodeCache } from './code-cache';
import { finishOutput, stageOutput } from './output';
import { synthReport } from './report';
import { mapBundleStack } from './stack-map';

const USAGE = 'usage: cdktf-ai-infra-synth [--quiet] [--external <package>]... <app.ts|app.js> [app arguments]';

interface CliArgs {
  readonly entry: string;
  readonly external: string[];
  readonly appArgs: string[];
  /** Print nothing on success (no summary, no output path). */
  readonly quiet: boolean;
}

export function parseArgs(argv: string[]): CliArgs {
  const external: string[] = [];
  let quiet = false;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('--'); i++) {
    if (argv[i] === '--external' && argv[i + 1]) external.push(argv[++i]);
    else if (argv[i] === '--quiet') quiet = true;
    else throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
  }
  if (i >= argv.length) throw new Error(USAGE);
  return { entry: argv[i], external, appArgs: argv.slice(i + 1), quiet };
}

/** `AIINFRA_SYNTH_CACHE_DIR`, else node_modules/.cache (where bundlers and linters keep theirs). */
export function defaultCacheDir(cwd: string): string {
  if (process.env.AIINFRA_SYNTH_CACHE_DIR) return path.resolve(cwd, process.env.AIINFRA_SYNTH_CACHE_DIR);
  const nodeModules = path.join(cwd, 'node_modules');
  return fs.existsSync(nodeModules) ? path.join(nodeModules, '.cache', 'cdktf-ai-infra-synth') : path.join(cwd, '.cdktf-ai-infra-synth');
}

/**
 * Stack traces captured with an unlimited frame count (cdktf's token creation stacks, tens of thousands
 * per synth; the bundler already limits cdktf's capture, this covers any other) are formatted to at
 * most `Error.stackTraceLimit` (default 10) frames, what every ordinary error gets. Inside a minified
 * bundle deeper frames are unreadable anyway.
 */
export function formatShortStackTraces(): void {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    let out = `${error}`;
    const n = Math.min(frames.length, Math.max(Error.stackTraceLimit, 10));
    for (let i = 0; i < n; i++) out += `\n    at ${frames[i]}`;
    return out;
  };
}

/** The bundle being run, for mapping the stack of an error it throws. */
let bundleFile: string | undefined;

async function main(args: CliArgs): Promise<void> {
  formatShortStackTraces();
  const bundle = await bundleApp(args.entry, {
    cacheDir: defaultCacheDir(process.cwd()),
    packageRoot: packageRoot(),
    external: args.external,
  });
  bundleFile = bundle.file;
  // V8 rejects a code cache made under other flags: one cache per Node version and flag set.
  const flags = createHash('sha256').update(`${process.version} ${process.execArgv.join(' ')}`).digest('hex').slice(0, 12);
  process.argv = [process.argv[0], path.resolve(args.entry), ...args.appArgs];
  // The app writes into a staging folder; at exit, a good run is published and a failed one leaves no trace.
  const staged = stageOutput(process.cwd());
  process.once('exit', (code) => {
    const synthesized = fs.existsSync(path.join(staged.staging, 'manifest.json'));
    process.exitCode = finishOutput(staged, code, args.entry);
    // Written synchronously: this runs in the exit handler, where pending asynchronous writes are lost.
    if (process.exitCode === 0 && synthesized && !args.quiet) {
      fs.writeSync(1, synthReport(staged.outdir, process.cwd()));
    }
  });
  runWithCodeCache(bundle.file, `${bundle.file}.${flags}.v8cache`);
}

if (require.main === module) {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  main(args).catch((err: unknown) => {
    // Printed here rather than left uncaught: Node would echo the throwing line, a minified 10 kB one. The
    // bundle's frames point at the user's files and lines.
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    console.error(bundleFile ? mapBundleStack(text, bundleFile) : text);
    process.exitCode = 1;
  });
}
