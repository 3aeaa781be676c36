// What the fast synth prints after publishing: per stack, the compact summary the library wrote into
// PLATFORM.md (resources, GPU pools, tenants, jobs, endpoints, cost, warnings), else the stack's warnings from
// manifest.json, then the output path. Plain lines (no colour, no spinner): it lands in CI logs as is.
import * as fs from 'fs';
import * as path from 'path';
import { PLATFORM_FILE, SUMMARY_BEGIN, SUMMARY_END } from '../summary/model';

interface Manifest {
  readonly stacks?: Record<string, { readonly annotations?: readonly { readonly constructPath: string; readonly level: string; readonly message: string }[] }>;
}

/** The text between the summary markers of a PLATFORM.md, without the code fence; undefined without them. */
export function summaryBlock(markdown: string): string | undefined {
  const begin = markdown.indexOf(SUMMARY_BEGIN);
  const end = markdown.indexOf(SUMMARY_END);
  if (begin < 0 || end < begin) return undefined;
  return markdown.slice(begin + SUMMARY_BEGIN.length, end).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('```')).join('\n');
}

/** The report for a published output folder (`outdir`), with the output path relative to `cwd`. */
export function synthReport(outdir: string, cwd: string): string {
  const manifestFile = path.join(outdir, 'manifest.json');
  const manifest = (fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, 'utf8')) : {}) as Manifest;
  const blocks: string[] = [];
  for (const [id, stack] of Object.entries(manifest.stacks ?? {})) {
    const platform = path.join(outdir, 'stacks', id, PLATFORM_FILE);
    const block = fs.existsSync(platform) ? summaryBlock(fs.readFileSync(platform, 'utf8')) : undefined;
    if (block) {
      blocks.push(block);
      continue;
    }
    const warnings = (stack.annotations ?? []).filter((a) => a.level === '@cdktf/warn');
    blocks.push([`stack ${id}`, ...warnings.map((w) => `  warning [${w.constructPath}] ${w.message.replace(/\s+/g, ' ')}`)].join('\n'));
  }
  const shown = path.relative(cwd, outdir) || '.';
  blocks.push(`output: ${shown.startsWith('..') ? outdir : shown}`);
  return `${blocks.join('\n\n')}\n`;
}
