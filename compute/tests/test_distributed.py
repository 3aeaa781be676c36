"""2-process torchrun runs (gloo, CPU): DDP and FSDP2 agree with one process; a killed rank
makes the job fail fast and a relaunch resumes."""

import os
import signal
import subprocess
import time

import pytest
import torch

from aiinfra.checkpoint import CheckpointStore, load_model_for_inference
from trainer_helpers import child_env, cli_cmd, events, run, step_losses, tiny_config, torchrun_cmd, wait_for, write_config

STEPS = 8


@pytest.fixture(scope="module")
def single_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("single")
    cfg = write_config(tmp / "c.json", tiny_config(steps=STEPS, micro_batch_size=2, eval_interval=STEPS, checkpoint_dir=str(tmp / "ck"), checkpoint_interval=STEPS))
    res = run(cli_cmd("train", "--config", str(cfg)), timeout=180)
    assert res.returncode == 0, res.stderr[-3000:]
    return res, tmp / "ck"


@pytest.mark.parametrize("strategy,every_micro", [("ddp", False), ("fsdp", False), ("fsdp", True)])
def test_two_process_run_matches_one_process(strategy, every_micro, single_run, tmp_path):
    """every_micro: FSDP reduce-scatters each micro batch's gradients (fsdp_reduce_every_micro)."""
    ref, ref_ck = single_run
    cfg = write_config(
        tmp_path / "c.json",
        tiny_config(steps=STEPS, micro_batch_size=2, strategy=strategy, eval_interval=STEPS, checkpoint_dir=str(tmp_path / "ck"),
                    checkpoint_interval=STEPS, fsdp_reduce_every_micro=every_micro),
    )
    res = run(torchrun_cmd(2, "train", "--config", str(cfg)), timeout=240)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    init = events(res.stdout, "trainer_init")[0]
    assert init["world_size"] == 2 and init["strategy"] == strategy and init["grad_accum"] == 2
    ref_losses, losses = step_losses(ref.stdout), step_losses(res.stdout)
    assert sorted(losses) == list(range(1, STEPS + 1))
    for step in losses:
        assert losses[step] == pytest.approx(ref_losses[step], rel=1e-5, abs=1e-6), step
    assert losses[STEPS] < losses[1]
    ref_eval = events(ref.stdout, "eval")[0]["val_loss"]
    assert events(res.stdout, "eval")[0]["val_loss"] == pytest.approx(ref_eval, rel=1e-5)
    # the sharded (FSDP) or replicated (DDP) checkpoint holds the same weights as the 1-process one
    manifest = CheckpointStore(str(tmp_path / "ck")).read_manifest(STEPS)
    assert manifest["world_size"] == 2
    assert {"trainer_state/rank-00000.pt", "trainer_state/rank-00001.pt"} <= set(manifest["files"])
    _, ref_state, _ = load_model_for_inference(str(ref_ck))
    _, state, _ = load_model_for_inference(str(tmp_path / "ck"))
    assert set(state) == set(ref_state)
    for name in ref_state:
        torch.testing.assert_close(state[name], ref_state[name], rtol=1e-4, atol=1e-5)
    if strategy == "fsdp":
        # the 2-rank sharded checkpoint resumes in one process (DCP reshards model + optimizer)
        more = run(cli_cmd("train", "--config", str(cfg), "--set", f"steps={STEPS + 2}"), timeout=180)
        assert more.returncode == 0, more.stderr[-3000:]
        assert events(more.stdout, "resumed")[0]["step"] == STEPS
        extra = step_losses(more.stdout)
        assert sorted(extra) == [STEPS + 1, STEPS + 2]
        assert abs(extra[STEPS + 1] - losses[STEPS]) < 0.1 * losses[STEPS]


