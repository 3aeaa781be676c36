"""Kill-and-resume on CPU: SIGTERM mid-run -> the step finishes, a checkpoint is written, the
process exits 0; the resumed run continues exactly (bit-for-bit) like an uninterrupted one."""

import signal
import subprocess

import torch

from aiinfra.checkpoint import CheckpointStore, load_model_for_inference
from trainer_helpers import child_env, cli_cmd, events, run, step_losses, tiny_config, wait_for, write_config

STEPS = 150


def _cfg(tmp_path, name):
    cfg = tiny_config(steps=STEPS, checkpoint_dir=str(tmp_path / name), checkpoint_interval=1000, eval_interval=0)
    return write_config(tmp_path / f"{name}.json", cfg)


def test_sigterm_checkpoint_and_exact_resume(tmp_path):
    ref = run(cli_cmd("train", "--config", str(_cfg(tmp_path, "ref"))), timeout=240)
    assert ref.returncode == 0, ref.stderr[-3000:]
    ref_losses = step_losses(ref.stdout)
    assert sorted(ref_losses) == list(range(1, STEPS + 1))

    cfg = _cfg(tmp_path, "run")
    log = open(tmp_path / "first.log", "w+")
    proc = subprocess.Popen(cli_cmd("train", "--config", str(cfg)), stdout=log, stderr=subprocess.STDOUT, text=True, env=child_env())
    try:
        def reached():
            log.flush()
            return any(e.get("step", 0) >= 10 for e in events((tmp_path / "first.log").read_text(), "step"))

        assert wait_for(reached, timeout=120), (tmp_path / "first.log").read_text()[-3000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    first = (tmp_path / "first.log").read_text()
    stopped = events(first, "stopped_by_signal")
    assert stopped and stopped[0]["signal"] == "SIGTERM"
    stop_step = stopped[0]["step"]
    assert 10 <= stop_step < STEPS, "the run finished before SIGTERM arrived; raise STEPS"
    assert [s for s, _ in CheckpointStore(str(tmp_path / "run")).complete()] == [stop_step]

    resumed = run(cli_cmd("train", "--config", str(cfg)), timeout=240)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert events(resumed.stdout, "resumed")[0]["step"] == stop_step
    after = step_losses(resumed.stdout)
    assert sorted(after) == list(range(stop_step + 1, STEPS + 1))
    first_losses = step_losses(first)
    for step, loss in {**first_losses, **after}.items():
        assert loss == ref_losses[step], (step, loss, ref_losses[step])  # bit-for-bit

    _, ref_state, _ = load_model_for_inference(str(tmp_path / "ref"))
    _, state, manifest = load_model_for_inference(str(tmp_path / "run"))
    assert manifest["step"] == STEPS
    for name, tensor in ref_state.items():
        assert torch.equal(tensor, state[name]), name
