import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { Annotations, App, LocalBackend, TerraformBackend, TerraformRemoteState, TerraformStack } from 'cdktf';
import { InvalidPropError } from './errors';
import { registerPlatformSummary } from '../summary';

/** cdktf runs Terraform for a stack in `<outdir>/stacks/<stack id>` (its manifest's working directory). */
function stackWorkingDirectory(stack: TerraformStack): string {
  return path.posix.join('stacks', stack.node.id);
}

export interface LocalStateBackendProps {
  /**
   * Folder for the state files, relative to the folder that holds the synth output (`cdktf.out`), i.e.
   * your project root: one `<stack id>.tfstate` per stack, workspaces under `<stack id>.tfstate.d/`.
   * @default 'terraform-state'
   */
  readonly directory?: string;
}

/**
 * A local backend that is safe with cdktf: the state lives beside the synth output, not in it.
 *
 * cdktf runs Terraform in `cdktf.out/stacks/<stack>/`, so a relative `LocalBackend` path puts the state there:
 * `cdktf synth` deletes it when the stack leaves the app, CI wipes it, and a second stack's
 * `terraform_remote_state` resolves the same relative path from its own folder and finds nothing. This backend
 * writes `../../../<directory>/<stack id>.tfstate`, which every stack folder resolves to the same file beside
 * `cdktf.out`, and stays a relative path (no machine paths in cdk.tf.json). For teams, use a remote backend
 * (S3 with `use_lockfile`, GCS, azurerm: see the README's Deploy section).
 */
export class LocalStateBackend extends LocalBackend {
  constructor(scope: Construct, props: LocalStateBackendProps = {}) {
    const directory = props.directory ?? 'terraform-state';
    const normalized = path.posix.normalize(directory);
    if (!/^[A-Za-z0-9._\-/]+$/.test(directory) || path.posix.isAbsolute(directory) || normalized === '.' || normalized.startsWith('..')) {
      throw new InvalidPropError(TerraformStack.of(scope), 'LocalStateBackend.directory', directory,
        'a relative folder below the project root (letters, digits, ".", "_", "-", "/"), e.g. "terraform-state"');
    }
    const id = TerraformStack.of(scope).node.id;
    const up = '../../..'; // from cdktf.out/stacks/<id> to the folder that holds cdktf.out
    super(scope, { path: `${up}/${normalized}/${id}.tfstate`, workspaceDir: `${up}/${normalized}/${id}.tfstate.d` });
  }
}

const CHECKED = Symbol.for('cdktf-ai-infra.state-location-checked');

/**
 * Adds (once per stack) the synth-time check of where the stack's Terraform state lives: an error when a
 * `terraform_remote_state` of another stack reads a relative local path that resolves inside its own folder
 * (Terraform: "Unable to find remote state"), a warning when the stack's own local state lands inside the synth
 * output (deleted by `cdktf synth` and by CI). Also registers the stack's PLATFORM.md (`src/summary`).
 */
export function checkStateLocation(scope: IConstruct): void {
  registerPlatformSummary(scope);
  // Without a stack the construct's own checks report the misuse (cdktf's "No stack could be identified").
  const stack = scope.node.scopes.find((s): s is TerraformStack => TerraformStack.isStack(s));
  if (!stack) return;
  const marked = stack as unknown as Record<symbol, boolean>;
  if (marked[CHECKED]) return;
  marked[CHECKED] = true;
  stack.node.addValidation({ validate: () => stateLocationErrors(stack) });
}

interface LocalConfig { readonly path?: string; readonly workspace_dir?: string }

function localBackendConfig(backend: TerraformBackend): LocalConfig | undefined {
  const tf = backend.toTerraform() as { terraform?: { backend?: { local?: LocalConfig } } };
  return tf.terraform?.backend?.local;
}

function remoteStateLocalConfig(remote: TerraformRemoteState): LocalConfig | undefined {
  const tf = remote.toTerraform() as { data?: { terraform_remote_state?: Record<string, { backend?: string; config?: LocalConfig }> } };
  const entry = Object.values(tf.data?.terraform_remote_state ?? {})[0];
  return entry?.backend === 'local' ? entry.config ?? {} : undefined;
}

/** True when `p` (relative to the stack's working directory) stays inside `within` (relative to the outdir). */
function resolvesInside(stack: TerraformStack, p: string, within: string): boolean {
  const resolved = path.posix.normalize(path.posix.join(stackWorkingDirectory(stack), p));
  return resolved === within || resolved.startsWith(`${within}/`);
}

function stateLocationErrors(stack: TerraformStack): string[] {
  const errors: string[] = [];
  const dir = stackWorkingDirectory(stack);
  let backend: TerraformBackend | undefined;
  for (const node of stack.node.findAll()) {
    if (!backend && TerraformBackend.isBackend(node)) backend = node;
    if (node instanceof TerraformRemoteState) {
      const config = remoteStateLocalConfig(node);
      const p = config?.path;
      if (p !== undefined && !path.isAbsolute(p) && resolvesInside(stack, p, dir)) {
        errors.push(`${node.node.path}: reads another stack's local state at "${p}", which Terraform resolves from this `
          + `stack's own folder (cdktf.out/${dir}/${p}), where no state is: "Unable to find remote state" at plan. Give the `
          + 'producing stack a LocalStateBackend (from cdktf-ai-infra) or a remote backend (S3, GCS, azurerm).');
      }
    }
  }
  const local = backend ? localBackendConfig(backend) : undefined;
  if (backend && local) {
    const p = local.path ?? 'terraform.tfstate';
    const outdir = path.resolve(App.of(stack).outdir);
    const inside = path.isAbsolute(p)
      ? path.resolve(p).startsWith(`${outdir}${path.sep}`)
      : !path.posix.normalize(path.posix.join(dir, p)).startsWith('../');
    if (inside) {
      Annotations.of(stack).addWarning(`${stack.node.path}: the local state file "${p}" lies inside the synth output `
        + `(cdktf.out/${path.isAbsolute(p) ? path.relative(outdir, p) : path.posix.join(dir, p)}): \`cdktf synth\` deletes it `
        + 'when the stack leaves the app and CI runners wipe it. Use LocalStateBackend (state beside cdktf.out) or a remote backend.');
    }
  }
  return errors;
}
