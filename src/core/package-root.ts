import * as fs from 'fs';
import * as path from 'path';

/**
 * Set by the fast synth (`src/fast-synth`) when it bundles an app: inside a bundle `__dirname` is the
 * bundle's folder, not this package's, so the bundler passes the package root in as a constant.
 */
declare const AIINFRA_PACKAGE_ROOT: string | undefined;

/** The package root (holding compute/ and images/), found from this file in src/ or lib/src/, or from a bundle. */
export function packageRoot(): string {
  if (typeof AIINFRA_PACKAGE_ROOT === 'string') return AIINFRA_PACKAGE_ROOT;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'compute', 'pyproject.toml'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cdktf-ai-infra: compute/ not found above ${__dirname}; the package is incomplete`);
}
