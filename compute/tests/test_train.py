import json
import math
import urllib.request

import pytest
import torch

from aiinfra.config import config_from_dict
from aiinfra.trainer import Trainer, lr_factor, run_eval
from trainer_helpers import free_port, one_thread, tiny_config  # noqa: F401 (fixture)


pytestmark = pytest.mark.usefixtures("one_thread")


def test_loss_falls_on_learnable_synthetic_task():
    cfg = config_from_dict(
        tiny_config(
            steps=120,
            lr=1e-2,
            warmup_steps=10,
            eval_interval=120,
            eval_samples=32,
            model={"n_layer": 2, "d_model": 64, "n_head": 4, "n_kv_head": 2, "ffn_hidden": 128},
        )
    )
    result = Trainer(cfg).run()
    losses = result.losses
    first = sum(losses[s] for s in range(1, 6)) / 5
    last = sum(losses[s] for s in range(116, 121)) / 5
    assert first > 3.5  # ~ln(64) at init
    assert last < 0.5 * first, (first, last)
    assert result.last_eval is not None and result.last_eval["val_loss"] < 0.5 * first
    assert math.isclose(result.last_eval["perplexity"], math.exp(result.last_eval["val_loss"]), rel_tol=1e-9)


def test_lr_schedule_warmup_then_cosine():
    cfg = config_from_dict(tiny_config(steps=100, warmup_steps=10, min_lr_ratio=0.1))
    assert lr_factor(0, cfg) == 0.1 and lr_factor(9, cfg) == 1.0
    assert lr_factor(10, cfg) == 1.0
    assert abs(lr_factor(55, cfg) - 0.55) < 1e-9
    assert abs(lr_factor(100, cfg) - 0.1) < 1e-12
    factors = [lr_factor(s, cfg) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(factors, factors[1:]))


def test_metrics_endpoint_serves_contract_names(tmp_path, monkeypatch):
    monkeypatch.setenv("AIINFRA_METRICS_ADDR", "127.0.0.1")
    port = free_port()
    cfg = config_from_dict(tiny_config(steps=3, metrics_port=port, checkpoint_dir=str(tmp_path / "c"), checkpoint_interval=3))
    t = Trainer(cfg)
    t.run()
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    for name in [
        "aiinfra_train_step 3.0",
        "aiinfra_train_loss ",
        "aiinfra_train_tokens_per_second ",
        "aiinfra_train_step_seconds ",
        "aiinfra_train_last_checkpoint_timestamp_seconds ",
        "aiinfra_train_start_timestamp_seconds ",
        "aiinfra_train_restarts_total 0.0",
        "aiinfra_train_gpu_memory_bytes ",
    ]:
        assert name in body, name
    # on CPU there is no device peak, so MFU is absent rather than a made-up number
    assert "aiinfra_train_mfu" not in body
    assert 'aiinfra_train_info{' in body and 'device="cpu' in body


def test_mfu_reported_with_configured_peak():
    cfg = config_from_dict(tiny_config(steps=2, peak_tflops=0.001))
    result = Trainer(cfg).run()
    assert result.mfu is not None and result.mfu > 0


def test_eval_command_scores_checkpoint_and_updates_manifest(tmp_path, capsys):
    ckpt = tmp_path / "ckpt"
    Trainer(config_from_dict(tiny_config(steps=4, checkpoint_dir=str(ckpt), checkpoint_interval=4))).run()
    cfg = config_from_dict(tiny_config(checkpoint_dir=str(ckpt), eval_samples=8))
    out = run_eval(cfg, update_manifest=True)
    assert out["step"] == 4 and out["val_loss"] > 0
    assert math.isclose(out["perplexity"], math.exp(out["val_loss"]))
    manifest = json.loads((ckpt / "step-00000004" / "manifest.json").read_text())
    assert manifest["eval"]["val_loss"] == out["val_loss"]
    # the manifest's own files are unchanged, so the checkpoint still verifies
    from aiinfra.checkpoint import load_model_for_inference

    assert load_model_for_inference(str(ckpt))[2]["eval"]["val_loss"] == out["val_loss"]


def test_activation_checkpointing_gives_the_same_step():
    base = Trainer(config_from_dict(tiny_config(steps=3)))
    ckpt = Trainer(config_from_dict(tiny_config(steps=3, activation_checkpointing=True)))
    assert ckpt.gpt.activation_checkpointing and not base.gpt.activation_checkpointing
    a, b = base.run().losses, ckpt.run().losses
    for step in a:
        assert abs(a[step] - b[step]) < 1e-6


