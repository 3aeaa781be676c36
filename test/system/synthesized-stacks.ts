/** The stacks the real-tool tier checks: every example, freshly synthesized, and every stack the jest suite made. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { buildPlatformApp } from '../../examples/platform/platform';
import { QuickstartPlatform } from '../../examples/quickstart/main';
import { buildTwoStackApp } from '../../examples/two-stack/stacks';

export interface SynthesizedStack {
  /** Where it came from: the example and stack, or the test that synthesized it. */
  readonly source: string;
  readonly json: string;
  /**
   * Addresses in other stacks of the same app that this stack may name: set for stacks a test rendered alone
   * with `Testing.synth`, which skips cdktf's cross-stack step (see test/setup/collect-synth.ts).
   */
  readonly otherStacks?: readonly string[];
}

/** Synthesizes an app the way `cdktf synth` does (validations and aspects on) into a scratch folder. */
export function synthesizeApp(build: (app: App) => void): Map<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-synth-'));
  try {
    const app = new App({ outdir, stackTraces: false });
    build(app);
    app.synth();
    const stacks = new Map<string, string>();
    for (const name of fs.readdirSync(path.join(outdir, 'stacks')).sort()) {
      stacks.set(name, fs.readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
    }
    return stacks;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export const EXAMPLES: Record<string, (app: App) => void> = {
  'examples/platform': (app) => { buildPlatformApp(app); },
  'examples/quickstart': (app) => { new QuickstartPlatform(app, 'platform-gcp'); },
  'examples/two-stack': (app) => { buildTwoStackApp(app); },
};

export function exampleStacks(): SynthesizedStack[] {
  const out: SynthesizedStack[] = [];
  for (const [example, build] of Object.entries(EXAMPLES)) {
    for (const [name, json] of synthesizeApp(build)) out.push({ source: `${example} (stack ${name})`, json });
  }
  return out;
}

/**
 * The stacks the object tier synthesized (test/setup/collect-synth.ts), when scripts/test.sh ran it with
 * AIINFRA_SYNTH_COLLECT: a missing or empty folder then is an error (the suite did not record), never a pass.
 */
export function collectedStacks(): SynthesizedStack[] {
  const dir = process.env.AIINFRA_SYNTH_COLLECT;
  if (!dir) return [];
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.tf.json')).sort() : [];
  if (files.length === 0) {
    throw new Error(`AIINFRA_SYNTH_COLLECT=${dir} holds no synthesized stacks: run the jest suite with it first (scripts/test.sh does)`);
  }
  return files.map((f) => {
    const metaFile = path.join(dir, f.replace(/\.tf\.json$/, '.meta.json'));
    const meta = (fs.existsSync(metaFile) ? JSON.parse(fs.readFileSync(metaFile, 'utf8')) : {}) as { source?: string; otherStacks?: string[] };
    return { source: meta.source ?? f, json: fs.readFileSync(path.join(dir, f), 'utf8'), otherStacks: meta.otherStacks };
  });
}
