"""Loading models to serve: trainer checkpoints on an fsspec URI (memory://), newest vs best,
a step directory, precisions, and the tokenizer a checkpoint names."""

from __future__ import annotations

import pytest
import torch

from aiinfra.checkpoint import CheckpointStore, save_checkpoint
from aiinfra.model import GPT, GPTConfig
from aiinfra.serve.loader import load_model
from aiinfra.serve.model_runner import ModelRunner
from aiinfra.serve.tokenizer import ByteTokenizer

CFG = GPTConfig(vocab_size=257, n_layer=2, n_head=4, n_kv_head=2, d_model=64, ffn_hidden=128, max_seq_len=64)


@pytest.fixture(scope="module")
def store_uri() -> tuple[str, dict[int, GPT]]:
    """memory:// checkpoints at steps 10 (val_loss 1.0, the best) and 20 (val_loss 2.0, the newest)."""
    uri = "memory://serve-loader-test/run"
    models = {}
    for step, loss in ((10, 1.0), (20, 2.0)):
        torch.manual_seed(step)
        m = GPT(CFG)
        save_checkpoint(CheckpointStore(uri), step, m, None, {"step": step}, {"data": {"tokenizer": "bytes"}}, CFG,
                        {"val_loss": loss, "perplexity": 2.718 ** loss}, keep_last=5)
        models[step] = m.eval()
    return uri, models


@torch.no_grad()
def test_newest_best_and_step_directory(store_uri) -> None:
    uri, models = store_uri
    ids = torch.tensor([[1, 2, 3, 250, 7]])
    for select, step in (("newest", 20), ("best", 10)):
        loaded = load_model(uri, select=select, precision="fp32", device="cpu")
        assert loaded.info["step"] == step and loaded.info["select"] == select
        assert loaded.info["eval"]["val_loss"] == (1.0 if step == 10 else 2.0)
        torch.testing.assert_close(loaded.model(ids), models[step](ids))
        assert loaded.model.output.weight.data_ptr() == loaded.model.tok_embeddings.weight.data_ptr()  # still tied
        assert isinstance(loaded.tokenizer, ByteTokenizer) and loaded.tokenizer.eos_token_id == 256
        assert loaded.name == "run"
    one = load_model(uri + "/step-00000010", name="mine")
    assert one.info["step"] == 10 and one.name == "mine"


@torch.no_grad()
@pytest.mark.parametrize("precision,tol", [("bf16", 0.1), ("fp16", 0.02)])
def test_half_precisions_stay_close_to_fp32(store_uri, precision: str, tol: float) -> None:
    uri, models = store_uri
    loaded = load_model(uri, precision=precision, device="cpu")
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    assert loaded.model.tok_embeddings.weight.dtype == dtype
    runner = ModelRunner(loaded.model, num_slots=1)
    assert runner.cache.k.dtype == dtype
    ids = torch.tensor([[10, 20, 30, 40, 50, 60]])
    logits = runner.forward(ids, torch.tensor([0]), torch.tensor([6]), slots=torch.tensor([0]), fresh=True)
    ref = models[20](ids)[0, -1]
    assert (logits[0] - ref).abs().max().item() < tol * ref.abs().max().item() + tol


def test_bad_settings_are_refused(store_uri) -> None:
    uri, _ = store_uri
    with pytest.raises(ValueError, match="unknown precision"):
        load_model(uri, precision="fp8")
    with pytest.raises(ValueError, match="unknown quantization"):
        load_model(uri, quantization="int4")
    with pytest.raises(Exception, match="no complete checkpoint"):
        load_model("memory://serve-loader-test/empty")
