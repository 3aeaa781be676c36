// Runs a CommonJS file with a V8 code cache beside it. Why: compiling the ~5 MB app bundle and the
// functions synth calls is ~200 ms of every run; V8 can serialize that bytecode after one run
// (`Script.createCachedData`) and skip the work the next time. Node 22 has `module.enableCompileCache()`
// for this; Node 20 (our floor) does not, so this is the same idea for one file.
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as vm from 'vm';

export interface CodeCacheRun {
  /** The cache was missing or rejected (new Node, new flags, new bundle) and is rewritten at exit. */
  readonly cacheMiss: boolean;
}

/** Same wrapper Node puts around a CommonJS module, so the file runs exactly as `require` would run it. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

/**
 * Runs `file` as the main module. `cacheFile` holds V8's code cache for it; V8 checks the cache
 * against the source, its own version and flags, and rejects a stale one (then we rewrite it).
 */
export function runWithCodeCache(file: string, cacheFile: string): CodeCacheRun {
  const source = fs.readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(wrap(source), { filename: file, cachedData });
  const cacheMiss = cachedData === undefined || script.cachedDataRejected === true;
  cachedData = undefined; // V8 has copied what it needs; let the buffer go before the app allocates

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
