"""aiinfra.launch: torchrun under a supervisor that hands SIGTERM to the workers, so a stop
checkpoint slower than torchrun's 30 s SIGTERM-to-SIGKILL window completes, and the run resumes."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from aiinfra.checkpoint import CheckpointStore
from aiinfra import launch
from aiinfra.launch import children, parse_args
from trainer_helpers import child_env, cli_cmd, events, free_port, run, step_losses, tiny_config, torchrun_cmd, wait_for, write_config

SAVE_DELAY_S = 35  # longer than torchrun's hard-coded 30 s

# A rank whose checkpoint writes take SAVE_DELAY_S longer (after the DCP files, before the
# manifest), as a large model on object storage would; otherwise the trainer CLI unchanged.
SLOW_SAVE_WORKER = """
import os, sys, time
from aiinfra import checkpoint
from aiinfra.cli import _exit, main
from aiinfra.logs import log_event

delay = float(os.environ["SLOW_SAVE_S"])
write = checkpoint._dcp_save

def slow(state, writer):
    write(state, writer)
    log_event("slow_save", seconds=delay)
    time.sleep(delay)

checkpoint._dcp_save = slow
_exit(main(sys.argv[1:]))
"""


def test_parse_args():
    assert parse_args(["--stop-timeout=50", "--nnodes=1", "-m", "x", "--stop-timeout=9"]) == (50.0, ["--nnodes=1", "-m", "x", "--stop-timeout=9"])
    assert parse_args(["--stop-timeout", "7", "a.py"]) == (7.0, ["a.py"])
    for bad in (["--stop-timeout=0", "a.py"], ["--stop-timeout=soon", "a.py"], ["--stop-timeout=5"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_children_lists_direct_children_only():
    proc = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); time.sleep(30)"])
    try:
        assert wait_for(lambda: len(children(proc.pid) or []) == 1, timeout=20)
        (grandchild,) = children(proc.pid)
        assert children(os.getpid()) and proc.pid in children(os.getpid()) and grandchild not in children(os.getpid())
    finally:
        for pid in children(proc.pid) or []:
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_stop_checkpoint_slower_than_30s_under_torchrun_completes_and_resumes(tmp_path):
    """SIGTERM to the launcher (as the kubelet sends to the container) while 2 FSDP ranks train
    under torchrun: the stop checkpoint takes 35 s and still completes (under plain torchrun
    the workers are SIGKILLed at 30 s and the checkpoint is lost), no evaluation runs on the
    stop path, the launcher reports the stop (143, not 0: the run is not finished) and a
    relaunch resumes at the stop step."""
    ck = tmp_path / "ck"
    cfg = write_config(
        tmp_path / "c.json",
        tiny_config(steps=100000, micro_batch_size=2, strategy="fsdp", checkpoint_dir=str(ck), checkpoint_interval=0, eval_interval=0, dist_timeout_s=120),
    )
    worker = tmp_path / "worker.py"
    worker.write_text(SLOW_SAVE_WORKER)
    torchrun_args = torchrun_cmd(2, "train", "--config", str(cfg), script=str(worker))[3:]
    log_path = tmp_path / "launch.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aiinfra.launch", "--stop-timeout=150", *torchrun_args],
            stdout=log, stderr=subprocess.STDOUT, env=child_env(SLOW_SAVE_S=str(SAVE_DELAY_S)), start_new_session=True,
        )
        try:
            assert wait_for(lambda: any(e["step"] >= 3 for e in events(log_path.read_text(), "step")), timeout=150), log_path.read_text()[-3000:]
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=150)
            elapsed = time.monotonic() - t0
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    out = log_path.read_text()
    assert rc == 128 + signal.SIGTERM, out[-3000:]
    assert elapsed > SAVE_DELAY_S, elapsed
    assert "forcefully exiting" not in out and "SIGKILL" not in out, out[-3000:]  # torchrun's kill message
    forwarded = events(out, "launcher_stop_forwarded")
    assert forwarded and len(forwarded[0]["workers"]) == 2
    stopped = events(out, "stopped_by_signal")
    assert stopped and stopped[0]["signal"] == "SIGTERM", out[-3000:]
    stop_step = stopped[0]["step"]
    assert sorted(e["rank"] for e in events(out, "slow_save")) == [0, 1]
    saved = [e for e in events(out, "checkpoint_saved") if e["step"] == stop_step]
    assert saved and saved[0]["seconds"] >= SAVE_DELAY_S, out[-3000:]
    store = CheckpointStore(str(ck))
    assert [s for s, _ in store.complete()] == [stop_step]
    manifest = store.read_manifest(stop_step)
    assert {"trainer_state/rank-00000.pt", "trainer_state/rank-00001.pt"} <= set(manifest["files"])
    assert manifest["eval"] is None and not events(out, "eval"), "the stop path must not evaluate"

    # the relaunch (one process here: DCP reshards the 2-rank FSDP checkpoint) resumes at the stop step
    res = run(cli_cmd("train", "--config", str(cfg), "--set", f"steps={stop_step + 2}"), timeout=180)
    assert res.returncode == 0, res.stderr[-3000:]
    assert events(res.stdout, "resumed")[0]["step"] == stop_step
    assert sorted(step_losses(res.stdout)) == [stop_step + 1, stop_step + 2]


@pytest.mark.slow
def test_preempting_one_node_of_two_fails_the_other_instead_of_completing_it(tmp_path):
    """Two nodes (a torchrun agent each under a launcher, c10d rendezvous on 127.0.0.1); node B's
    launcher gets SIGTERM, node A's gets nothing. Both ranks stop at one step and write one
    checkpoint; B's launcher exits 143; A's rank exits 3, not 0 (exit 0 would mark A's pod, and
    its Indexed Job index, complete while the run is unfinished), so A's torchrun fails; B does not
    wait out torchrun's 300 s exit barrier for A."""
    ck = tmp_path / "ck"
    cfg = write_config(
        tmp_path / "c.json",
        tiny_config(steps=100000, micro_batch_size=2, strategy="fsdp", checkpoint_dir=str(ck), checkpoint_interval=0, eval_interval=0),
    )
    port = free_port()
    agent_args = [
        "--nnodes=2", "--nproc-per-node=1", "--rdzv-backend=c10d", f"--rdzv-endpoint=127.0.0.1:{port}", "--rdzv-id=two-nodes",
        "--max-restarts=0", "--monitor-interval=0.2", "-m", "aiinfra.cli", "train", "--config", str(cfg),
    ]
    logs = {name: tmp_path / f"{name}.log" for name in "AB"}
    procs = {}
    try:
        for name, path in logs.items():
            with open(path, "w") as fh:
                procs[name] = subprocess.Popen(
                    [sys.executable, "-m", "aiinfra.launch", "--stop-timeout=120", *agent_args],
                    stdout=fh, stderr=subprocess.STDOUT, env=child_env(), start_new_session=True,
                )
        assert wait_for(lambda: any(e["step"] >= 3 for p in logs.values() for e in events(p.read_text(), "step")), timeout=150), (
            logs["A"].read_text()[-2000:] + logs["B"].read_text()[-2000:]
        )
        t0 = time.monotonic()
        procs["B"].send_signal(signal.SIGTERM)
        rc = {name: proc.wait(timeout=120) for name, proc in procs.items()}
        elapsed = time.monotonic() - t0
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    a, b = logs["A"].read_text(), logs["B"].read_text()
    assert rc["B"] == 128 + signal.SIGTERM, b[-3000:]
    assert rc["A"] != 0, a[-3000:]
    assert events(a, "stopped_for_peer") and not events(b, "stopped_for_peer")
    assert re.search(r"exitcode\s*:\s*3\b", a), a[-3000:]  # torchrun's report of A's rank
    assert elapsed < 90, f"took {elapsed:.0f}s: B waited in torchrun's exit barrier"
    stopped = events(a + b, "stopped_by_signal")
    assert stopped, a[-2000:] + b[-2000:]
    store = CheckpointStore(str(ck))
    assert [s for s, _ in store.complete()] == [stopped[0]["step"]]
    assert {"trainer_state/rank-00000.pt", "trainer_state/rank-00001.pt"} <= set(store.read_manifest(stopped[0]["step"])["files"])


def test_a_config_error_exits_2_before_torchrun_starts(tmp_path, monkeypatch, capsys):
    """Under torchrun a worker's exit 2 becomes 1; the launcher checks the config first so the Job sees 2."""
    bad = tmp_path / "trainer.json"
    bad.write_text('{"model": {"preset": "no-such-preset"}}')
    started = []
    monkeypatch.setattr(launch.Launcher, "start", lambda self: started.append(self))
    code = launch.main(["--stop-timeout=5", "--nnodes=1", "--nproc-per-node=1", "-m", "aiinfra.cli", "train", "--config", str(bad)])
    assert code == 2 and started == []
    assert "aiinfra-train: error:" in capsys.readouterr().err


def test_a_good_config_or_another_program_starts_torchrun(tmp_path, monkeypatch):
    good = tmp_path / "trainer.json"
    good.write_text("{}")
    assert launch.check_trainer_config(["--nnodes=1", "-m", "aiinfra.cli", "train", "--config", str(good)]) is None
    assert launch.check_trainer_config(["--nnodes=1", "train.py", "--config", "missing.json"]) is None
