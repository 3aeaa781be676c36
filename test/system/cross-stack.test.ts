/**
 * The two-stack path for real: cdktf's cross-stack references (outputs of the first stack, a
 * `terraform_remote_state` in the second) with the backend our examples use, made only of Terraform's builtin
 * parts so it runs here. `apply` runs in the first stack's folder and `plan` in the second's, the folders
 * `cdktf deploy` runs them in, and the value must arrive. The fixture with a plain relative LocalBackend shows
 * the failure it prevents: the synth-time check refuses it, and Terraform itself cannot find the state.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, LocalBackend, TerraformOutput, TerraformResource, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { LocalStateBackend } from '../../src';
import { checkStateLocation } from '../../src/core/state-backend';
import { engines, run, RunResult } from './terraform';

/** Terraform's builtin `terraform_data` (no provider to download): `input` in, `output` out. */
class TerraformData extends TerraformResource {
  constructor(scope: Construct, id: string, private readonly input: string) {
    super(scope, id, { terraformResourceType: 'terraform_data' });
  }
  public get output(): string {
    return this.getStringAttribute('output');
  }
  protected synthesizeAttributes(): Record<string, unknown> {
    return { input: this.input };
  }
}

type Backend = 'LocalStateBackend' | 'relative LocalBackend';

/** Synthesizes infra (a value) + workloads (reads it across stacks) into <project>/cdktf.out. */
function synthTwoStacks(project: string, backend: Backend, skipValidation = false): App {
  const app = new App({ outdir: path.join(project, 'cdktf.out'), stackTraces: false, skipValidation });
  const withBackend = (stack: TerraformStack) => (backend === 'LocalStateBackend'
    ? new LocalStateBackend(stack)
    : new LocalBackend(stack, { path: `terraform.${stack.node.id}.tfstate` }));
  const infra = new TerraformStack(app, 'infra');
  withBackend(infra);
  const endpoint = new TerraformData(infra, 'endpoint', 'https://cluster.example:443');
  const workloads = new TerraformStack(app, 'workloads');
  withBackend(workloads);
  const consumer = new TerraformData(workloads, 'consumer', endpoint.output);
  new TerraformOutput(workloads, 'seen', { value: consumer.output });
  workloads.addDependency(infra);
  // Like the library's constructs, which add the state-location check to every stack they are in.
  checkStateLocation(workloads);
  app.synth();
  return app;
}

function expectOk(r: RunResult): void {
  if (r.code !== 0) throw new Error(r.output);
}

describe.each(engines())('cross-stack apply and plan with $name', (engine) => {
  let project: string;
  beforeEach(() => { project = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-two-stack-')); });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

  test('the second stack plans with the first stack\'s applied value; state lives beside cdktf.out', async () => {
    synthTwoStacks(project, 'LocalStateBackend');
    const infraDir = path.join(project, 'cdktf.out', 'stacks', 'infra');
    const workloadsDir = path.join(project, 'cdktf.out', 'stacks', 'workloads');
    expectOk(await run(engine, ['init', '-input=false', '-no-color'], infraDir));
    expectOk(await run(engine, ['apply', '-auto-approve', '-input=false', '-no-color'], infraDir));
    expect(fs.existsSync(path.join(project, 'terraform-state', 'infra.tfstate'))).toBe(true);

    expectOk(await run(engine, ['init', '-input=false', '-no-color'], workloadsDir));
    expectOk(await run(engine, ['plan', '-input=false', '-no-color', '-out=plan.bin'], workloadsDir));
    const show = await run(engine, ['show', '-json', 'plan.bin'], workloadsDir);
    expectOk(show);
    const plan = JSON.parse(show.stdout) as { resource_changes: { address: string; change: { after: { input: string } } }[] };
    expect(plan.resource_changes.find((c) => c.address === 'terraform_data.consumer')?.change.after.input).toBe('https://cluster.example:443');

    // A second synth with the first stack gone from the app must not delete its state (cdktf clears cdktf.out).
    fs.rmSync(path.join(project, 'cdktf.out'), { recursive: true, force: true });
    expect(fs.existsSync(path.join(project, 'terraform-state', 'infra.tfstate'))).toBe(true);
  });

  test('fixture: a relative LocalBackend fails at synth, and Terraform indeed cannot find the state', async () => {
    expect(() => synthTwoStacks(project, 'relative LocalBackend')).toThrow(
      /workloads\/cross-stack-reference-input-infra.*reads another stack's local state at "terraform\.infra\.tfstate".*Unable to find remote state/s);

    synthTwoStacks(project, 'relative LocalBackend', true);
    const infraDir = path.join(project, 'cdktf.out', 'stacks', 'infra');
    const workloadsDir = path.join(project, 'cdktf.out', 'stacks', 'workloads');
    expectOk(await run(engine, ['init', '-input=false', '-no-color'], infraDir));
    expectOk(await run(engine, ['apply', '-auto-approve', '-input=false', '-no-color'], infraDir));
    expectOk(await run(engine, ['init', '-input=false', '-no-color'], workloadsDir));
    const plan = await run(engine, ['plan', '-input=false', '-no-color'], workloadsDir);
    expect(plan.code).not.toBe(0);
    expect(plan.output).toMatch(/Unable to find remote state/);
  });
});
