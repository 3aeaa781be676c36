"""Export of trainer checkpoints to Hugging Face LlamaForCausalLM safetensors directories
(aiinfra.export): transformers loads the export and its logits equal our GPT's; the byte
tokenizer is reproduced exactly; fsspec output; idempotence; a checkpoint whose weights do not
match its model config fails, naming the keys, and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import fsspec
import pytest
import torch

from aiinfra.checkpoint import CheckpointError, CheckpointStore, save_checkpoint
from aiinfra.export import export_checkpoint, gpt_to_hf_state_dict
from aiinfra.model import GPT, GPTConfig
from aiinfra.serve.loader import load_model
from aiinfra.serve.tokenizer import ByteTokenizer, render_chat

transformers = pytest.importorskip("transformers")
pytest.importorskip("safetensors")

# GQA (4 query heads, 2 KV heads), untied head, a rope_theta other than the default
GQA = GPTConfig(vocab_size=300, n_layer=2, n_head=4, n_kv_head=2, d_model=64, ffn_hidden=160, max_seq_len=128,
                rope_theta=5000.0, norm_eps=1e-6, tie_embeddings=False)
TIED = GPTConfig(vocab_size=257, n_layer=1, n_head=2, n_kv_head=1, d_model=32, ffn_hidden=64, max_seq_len=64)


def _random_gpt(config: GPTConfig, seed: int) -> GPT:
    """Weights far from the init (norm gains too), so a wrong layout would change the logits."""
    torch.manual_seed(seed)
    model = GPT(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
            elif ".wq." in name or ".wk." in name:
                p.mul_(8.0)  # sharp attention: position (so RoPE) matters to the output
    return model.eval()


def _checkpoint(uri: str, config: GPTConfig, seed: int, trainer_config: dict | None = None, step: int = 5) -> GPT:
    model = _random_gpt(config, seed)
    save_checkpoint(CheckpointStore(uri), step, model, None, {"step": step}, trainer_config or {}, config, None,
                    keep_last=2)
    return model


@pytest.mark.parametrize("config,dtype", [(GQA, "fp32"), (TIED, "fp32")], ids=["gqa-untied", "mha-tied"])
def test_transformers_logits_equal_ours(tmp_path: Path, config: GPTConfig, dtype: str) -> None:
    ours = _checkpoint(str(tmp_path / "run"), config, seed=1)
    out = tmp_path / "hf"
    result = export_checkpoint(str(tmp_path / "run"), str(out), dtype=dtype)
    assert not result["skipped"] and result["step"] == 5
    assert {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json",
            "aiinfra_export.json"} <= set(p.name for p in out.iterdir())
    hf = transformers.AutoModelForCausalLM.from_pretrained(out, torch_dtype=torch.float32).eval()
    assert type(hf).__name__ == "LlamaForCausalLM"
    assert hf.config.num_key_value_heads == config.n_kv_head
    ids = torch.randint(0, 256, (2, 48), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        theirs = hf(input_ids=ids).logits
        mine = ours(ids)
    # fp32 on both sides, the same math in a different order: agree to rounding (tolerance
    # 1e-4 absolute on logits of magnitude ~1-10; the largest difference is printed on failure)
    torch.testing.assert_close(theirs, mine, atol=1e-4, rtol=1e-4)
    assert mine.std() > 0.1  # not a trivially flat output
    # and the builtin server loads the export (hf: path) to the same logits
    served = load_model(str(out), precision="fp32", device="cpu")
    with torch.no_grad():
        torch.testing.assert_close(served.model(ids), mine, atol=1e-4, rtol=1e-4)
    # greedy continuation token for token
    with torch.no_grad():
        gen = hf.generate(ids[:1, :8], max_new_tokens=12, do_sample=False, pad_token_id=0)[0, 8:]
    seq = ids[:1, :8]
    for _ in range(12):
        seq = torch.cat([seq, ours(seq)[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert gen.tolist() == seq[0, 8:].tolist()[: len(gen)]


def test_bf16_export_and_byte_tokenizer(tmp_path: Path) -> None:
    ours = _checkpoint(str(tmp_path / "run"), GQA, seed=2, trainer_config={"data": {"tokenizer": "bytes"}})
    out = tmp_path / "hf"
    export_checkpoint(str(tmp_path / "run" / "step-00000005"), str(out))  # default dtype bf16
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["torch_dtype"] == "bfloat16" and cfg["eos_token_id"] == 256
    hf = transformers.AutoModelForCausalLM.from_pretrained(out, torch_dtype=torch.float32).eval()
    assert hf.model.embed_tokens.weight.dtype == torch.float32
    ids = torch.randint(0, 256, (1, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff = (hf(input_ids=ids).logits - ours(ids)).abs().max().item()
    assert diff < 0.05 * ours(ids).abs().max().item()  # bf16 weights: close, not equal
    tok = transformers.AutoTokenizer.from_pretrained(out)
    ref = ByteTokenizer(GQA.vocab_size)
    for text in ["hello world", " leading space", "naïve café 日本語 ✓ \n\t", "<|user|>"]:
        assert tok.encode(text) == ref.encode(text)
        # as the server and vLLM decode: special tokens skipped; ids beyond the 257 decode to nothing
        assert tok.decode(ref.encode(text) + [256, 299], skip_special_tokens=True) == text
    assert tok.eos_token_id == 256
    msgs = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    rendered = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
    assert rendered == render_chat(msgs)


def test_fsspec_output_and_idempotence(tmp_path: Path) -> None:
    ckpt = "memory://export-test/run"
    _checkpoint(ckpt, TIED, seed=3)
    out = ckpt + "/hf"
    first = export_checkpoint(ckpt, out, dtype="fp32")
    fs = fsspec.filesystem("memory")
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls("/export-test/run/hf", detail=False))
    assert names == first["files"] and "config.json" in names
    assert export_checkpoint(ckpt, out, dtype="fp32")["skipped"] is True
    with pytest.raises(CheckpointError, match="already holds another export"):
        export_checkpoint(ckpt, out, dtype="bf16")
    assert export_checkpoint(ckpt, out, dtype="bf16", force=True)["skipped"] is False
    assert export_checkpoint(ckpt, out, dtype="bf16", force=True)["skipped"] is True  # same export: kept
    # a newer checkpoint step: replaced with --force (the init step's case), refused without
    _checkpoint(ckpt, TIED, seed=7, step=9)
    with pytest.raises(CheckpointError, match="already holds another export"):
        export_checkpoint(ckpt, out, dtype="bf16")
    again = export_checkpoint(ckpt, out, dtype="bf16", force=True)
    assert again["skipped"] is False and again["step"] == 9


def test_sharded_export_loads(tmp_path: Path) -> None:
    ours = _checkpoint(str(tmp_path / "run"), GQA, seed=4)
    out = tmp_path / "hf"
    result = export_checkpoint(str(tmp_path / "run"), str(out), dtype="fp32", max_shard_bytes=200_000)
    shards = [f for f in result["files"] if f.endswith(".safetensors")]
    assert len(shards) > 1 and "model.safetensors.index.json" in result["files"]
    hf = transformers.AutoModelForCausalLM.from_pretrained(out, torch_dtype=torch.float32).eval()
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    with torch.no_grad():
        torch.testing.assert_close(hf(input_ids=ids).logits, ours(ids), atol=1e-4, rtol=1e-4)


def test_mismatched_keys_fail_clearly(tmp_path: Path) -> None:
    model = _random_gpt(TIED, 5)
    state = dict(model.state_dict())
    state.pop("layers.0.attention.wk.weight")
    state["layers.0.attention.wq_extra.weight"] = torch.zeros(4)
    state["layers.0.feed_forward.w1.weight"] = torch.zeros(10, 32)
    with pytest.raises(CheckpointError) as info:
        gpt_to_hf_state_dict(TIED, state, "checkpoint X")
    msg = str(info.value)
    assert "checkpoint X" in msg and "layers.0.attention.wk.weight" in msg
    assert "layers.0.attention.wq_extra.weight" in msg and "layers.0.feed_forward.w1.weight: (10, 32)" in msg


def test_checkpoint_whose_manifest_disagrees_with_its_weights(tmp_path: Path) -> None:
    """A manifest whose model_config is not the model that was saved (e.g. n_layer edited):
    the CLI exits 1 naming the missing layer, and no config.json is written."""
    root = tmp_path / "run"
    _checkpoint(str(root), TIED, seed=6)
    manifest_path = root / "step-00000005" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model_config"]["n_layer"] = 2
    manifest_path.write_text(json.dumps(manifest))
    out = tmp_path / "hf"
    proc = subprocess.run([sys.executable, "-m", "aiinfra.export", "--checkpoint", str(root), "--output", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "CheckpointError" in proc.stderr and "layers.1.attention.wq.weight" in proc.stderr
    assert not (out / "config.json").exists()
    proc = subprocess.run([sys.executable, "-m", "aiinfra.export", "--checkpoint", str(tmp_path / "none"),
                           "--output", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "no complete checkpoint" in proc.stderr


def test_the_logit_check_would_catch_a_wrong_rope_layout(tmp_path: Path) -> None:
    """HF's q/k permutation (for Meta's interleaved RoPE) applied to our rotate-half weights
    changes the logits far beyond the 1e-4 tolerance: the equality test above can fail."""
    from safetensors.torch import load_file, save_file

    ours = _checkpoint(str(tmp_path / "run"), GQA, seed=1)
    out = tmp_path / "hf"
    export_checkpoint(str(tmp_path / "run"), str(out), dtype="fp32")
    sd = load_file(out / "model.safetensors")

    def permute(w: torch.Tensor, heads: int) -> torch.Tensor:  # convert_llama_weights_to_hf.py's
        d1, d2 = w.shape
        return w.view(heads, d1 // heads // 2, 2, d2).transpose(1, 2).reshape(d1, d2)

    for k in sd:
        if "q_proj" in k or "k_proj" in k:
            sd[k] = permute(sd[k], GQA.n_head if "q_proj" in k else GQA.n_kv_head)
    save_file(sd, out / "model.safetensors", metadata={"format": "pt"})
    hf = transformers.AutoModelForCausalLM.from_pretrained(out, torch_dtype=torch.float32).eval()
    ids = torch.randint(0, 256, (2, 48), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert (hf(input_ids=ids).logits - ours(ids)).abs().max().item() > 0.05
