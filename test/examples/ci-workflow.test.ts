// Issue 15 item 13: examples/ci/github-actions.yml keeps no state on the runner and installs the exec plugins the
// helm providers of every cloud call (read from a synthesized cluster of each cloud, so a new plugin is caught).
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { TerraformStack, Testing } from 'cdktf';
import { Cloud } from '../../src/core/cloud';
import { BundledImage } from '../../src/core/image-build';
import { aws, azure, clusterJson, gcp } from '../training/cluster-helpers';

const CI = path.join(__dirname, '../../examples/ci');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const workflow: Json = parse(fs.readFileSync(path.join(CI, 'github-actions.yml'), 'utf8'));

/** The exec credential commands of the helm providers a cluster of each cloud configures. */
function execCommands(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, cloud] of [['aws', aws()], ['gcp', gcp()], ['azure', azure()]] as const) {
    const providers = clusterJson({ cloud }).json.provider.helm as Json[];
    const commands = [...new Set(providers.map((p) => p.kubernetes.exec.command as string))];
    expect(commands).toHaveLength(1);
    out[name] = commands[0];
  }
  return out;
}

/** The steps of a job that run for `cloud` (no `if`, or an `if` naming that cloud). */
function stepsFor(job: Json, cloud: string): Json[] {
  return job.steps.filter((s: Json) => !s.if || String(s.if).includes(`matrix.cloud == '${cloud}'`));
}

const envValue = (ref: string): string => {
  const m = /^\$\{\{ env\.(\w+) \}\}$/.exec(ref);
  return m ? workflow.env[m[1]] : ref;
};

