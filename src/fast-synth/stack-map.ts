// Maps the bundle's frames in a printed stack trace back to the user's files (the bundle's source map, made
// beside it by bundle.ts). Done once, on the error the CLI prints, not in Error.prepareStackTrace: cdktf
// formats tens of thousands of token creation stacks during a synth.
import * as fs from 'fs';
import { SourceMap, wrap } from 'module';
import * as path from 'path';

/** Node's CommonJS wrapper opens line 1 of the script the code cache runs (code-cache.ts). */
const WRAPPER_PREFIX = wrap('\u0000').indexOf('\u0000');

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `stack` with each `bundleFile:line:column` replaced by the original `file:line:column` (relative to cwd). */
export function mapBundleStack(stack: string, bundleFile: string, cwd = process.cwd()): string {
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(fs.readFileSync(`${bundleFile}.map`, 'utf8')));
  } catch {
    return stack;
  }
  const mapDir = path.dirname(bundleFile);
  const frame = new RegExp(`${escapeRegExp(bundleFile)}:(\\d+):(\\d+)`, 'g');
  return stack.replace(frame, (whole, line: string, column: string) => {
    const l = Number(line) - 1;
    const c = Number(column) - 1 - (l === 0 ? WRAPPER_PREFIX : 0);
    const entry = map.findEntry(l, Math.max(0, c)) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!entry?.originalSource) return whole;
    const source = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : path.resolve(mapDir, entry.originalSource);
    return `${path.relative(cwd, source)}:${(entry.originalLine ?? 0) + 1}:${(entry.originalColumn ?? 0) + 1}`;
  });
}
