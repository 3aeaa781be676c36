"""The model lifecycle end to end on CPU with the real programs: data prep -> train -> evaluate -> register -> gate ->
production alias -> the builtin server started on the alias serves those weights; then a worse model is rejected by
the gate and production keeps serving the first version."""

from __future__ import annotations

import json
import random

import httpx
import pytest
import torch

from aiinfra import evaluate, gate, prep
from aiinfra.config import config_from_dict
from aiinfra.registry import ModelRegistry
from aiinfra.trainer import train
from test_serve_e2e import ServerProc

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _raw_data(path):
    # Repeated short words: a byte-level model learns them in a few dozen steps.
    rng = random.Random(0)
    words = ["alpha", "beta", "gamma", "delta"]
    lines = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(400)]
    path.write_text("".join(json.dumps({"text": line}) + "\n" for line in lines))


def _train(dataset_prefix, ckpt, steps):
    cfg = config_from_dict({
        "seed": 1, "steps": steps, "global_batch_size": 8, "micro_batch_size": 8, "seq_len": 32, "lr": 1e-2,
        "warmup_steps": 2, "log_interval": 10, "eval_interval": 0, "eval_samples": 8, "checkpoint_interval": steps,
        "metrics_port": 0, "device": "cpu", "precision": "fp32", "checkpoint_dir": str(ckpt),
        "model": {"preset": None, "vocab_size": 257, "n_layer": 2, "n_head": 2, "n_kv_head": 1, "d_model": 64,
                  "ffn_hidden": 128, "max_seq_len": 32},
        "data": {"source": "tokens", "path": dataset_prefix, "cache_dir": str(ckpt) + "-cache"},
    })
    train(cfg)
    return f"{ckpt}/step-{steps:08d}"


def _pipeline_run(tmp_path, name, registry_root, dataset_prefix, steps, *gate_args):
    step_dir = _train(dataset_prefix, tmp_path / f"ckpt-{name}", steps)
    metrics_file = tmp_path / f"metrics-{name}.json"
    assert evaluate.main(["--model", step_dir, "--dataset", str(tmp_path / "data"), "--registry", registry_root,
                          "--max-windows", "64", "--out", str(metrics_file)]) == 0
    metrics = json.loads(metrics_file.read_text())
    version = ModelRegistry(registry_root).register(step_dir, run=name, lineage={"dataset": dataset_prefix}, metrics=metrics)
    code = gate.main(["--root", registry_root, "--version", str(version), "--run", name, "--promote", *gate_args])
    return version, metrics, code


def test_data_to_served_production_model_and_a_rejected_worse_one(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _raw_data(raw / "lines.jsonl")
    assert prep.main(["--source", str(raw), "--output", str(tmp_path / "data"), "--run", "d1",
                      "--validation", "0.1", "--test", "0.1", "--tokenizer", "bytes"]) == 0
    dataset = prep.current(str(tmp_path / "data"))
    registry_root = str(tmp_path / "models" / "chat")

    v1, m1, code = _pipeline_run(tmp_path, "good", registry_root, dataset, 60)
    assert code == 0 and m1["test_loss"] < 2.5 and "baseline" not in m1
    registry = ModelRegistry(registry_root)
    assert registry.resolve("production") == registry.model_uri(v1)

    # A worse candidate (2 steps): evaluated against production on the same windows, rejected, production unchanged.
    v2, m2, code = _pipeline_run(tmp_path, "worse", registry_root, dataset, 2, "--max-loss-regression", "0.01")
    assert code == gate.EXIT_REJECTED
    assert m2["baseline"] == {"version": v1, "test_loss": pytest.approx(m1["test_loss"], rel=1e-6)}
    decision = registry.manifest(v2)["decision"]
    assert not decision["accepted"] and decision["compared_with"] == v1
    assert registry.resolve("production") == registry.model_uri(v1)

    # The builtin server started on the production alias serves version 1's weights.
    reference = evaluate.load_gpt(registry.resolve("production"))
    prompt = "alpha beta "
    ids = list(prompt.encode())
    with torch.no_grad():
        for _ in range(8):
            ids.append(int(reference(torch.tensor([ids]))[0, -1].argmax()))
    expected = bytes(i for i in ids[len(prompt):] if i < 256).decode("utf-8", errors="replace")
    srv = ServerProc(["--model", registry.resolve("production"), "--served-model-name", "chat"], tmp_path / "server.log")
    try:
        srv.wait_ready()
        r = httpx.post(srv.url + "/v1/completions", json={"model": "chat", "prompt": prompt, "max_tokens": 8,
                                                         "temperature": 0}, timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["text"] == expected
    finally:
        srv.stop()
