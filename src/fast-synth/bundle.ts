// Bundles a cdktf app (a .ts or .js stack file) into one minified CommonJS file with esbuild, and
// reuses that bundle while none of its input files changed. Why: a stock app loads ~900 module
// files (~28 MB of provider JS, half of it inline source maps that V8 keeps in memory); one
// minified bundle is ~5 MB, parses once and is what makes a V8 code cache (code-cache.ts) possible.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { SYNTH_COUNTER } from './output';
import { CORE_PACKAGE_NAMES, describeCopy, DuplicateCoreError, isCoreFile, PackageOf, packageOf } from '../core/core-copies';

/** What `bundleApp` made or found. */
export interface AppBundle {
  /** Absolute path of the bundled app (CommonJS). */
  readonly file: string;
  /** false when the cached bundle was still fresh. */
  readonly rebuilt: boolean;
}

export interface BundleOptions {
  /** Folder for bundles; one subfolder per app entry. */
  readonly cacheDir: string;
  /** This package's root, handed to the bundled library (see core/package-root.ts). */
  readonly packageRoot: string;
  /** Packages to leave out of the bundle and `require` at run time (native add-ons, say). */
  readonly external?: string[];
}

/** One input of a bundle and the stat it had when the bundle was built. */
type InputStamp = [file: string, size: number, mtimeMs: number];

interface BundleManifest {
  readonly key: string;
  readonly inputs: InputStamp[];
}

interface EsbuildPluginBuild {
  onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => Promise<{ contents: string; loader: string } | undefined>): void;
  onResolve(options: { filter: RegExp }, callback: (args: { path: string; resolveDir: string }) => { path: string; external: boolean } | undefined): void;
}

/**
 * The cloud provider packages are optional peers: an AWS-only platform repo installs @cdktf/provider-aws and
 * not the others. The library reaches each cloud's code by a lazy require, so a missing provider only matters
 * when a construct targets that cloud; in the bundle an import that does not resolve stays a plain runtime
 * `require` (external) instead of failing the whole bundle.
 */
const CLOUD_PROVIDER = /^@cdktf\/provider-(?:aws|google|azurerm)(?:\/|$)/;
const optionalCloudProviders = {
  name: 'aiinfra-optional-cloud-providers',
  setup(build: EsbuildPluginBuild): void {
    build.onResolve({ filter: CLOUD_PROVIDER }, (args) => {
      try {
        require.resolve(args.path, { paths: [args.resolveDir] });
        return undefined;
      } catch {
        return { path: args.path, external: true };
      }
    });
  },
};

interface EsbuildApi {
  readonly version: string;
  build(options: Record<string, unknown>): Promise<{ metafile?: { inputs: Record<string, unknown> } }>;
}

/** Bumped when what goes into a bundle changes (plugins, options), so old bundles are rebuilt. */
const BUNDLE_FORMAT = 9;

/**
 * cdktf captures a creation stack for every token with `Error.stackTraceLimit` raised to
 * MAX_SAFE_INTEGER: walking 40-60 frames for tens of thousands of tokens is ~7 % of a synth. In the
 * bundle it captures the ordinary limit (10 frames), which is also all the CLI formats
 * (`formatShortStackTraces`).
 */
const STACK_TRACE_FILE = /[\\/]lib[\\/]tokens[\\/]private[\\/]stack-trace\.js$/;
const UNLIMITED_CAPTURE = 'Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;';

/**
 * cdktf's file helpers load `archiver` (~80 ms, a third of `require('cdktf')`) for zip assets only, and
 * zip by running their own file as a CLI (`node ${__filename} src dest`), which in a bundle would run
 * the bundle. In the bundle archiver loads on first use and the CLI is the real file in node_modules.
 */
const FS_HELPERS_FILE = /[\\/]lib[\\/]private[\\/]fs\.js$/;
const EAGER_ARCHIVER = 'const archiver = require("archiver");';
const LAZY_ARCHIVER = 'const archiver = (...args) => require("archiver")(...args);';
const SELF_AS_CLI = '`node ${__filename} ';

