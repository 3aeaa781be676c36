"""The trainer CLI (``python -m aiinfra.cli``, what torchrun runs on every rank) exits quietly:
no "nanobind: leaked instances" blocks from extension modules at interpreter teardown (they
came from ``gc.freeze()``), stdout complete, and the exit code of the command."""

import json

from trainer_helpers import cli_cmd, events, run, tiny_config, write_config


def _quiet(stderr: str) -> None:
    assert "nanobind" not in stderr and "leaked" not in stderr, stderr[-3000:]


def test_train_and_eval_exit_without_teardown_noise(tmp_path):
    ckpt = tmp_path / "ck"
    cfg = write_config(tmp_path / "c.json", tiny_config(steps=2, checkpoint_dir=str(ckpt), checkpoint_interval=2))
    res = run(cli_cmd("train", "--config", str(cfg)))
    assert res.returncode == 0, res.stderr[-3000:]
    _quiet(res.stderr)
    # the last line written before the fast exit reached the pipe
    assert events(res.stdout)[-1]["event"] == "train_done"

    ev = run(cli_cmd("eval", "--config", str(cfg), "--eval-samples", "4"))
    assert ev.returncode == 0, ev.stderr[-3000:]
    _quiet(ev.stderr)
    result = json.loads(ev.stdout.strip().splitlines()[-1])
    assert result["step"] == 2 and result["val_loss"] > 0


def test_config_error_keeps_its_exit_code(tmp_path):
    cfg = write_config(tmp_path / "c.json", tiny_config(steps=0))
    res = run(cli_cmd("train", "--config", str(cfg)))
    assert res.returncode == 2
    assert "steps must be > 0" in res.stderr
    _quiet(res.stderr)
