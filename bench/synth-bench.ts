// `npm run bench`: synth speed and memory of the example app, stock cdktf (ts-node) vs our fast synth
// (src/fast-synth: esbuild bundle + V8 code cache), the plain compiled app for reference, the import
// cost of the library, scaling with platform copies, and the last `npm test` step times. Prints a
// table and writes bench/results.json. Each command runs under /usr/bin/time; peak RSS is that of the
// largest process of the command's tree (what wait4 reports). Synth output goes to a tmpfs
// (/dev/shm) when there is one, so disk write latency does not drown the compute being measured;
// every path writes the same files (one extra row measures the fast path writing to disk).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const runs = Number(process.env.BENCH_RUNS ?? '5');
const shm = '/dev/shm';
const outRoot = fs.existsSync(shm) && fs.statSync(shm).isDirectory() ? shm : os.tmpdir();
const work = fs.mkdtempSync(path.join(outRoot, 'aiinfra-bench-'));
const diskWork = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-bench-disk-'));
/** The fast synth as `npm run synth` and cdktf.json run it (flags: see src/fast-synth/cli.ts). */
const FAST_FLAGS = '--max-semi-space-size=1 --v8-pool-size=1';
const fastSynth = (app: string, flags = FAST_FLAGS) => `node ${flags} lib/src/fast-synth/cli.js ${app}`;

interface Sample { seconds: number; rssMb: number }
interface Result { name: string; command: string; runs: number; medianSeconds: number; medianRssMb: number; samples: Sample[] }

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function timeOnce(command: string, env: Record<string, string>): Sample {
  const out = spawnSync('/usr/bin/time', ['-f', 'BENCH %e %M', 'bash', '-c', command], {
    cwd: root, env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1', ...env }, encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = out.stderr.split('\n').reverse().find((l) => l.startsWith('BENCH '));
  if (out.status !== 0 || !line) {
    throw new Error(`bench command failed (${out.status}): ${command}\n${out.stderr.slice(-2000)}`);
  }
  const [, secs, kb] = line.split(' ');
  return { seconds: Number(secs), rssMb: Number(kb) / 1024 };
}

function measure(name: string, command: string, n = runs, env: Record<string, string> = {}, dir = work): Result {
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const outdir = path.join(dir, `${name}-${i}`);
    const withOutdir = (v: string) => v.replace(/\$OUTDIR/g, outdir);
    const runEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, withOutdir(v)]));
    samples.push(timeOnce(withOutdir(command), { CDKTF_OUTDIR: outdir, ...runEnv }));
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.rmSync(`${outdir}-cache`, { recursive: true, force: true });
  }
  return {
    name, command, runs: n, samples,
    medianSeconds: median(samples.map((s) => s.seconds)),
    medianRssMb: median(samples.map((s) => s.rssMb)),
  };
}

function countResources(outdir: string): number {
  let count = 0;
  for (const stack of fs.readdirSync(path.join(outdir, 'stacks'))) {
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    for (const byType of Object.values<Record<string, unknown>>(tf.resource ?? {})) count += Object.keys(byType).length;
  }
  return count;
}

