// Issue 15 item 13: examples/ci/github-actions.yml keeps no state on the runner and installs the exec plugins the
// helm providers of every cloud call (read from a synthesized cluster of each cloud, so a new plugin is caught).
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
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
});
