"""``python -m aiinfra.launch [--stop-timeout=SECONDS] <torchrun arguments>``: torchrun under a
supervisor that gives the stop checkpoint all of the pod's grace period.

Why: on SIGTERM, torchrun forwards the signal to its workers and SIGKILLs them 30 s later. That
is hard-coded in every torch release before pytorch/pytorch#172596 (2026; pytorch/pytorch#119856),
the trainer image's 2.8 included; later ones take ``--shutdown-timeout``, which user images on an
older torch would reject. A stop checkpoint of a 1B model already takes ~35 s on
local disk, longer on object storage: the kill lost it, and the preemption lost everything
since the last periodic checkpoint.

How: torchrun runs as this process's child, in its own session. SIGTERM or SIGINT here (the
kubelet signals only the container's first process) goes straight to the workers, torchrun's
children, not to torchrun: each worker finishes its step, all ranks agree to stop, write the
checkpoint and exit 0; torchrun sees its workers succeed and exits 0. torchrun never receives a
signal, so its 30 s timer never starts, whatever its version; its handling of failed workers
(stop the others, restart the group) is unchanged. Before the workers exist (rendezvous), or
when torchrun starts new ones after the stop began, the signal goes to torchrun itself: there
is nothing to save then.

Exit status: torchrun's, except after a stop signal: 128 + the signal (143 for SIGTERM) when
the workers stopped cleanly, since a stopped run is not a finished one (an Indexed Job must
not count the pod's index as complete); 124 when they were still running after
``--stop-timeout`` seconds (default: env ``AIINFRA_STOP_TIMEOUT_S``, else 3600), at which
point they and torchrun are killed. Set it a little below the pod's
terminationGracePeriodSeconds, so that this message, not the kubelet's SIGKILL, ends the pod.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from .logs import log_event, setup_logging

DEFAULT_STOP_TIMEOUT_S = 3600.0
EXIT_STOP_TIMEOUT = 124
POLL_S = 0.2
# After a stop, once its workers are gone, torchrun may still wait in its exit barrier for the
# agents of other nodes, up to 300 s: those whose ranks exited 3 (stopped for a peer) fail
# instead of meeting it. Nothing is left to save by then, so torchrun gets this long, then SIGKILL.
LINGER_S = 10.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# torchrun's own meaning of these is kept: they go to it unchanged.
PASS_SIGNALS = (signal.SIGHUP, signal.SIGQUIT)


def parse_args(argv: list[str]) -> tuple[float, list[str]]:
    """(stop timeout, torchrun arguments). Only leading ``--stop-timeout`` options are ours:
    everything from the first other argument on is torchrun's (and its script's)."""
    timeout = float(os.environ.get("AIINFRA_STOP_TIMEOUT_S") or DEFAULT_STOP_TIMEOUT_S)
    args = list(argv)
    while args and args[0].startswith("--stop-timeout"):
        opt = args.pop(0)
        if "=" in opt:
            value = opt.split("=", 1)[1]
        elif args:
            value = args.pop(0)
        else:
            raise SystemExit("aiinfra.launch: --stop-timeout needs a number of seconds")
        try:
            timeout = float(value)
        except ValueError:
            raise SystemExit(f"aiinfra.launch: --stop-timeout must be a number of seconds, got {value!r}") from None
        if timeout <= 0:
            raise SystemExit(f"aiinfra.launch: --stop-timeout must be > 0, got {value!r}")
    if not args:
        raise SystemExit("usage: python -m aiinfra.launch [--stop-timeout=SECONDS] <torchrun arguments>")
    return timeout, args


def children(pid: int) -> list[int] | None:
    """Process ids whose parent is ``pid`` (from /proc); None where /proc is not available."""
    if not os.path.isdir("/proc/self"):
        return None
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:  # exited meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry))
    return sorted(out)


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell reports it


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class Launcher:
    def __init__(self, torchrun_args: list[str], stop_timeout: float) -> None:
        self.args = torchrun_args
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen | None = None
        self.pending: list[int] = []  # stop signals received, not yet acted on
        self.stop_signal: int | None = None
        self.deadline: float | None = None
        self.signalled: set[int] = set()  # workers sent a stop signal
        self.torchrun_signalled = False
        self.workers_gone_at: float | None = None

    def _on_signal(self, signum: int, frame: object) -> None:
        if signum in PASS_SIGNALS:
            if self.proc is not None:
                _kill(self.proc.pid, signum)
            return
        self.pending.append(signum)

    def start(self) -> None:
        env = dict(os.environ)
        # A torchrun with pytorch/pytorch#172596 waits this long when it is signalled itself (by hand);
        # older ones ignore the variable.
        env.setdefault("TORCH_ELASTIC_SHUTDOWN_TIMEOUT", str(int(self.stop_timeout)))
        for sig in (*STOP_SIGNALS, *PASS_SIGNALS):
            signal.signal(sig, self._on_signal)
        # Its own session: a terminal's Ctrl-C reaches this process only, not torchrun.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", *self.args], env=env, start_new_session=True
        )
        log_event("launcher_started", torchrun_pid=self.proc.pid, stop_timeout_s=self.stop_timeout)

    def _reap(self) -> int | None:
        """torchrun's exit code once it has exited; also reaps orphans adopted as PID 1."""
        assert self.proc is not None
        code = None
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return code if code is not None else self.proc.returncode
            if pid == 0:
                return code
            if pid == self.proc.pid:
                code = _exit_code(status)
                self.proc.returncode = code

    def _forward(self, signum: int) -> None:
        assert self.proc is not None
        workers = children(self.proc.pid)
        if workers:
            for pid in workers:
                _kill(pid, signum)
            self.signalled.update(workers)
            log_event("launcher_stop_forwarded", signal=signal.Signals(signum).name, workers=workers)
        else:
            _kill(self.proc.pid, signum)
            self.torchrun_signalled = True
            log_event("launcher_stop_to_torchrun", signal=signal.Signals(signum).name, reason="no workers running")

    def _check_stop(self) -> None:
        assert self.proc is not None
        while self.pending:
            signum = self.pending.pop(0)
            if self.stop_signal is None:
                self.stop_signal = signum
                self.deadline = time.monotonic() + self.stop_timeout
            self._forward(signum)
        if self.stop_signal is not None and self.signalled and not self.torchrun_signalled:
            workers = children(self.proc.pid)
            reason = None
            if workers and any(pid not in self.signalled for pid in workers):
                # torchrun restarted its workers (one died before it could stop): the new ones
                # hold nothing worth saving, so end the whole group.
                reason = "workers restarted"
            elif workers == []:
                now = time.monotonic()
                self.workers_gone_at = self.workers_gone_at or now
                if now - self.workers_gone_at > LINGER_S:
                    reason = "workers exited; torchrun still waits for other nodes"
            if reason:
                # In its exit barrier torchrun blocks in a store wait that defers signal handlers:
                # only SIGKILL ends it, and with its workers gone it holds nothing to lose.
                sig = signal.SIGKILL if workers == [] else self.stop_signal
                _kill(self.proc.pid, sig)
                self.torchrun_signalled = True
                log_event("launcher_stop_to_torchrun", signal=signal.Signals(sig).name, reason=reason)

    def _timeout(self) -> None:
        assert self.proc is not None
        workers = children(self.proc.pid) or []
        log_event(
            "launcher_stop_timeout",
            level=40,
            stop_timeout_s=self.stop_timeout,
            workers=workers,
            hint="the step plus the stop checkpoint took longer than --stop-timeout; raise the pod's "
            "terminationGracePeriodSeconds (the job's stop timeout follows it)",
        )
        for pid in workers:
            try:
                os.killpg(pid, signal.SIGKILL)  # the worker's group: it and its helpers (compile workers)
            except (ProcessLookupError, PermissionError):
                _kill(pid, signal.SIGKILL)
        _kill(self.proc.pid, signal.SIGKILL)

    def wait(self) -> int:
        assert self.proc is not None
        timed_out = False
        while True:
            code = self._reap()
            if code is not None:
                break
            self._check_stop()
            if self.deadline is not None and not timed_out and time.monotonic() > self.deadline:
                timed_out = True
                self._timeout()
            time.sleep(POLL_S)
        if timed_out:
            return EXIT_STOP_TIMEOUT
        if self.stop_signal is not None and (code == 0 or self.torchrun_signalled):
            log_event("launcher_stopped", signal=signal.Signals(self.stop_signal).name, torchrun_exit=code)
            return 128 + self.stop_signal
        return code