function main() {
  const cdktf = path.join(root, 'node_modules', '.bin', 'cdktf');
  // (a) what `cdktf init --template typescript` gives: `cdktf synth` running the app with ts-node.
  const stock = measure('stock-cdktf-ts-node', `${cdktf} synth --app "npx ts-node examples/platform/main.ts" --output $OUTDIR`);
  // Like for like, without the cdktf CLI around the app: the ts-node app alone...
  const stockAppOnly = measure('stock-ts-node-app-only', 'npx ts-node examples/platform/main.ts');
  // (b) our path: the fast synth with warm caches (bundle and code cache made by one untimed run first,
  // as after the first synth on a developer machine or a CI cache hit).
  const cache = path.join(work, 'synth-cache');
  const warmEnv = { AIINFRA_SYNTH_CACHE_DIR: cache };
  timeOnce(fastSynth('examples/platform/main.ts'), { CDKTF_OUTDIR: path.join(work, 'warm-up'), ...warmEnv });
  const fast = measure('fast-synth', fastSynth('examples/platform/main.ts'), runs, warmEnv);
  // The same with a cold cache: bundling with esbuild and writing the code cache are part of the run.
  const fastCold = measure('fast-synth-cold-cache', fastSynth('examples/platform/main.ts'), Math.min(runs, 3), { AIINFRA_SYNTH_CACHE_DIR: '$OUTDIR-cache' });
  const fastNoFlags = measure('fast-synth-default-node-flags', fastSynth('examples/platform/main.ts', ''), runs, { AIINFRA_SYNTH_CACHE_DIR: cache });
  const fastOnDisk = measure('fast-synth-output-on-disk', fastSynth('examples/platform/main.ts'), runs, warmEnv, diskWork);
  // ...and the fast synth inside `cdktf synth` (what `cdktf synth` / `deploy` cost with it in cdktf.json).
  const fastViaCli = measure('fast-synth-via-cdktf-cli', `${cdktf} synth --app "${fastSynth('examples/platform/main.ts')}" --output $OUTDIR`, runs, warmEnv);
  // For reference: the app compiled by tsc and run by plain node (no bundle, no cache).
  const compiled = measure('compiled-node', 'node lib/examples/platform/main.js');
  // (c) importing the library's entry point.
  const importCost = measure('import-library', 'node -e "require(\'./lib/src/index.js\')"');
  const baseline = measure('node-startup', 'node -e 0');

  const sample = path.join(work, 'count');
  timeOnce('node lib/examples/platform/main.js', { CDKTF_OUTDIR: sample });
  const resources = countResources(sample);

  const scaling = [1, 3, 10, 30].map((copies) => {
    const scalingEnv = { AIINFRA_SYNTH_CACHE_DIR: path.join(work, 'scaling-cache') };
    timeOnce(fastSynth(`bench/scaling-app.ts ${copies}`), { CDKTF_OUTDIR: path.join(work, `scaling-warm-up-${copies}`), ...scalingEnv });
    const r = measure(`scaling-${copies}`, fastSynth(`bench/scaling-app.ts ${copies}`), Math.min(runs, 3), scalingEnv);
    return { copies, stacks: copies * 3, resources: resources * copies, seconds: r.medianSeconds, rssMb: r.medianRssMb };
  });
  const perCopy = scaling.length > 1
    ? (scaling[scaling.length - 1].seconds - scaling[0].seconds) / (scaling[scaling.length - 1].copies - scaling[0].copies)
    : 0;

  const timingsFile = path.join(root, 'cdktf.out', 'test-timings.json');
  const testTimings = fs.existsSync(timingsFile) ? JSON.parse(fs.readFileSync(timingsFile, 'utf8')) : null;

  const results = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    exampleApp: { stacks: 3, resources },
    runs,
    outputDir: outRoot,
    synth: { stock, stockAppOnly, fast, fastViaCli, fastCold, fastNoFlags, fastOnDisk, compiled, importCost, nodeStartup: baseline },
    ratios: {
      stockOverFastTime: +(stock.medianSeconds / fast.medianSeconds).toFixed(1),
      stockOverFastMemory: +(stock.medianRssMb / fast.medianRssMb).toFixed(1),
      appOnlyTime: +(stockAppOnly.medianSeconds / fast.medianSeconds).toFixed(1),
      appOnlyMemory: +(stockAppOnly.medianRssMb / fast.medianRssMb).toFixed(1),
      bothThroughCdktfCliTime: +(stock.medianSeconds / fastViaCli.medianSeconds).toFixed(1),
    },
    importCostOverNodeStartup: {
      seconds: +(importCost.medianSeconds - baseline.medianSeconds).toFixed(3),
      rssMb: +(importCost.medianRssMb - baseline.medianRssMb).toFixed(1),
    },
    scaling: { points: scaling, secondsPerExtraCopy: +perCopy.toFixed(3) },
    testSuiteSeconds: testTimings,
  };
  fs.writeFileSync(path.join(root, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');

  const row = (r: Result) => `| ${r.name} | ${r.medianSeconds.toFixed(2)} s | ${r.medianRssMb.toFixed(0)} MB |`;
  console.log(`Example app: 3 stacks, ${resources} resources; median of ${runs} runs\n`);
  console.log('| path | wall | peak RSS |\n|---|---|---|');
  for (const r of [stock, stockAppOnly, fast, fastViaCli, fastCold, fastNoFlags, fastOnDisk, compiled, importCost, baseline]) console.log(row(r));
  const { ratios } = results;
  console.log(`\nstock cdktf synth / fast synth: ${ratios.stockOverFastTime}x time, ${ratios.stockOverFastMemory}x memory (targets >= 10x, >= 5x)`);
  console.log(`ts-node app alone / fast synth: ${ratios.appOnlyTime}x time, ${ratios.appOnlyMemory}x memory`);
  console.log(`both through the cdktf CLI: ${ratios.bothThroughCdktfCliTime}x time (the CLI itself costs ${(fastViaCli.medianSeconds - fast.medianSeconds).toFixed(1)} s)`);
  console.log(`library import over bare node: +${results.importCostOverNodeStartup.seconds * 1000} ms, +${results.importCostOverNodeStartup.rssMb} MB (targets < 150 ms, < 80 MB)`);
  console.log('\n| platform copies | stacks | resources | wall | peak RSS |\n|---|---|---|---|---|');
  for (const p of scaling) console.log(`| ${p.copies} | ${p.stacks} | ${p.resources} | ${p.seconds.toFixed(2)} s | ${p.rssMb.toFixed(0)} MB |`);
  console.log(`\n~${(perCopy * 1000).toFixed(0)} ms per extra platform copy`);
  if (testTimings) {
    console.log('\n`npm test` step times (last run, s):');
    for (const [k, v] of Object.entries(testTimings)) console.log(`  ${k}: ${v}`);
  } else {
    console.log('\nno cdktf.out/test-timings.json yet: run `npm test` to record step times');
  }
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(diskWork, { recursive: true, force: true });
}

main();
