"""Kill-and-resume on CPU: SIGTERM mid-run -> the step finishes, a checkpoint is written, the
process exits 0; the resumed run continues exactly (bit-for-bit) like an uninterrupted one."""

import signal
import subprocess

import torch

from aiinfra.checkpoint import CheckpointStore, load_model_for_inference
from trainer_helpers import child_env, cli_cmd, events, one_thread, run, step_losses, tiny_config, wait_for, write_config  # noqa: F401 (fixture)

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


class _Recorder:
    """Wraps a data source and records every sample index the trainer reads."""

    def __init__(self, source, seen):
        self.source, self.seen = source, seen

    def get(self, index):
        self.seen.append(index)
        return self.source.get(index)


def _trainer(tmp_path, seen=None, **over):
    from aiinfra.config import config_from_dict
    from aiinfra.trainer import Trainer

    cfg = tiny_config(checkpoint_dir=str(tmp_path / "ck"), warmup_steps=2, **over)
    t = Trainer(config_from_dict(cfg))
    if seen is not None:
        t.batcher.source = _Recorder(t.batcher.source, seen)
    return t


def test_resume_with_another_global_batch_size_neither_skips_nor_repeats(tmp_path, one_thread):
    """The data position is the number of samples seen, not the step: 3 steps of 8 samples,
    then a resume with 16 per step continues at sample 24 (the step number would give 48)."""
    seen: list[int] = []
    first = _trainer(tmp_path, seen, steps=3, global_batch_size=8, micro_batch_size=4, checkpoint_interval=3)
    assert first.run().step == 3 and sorted(seen) == list(range(24))
    second = _trainer(tmp_path, seen, steps=5, global_batch_size=16, micro_batch_size=4, checkpoint_interval=5)
    assert second.run().step == 5
    assert len(seen) == len(set(seen)), "a sample was trained on twice"
    assert sorted(seen) == list(range(24 + 2 * 16)), "a sample was skipped"
    state = torch.load(tmp_path / "ck" / "step-00000005" / "trainer_state" / "rank-00000.pt", weights_only=False)
    assert state["samples_seen"] == 56


def test_changing_steps_on_resume_keeps_the_lr_schedule(tmp_path, capsys, one_thread):
    """The LR schedule is fixed when the run starts: raising ``steps`` on resume continues the
    original curve (then holds the floor) instead of reshaping the cosine after the fact."""
    import shutil

    from trainer_helpers import events

    def lrs(out):
        return {e["step"]: e["lr"] for e in events(out, "step")}

    capsys.readouterr()
    _trainer(tmp_path, steps=6, checkpoint_interval=3, min_lr_ratio=0.1, lr=1e-3).run()
    reference = lrs(capsys.readouterr().out)
    shutil.rmtree(tmp_path / "ck" / "step-00000006")  # resume from step 3, as after a preemption
    _trainer(tmp_path, steps=9, checkpoint_interval=3, min_lr_ratio=0.1, lr=1e-3).run()
    out = capsys.readouterr().out
    resumed = lrs(out)
    assert sorted(resumed) == [4, 5, 6, 7, 8, 9]
    for step in (4, 5, 6):
        assert resumed[step] == reference[step], (step, resumed[step], reference[step])
    for step in (7, 8, 9):
        assert abs(resumed[step] - 1e-4) < 1e-12  # past the original decay: the floor
    kept = events(out, "lr_schedule_kept")
    assert kept and kept[0]["schedule"] == {"warmup_samples": 16, "decay_samples": 48}
