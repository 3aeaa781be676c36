"""Issue 21 item 6: weights load only through safetensors or torch.load(weights_only=True); names and storage
locations cannot traverse out of what the workload was given; API keys reach neither logs nor metrics."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import random
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch

from aiinfra.checkpoint import CheckpointError, CheckpointStore
from aiinfra.config import ConfigError, config_from_dict
from aiinfra.logs import redact_in_logs
from aiinfra.safety import UnsafeInputError, check_location, check_name, redact_uri
from aiinfra.serve import cli as serve_cli
from aiinfra.serve.app import ServerConfig, ServerState, create_app
from aiinfra.serve.loader import check_model_source
from aiinfra.trainer import Trainer, _rng_state, _set_rng_state
from trainer_helpers import one_thread, tiny_config  # noqa: F401 (fixture)


# ------------------------------------------------------------------ weights and trainer state
class _Exploit:
    """A pickle that runs code when unpickled (it creates the file ``path``)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.usefixtures("one_thread")
def test_a_crafted_trainer_state_is_refused_and_runs_no_code(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    Trainer(config_from_dict(tiny_config(checkpoint_dir=str(ckpt), steps=2, checkpoint_interval=2))).run()
    # Someone with write access to the bucket swaps a rank's trainer state and fixes the manifest's hash.
    marker = tmp_path / "pwned"
    rel = "trainer_state/rank-00000.pt"
    buf = io.BytesIO()
    torch.save({"step": 2, "x": _Exploit(str(marker))}, buf)
    (ckpt / "step-00000002" / rel).write_bytes(buf.getvalue())
    manifest_path = ckpt / "step-00000002" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][rel] = hashlib.sha256(buf.getvalue()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    resumed = Trainer(config_from_dict(tiny_config(checkpoint_dir=str(ckpt), steps=4, checkpoint_interval=2)))
    with pytest.raises(CheckpointError, match="objects other than tensors and plain values"):
        resumed.resume()
    assert not marker.exists()


def test_rng_state_is_tensors_and_plain_values_and_round_trips() -> None:
    torch.manual_seed(1), np.random.seed(2), random.seed(3)
    state = _rng_state(torch.device("cpu"))
    buf = io.BytesIO()
    torch.save(state, buf)
    loaded = torch.load(io.BytesIO(buf.getvalue()), weights_only=True)  # no allow-list needed
    expected = (torch.rand(2), np.random.rand(2), random.random())
    _set_rng_state(loaded, torch.device("cpu"))
    assert torch.equal(torch.rand(2), expected[0])
    assert np.array_equal(np.random.rand(2), expected[1])
    assert random.random() == expected[2]


def test_trainer_state_of_older_versions_with_numpy_arrays_still_loads(tmp_path: Path) -> None:
    from aiinfra.checkpoint import _load_trainer_state

    buf = io.BytesIO()
    torch.save({"rng": {"numpy": np.random.get_state()}, "step": 3}, buf)
    state = _load_trainer_state(buf.getvalue(), "old")
    assert state["step"] == 3 and state["rng"]["numpy"][0] == "MT19937"


def test_hf_weights_load_only_from_safetensors(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    from aiinfra.serve.loader import load_model

    config = transformers.LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64)
    model = transformers.LlamaForCausalLM(config)
    model.save_pretrained(tmp_path / "safe")
    assert (tmp_path / "safe" / "model.safetensors").exists()
    assert load_model(f"hf:{tmp_path / 'safe'}", precision="fp32", device="cpu").model is not None
    # the same weights as a pickled pytorch_model.bin only: refused
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (tmp_path / "safe" / "config.json").rename(pickled / "config.json")
    torch.save(model.state_dict(), pickled / "pytorch_model.bin")
    with pytest.raises((OSError, ValueError), match="safetensors"):
        load_model(f"hf:{pickled}", precision="fp32", device="cpu")


# ------------------------------------------------------------------ names and locations
@pytest.mark.parametrize("name", ["../etc", "a/../../b", "/abs", "a\\b", ".hidden", "a//b", "", "a/b/c/d/e", "x" * 129, "a\nb"])
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeInputError, match="served model name"):
        check_name(name, "served model name")


@pytest.mark.parametrize("name", ["gpt-1b", "meta-llama/Llama-3.1-8B", "research/gpt-1b/v3", "a.b_c-d"])
def test_safe_names_pass(name: str) -> None:
    assert check_name(name, "served model name") == name


@pytest.mark.parametrize("uri, message", [
    ("s3://models/research/../other-tenant/x", "'..' path segment"),
    ("s3://models/research/%2e%2e/x", "percent-encoded"),
    ("gs://models/a/./b", r"holds a '\.' or '\.\.' path segment"),
    ("/models/../etc/passwd", "'..' path segment"),
    ("s3://key:secret@models/x", "credentials"),
])
def test_traversal_in_locations_is_refused(uri: str, message: str) -> None:
    with pytest.raises(UnsafeInputError, match=message):
        check_location(uri, "model")


def test_locations_must_lie_under_the_configured_roots(tmp_path: Path) -> None:
    roots = ["s3://models/research", str(tmp_path / "root")]
    assert check_location("s3://models/research/gpt-1b", "model", roots)
    assert check_location("s3://models/research", "model", roots)
    for outside in ["s3://models/research-other/x", "s3://other-bucket/research/x", "gs://models/research/x"]:
        with pytest.raises(UnsafeInputError, match="outside the configured storage"):
            check_location(outside, "model", roots)
    (tmp_path / "root").mkdir()
    (tmp_path / "secret").mkdir()
    os.symlink(tmp_path / "secret", tmp_path / "root" / "link")  # a link out of the root
    assert check_location(str(tmp_path / "root" / "model"), "model", roots)
    with pytest.raises(UnsafeInputError, match="outside"):
        check_location(str(tmp_path / "root" / "link"), "model", roots)


