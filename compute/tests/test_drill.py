"""The restore drill (aiinfra.drill): the program the RestoreDrill CronJob runs from its ConfigMap."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aiinfra import drill
from aiinfra.checkpoint import CheckpointStore, save_checkpoint
from aiinfra.model import GPT, GPTConfig


def _save(run: Path, step: int) -> int:
    """A small checkpoint of `run` at `step`; returns the number of weights saved."""
    cfg = GPTConfig(vocab_size=64, n_layer=2, n_head=2, n_kv_head=1, d_model=32, ffn_hidden=64, max_seq_len=32)
    torch.manual_seed(step)
    model = GPT(cfg)
    opt = torch.optim.AdamW(model.parameters())
    save_checkpoint(CheckpointStore(str(run)), step, model, opt, {"step": step}, {"run_name": run.name}, cfg, None, keep_last=3)
    return sum(t.numel() for t in model.state_dict().values())


def _run(monkeypatch, capsys, roots, **env):
    capsys.readouterr()  # drop what saving printed (the trainer's logs reach stdout once a test configured them)
    monkeypatch.setenv("DRILL_ROOTS", ",".join(str(r) for r in roots))
    for key in ("DRILL_LOAD_WEIGHTS", "DRILL_REQUIRE_CHECKPOINT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    status = drill.main()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return status, lines


@pytest.fixture
def runs(tmp_path):
    """checkpoints/run-a (steps 10, 20) and checkpoints/run-b (step 5); returns (parent, weights of run-a@20)."""
    parent = tmp_path / "checkpoints"
    _save(parent / "run-a", 10)
    weights = _save(parent / "run-a", 20)
    _save(parent / "run-b", 5)
    return parent, weights


def test_runs_under_finds_a_run_its_children_or_nothing(runs, tmp_path):
    parent, _ = runs
    assert drill.runs_under(str(parent / "run-a")) == [str(parent / "run-a")]
    assert drill.runs_under(str(parent) + "/") == [str(parent / "run-a"), str(parent / "run-b")]
    assert drill.runs_under(str(tmp_path / "missing")) == []
    (tmp_path / "empty").mkdir()
    assert drill.runs_under(str(tmp_path / "empty")) == []


def test_newest_complete_checkpoint_of_each_run_verifies_and_loads(runs, monkeypatch, capsys):
    parent, weights = runs
    status, lines = _run(monkeypatch, capsys, [parent])
    assert status == 0
    by_run = {line["run"]: line for line in lines if line["event"] == "drill_run"}
    assert by_run[str(parent / "run-a")]["step"] == 20
    assert by_run[str(parent / "run-a")]["parameters"] == weights
    assert by_run[str(parent / "run-b")]["step"] == 5
    assert all(line["ok"] and line["files"] > 0 and line["tensors"] > 0 for line in by_run.values())
    assert lines[-1] == {"event": "drill_done", "checked": 2, "failures": 0}


def test_a_corrupted_file_fails_the_drill_and_names_it(runs, monkeypatch, capsys):
    parent, _ = runs
    step_dir = parent / "run-a" / "step-00000020"
    victim = next(f for f in sorted(os.listdir(step_dir)) if f != "manifest.json")
    with open(step_dir / victim, "ab") as f:
        f.write(b"x")
    status, lines = _run(monkeypatch, capsys, [parent])
    assert status == 1
    bad = next(line for line in lines if line.get("run") == str(parent / "run-a"))
    assert bad["ok"] is False and "sha256 verification failed" in bad["error"] and victim in bad["error"]
    assert lines[-1] == {"event": "drill_done", "checked": 1, "failures": 1}


def test_a_run_whose_only_step_lacks_a_manifest_fails(tmp_path, monkeypatch, capsys):
    """An interrupted save (step directory, no manifest.json) is found but is no restorable checkpoint."""
    run = tmp_path / "run-x"
    _save(run, 3)
    (run / "step-00000003" / "manifest.json").unlink()
    status, lines = _run(monkeypatch, capsys, [run])
    assert status == 1
    assert lines[0]["run"] == str(run) and lines[0]["ok"] is False
    assert lines[0]["error"] == "RuntimeError: no complete checkpoint (no manifest.json)"
    assert lines[-1] == {"event": "drill_done", "checked": 0, "failures": 1}


def test_no_checkpoints_fails_unless_not_required(tmp_path, monkeypatch, capsys):
    status, lines = _run(monkeypatch, capsys, [tmp_path / "empty"])
    assert status == 1
    assert lines[0] == {"event": "drill_no_checkpoints", "root": str(tmp_path / "empty")}
    status, lines = _run(monkeypatch, capsys, [tmp_path / "empty"], DRILL_REQUIRE_CHECKPOINT="0")
    assert status == 0
    assert lines[-1] == {"event": "drill_done", "checked": 0, "failures": 0}


def test_verify_only_skips_loading_the_weights(runs, monkeypatch, capsys):
    parent, _ = runs
    status, lines = _run(monkeypatch, capsys, [parent / "run-b"], DRILL_LOAD_WEIGHTS="0")
    assert status == 0
    assert lines[0]["ok"] is True and "parameters" not in lines[0] and "tensors" not in lines[0]


def test_runs_as_a_script_like_the_cronjob(runs):
    """`python /etc/aiinfra-drill/drill.py`: the file itself, outside the package, with the exit status."""
    parent, _ = runs
    env = {**os.environ, "DRILL_ROOTS": str(parent / "run-b"), "DRILL_LOAD_WEIGHTS": "0"}
    out = subprocess.run([sys.executable, drill.__file__], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == {"event": "drill_done", "checked": 1, "failures": 0}
