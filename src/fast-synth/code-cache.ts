// Runs a CommonJS file with a V8 code cache beside it. Why: compiling the ~5 MB app bundle and the
// functions synth calls is ~200 ms of every run; V8 can serialize that bytecode after one run
// (`Script.createCachedData`) and skip the work the next time. Node 22 has `module.enableCompileCache()`
// for this; Node 20 (our floor) does not, so this is the same idea for one file.
import * as fs from 'fs';
import { createRequire, wrap } from 'module';
import * as path from 'path';
import * as vm from 'vm';

export interface CodeCacheRun {
  /** The cache was missing or rejected (new Node, new flags, new bundle) and is rewritten at exit. */
  readonly cacheMiss: boolean;
}

/**
 * Compiles `file` with the cache if there is one. A function of its own so that nothing of the
 * compile (the 5 MB source text, the 6 MB cache buffer) stays referenced from a live stack frame
 * while the app runs: they are garbage as soon as V8 has made the script (~11 MB less peak memory).
 */
function compile(file: string, cacheFile: string): { script: vm.Script; cacheMiss: boolean } {
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // Node's own CommonJS wrapper, so the file runs exactly as `require` would run it.
  const script = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const cacheMiss = cachedData === undefined || script.cachedDataRejected === true;
  // V8 has copied what it needs. The buffer object may already sit in the old generation, where it
  // would keep its 6 MB until a full GC that a synth rarely reaches; moving the memory to a fresh
  // (young) ArrayBuffer that nothing references frees it at the next scavenge.
  if (cachedData) structuredClone(cachedData.buffer, { transfer: [cachedData.buffer as ArrayBuffer] });
  return { script, cacheMiss };
}

/**
 * Runs `file` as the main module. `cacheFile` holds V8's code cache for it; V8 checks the cache
 * against the source, its own version and flags, and rejects a stale one (then we rewrite it).
 */
export function runWithCodeCache(file: string, cacheFile: string): CodeCacheRun {
  const { script, cacheMiss } = compile(file, cacheFile);
  if (cacheMiss) {
    // At exit the cache also holds the functions synth compiled lazily, which is most of the saving.
    process.once('exit', (code) => {
      if (code !== 0) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    });
  }

  const mod = { exports: {}, filename: file, id: '.', loaded: false };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return { cacheMiss };
}