def test_killed_rank_fails_fast_and_relaunch_resumes(tmp_path):
    steps = 400
    cfg = write_config(
        tmp_path / "c.json",
        tiny_config(steps=steps, micro_batch_size=2, strategy="fsdp", checkpoint_dir=str(tmp_path / "ck"), checkpoint_interval=5, keep_last=2, dist_timeout_s=30),
    )
    log_path = tmp_path / "first.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(torchrun_cmd(2, "train", "--config", str(cfg)), stdout=log, stderr=subprocess.STDOUT, env=child_env(), start_new_session=True)
    try:
        store = CheckpointStore(str(tmp_path / "ck"))
        assert wait_for(lambda: bool(store.complete()), timeout=150), log_path.read_text()[-3000:]
        ready = [e for e in events(log_path.read_text(), "rank_ready") if e["rank"] == 1]
        assert ready, log_path.read_text()[-3000:]
        os.kill(ready[0]["pid"], signal.SIGKILL)
        t0 = time.monotonic()
        rc = proc.wait(timeout=90)  # a hang would exceed this and fail the test
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert rc != 0
    assert elapsed < 60, f"job took {elapsed:.1f}s to fail after a rank died"
    done = store.complete()[0][0]
    assert done < steps

    # relaunch: resumes; then SIGTERM to torchrun (as on node drain): both ranks stop at the
    # same step, write a complete checkpoint and exit 0 (torchrun itself reports the signal)
    log2 = tmp_path / "second.log"
    with open(log2, "w") as fh:
        proc = subprocess.Popen(torchrun_cmd(2, "train", "--config", str(cfg)), stdout=fh, stderr=subprocess.STDOUT, env=child_env(), start_new_session=True)
        try:
            def progressed():
                resumed = events(log2.read_text(), "resumed")
                return bool(resumed) and any(e["step"] > resumed[0]["step"] + 2 for e in events(log2.read_text(), "step"))

            assert wait_for(progressed, timeout=150), log2.read_text()[-3000:]
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=90)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    second = log2.read_text()
    resumed = events(second, "resumed")
    assert resumed[0]["step"] >= done and resumed[0]["restarts"] == 1
    stopped = events(second, "stopped_by_signal")
    assert stopped and stopped[0]["signal"] == "SIGTERM", second[-3000:]
    stop_step = stopped[0]["step"]
    assert store.complete()[0][0] == stop_step < steps
    assert {"trainer_state/rank-00000.pt", "trainer_state/rank-00001.pt"} <= set(store.read_manifest(stop_step)["files"])
    assert any(e["step"] == stop_step for e in events(second, "checkpoint_saved"))
    assert "FloatingPointError" not in second and "DistBackendError" not in second

    res = run(torchrun_cmd(2, "train", "--config", str(cfg), "--set", f"steps={stop_step + 5}"), timeout=240)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    resumed = events(res.stdout, "resumed")
    assert resumed[0]["step"] == stop_step and resumed[0]["restarts"] == 2
    assert max(step_losses(res.stdout)) == stop_step + 5


# A worker that runs train() under torchrun and reports the gloo backend threads alive just
# before the trainer shuts down and just after (all on Linux via /proc).
SHUTDOWN_WORKER = '''
import json, os, sys
from aiinfra import trainer
from aiinfra.config import load_config

def gloo_threads():
    names = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as fh:
                names.append(fh.read().strip())
        except OSError:
            pass
    return sorted(n for n in names if "gloo" in n)

seen = {}
close = trainer.Trainer.close
def spy(self, *args, **kwargs):
    seen["before"] = gloo_threads()
    close(self, *args, **kwargs)
trainer.Trainer.close = spy
try:
    trainer.train(load_config(sys.argv[1], []))
    outcome = "ok"
except Exception as exc:
    outcome = type(exc).__name__
report = {"event": "worker_exit", "rank": int(os.environ["RANK"]), "outcome": outcome,
          "before": seen.get("before"), "after": gloo_threads()}
os.write(1, (json.dumps(report) + "\\n").encode())  # one write: the ranks share the pipe
'''


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads thread names from /proc")
@pytest.mark.parametrize("case", ["fsdp", "ddp", "fsdp_build_error"])
def test_process_group_is_gone_before_exit(case, tmp_path):
    """The backend (its gloo threads) is destroyed inside the trainer's shutdown, on the normal
    path and when a rank fails after joining the group, not left to interpreter teardown (where
    it once aborted rank 1 with 'terminate called without an active exception')."""
    over = {"data": {"source": "tokens", "path": str(tmp_path / "missing.bin")}} if case == "fsdp_build_error" else {}
    cfg = write_config(tmp_path / "c.json", tiny_config(steps=2, micro_batch_size=2, strategy=case.split("_")[0], **over))
    script = tmp_path / "worker.py"
    script.write_text(SHUTDOWN_WORKER)
    res = run(torchrun_cmd(2, str(cfg), script=str(script)), timeout=180)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    assert "terminate called" not in res.stderr
    exits = events(res.stdout, "worker_exit")
    assert sorted(e["rank"] for e in exits) == [0, 1], res.stdout[-2000:]
    for e in exits:
        assert e["outcome"] == ("ConfigError" if case == "fsdp_build_error" else "ok")
        if not e["before"]:
            pytest.skip("this torch does not name its gloo threads")
        assert e["after"] == [], e