describe('examples/ci workflow', () => {
  const commands = execCommands();

  test('the helm providers use aws, gke-gcloud-auth-plugin and kubelogin', () => {
    expect(commands).toEqual({ aws: 'aws', gcp: 'gke-gcloud-auth-plugin', azure: 'kubelogin' });
  });

  test.each(['diff', 'deploy'])('%s: each cloud gets its exec plugin, pinned, before cdktf runs, and checks it', (jobName) => {
    const job = workflow.jobs[jobName];
    expect(job.strategy.matrix.include.map((m: Json) => m.cloud).sort()).toEqual(['aws', 'azure', 'gcp']);
    for (const cloud of ['aws', 'gcp', 'azure']) {
      const steps = stepsFor(job, cloud);
      const cdktf = steps.findIndex((s) => /npx cdktf (diff|deploy)/.test(String(s.run ?? '')));
      expect(cdktf).toBeGreaterThan(0);
      const before = steps.slice(0, cdktf);
      if (cloud === 'gcp') {
        const gcloud = before.find((s) => String(s.uses).startsWith('google-github-actions/setup-gcloud@'));
        expect(gcloud?.with.install_components).toContain('gke-gcloud-auth-plugin');
        expect(envValue(gcloud?.with.version)).toMatch(/^\d+\.\d+\.\d+$/);
      }
      if (cloud === 'azure') {
        const kubelogin = before.find((s) => String(s.uses).startsWith('azure/use-kubelogin@'));
        expect(envValue(kubelogin?.with['kubelogin-version'])).toMatch(/^v\d+\.\d+\.\d+$/);
      }
      // the runner proves the plugin is on PATH before Terraform needs it
      const check = before.find((s) => String(s.run ?? '').includes(`${cloud}) ${commands[cloud]} --version`));
      expect(check).toBeDefined();
    }
  });

  test('plan on pull requests, apply on main', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.jobs.diff.if).toContain("github.event_name == 'pull_request'");
    expect(workflow.jobs.deploy.if).toContain("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(workflow.jobs.deploy.environment).toBe('production');
    // S3 state locking without DynamoDB (use_lockfile) needs Terraform 1.10 or later
    const [major, minor] = String(workflow.env.TERRAFORM_VERSION).split('.').map(Number);
    expect(major > 1 || minor >= 10).toBe(true);
  });

  test('the check job refuses a stack whose state would stay on the runner', () => {
    const check = workflow.jobs.check.steps.find((s: Json) => String(s.run ?? '').includes('check-remote-state.cjs'));
    expect(check.run).toBe('node ci/check-remote-state.cjs cdktf.out/stacks/*/cdk.tf.json');
    const synthAt = workflow.jobs.check.steps.findIndex((s: Json) => s.run === 'npx cdktf synth');
    expect(workflow.jobs.check.steps.indexOf(check)).toBeGreaterThan(synthAt);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-state-'));
    try {
      const write = (name: string, terraform: Json) => {
        fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ terraform }));
        return path.join(dir, `${name}.json`);
      };
      const s3 = write('s3', { backend: { s3: { bucket: 'state', key: 'platform-aws', use_lockfile: true } } });
      const gcs = write('gcs', { backend: { gcs: { bucket: 'state', prefix: 'platform-gcp' } } });
      const local = write('local', { backend: { local: { path: '../../terraform.platform-aws.tfstate' } } });
      const none = write('none', {});
      const script = path.join(CI, 'check-remote-state.cjs');
      expect(execFileSync('node', [script, s3, gcs], { encoding: 'utf8' })).toContain('s3 backend');
      for (const file of [local, none]) {
        const r = spawnSync('node', [script, s3, file], { encoding: 'utf8' });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`${file}: state is`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Issue 21 item 3: the image push uses the runner's registry login, set up from the synthesized stack.
  test.each(['diff', 'deploy'])('%s: registry credentials from the synthesized stack, before cdktf runs on that synth', (jobName) => {
    const steps: Json[] = workflow.jobs[jobName].steps;
    const at = (pred: (s: Json) => boolean) => steps.findIndex(pred);
    const synth = at((s) => s.run === 'npx cdktf synth');
    const login = at((s) => String(s.run ?? '').startsWith('node ci/registry-login.cjs'));
    const cdktf = at((s) => /npx cdktf (diff|deploy) --skip-synth/.test(String(s.run ?? '')));
    expect(synth).toBeGreaterThan(0);
    expect(login).toBeGreaterThan(synth);
    expect(cdktf).toBeGreaterThan(login);
    expect(steps[login].run).toContain('"cdktf.out/stacks/${{ matrix.stack }}/cdk.tf.json"');
    expect(steps[login].run.includes('--create-missing')).toBe(jobName === 'deploy');
    expect(Object.keys(steps[login].env).sort()).toEqual(['ARM_CLIENT_ID', 'ARM_SUBSCRIPTION_ID', 'ARM_TENANT_ID', 'ARM_USE_OIDC']);
  });

  test('registry-login.cjs: the login of each cloud, read from the registry_auth blocks a synthesized stack holds', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-registry-'));
    const script = path.join(CI, 'registry-login.cjs');
    const dry = (json: Json, extra: string[] = []) => {
      const file = path.join(dir, 'cdk.tf.json');
      fs.writeFileSync(file, JSON.stringify(json));
      return spawnSync('node', [script, ...extra, file], { encoding: 'utf8', env: { ...process.env, REGISTRY_LOGIN_DRY_RUN: '1' } });
    };
    const stackJson = (cloud: Cloud, ...images: ('trainer' | 'server')[]) => {
      const stack = new TerraformStack(Testing.app(), 's');
      for (const image of images) BundledImage.of(stack, cloud, image);
      return JSON.parse(Testing.synth(stack));
    };
    try {
      const a = dry(stackJson(Cloud.aws({ region: 'eu-west-1' }), 'trainer', 'server'));
      expect(a.status).toBe(0);
      expect(a.stdout).toContain('+ aws sts get-caller-identity --query Account --output text');
      expect(a.stdout).toContain('+ aws ecr get-login-password --region eu-west-1');
      expect(a.stdout).toContain('+ docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com <<< (stdin)');
      const g = dry(stackJson(Cloud.gcp({ project: 'acme-ml', region: 'us-central1' }), 'trainer'));
      expect(g.stdout).toContain('+ gcloud auth configure-docker us-central1-docker.pkg.dev --quiet');
      const azJson = stackJson(Cloud.azure({ location: 'eastus2' }), 'trainer');
      const name = (Object.values(azJson.resource.azurerm_container_registry)[0] as Json).name;
      const z = dry(azJson, ['--create-missing']);
      expect(z.stdout).toContain(`+ az acr login --name ${name} --expose-token --query accessToken --output tsv`);
      expect(z.stdout).toContain(`DOCKER_REGISTRY_PASS set for ${name}.azurecr.io (user 00000000-0000-0000-0000-000000000000)`);
      // nothing to do with Terraform-read tokens; two ACR registries or an unknown registry are refused
      expect(dry(stackJson(Cloud.gcp({ project: 'acme-ml', region: 'us-central1', registryAuth: 'terraform-token' }), 'trainer')).stdout).toContain('no registry_auth blocks');
      const two = dry({ provider: { docker: [{ registry_auth: [{ address: 'a.azurecr.io', username: 'u' }, { address: 'b.azurecr.io', username: 'u' }] }] } });
      expect(two.status).toBe(1);
      expect(two.stderr).toContain('2 ACR registries (a.azurecr.io, b.azurecr.io)');
      const other = dry({ provider: { docker: [{ registry_auth: [{ address: 'ghcr.io', config_file: '~/.docker/config.json' }] }] } });
      expect(other.status).toBe(1);
      expect(other.stderr).toContain('registry_auth address ghcr.io: not a registry this script knows');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
