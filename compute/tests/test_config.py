import json

import pytest
import yaml

from aiinfra.cli import main
from aiinfra.config import ConfigError, config_from_dict, load_config, parse_override
from trainer_helpers import tiny_config


def test_defaults_are_valid():
    cfg = load_config(env={})
    assert cfg.metrics_port == 9095
    assert cfg.model.preset == "gpt-tiny"
    assert cfg.gpt_config().n_layer == 4


def test_unknown_key_suggests_the_right_one():
    with pytest.raises(ConfigError) as info:
        config_from_dict({"learning_rate": 1e-3, "model": {"n_layers": 2}})
    msg = str(info.value)
    assert "unknown key model.n_layers (did you mean model.n_layer?)" in msg
    assert "unknown key learning_rate" in msg


def test_negative_lr_and_bad_values_reported_together():
    with pytest.raises(ConfigError) as info:
        config_from_dict({"lr": -0.1, "steps": 0, "precision": "bf61", "beta2": 1.5})
    problems = info.value.problems
    assert any(p.startswith("lr must be > 0, got -0.1") for p in problems)
    assert any(p.startswith("steps must be > 0") for p in problems)
    assert any("precision: 'bf61' is not one of" in p and "did you mean 'bf16'" in p for p in problems)
    assert any(p.startswith("beta2 must be in [0, 1)") for p in problems)


def test_wrong_types_are_named():
    with pytest.raises(ConfigError, match=r"seq_len: expected an integer, got 'long'"):
        config_from_dict({"seq_len": "long"})
    with pytest.raises(ConfigError, match=r"model: expected a mapping"):
        config_from_dict({"model": 3})


def test_batch_not_divisible_by_world_size():
    cfg = config_from_dict(tiny_config(global_batch_size=12, micro_batch_size=4))
    assert cfg.grad_accum_steps(1) == 3
    with pytest.raises(ConfigError, match=r"global_batch_size \(12\) must be divisible by micro_batch_size x world size \(4 x 2 = 8\)"):
        cfg.grad_accum_steps(2)


def test_seq_len_above_model_max_and_model_dims():
    with pytest.raises(ConfigError, match="exceeds the model's max_seq_len"):
        config_from_dict(tiny_config(seq_len=64))
    with pytest.raises(ConfigError, match="divisible by model.n_head"):
        config_from_dict(tiny_config(model={"d_model": 33}))
    with pytest.raises(ConfigError, match="did you mean 'gpt-1b'"):
        config_from_dict({"model": {"preset": "gpt-1bn"}})


def test_file_env_and_override_precedence(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(tiny_config(steps=11, checkpoint_dir="/from/file", metrics_port=1234)))
    env = {"AIINFRA_CONFIG": str(path), "AIINFRA_CHECKPOINT_DIR": "s3://bucket/ckpt", "AIINFRA_METRICS_PORT": "9100"}
    cfg = load_config(env=env)
    assert cfg.steps == 11 and cfg.checkpoint_dir == "s3://bucket/ckpt" and cfg.metrics_port == 9100
    cfg = load_config(env=env, overrides=[parse_override("steps=5"), parse_override("model.n_layer=3"), {"metrics_port": 0}])
    assert cfg.steps == 5 and cfg.model.n_layer == 3 and cfg.metrics_port == 0 and cfg.gpt_config().n_layer == 3


def test_bad_config_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "missing.yaml"), env={})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_config(str(bad), env={})
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping at the top level"):
        load_config(str(lst), env={})


def test_cli_reports_config_errors_without_traceback(tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(tiny_config(lr=-1, micro_batch_sz=2)))
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "lr must be > 0" in err and "did you mean micro_batch_size" in err
    assert "Traceback" not in err


def test_cli_world_size_error_before_joining_the_group(tmp_path, capsys, monkeypatch):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(tiny_config(global_batch_size=4, micro_batch_size=4)))
    # as under torchrun with 3 ranks; the check runs before any process group is joined
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("RANK", "0")
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "must be divisible by micro_batch_size x world size (4 x 3 = 12)" in err
    assert "Traceback" not in err


def test_print_config(capsys):
    assert main(["train", "--preset", "gpt-125m", "--steps", "3", "--print-config", "--metrics-port", "0"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"]["preset"] == "gpt-125m" and out["steps"] == 3
