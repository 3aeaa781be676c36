"""Runs several Python programs from one interpreter that imports their heavy modules (torch) once.

Each job runs in a fork of this process as `python <argv...>` would run it: `[script, args...]`,
`["-m", module, args...]` or `["-c", code, args...]`, with its own sys.argv, environment (this
process's plus the job's `env`), stdout, stderr and exit status. Jobs run one after another, in order,
so a job may use what an earlier one wrote. The parent never runs the jobs' code itself: each fork
starts from the same state, with only the `preload` modules imported.

stdin:  {"preload": [module, ...], "jobs": [{"argv": [...], "env": {...}}, ...]}
stdout: {"preload_stderr": str, "results": [{"status": int, "stdout": str, "stderr": str}, ...]}

`preload_stderr` is what importing the preload modules wrote to stderr (a warning there is one the jobs
would have printed when started on their own), so callers can hold it to the same standard as a job's.
Used by the jest tests that run the compute core (test/python-fork.ts).
"""

import atexit
import importlib
import json
import os
import runpy
import sys
import tempfile
import traceback


def run_job(job, out_fd, err_fd):
    """In the forked child: point fd 1 and 2 at the job's files, run it, exit with its status."""
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.environ.update(job.get("env") or {})
    # A preloaded module may have started torch's intra-op (OpenMP) pool in the parent; its threads do not
    # survive fork, and the child's first parallel op (e.g. an optimizer step) would wait on them forever.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    argv = list(job["argv"])
    status = 0
    try:
        if argv[0] == "-m":
            sys.argv = [argv[1], *argv[2:]]
            sys.path[0] = os.getcwd()
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        elif argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            sys.path[0] = ""
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = argv
            sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exc:
        if exc.code is None:
            status = 0
        elif isinstance(exc.code, int):
            status = exc.code
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    except BaseException:  # noqa: BLE001 - like the interpreter: traceback, status 1
        traceback.print_exc()
        status = 1
    try:
        atexit._run_exitfuncs()  # as the interpreter does on exit (logging.shutdown, ...)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status & 0xFF)


def main():
    request = json.load(sys.stdin)
    # Capture what the imports write to stderr (fd 2), then restore it.
    saved_err = os.dup(2)
    with tempfile.TemporaryFile() as preload_err:
        os.dup2(preload_err.fileno(), 2)
        try:
            for module in request.get("preload", []):
                importlib.import_module(module)
        finally:
            sys.stderr.flush()
            os.dup2(saved_err, 2)
        preload_err.seek(0)
        preload_stderr = preload_err.read().decode("utf-8", "replace")

    results = []
    for job in request["jobs"]:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                run_job(job, out.fileno(), err.fileno())
            _, wait_status = os.waitpid(pid, 0)
            out.seek(0)
            err.seek(0)
            results.append({
                "status": os.waitstatus_to_exitcode(wait_status),
                "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace"),
            })
    json.dump({"preload_stderr": preload_stderr, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
