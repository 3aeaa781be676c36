// scripts/tools/cdktn-install.sh: prints the package.json of the CDK Terrain install: `cdktf` as an npm alias of
// cdktn with an override (every package, the providers included, gets that one copy), `cdktn` under its own
// name, constructs, and each further <package> <version> pair.
// Usage: node -r ts-node/register/transpile-only scripts/lib/cdktn-manifest.ts <cdktn> <constructs> [<package> <version>]...
export {}; // a module: its names stay out of the global scope the other files typecheck in

const [cdktn, constructs, ...pairs] = process.argv.slice(2);
const deps: Record<string, string> = { cdktf: `npm:cdktn@${cdktn}`, cdktn, constructs };
for (let i = 0; i < pairs.length; i += 2) deps[pairs[i]] = pairs[i + 1];
process.stdout.write(JSON.stringify({ name: 'aiinfra-cdktn-tier', private: true, dependencies: deps, overrides: { cdktf: '$cdktf' } }, null, 2) + '\n');