/**
 * The CLI must tell "the app synthesized nothing" from success (output.ts): the core's `App.synth()` counts its
 * finished runs in a global. Only where the exact text is found; without it the CLI cannot tell, and does not fail.
 */
const APP_FILE = /[\\/]lib[\\/]app\.js$/;
const MANIFEST_WRITTEN = 'this.manifest.writeToFile();';
const COUNT_SYNTH = `${MANIFEST_WRITTEN} globalThis.${SYNTH_COUNTER} = (globalThis.${SYNTH_COUNTER} || 0) + 1;`;

/**
 * In a bundle every module's `__dirname` would be the bundle's folder, and stack files commonly find
 * their assets with `path.join(__dirname, 'lambda')`. Each file of the app outside node_modules that
 * mentions them gets its own `__dirname` / `__filename` constants (esbuild keeps per-file top-level
 * names apart). Packages in node_modules are left alone; this one gets AIINFRA_PACKAGE_ROOT instead.
 */
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/; // esbuild filters are Go regexps: no lookahead
const IN_NODE_MODULES = /[\\/]node_modules[\\/]/;
const LOADERS: Record<string, string> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.jsx': 'jsx' };

/**
 * Source rewrites: per-file `__dirname` in app files, `require.main` in the stack file, and two files of the core (only where the exact text is
 * found). The core is recognised by its package.json name (cdktf or cdktn), not its folder: a CDK Terrain app
 * has it in node_modules/cdktn (or node_modules/cdktf through the alias, or pnpm's store) and gets the same speed.
 */