def test_redact_uri_hides_credentials() -> None:
    assert redact_uri("s3://AKIA:s3cr3t@bucket/x") == "s3://***@bucket/x"
    assert redact_uri("s3://bucket/x") == "s3://bucket/x"


def test_server_checks_model_and_name_before_loading(tmp_path: Path) -> None:
    assert check_model_source("s3://models/research/gpt-1b", None, ["s3://models/research"]) == "gpt-1b"
    with pytest.raises(UnsafeInputError, match="outside the configured storage"):
        check_model_source("s3://models/other/gpt-1b", None, ["s3://models/research"])
    with pytest.raises(UnsafeInputError, match="Hugging Face hub"):
        check_model_source("hf:meta-llama/Llama-3.1-8B", None, ["s3://models/research"])
    with pytest.raises(UnsafeInputError, match="path segment"):
        check_model_source("hf:../../etc", None)
    with pytest.raises(UnsafeInputError, match="Hugging Face hub id"):
        check_model_source("hf:org/../../etc", None)
    with pytest.raises(UnsafeInputError, match="served model name"):
        check_model_source("s3://models/research/gpt-1b", "../admin", [])


def test_server_cli_exits_2_on_a_model_outside_its_root(capsys: pytest.CaptureFixture[str]) -> None:
    rc = serve_cli.main(["--model", "s3://models/other-team/gpt", "--model-root", "s3://models/research", "--no-engine-process"])
    assert rc == 2
    assert "outside the configured storage (s3://models/research)" in capsys.readouterr().err


def test_trainer_config_refuses_locations_outside_storage_root() -> None:
    ok = config_from_dict(tiny_config(checkpoint_dir="s3://ckpt/research/run1", storage_root="s3://ckpt/research"))
    assert ok.checkpoint_dir == "s3://ckpt/research/run1"
    with pytest.raises(ConfigError) as err:
        config_from_dict(tiny_config(checkpoint_dir="s3://ckpt/other/run1", storage_root="s3://ckpt/research",
                                     data={"source": "tokens", "path": "s3://ckpt/research/../other/t.bin"}))
    text = str(err.value)
    assert "checkpoint_dir 's3://ckpt/other/run1' is outside the configured storage" in text
    assert "data.path 's3://ckpt/research/../other/t.bin' holds a '.' or '..' path segment" in text
    with pytest.raises(ConfigError, match="Hugging Face hub"):
        config_from_dict(tiny_config(storage_root="s3://ckpt/research", model={"hf": "meta-llama/Llama-3.1-8B"}))


# ------------------------------------------------------------------ API keys
KEY = "sk-test-0123456789abcdef"


def test_api_keys_never_reach_logs(caplog: pytest.LogCaptureFixture) -> None:
    redact_in_logs([KEY])
    try:
        log = logging.getLogger("aiinfra.test")
        with caplog.at_level(logging.INFO):
            log.info("header was %s", f"Bearer {KEY}")
            try:
                raise ValueError(f"bad token {KEY}")
            except ValueError:
                log.exception("failed")
        text = caplog.text + "".join(logging.Formatter().format(r) for r in caplog.records)
        assert KEY not in text
        assert "Bearer [redacted]" in text and "bad token [redacted]" in text
    finally:
        redact_in_logs([])


def test_api_keys_reach_neither_metrics_nor_logs_of_requests(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[str, list[int]]:
        state = ServerState(ServerConfig(api_keys=[KEY]))
        app = create_app(state)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            codes = [
                (await c.post("/v1/completions", json={"prompt": "x"}, headers={"Authorization": f"Bearer {KEY}x"})).status_code,
                (await c.post("/v1/completions", json={"prompt": "x"}, headers={"x-api-key": KEY})).status_code,
                (await c.post("/v1/completions", json={"prompt": "x"})).status_code,
            ]
            metrics = (await c.get("/metrics")).text
        return metrics, codes

    with caplog.at_level(logging.DEBUG):
        metrics, codes = asyncio.run(main())
    assert codes == [401, 503, 401]  # wrong key, right key (model still loading), no key
    assert KEY not in metrics and "sk-test" not in metrics
    assert 'code="401"' in metrics
    assert KEY not in caplog.text


def test_the_server_installs_key_redaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    keys.write_text(KEY + "\n")
    installed: list[list[str]] = []
    monkeypatch.setattr("aiinfra.logs.redact_in_logs", lambda k: installed.append(list(k)))
    monkeypatch.setattr(serve_cli, "_DrainingServer", _NoServer)
    serve_cli.main(["--model", str(tmp_path / "m"), "--api-keys-file", str(keys), "--no-engine-process"])
    assert installed == [[KEY]]


class _NoServer:
    def __init__(self, config, state) -> None:
        pass

    def run(self) -> None:
        pass


def test_the_exploit_fixture_runs_code_when_loaded_unsafely(tmp_path: Path) -> None:
    # (guards the crafted-state test: loaded as the trainer loaded it before, weights_only=False, it runs code)
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"x": _Exploit(str(marker))}, buf)
    torch.load(io.BytesIO(buf.getvalue()), weights_only=False)
    assert marker.exists()
