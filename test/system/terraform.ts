/**
 * Running the real Terraform CLI (and, where built, other engines that read the same configuration) from tests.
 * Providers cannot be downloaded on our machines, so `init` uses a CLI configuration whose only provider source
 * is an empty local mirror: the provider query fails at once (no network wait) with one known error, and every
 * other error is a real problem of the configuration.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface Engine {
  /** As printed in test names: terraform, tofu. */
  readonly name: string;
  readonly binary: string;
}

/** Terraform from PATH (or TERRAFORM_BINARY_NAME, as cdktf reads it); fails with a clear message when missing. */
export function terraformEngine(): Engine {
  const binary = process.env.TERRAFORM_BINARY_NAME || 'terraform';
  const probe = spawnSync(binary, ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`The real-tool tests need Terraform (>= 1.10) as \`${binary}\` on PATH: it is in the machine image at `
      + '/usr/local/bin/terraform; install it from https://developer.hashicorp.com/terraform/install '
      + `(${probe.error?.message ?? probe.stderr.trim()}). These tests never skip.`);
  }
  return { name: 'terraform', binary };
}

/**
 * OpenTofu: `AIINFRA_TOFU_BINARY` when set, else the build that scripts/tools/tofu.sh keeps in .tools/ (instant
 * when built; it builds once, and waits on its lock while another step builds it). Fails, never skips.
 */
export function tofuEngine(): Engine {
  const given = process.env.AIINFRA_TOFU_BINARY;
  if (given) {
    const probe = spawnSync(given, ['version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0 || !/^OpenTofu v/m.test(probe.stdout)) {
      throw new Error(`AIINFRA_TOFU_BINARY=${given} is not a working OpenTofu (${probe.error?.message ?? probe.stdout + probe.stderr}).`);
    }
    return { name: 'tofu', binary: given };
  }
  const script = path.resolve(__dirname, '..', '..', 'scripts', 'tools', 'tofu.sh');
  const built = spawnSync('bash', [script], { encoding: 'utf8' });
  if (built.error || built.status !== 0) {
    throw new Error(`The real-tool tests need OpenTofu; scripts/tools/tofu.sh could not build it (it needs Go): ${(built.error?.message ?? built.stderr).slice(-2000)}`);
  }
  return { name: 'tofu', binary: built.stdout.trim() };
}

let allEngines: Engine[] | undefined;

/** Every engine the real-tool tier runs each check under: Terraform and OpenTofu (found or built once per process). */
export function engines(): Engine[] {
  allEngines ??= [terraformEngine(), tofuEngine()];
  return allEngines;
}

let cliConfig: string | undefined;

/** A CLI config whose only provider source is an empty mirror (made once per process). */
function offlineCliConfig(): string {
  if (cliConfig) return cliConfig;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiinfra-tf-'));
  fs.mkdirSync(path.join(dir, 'empty-mirror'));
  cliConfig = path.join(dir, 'offline.tfrc');
  fs.writeFileSync(cliConfig, `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(path.join(dir, 'empty-mirror'))}
    include = ["*/*/*"]
  }
  direct {
    exclude = ["*/*/*"]
  }
}
`);
  return cliConfig;
}

export interface RunResult {
  readonly code: number;
  /** stdout and stderr as they came. */
  readonly output: string;
  readonly stdout: string;
}

/**
 * Runs the engine in `cwd` (no color, no input, no telemetry) and returns its exit code and combined output.
 * The CLI configuration is ours (the offline one), not the machine's: OpenTofu prints a warning on stdout for a
 * TF_CLI_CONFIG_FILE that does not exist (Terraform is silent), which would break `show -json`.
 */
export function run(engine: Engine, args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(engine.binary, [...args], {
      cwd,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0', TF_CLI_CONFIG_FILE: offlineCliConfig(), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d) => { output += d; stdout += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output, stdout }));
  });
}

/** The error blocks of an engine's `-no-color` output, each from its `Error: ` line to the next blank-line gap. */
export function errorBlocks(output: string): string[] {
  return output.split(/\n(?=(?:│ )?Error: )/).filter((b) => /^(?:│ )?Error: /.test(b)).map((b) => b.trim());
}

/** What the unavailable provider registry produces: the only errors allowed from `init` here. */
const PROVIDER_DOWNLOAD = /^(?:│ )?Error: (Failed to query available provider packages|Terraform encountered problems during initialisation|OpenTofu encountered problems during initialisation)/;

/**
 * `init -backend=false` (configuration loading) of one `cdk.tf.json`, in a scratch copy: the configuration
 * errors, i.e. every error but the provider download ones (empty when the engine accepts the configuration).
 */
export async function initErrors(engine: Engine, tfJson: string): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `aiinfra-init-${engine.name}-`));
  try {
    fs.writeFileSync(path.join(dir, 'cdk.tf.json'), tfJson);
    const result = await run(engine, ['init', '-backend=false', '-input=false', '-no-color'], dir, { TF_CLI_CONFIG_FILE: offlineCliConfig() });
    const errors = errorBlocks(result.output).filter((b) => !PROVIDER_DOWNLOAD.test(b));
    if (result.code !== 0 && errors.length === 0 && !/Failed to query available provider packages/.test(result.output)) {
      return [`${engine.name} init failed without an error block:\n${result.output}`];
    }
    return errors;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` over `items` with at most `limit` at a time (the machines have two cores). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
