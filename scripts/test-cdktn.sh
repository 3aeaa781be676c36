#!/usr/bin/env bash
# The CDK Terrain tier: this library as a platform repo on CDK Terrain (cdktn) uses it. Installs (once, cached;
# scripts/tools/cdktn-install.sh) `"cdktf": "npm:cdktn@0.24.0"` with `"overrides": { "cdktf": "$cdktf" }`,
# constructs 10.7.x (cdktn wants <10.8) and this repo's provider versions; copies src/, examples/, compute/ and
# images/ into a project there, then:
#   1. typechecks and compiles them against cdktn (tsc, 0 errors);
#   2. synthesizes every example (platform, quickstart, two-stack) on cdktn and compares each with the stock
#      (cdktf 0.21) synth of the same example as parsed JSON (scripts/tools/compare-synth.js: equal except the
#      version each core stamps, //.metadata.version and manifest.json's version); fails with the differences.
#      Every module the cdktn runs load must come from the project or its install (none from this repo's
#      node_modules, which Node would reach by walking up); the platform is also synthesized with the fast synth;
#   3. runs the two traps of the one-core guard on the real cores: an app importing 'cdktn' beside the library's
#      'cdktf' alias (two copies of cdktn 0.24), and an app on cdktn 0.24 with the library on cdktf 0.21; both
#      must fail with DuplicateCoreError naming both copies.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1

progress() { { echo "::progress:: cdktn: $*" >&3; } 2>/dev/null || echo "cdktn: $*" >&2; }

install=$(bash scripts/tools/cdktn-install.sh)
examples=(platform quickstart two-stack)
work=$(mktemp -d "$install/project.XXXXXX") # inside the install folder, so the project resolves its node_modules
stock=$(mktemp -d)
trap 'rm -rf "$work" "$stock"' EXIT

cp -a src examples compute images "$work/"
mkdir -p "$work/out"

# The stock synth of each example (cdktf 0.21, this repo's compiled examples; incremental build), run from the
# project folder as the cdktn runs are: output that depends on the working directory is then the same in both.
npm run --silent build
for ex in "${examples[@]}"; do
  ( cd "$work" && CDKTF_OUTDIR="$stock/$ex" node "$OLDPWD/lib/examples/$ex/main.js" > "$stock/$ex.log" 2>&1 ) \
    || { cat "$stock/$ex.log" >&2; echo "stock synth of examples/$ex failed" >&2; exit 1; }
done
cat > "$work/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "commonjs", "moduleResolution": "node", "lib": ["ES2022"], "strict": true,
    "noImplicitReturns": true, "noFallthroughCasesInSwitch": true, "noUnusedLocals": true, "noUnusedParameters": true,
    "esModuleInterop": true, "isolatedModules": true, "resolveJsonModule": true, "skipLibCheck": true,
    "types": ["node"], "rootDir": ".", "outDir": "lib"
  },
  "include": ["src/**/*.ts", "examples/**/*.ts"]
}
JSON
core=$(node -p "const p = require('$install/node_modules/cdktf/package.json'); p.name + ' ' + p.version")
[ "${core%% *}" = cdktn ] || { echo "the cdktf alias resolves to $core, not cdktn" >&2; exit 1; }
progress "typechecking src/ and examples/ against $core"
( cd "$work" && node "$OLDPWD/node_modules/typescript/bin/tsc" -p tsconfig.json ) || { echo "typecheck against $core failed" >&2; exit 1; }

# Fails a run that loaded a module from outside the project and its install (this repo's node_modules).
node node_modules/typescript/bin/tsc --outDir "$work" --rootDir scripts/lib --module commonjs --target es2022 \
  --moduleResolution node --strict --skipLibCheck --types node scripts/lib/cdktn-only-local.ts
mv "$work/cdktn-only-local.js" "$work/only-local.js"

failed=0
for ex in "${examples[@]}"; do
  progress "synthesizing examples/$ex on $core"
  if ! ( cd "$work" && CDKTF_OUTDIR="$work/out/$ex" node -r ./only-local.js "lib/examples/$ex/main.js" > "$work/$ex.log" 2>&1 ); then
    cat "$work/$ex.log" >&2; echo "examples/$ex does not synthesize on $core" >&2; failed=1; continue
  fi
  echo "examples/$ex:"
  node scripts/tools/compare-synth.js "$stock/$ex" "$work/out/$ex" "$core" || failed=1
done

progress "synthesizing examples/platform with the fast synth on $core"
if ( cd "$work" && AIINFRA_SYNTH_CACHE_DIR="$work/.synth-cache" CDKTF_OUTDIR="$work/out/fast" \
      node lib/src/fast-synth/cli.js examples/platform/main.ts > "$work/fast.log" 2>&1 ); then
  echo "examples/platform, fast synth:"
  node scripts/tools/compare-synth.js "$stock/platform" "$work/out/fast" "$core (fast synth)" || failed=1
else
  cat "$work/fast.log" >&2; echo "the fast synth fails on $core" >&2; failed=1
fi

# The one-core guard on the real cores (test/core/fixtures/two-cores-app.js builds a bucket and a cluster).
cp test/core/fixtures/two-cores-app.js "$work/app.js"
trap_run() { # name, expected text..., then env assignments after --
  local name=$1; shift
  local expect=()
  while [ "$1" != -- ]; do expect+=("$1"); shift; done; shift
  local out rc=0
  out=$(cd "$work" && env CDKTF_OUTDIR="$work/out/trap" "$@" node app.js 2>&1) || rc=$?
  if [ "$rc" -eq 0 ]; then echo "one-core guard, $name: the app synthesized (exit 0); it must fail: $out" >&2; failed=1; return; fi
  local text
  for text in "${expect[@]}"; do
    if [[ "$out" != *"$text"* ]]; then echo "one-core guard, $name: output lacks '$text': $out" >&2; failed=1; return; fi
  done
  echo "one-core guard, $name: fails as it must"
}
progress "the one-core guard on real cores"
trap_run "app imports 'cdktn', library gets the 'cdktf' alias" \
  'two copies of the CDK for Terraform core are loaded' 'node_modules/cdktn (cdktn 0.24.0)' 'node_modules/cdktf (cdktn 0.24.0)' -- \
  AIINFRA_APP_CORE=cdktn AIINFRA_LIB="$work/lib/src/index.js"
trap_run "app on cdktn 0.24, library and providers on cdktf 0.21" \
  'two copies of the CDK for Terraform core are loaded' 'node_modules/cdktf (cdktn 0.24.0)' "$(node -p "require('path').relative('$work', '$PWD/node_modules/cdktf')") (cdktf 0.21.0)" -- \
  AIINFRA_APP_CORE=cdktf AIINFRA_LIB="$PWD/lib/src/index.js"

exit "$failed"
