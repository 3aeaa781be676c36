import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');

/**
 * Puts a second copy of this repo's cdktf core at `<projectDir>/node_modules/<folder>` (hard links: cheap, and a
 * module path of its own, so Node loads it as another copy), with `constructs` linked to this repo's. `pkg`
 * rewrites its package.json name/version, as the alias "cdktf": "npm:cdktn@0.24.0" installs a core named cdktn;
 * the file is replaced, not edited, so the hard-linked original stays as it is. Returns the copy's folder.
 */
export function copyCore(projectDir: string, folder: string, pkg?: { name: string; version: string }): string {
  const nodeModules = path.join(projectDir, 'node_modules');
  fs.mkdirSync(nodeModules, { recursive: true });
  const own = path.join(root, 'node_modules', 'cdktf');
  const copy = path.join(nodeModules, folder);
  if (spawnSync('cp', ['-al', own, copy]).status !== 0) fs.cpSync(own, copy, { recursive: true }); // links need one file system
  const constructs = path.join(nodeModules, 'constructs');
  if (!fs.existsSync(constructs)) fs.symlinkSync(path.join(root, 'node_modules', 'constructs'), constructs);
  if (pkg) {
    const manifest = path.join(copy, 'package.json');
    const json = { ...JSON.parse(fs.readFileSync(manifest, 'utf8')), ...pkg };
    fs.unlinkSync(manifest);
    fs.writeFileSync(manifest, JSON.stringify(json, null, 2));
  }
  return copy;
}
