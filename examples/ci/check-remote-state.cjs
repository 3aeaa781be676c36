#!/usr/bin/env node
// Fails when a synthesized stack keeps its Terraform state on the machine that runs it: no backend (Terraform's
// default is local) or a `local` backend. On a CI runner that state is gone when the job ends, and the next
// apply would try to create every resource again. Usage: node ci/check-remote-state.cjs cdktf.out/stacks/*/cdk.tf.json
'use strict';
const fs = require('fs');

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('check-remote-state: no cdk.tf.json given (run `cdktf synth` first)');
  process.exit(2);
}
let bad = 0;
for (const file of files) {
  const backend = (JSON.parse(fs.readFileSync(file, 'utf8')).terraform || {}).backend || {};
  const kinds = Object.keys(backend);
  if (kinds.length === 0 || kinds.includes('local')) {
    bad++;
    console.error(`${file}: state is ${kinds.length ? 'in a local backend' : 'local (no backend)'}: use a remote backend `
      + '(S3Backend with use_lockfile, GcsBackend, AzurermBackend) so CI runs share one state');
  } else {
    console.log(`${file}: ${kinds.join(', ')} backend`);
  }
}
process.exit(bad ? 1 : 0);
