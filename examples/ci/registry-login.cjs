#!/usr/bin/env node
// Gives the docker provider the registry credentials of the runner's own cloud identity before `cdktf diff` or
// `cdktf deploy`, so that no registry token goes through Terraform (none in plan or state). It reads the docker
// provider's registry_auth blocks of one synthesized stack and, per registry:
//   ECR                `aws ecr get-login-password | docker login` (the runner's ~/.docker/config.json, which
//                      the provider reads through registry_auth.config_file; 12-hour token, gone with the runner)
//   Artifact Registry  `gcloud auth configure-docker <host>` (the gcloud credential helper)
//   ACR                `az acr login --expose-token`, masked, into DOCKER_REGISTRY_PASS (via $GITHUB_ENV),
//                      which the provider reads for the registry_auth block that names only a username.
//                      A registry that does not exist yet (first deploy) is created first with a targeted
//                      apply when --create-missing is given (the deploy job), else skipped (nothing to refresh).
// Usage: node ci/registry-login.cjs [--create-missing] cdktf.out/stacks/<stack>/cdk.tf.json
// Print only (no command runs): REGISTRY_LOGIN_DRY_RUN=1.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const args = process.argv.slice(2);
const createMissing = args.includes('--create-missing');
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('registry-login: no cdk.tf.json given (run `cdktf synth` first)');
  process.exit(2);
}
const dryRun = process.env.REGISTRY_LOGIN_DRY_RUN === '1';
const config = JSON.parse(fs.readFileSync(file, 'utf8'));

/** Runs a command (stdin optional) and returns its stdout; in a dry run prints it and returns `dry`. */
function run(cmd, argv, { input, dry = '', secret = false } = {}) {
  console.log(`+ ${cmd} ${argv.join(' ')}${input !== undefined ? ' <<< (stdin)' : ''}`);
  if (dryRun) return dry;
  const out = execFileSync(cmd, argv, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
  return secret ? out : out.trim();
}

const blocks = [].concat(...[].concat(config.provider?.docker ?? []).map((p) => p.registry_auth ?? []));
if (blocks.length === 0) {
  console.log(`${file}: no registry_auth blocks (no bundled image, or registryAuth 'terraform-token')`);
  process.exit(0);
}
// The provider reads one DOCKER_REGISTRY_PASS for every block that names a username: one ACR registry per stack.
const acr = blocks.filter((b) => /\.azurecr\.io$/.test(String(b.address)));
if (acr.length > 1) {
  console.error(`${file}: ${acr.length} ACR registries (${acr.map((b) => b.address).join(', ')}): DOCKER_REGISTRY_PASS holds one token; `
    + "put each Azure location's images in its own stack, or use registryAuth 'terraform-token'");
  process.exit(1);
}
let account;
for (const block of blocks) {
  const address = String(block.address);
  const ecr = /^(?:\$\{data\.aws_caller_identity\.[^}]+\}|(\d{12}))\.dkr\.ecr\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)$/.exec(address);
  if (ecr) {
    account = ecr[1] ?? account ?? run('aws', ['sts', 'get-caller-identity', '--query', 'Account', '--output', 'text'], { dry: '123456789012' });
    const host = `${account}.dkr.ecr.${ecr[2]}.${ecr[3]}`;
    const password = run('aws', ['ecr', 'get-login-password', '--region', ecr[2]], { dry: 'x', secret: true });
    run('docker', ['login', '--username', 'AWS', '--password-stdin', host], { input: password });
  } else if (/^[a-z0-9-]+-docker\.pkg\.dev$/.test(address)) {
    run('gcloud', ['auth', 'configure-docker', address, '--quiet']);
  } else if (/^[a-z0-9]+\.azurecr\.io$/.test(address) && block.username) {
    const name = address.split('.')[0];
    const exists = dryRun || (() => {
      try {
        run('az', ['acr', 'show', '--name', name, '--query', 'id', '--output', 'tsv']);
        return true;
      } catch {
        return false;
      }
    })();
    if (!exists) {
      if (!createMissing) {
        console.log(`${name}: no such registry yet (first deploy): nothing to refresh, no token needed for the plan`);
        continue;
      }
      const id = Object.entries(config.resource?.azurerm_container_registry ?? {}).find(([, r]) => r.name === name)?.[0];
      if (!id) throw new Error(`${file}: no azurerm_container_registry named ${name}`);
      const dir = path.dirname(file);
      run('terraform', [`-chdir=${dir}`, 'init', '-input=false']);
      run('terraform', [`-chdir=${dir}`, 'apply', '-input=false', '-auto-approve', `-target=azurerm_container_registry.${id}`]);
    }
    const token = run('az', ['acr', 'login', '--name', name, '--expose-token', '--query', 'accessToken', '--output', 'tsv'], { dry: 'token' });
    if (!dryRun) {
      console.log(`::add-mask::${token}`);
      if (!process.env.GITHUB_ENV) throw new Error('GITHUB_ENV is not set: export DOCKER_REGISTRY_PASS yourself (README: Images and registries)');
      fs.appendFileSync(process.env.GITHUB_ENV, `DOCKER_REGISTRY_PASS=${token}\n`);
    }
    console.log(`DOCKER_REGISTRY_PASS set for ${address} (user ${block.username})`);
  } else {
    console.error(`${file}: registry_auth address ${address}: not a registry this script knows (ECR, Artifact Registry, ACR)`);
    process.exit(1);
  }
}
