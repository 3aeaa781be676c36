// Runs Python programs of the compute core from jest without paying the torch import (~2 s) per program:
// test/python-fork-runner.py imports the heavy modules once and runs each job in a fork of itself, as
// `python <argv...>` would (own argv, environment, stdout, stderr, exit status).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const RUNNER = path.join(__dirname, 'python-fork-runner.py');
const VENV = path.join(__dirname, '..', '.venv');

/** The compute venv's interpreter. */
export const VENV_PYTHON = path.join(VENV, 'bin', 'python');

/**
 * Whether scripts/python-env.sh has finished the compute venv: it writes its stamp only after
 * `import aiinfra, torch` worked there.
 */
export function haveComputeVenv(): boolean {
  return fs.existsSync(VENV_PYTHON) && fs.existsSync(path.join(VENV, '.aiinfra-env-stamp'));
}

export interface PythonJob {
  /** As after `python`: `[script, ...args]`, `['-m', module, ...args]` or `['-c', code, ...args]`. */
  readonly argv: string[];
  /** Added to the environment of this job. */
  readonly env?: Record<string, string>;
}

export interface PythonResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PythonRun {
  /** What importing the preloaded modules wrote to stderr (a job started on its own would have printed it). */
  readonly preloadStderr: string;
  /** One per job, in order. */
  readonly results: PythonResult[];
}

/** Runs `jobs` one after another in forks of one interpreter that has imported `preload`. */
export function runPythonJobs(preload: string[], jobs: PythonJob[], timeoutMs = 180_000): PythonRun {
  const run = spawnSync(VENV_PYTHON, [RUNNER], {
    input: JSON.stringify({ preload, jobs }), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) {
    throw new Error(`python-fork-runner failed (status ${run.status}, signal ${run.signal}):\n${run.stderr}${run.error ?? ''}`);
  }
  const out = JSON.parse(run.stdout) as { preload_stderr: string; results: PythonResult[] };
  return { preloadStderr: out.preload_stderr, results: out.results };
}
