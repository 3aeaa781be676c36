/**
 * Records every Terraform stack a jest test synthesizes (Testing.synth, Testing.fullSynth, App.synth) into
 * $AIINFRA_SYNTH_COLLECT, one file per distinct configuration, so the real-tool tier (test/system) can run
 * `terraform init` and the reference check on each of them after the suite. Off unless the variable is set
 * (scripts/test.sh sets it); never changes what the tests see.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformDataSource, TerraformElement, TerraformResource, TerraformStack, Testing } from 'cdktf';

const dir = process.env.AIINFRA_SYNTH_COLLECT;

/**
 * Addresses declared in the app's other stacks. `Testing.synth` renders one stack without cdktf's cross-stack
 * step, so a reference into another stack stays a plain address there; `cdktf synth` would turn it into a
 * `terraform_remote_state` read. The reference check accepts exactly these for such a stack.
 */
function otherStacksAddresses(stack: TerraformStack): string[] {
  const found = new Set<string>();
  for (const c of stack.node.root.node.findAll()) {
    if (!(c instanceof TerraformElement) || TerraformStack.of(c) === stack) continue;
    if (c instanceof TerraformResource) found.add(`${c.terraformResourceType}.${c.friendlyUniqueId}`);
    else if (c instanceof TerraformDataSource) found.add(`data.${c.terraformResourceType}.${c.friendlyUniqueId}`);
  }
  return [...found].sort();
}

function record(json: string, stackName: string, otherStacks: string[] = []): void {
  if (!dir) return;
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 20);
  const file = path.join(dir, `${hash}.tf.json`);
  if (fs.existsSync(file)) return;
  fs.mkdirSync(dir, { recursive: true });
  const testPath = path.relative(process.cwd(), expect.getState().testPath ?? 'unknown');
  // Written under a temporary name, then renamed: jest workers run in parallel.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, json);
  const source = `${testPath} :: ${expect.getState().currentTestName ?? ''} :: stack ${stackName}`;
  fs.writeFileSync(path.join(dir, `${hash}.meta.json`), JSON.stringify({ source, otherStacks }));
  fs.renameSync(tmp, file);
}

function recordOutdir(outdir: string): void {
  const stacks = path.join(outdir, 'stacks');
  if (!fs.existsSync(stacks)) return;
  for (const name of fs.readdirSync(stacks)) {
    const file = path.join(stacks, name, 'cdk.tf.json');
    if (fs.existsSync(file)) record(fs.readFileSync(file, 'utf8'), name);
  }
}

if (dir) {
  const synth = Testing.synth.bind(Testing);
  Testing.synth = (stack, runValidations) => {
    const out = synth(stack, runValidations);
    record(out, stack.node.id, otherStacksAddresses(stack));
    return out;
  };
  const fullSynth = Testing.fullSynth.bind(Testing);
  Testing.fullSynth = (stack) => {
    const outdir = fullSynth(stack);
    recordOutdir(outdir);
    return outdir;
  };
  const appSynth = App.prototype.synth;
  App.prototype.synth = function synthAndRecord(this: App) {
    appSynth.call(this);
    recordOutdir(this.outdir);
  };
}