const rewrites = (packages: Map<string, PackageOf | undefined>, entryPath: string) => ({
  name: 'aiinfra-fast-synth-rewrites',
  setup(build: EsbuildPluginBuild): void {
    build.onLoad({ filter: STACK_TRACE_FILE }, async (args) => {
      if (!isCoreFile(args.path, packages)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      return { contents: text.replace(UNLIMITED_CAPTURE, ''), loader: 'js' };
    });
    build.onLoad({ filter: FS_HELPERS_FILE }, async (args) => {
      if (!isCoreFile(args.path, packages)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      const contents = text.replace(EAGER_ARCHIVER, LAZY_ARCHIVER).replace(SELF_AS_CLI, `\`node \${${JSON.stringify(JSON.stringify(args.path))}} `);
      return { contents, loader: 'js' };
    });
    build.onLoad({ filter: APP_FILE }, async (args) => {
      if (!isCoreFile(args.path, packages)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes(MANIFEST_WRITTEN)) return undefined;
      // Declared before the app runs, so "0 synths" differs from "unknown core" (undefined).
      return { contents: `globalThis.${SYNTH_COUNTER} = globalThis.${SYNTH_COUNTER} || 0;\n${text.replace(MANIFEST_WRITTEN, COUNT_SYNTH)}`, loader: 'js' };
    });
    build.onLoad({ filter: SOURCE_FILE }, async (args) => {
      if (IN_NODE_MODULES.test(args.path)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      const loader = LOADERS[path.extname(args.path)] ?? 'js';
      const usesDir = /\b__(?:dirname|filename)\b/.test(text);
      // `if (require.main === module) app.synth()` in the stack file: in the bundle `module` is the bundler's
      // object for that file and `require.main` the CLI, so it would be false and synth silently skipped.
      const mainCheck = args.path === entryPath && /\brequire\.main\b/.test(text);
      if (!usesDir && !mainCheck) return { contents: text, loader };
      let own = usesDir ? `const __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)};\n` : '';
      if (mainCheck) own += 'require.main = module;\n';
      // below a shebang and a 'use strict' directive, which must stay first to count
      const [, prologue] = /^((?:#!.*\n)?(?:\s*(['"])use strict\2;?[^\n]*\n)?)/.exec(text) ?? ['', ''];
      return { contents: prologue + own + text.slice(prologue.length), loader };
    });
  },
});

/**
 * The one-core guard at bundle time (its run-time half, core/one-core.ts, cannot name folders inside a bundle):
 * files of two core packages in one bundle mean two loaded copies (`cdktf` and `cdktn` side by side, or a
 * provider with its own nested copy).
 */
function assertOneBundledCore(inputs: string[], packages: Map<string, PackageOf | undefined>): void {
  const copies = new Map<string, PackageOf>();
  for (const file of inputs) {
    const pkg = IN_NODE_MODULES.test(file) ? packageOf(file, packages) : undefined;
    if (pkg && CORE_PACKAGE_NAMES.includes(pkg.name)) copies.set(pkg.dir, pkg);
  }
  if (copies.size > 1) {
    throw new DuplicateCoreError('the app imports more than one', [...copies.values()].map((pkg) => describeCopy('bundled', pkg)));
  }
}

function loadEsbuild(): EsbuildApi {
  try {
    return require('esbuild') as EsbuildApi;
  } catch {
    throw new Error('cdktf-ai-infra fast synth needs esbuild to bundle the app: npm install --save-dev esbuild');
  }
}

function stamp(file: string): InputStamp | undefined {
  try {
    const st = fs.statSync(file);
    return [file, st.size, st.mtimeMs];
  } catch {
    return undefined;
  }
}

/** True when every recorded input still has the size and mtime it had at bundle time. */
function fresh(manifest: BundleManifest): boolean {
  return manifest.inputs.every(([file, size, mtimeMs]) => {
    const now = stamp(file);
    return now !== undefined && now[1] === size && now[2] === mtimeMs;
  });
}

function readManifest(file: string): BundleManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as BundleManifest;
  } catch {
    return undefined;
  }
}

/**
 * Returns a bundle of `entry`, rebuilding it only when an input changed (or the bundler options,
 * esbuild or this package changed). The check is one `stat` per input (~900 files, a few ms).
 */
export async function bundleApp(entry: string, options: BundleOptions): Promise<AppBundle> {
  const entryPath = path.resolve(entry);
  if (!fs.existsSync(entryPath)) throw new Error(`cdktf-ai-infra fast synth: app entry ${entry} does not exist`);
  const external = [...(options.external ?? [])].sort();
  // Each entry gets its own folder, so two apps in one repo do not evict each other; other options rebuild in place.
  const dir = path.join(options.cacheDir, createHash('sha256').update(entryPath).digest('hex').slice(0, 16));
  const file = path.join(dir, 'app.js');
  const manifestFile = path.join(dir, 'inputs.json');
  const ownPackage = stamp(path.join(options.packageRoot, 'package.json'));
  const keyBase = JSON.stringify({ BUNDLE_FORMAT, entryPath, external, packageRoot: options.packageRoot, ownPackage, node: process.versions.node });

  const previous = readManifest(manifestFile);
  if (previous && fs.existsSync(file) && previous.key.startsWith(`${keyBase}|`) && fresh(previous)) {
    return { file, rebuilt: false };
  }

  const esbuild = loadEsbuild();
  const key = `${keyBase}|esbuild ${esbuild.version}`;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const packages = new Map<string, PackageOf | undefined>();
  const result = await esbuild.build({
    entryPoints: [entryPath],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    minify: true,
    // Errors name the user's classes (not `t`), and a stack frame maps back to their file and line (stack-map.ts):
    // the map sits beside the bundle and is read only when an error is printed.
    keepNames: true,
    sourcemap: 'external',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'error',
    absWorkingDir: process.cwd(),
    external,
    define: { AIINFRA_PACKAGE_ROOT: JSON.stringify(options.packageRoot) },
    plugins: [optionalCloudProviders, rewrites(packages, entryPath)],
  });
  const files = Object.keys(result.metafile?.inputs ?? {}).map((rel) => path.resolve(process.cwd(), rel));
  try {
    assertOneBundledCore(files, packages);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  const inputs = files.map((f) => stamp(f)).filter((s): s is InputStamp => s !== undefined);
  fs.renameSync(`${tmp}.map`, `${file}.map`);
  fs.renameSync(tmp, file);
  fs.writeFileSync(manifestFile, JSON.stringify({ key, inputs } satisfies BundleManifest));
  return { file, rebuilt: true };
}