def test_eval_subcommand_via_cli(tmp_path, capsys):
    from aiinfra.cli import main

    ckpt = tmp_path / "ckpt"
    Trainer(config_from_dict(tiny_config(steps=2, checkpoint_dir=str(ckpt), checkpoint_interval=2))).run()
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(tiny_config()))
    capsys.readouterr()
    assert main(["eval", "--config", str(cfg), "--checkpoint-dir", str(ckpt), "--select", "best", "--eval-samples", "4"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    result = [r for r in lines if "event" not in r][0]
    assert result["step"] == 2 and math.isclose(result["perplexity"], math.exp(result["val_loss"]))
    assert main(["eval", "--config", str(cfg), "--checkpoint-dir", str(tmp_path / "empty")]) == 2


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_steps_on_cpu(precision):
    t = Trainer(config_from_dict(tiny_config(steps=4, precision=precision)))
    assert t.precision == precision
    assert (t.scaler is not None) == (precision == "fp16")
    losses = t.run().losses
    assert all(math.isfinite(v) for v in losses.values())
    ref = Trainer(config_from_dict(tiny_config(steps=4))).run().losses
    assert abs(losses[1] - ref[1]) < 0.05  # same model and data, lower-precision matmuls


def test_busy_metrics_port_is_reported_not_fatal(monkeypatch, capsys):
    import socket

    monkeypatch.setenv("AIINFRA_METRICS_ADDR", "127.0.0.1")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        t = Trainer(config_from_dict(tiny_config(steps=1, metrics_port=port)))
        assert t.metrics.port is None and t.run().step == 1
    assert '"event": "metrics_unavailable"' in capsys.readouterr().out


def test_gpt_is_built_on_meta_then_initialized_per_parameter(monkeypatch):
    """The trainer builds the GPT on the meta device (no memory, no init) and materializes it
    afterwards (under FSDP: sharded first, so no rank holds the whole model); the weights come
    from per-parameter generators of the seed, so they do not depend on the sharding (the
    2-rank FSDP run equals one process: test_distributed)."""
    from aiinfra import trainer as trainer_mod

    built_on = []

    class Spy(trainer_mod.GPT):
        def __init__(self, config):
            super().__init__(config)
            built_on.append(next(self.parameters()).device.type)

    monkeypatch.setattr(trainer_mod, "GPT", Spy)
    a = Trainer(config_from_dict(tiny_config(seed=5)))
    assert built_on == ["meta"]
    assert all(p.device.type == "cpu" for p in a.gpt.parameters())
    assert a.gpt.output.weight is a.gpt.tok_embeddings.weight  # still tied after materializing
    b = Trainer(config_from_dict(tiny_config(seed=5)))
    c = Trainer(config_from_dict(tiny_config(seed=6)))
    for (name, pa), pb, pc in zip(a.gpt.named_parameters(), b.gpt.parameters(), c.gpt.parameters()):
        assert torch.equal(pa, pb), name
        if name.endswith("norm.weight"):
            assert torch.equal(pa, torch.ones_like(pa)), name
        else:
            assert not torch.equal(pa, pc), name
            assert 0.0 < float(pa.detach().std()) < 0.03, name  # N(0, 0.02), residual projections smaller
    assert torch.equal(a.gpt.rope_cos, trainer_mod.GPT(a.gpt.config).rope_cos)


def test_no_host_sync_per_step_except_where_logged(monkeypatch):
    """The trainer reads no tensor value on the host (item / tolist / float / bool: each a GPU
    sync on CUDA) except at logged steps; there it logs the loss, step time and throughput.
    (Reads inside torch are not counted: CPU AdamW reads its CPU step counter; CUDA runs the
    fused AdamW, which does not.)"""
    import sys

    t = Trainer(config_from_dict(tiny_config(steps=10, log_interval=5, grad_clip=1.0)))
    reads: list[int] = []

    def spy(name):
        original = getattr(torch.Tensor, name)

        def read(self, *args, **kwargs):
            if "/aiinfra/" in sys._getframe(1).f_code.co_filename:
                reads.append(t.step)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, read)

    for name in ("item", "tolist", "__float__", "__bool__", "__int__"):
        spy(name)
    result = t.run()
    monkeypatch.undo()
    assert set(reads) == {5, 10}, sorted(set(reads))
    assert sorted(result.losses) == [5, 10]
    assert result.tokens_per_second and result.tokens_per_second > 0