def check_trainer_config(torchrun_args: list[str]) -> int | None:
    """When torchrun would run ``-m aiinfra.cli train|eval``, load that config here first: a config error is
    the same on every rank, and under torchrun a worker's exit 2 (EXIT_CONFIG) becomes torchrun's exit 1, so
    the Job's rule "fail at once on exit code 2" would never fire and the Job would retry a config that cannot
    work. Returns EXIT_CONFIG after printing the error, or None (nothing to check, or the config is good)."""
    if "-m" not in torchrun_args:
        return None
    i = torchrun_args.index("-m")
    if torchrun_args[i + 1 : i + 2] != ["aiinfra.cli"] or torchrun_args[i + 2 : i + 3] not in (["train"], ["eval"]):
        return None
    from .cli import EXIT_CONFIG, _overrides, build_parser
    from .config import ConfigError, load_config

    try:
        cli_args = build_parser().parse_args(torchrun_args[i + 2 :])
    except SystemExit as exc:  # argparse printed the usage error
        return EXIT_CONFIG if exc.code == 2 else None
    try:
        load_config(cli_args.config, _overrides(cli_args))
    except ConfigError as exc:
        print(f"aiinfra-train: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return None


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    stop_timeout, args = parse_args(sys.argv[1:] if argv is None else argv)
    config_error = check_trainer_config(args)
    if config_error is not None:
        log_event("launcher_config_error", exit_code=config_error)
        return config_error
    launcher = Launcher(args, stop_timeout)
    launcher.start()
    return launcher.wait()


if __name__ == "__main__":
    sys.exit(main())
