// Copies of the CDK for Terraform core (`cdktf`, or its fork `cdktn`) by package identity, and the error when an
// app loads two. No cdktf import here: the fast synth CLI uses this before any app code runs.
import * as fs from 'fs';
import * as path from 'path';

/** The names the core is published under: HashiCorp's cdktf and CDK Terrain's cdktn (installed as either). */
export const CORE_PACKAGE_NAMES: readonly string[] = ['cdktf', 'cdktn'];

/** One loaded copy of the core, as the error names it. */
export interface CoreCopy {
  /** Who uses this copy: `stack "platform-aws"`, `cdktf-ai-infra`, `the app bundle`. */
  readonly user: string;
  /** Folder of the copy relative to the working directory (the project), or a note when it is not known. */
  readonly folder: string;
  /** `name version` from its package.json (`cdktn 0.24.0`), else the version stamped on its classes. */
  readonly release: string;
}

/** Two copies of the core meet in one app. The message names each copy and the fix. */
export class DuplicateCoreError extends Error {
  public readonly copies: readonly CoreCopy[];

  constructor(what: string, copies: readonly CoreCopy[]) {
    super([
      `cdktf-ai-infra: two copies of the CDK for Terraform core are loaded, and ${what}.`,
      ...copies.map((c) => `  ${c.user}: ${c.folder} (${c.release})`),
      'Constructs of one copy in a stack of another are silently left out (Aspects) or crash the synth.',
      "Fix: load one core. Import App and TerraformStack from 'cdktf' only (not also from 'cdktn'); on CDK Terrain",
      'keep the alias and make every package use it: "cdktf": "npm:cdktn@<version>" in dependencies and',
      '"overrides": { "cdktf": "$cdktf" } in package.json, then reinstall (rm -rf node_modules package-lock.json &&',
      'npm install). `npm ls cdktf cdktn` lists the copies.',
    ].join('\n'));
    this.name = 'DuplicateCoreError';
    this.copies = copies;
  }
}

/** The folder and package.json of the package a file belongs to (the nearest package.json with a name). */
export interface PackageOf {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
}

/** Finds the package of a file; `cache` (per folder) makes it cheap for many files of one package. */
export function packageOf(file: string, cache: Map<string, PackageOf | undefined> = new Map()): PackageOf | undefined {
  const seen: string[] = [];
  let found: PackageOf | undefined;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (cache.has(dir)) {
      found = cache.get(dir);
      break;
    }
    seen.push(dir);
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (typeof pkg.name === 'string') {
        found = { dir, name: pkg.name, version: String(pkg.version ?? 'unknown version') };
        break;
      }
    } catch {
      // no (readable) package.json here: look further up
    }
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of seen) cache.set(dir, found);
  return found;
}

/** True when the file belongs to a copy of the core (by its package.json name, wherever the folder is). */
export function isCoreFile(file: string, cache?: Map<string, PackageOf | undefined>): boolean {
  const pkg = packageOf(file, cache);
  return pkg !== undefined && CORE_PACKAGE_NAMES.includes(pkg.name);
}

/** How a copy is named in messages: its folder relative to the project and `name version`. */
export function describeCopy(user: string, pkg: PackageOf): CoreCopy {
  return { user, folder: path.relative(process.cwd(), pkg.dir) || '.', release: `${pkg.name} ${pkg.version}` };
}
