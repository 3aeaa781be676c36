// scripts/test-cdktn.sh preloads this (`node -r ./only-local.js`, compiled into the project folder
// <install>/project.XXXXXX) into every cdktn synth: the run fails when it loaded a module from outside the
// project and its install, e.g. from this repo's node_modules, which Node reaches by walking up.
import * as path from 'path';

// The install folder: the parent of the project folder this file is compiled into.
const root = path.dirname(__dirname) + path.sep;
process.on('exit', () => {
  const outside = Object.keys(require.cache).filter((f) => !f.startsWith(root));
  if (outside.length > 0) {
    console.error(`loaded from outside ${root}:\n  ${outside.slice(0, 10).join('\n  ')}`);
    process.exitCode = 1;
  }
});
