"""Supervised fine-tuning end to end on CPU: a tiny Hugging Face Llama made with from_config, a
tokenizer built locally with `tokenizers`, a small JSONL of chats; LoRA adapters (PEFT) on it and
on the GPT; packing with document masking; 2-rank DDP and FSDP under torchrun."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")
tokenizers = pytest.importorskip("tokenizers")

from aiinfra.checkpoint import CheckpointStore  # noqa: E402
from aiinfra.config import ConfigError, DataConfig, config_from_dict  # noqa: E402
from aiinfra.model import GPT, GPTConfig  # noqa: E402
from aiinfra.sft import CHATML_TEMPLATE, build_sft_sources, load_tokenizer, pack, tokenize_conversation  # noqa: E402
from aiinfra.trainer import Trainer  # noqa: E402
from trainer_helpers import child_env, events, one_thread, run, tiny_config, torchrun_cmd, write_config  # noqa: E402,F401

pytestmark = pytest.mark.usefixtures("one_thread")

WORDS = [f"w{i}" for i in range(24)]
SPECIALS = ["<pad>", "<|im_start|>", "<|im_end|>", "system", "user", "assistant", "reverse", "copy"]


def make_tokenizer(path: Path):
    """A word-level tokenizer trained on nothing: a fixed vocabulary, saved in HF format."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {tok: i for i, tok in enumerate(SPECIALS + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="<|im_end|>", additional_special_tokens=["<|im_start|>", "<|im_end|>"]
    )
    fast.chat_template = CHATML_TEMPLATE.replace("'\\n'", "' '").replace("\n", " ")
    fast.save_pretrained(path)
    return fast


LLAMA = {
    "model_type": "llama",
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128,
    "tie_word_embeddings": False,
    # a frozen output head of std 0.02 caps the logits' range (|W| |h|), so LoRA alone could barely
    # lower the loss of a fresh tiny model; a pre-trained model's head has no such limit
    "initializer_range": 0.3,
}


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> Path:
    """A tiny Llama (from_config) and its tokenizer in one directory, as from_pretrained reads it."""
    path = tmp_path_factory.mktemp("tiny-llama")
    tok = make_tokenizer(path)
    config = transformers.AutoConfig.for_model(vocab_size=len(tok), pad_token_id=tok.pad_token_id, **LLAMA)
    torch.manual_seed(0)
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(path)
    return path


def chats(n: int, seed: int = 0) -> list[dict]:
    """Learnable chats: 'count wS' (or 'reverse wS') -> 'wS wS+1 wS+2 ...' (or downwards): after the
    first word each response token follows from the previous one. A third are messages with a
    system turn."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        start, length = int(rng.integers(0, len(WORDS))), int(rng.integers(3, 6))
        op, step = ("reverse", -1) if i % 2 else ("copy", 1)
        answer = " ".join(WORDS[(start + step * k) % len(WORDS)] for k in range(length))
        prompt = f"{op} {WORDS[start]}"
        if i % 3 == 0:
            out.append({"messages": [{"role": "system", "content": "w0"}, {"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]})
        else:
            out.append({"prompt": prompt, "response": answer})
    return out


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in chats(400)))
    return path


def sft_cfg(base_dir: Path, dataset: Path, **over):
    cfg = tiny_config(
        steps=30, lr=1e-2, warmup_steps=2, seq_len=64, global_batch_size=8, micro_batch_size=4, eval_samples=8,
        model={"preset": None, "hf": str(base_dir)},
        data={"source": "sft", "path": str(dataset), "val_fraction": 0.1},
    )
    for key, value in over.items():
        cfg[key] = {**cfg[key], **value} if isinstance(value, dict) and isinstance(cfg.get(key), dict) else value
    return config_from_dict(cfg)


# ------------------------------------------------------------------------------ data
def test_only_assistant_tokens_carry_loss(base_dir):
    tok = load_tokenizer(str(base_dir))
    messages = [{"role": "system", "content": "w0"}, {"role": "user", "content": "copy w1 w2"}, {"role": "assistant", "content": "w1 w2"}]
    ids, mask = tokenize_conversation(tok, messages, tok.chat_template)
    tokens = tok.convert_ids_to_tokens(ids)
    assert [t for t, m in zip(tokens, mask) if m] == ["w1", "w2", "<|im_end|>"]
    prompt = [t for t, m in zip(tokens, mask) if not m]
    assert prompt[:3] == ["<|im_start|>", "system", "w0"] and prompt[-2:] == ["<|im_start|>", "assistant"]
    # two assistant turns: both learn, the user turn between them does not
    two = messages + [{"role": "user", "content": "w3"}, {"role": "assistant", "content": "w4"}]
    ids, mask = tokenize_conversation(tok, two, tok.chat_template)
    assert [t for t, m in zip(tok.convert_ids_to_tokens(ids), mask) if m] == ["w1", "w2", "<|im_end|>", "w4", "<|im_end|>"]


def test_packing_rows_labels_and_split(base_dir, dataset):
    cfg = DataConfig(source="sft", path=str(dataset), val_fraction=0.1)
    train, val = build_sft_sources(cfg, str(base_dir), 64, 64, seed=7)
    row = train.get(0)
    assert row.shape == (3, 64)
    ids, labels, pos = row
    starts = np.flatnonzero(pos == 0)
    assert len(starts) >= 3, "several conversations share a row"
    # a label is the next token of the same conversation; the last token of each has none
    for j in np.flatnonzero(labels != -100):
        assert pos[j + 1] == pos[j] + 1 and labels[j] == ids[j + 1]
    assert all(labels[s - 1] == -100 for s in starts[1:])
    n_val = sum(int((val.get(i)[1] != -100).sum()) for i in range(len(val)))
    n_train = sum(int((train.get(i)[1] != -100).sum()) for i in range(len(train)))
    assert 0.05 < n_val / (n_val + n_train) < 0.2
    assert pack([10, 50, 10, 60], 64, True) == [[0, 1], [2], [3]]
    assert pack([10, 50], 64, False) == [[0], [1]]


def test_bad_records_are_config_errors(base_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "copy w1"}) + "\n")
    with pytest.raises(ConfigError, match="record 0: expected 'messages' or 'prompt' and 'response'"):
        build_sft_sources(DataConfig(source="sft", path=str(bad)), str(base_dir), 64, 64, 0)
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "w1"}]}) + "\n")
    with pytest.raises(ConfigError, match="no assistant message"):
        build_sft_sources(DataConfig(source="sft", path=str(bad)), str(base_dir), 64, 64, 0)
    with pytest.raises(ConfigError, match="needs a tokenizer"):
        config_from_dict(tiny_config(data={"source": "sft", "path": str(bad)}))
    with pytest.raises(ConfigError, match="lora on the GPT needs pre-trained weights"):
        config_from_dict(tiny_config(lora={"rank": 4}))
    with pytest.raises(ConfigError, match=r"lora.target_modules \['q_proj'\] are not Linear modules of the GPT"):
        config_from_dict(tiny_config(lora={"rank": 4, "target_modules": ["q_proj"]}, model={"init_from": "x"}))


# ------------------------------------------------------------------------------ document masking
def _packed_vs_alone(forward, vocab: int):
    torch.manual_seed(1)
    a, b = torch.randint(3, vocab, (1, 9)), torch.randint(3, vocab, (1, 7))
    packed = torch.cat([a, b], 1)
    pos = torch.cat([torch.arange(9), torch.arange(7)])[None]
    with torch.no_grad():
        both = forward(packed, pos)
        alone_a, alone_b = forward(a, None), forward(b, None)
    torch.testing.assert_close(both[:, :9], alone_a, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(both[:, 9:], alone_b, atol=1e-5, rtol=1e-4)
    with torch.no_grad():  # without the positions the second document attends to the first
        assert not torch.allclose(forward(packed, None)[:, 9:], alone_b, atol=1e-3)


def test_packed_documents_do_not_attend_across_boundaries_gpt():
    model = GPT(GPTConfig(vocab_size=64, n_layer=2, n_head=4, n_kv_head=2, d_model=32, max_seq_len=32)).eval()
    _packed_vs_alone(lambda x, pos: model(x, positions=pos) if pos is not None else model(x), 64)


def test_packed_documents_do_not_attend_across_boundaries_hf(base_dir):
    from aiinfra.hf import build_hf_model

    model = build_hf_model(str(base_dir), None, torch.device("cpu")).eval()
    _packed_vs_alone(lambda x, pos: model(x, positions=pos), 32)


def test_masked_tokens_carry_no_gradient(base_dir, dataset):
    from aiinfra.data import split_rows
    from aiinfra.hf import build_hf_model

    train, _ = build_sft_sources(DataConfig(source="sft", path=str(dataset)), str(base_dir), 64, 64, seed=7)
    x, y, pos = split_rows(np.stack([train.get(i) for i in range(2)]))
    model = build_hf_model(str(base_dir), None, torch.device("cpu"))
    logits = model.model(input_ids=x, position_ids=pos).logits
    logits.retain_grad()
    from aiinfra.model import lm_loss

    lm_loss(logits, y).backward()
    grad = logits.grad.abs().sum(-1)
    assert (grad[y == -100] == 0).all() and (grad[y != -100] > 0).all()


# ------------------------------------------------------------------------------ end to end
def test_sft_lora_on_hf_model_end_to_end(base_dir, dataset, tmp_path):
    ckpt = tmp_path / "ckpt"
    cfg = sft_cfg(base_dir, dataset, checkpoint_dir=str(ckpt), checkpoint_interval=30, lora={"rank": 8})
    t = Trainer(cfg)
    trainable = sum(p.numel() for p in t.gpt.parameters() if p.requires_grad)
    assert 0 < trainable < 0.3 * sum(p.numel() for p in t.gpt.parameters())
    result = t.run()
    losses = result.losses
    assert min(losses[i] for i in range(26, 31)) < losses[1] - 0.5, losses
    store = CheckpointStore(str(ckpt))
    manifest = store.read_manifest(30)
    assert manifest["eval"]["val_tokens"] > 0 and manifest["eval"]["val_loss"] > 0
    assert manifest["adapter"] == {"path": "adapter", "base": str(base_dir)}
    assert {"adapter/adapter_config.json", "adapter/adapter_model.safetensors"} <= set(manifest["files"])
    # the checkpoint holds what trains (adapters + their AdamW state), not the frozen base
    keys = store.reader(30).read_metadata().state_dict_metadata
    model_keys = [k for k in keys if k.startswith("model.")]
    assert model_keys and all("lora_" in k for k in model_keys)

    # the adapter loads back with PEFT onto the base model and changes its output as trained
    step_dir = ckpt / "step-00000030" / "adapter"
    base = transformers.AutoModelForCausalLM.from_pretrained(base_dir)
    x = torch.randint(8, 32, (2, 12))
    with torch.no_grad():
        before = base(input_ids=x).logits
        tuned = peft.PeftModel.from_pretrained(base, step_dir)
        after = tuned(input_ids=x).logits
        trained = t.gpt.model(input_ids=x).logits
    assert not torch.allclose(before, after, atol=1e-3)
    torch.testing.assert_close(after, trained, atol=1e-5, rtol=1e-4)
    config = json.loads((step_dir / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 8 and config["lora_alpha"] == 16

    # a resume restores the adapters and the optimizer from the small checkpoint
    t2 = Trainer(sft_cfg(base_dir, dataset, steps=32, checkpoint_dir=str(ckpt), checkpoint_interval=32, lora={"rank": 8}))
    assert t2.resume()
    for (n1, p1), (n2, p2) in zip(t.gpt.named_parameters(), t2.gpt.named_parameters()):
        assert n1 == n2 and torch.equal(p1, p2), n1


def test_full_sft_loss_falls(base_dir, dataset):
    result = Trainer(sft_cfg(base_dir, dataset, steps=25, lr=3e-3, eval_interval=25)).run()
    assert result.losses[25] < result.losses[1] - 0.5
    assert result.last_eval["val_tokens"] > 0


def test_sft_lora_on_gpt_from_pretrained_checkpoint(base_dir, dataset, tmp_path):
    from safetensors.torch import load_file

    pre = tmp_path / "pre"
    gpt = {"preset": None, "vocab_size": 32, "n_layer": 2, "n_head": 4, "n_kv_head": 2, "d_model": 32, "ffn_hidden": 64, "max_seq_len": 64}
    # pre-trained long enough that its (tied, frozen) output head has grown out of its 0.02 init
    base = Trainer(config_from_dict(tiny_config(steps=30, lr=3e-2, checkpoint_dir=str(pre), checkpoint_interval=30, model=gpt, seq_len=64)))
    base.run()
    ckpt = tmp_path / "ckpt"
    cfg = sft_cfg(
        base_dir, dataset, checkpoint_dir=str(ckpt), checkpoint_interval=20, steps=20, lr=3e-2,
        model={"hf": None, **gpt, "init_from": str(pre)}, data={"tokenizer": str(base_dir)}, lora={"rank": 4, "target_modules": ["wq", "wv", "w2"]},
    )
    t = Trainer(cfg)
    # the base weights are the pre-trained checkpoint's
    for name, tensor in base.gpt.state_dict().items():
        ours = t.gpt.state_dict()[name.replace("wq.", "wq.base_layer.").replace("wv.", "wv.base_layer.").replace("w2.", "w2.base_layer.")]
        assert torch.equal(ours, tensor), name
    result = t.run()
    assert result.losses[20] < result.losses[1] - 0.3
    weights = load_file(str(ckpt / "step-00000020" / "adapter" / "adapter_model.safetensors"))
    assert sorted({k.split(".")[-3] for k in weights}) == ["down_proj", "q_proj", "v_proj"]
    assert "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight" in weights
    assert weights["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"].shape == (4, 32)
    # B trained away from its zero init: the adapter changes the model
    assert any(v.abs().sum() > 0 for k, v in weights.items() if "lora_B" in k)


@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_sft_lora_under_torchrun_two_ranks(base_dir, dataset, tmp_path, strategy):
    """2 gloo ranks train the same adapters as one process (the global batch is rank-independent)."""
    ckpt1, ckpt2 = tmp_path / "one", tmp_path / "two"
    common = dict(steps=6, lr=1e-2, checkpoint_interval=6, lora={"rank": 4}, strategy=strategy)
    cfg = sft_cfg(base_dir, dataset, checkpoint_dir=str(ckpt2), **common)
    path = write_config(tmp_path / "cfg.json", cfg.to_dict())
    proc = run(torchrun_cmd(2, "train", "--config", str(path)), timeout=400, env=child_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    Trainer(sft_cfg(base_dir, dataset, checkpoint_dir=str(ckpt1), **common)).run()
    from safetensors.torch import load_file

    one = load_file(str(ckpt1 / "step-00000006" / "adapter" / "adapter_model.safetensors"))
    two = load_file(str(ckpt2 / "step-00000006" / "adapter" / "adapter_model.safetensors"))
    assert one.keys() == two.keys()
    for k in one:
        torch.testing.assert_close(two[k], one[k], atol=2e-5, rtol=1e-4)
    assert any(e.get("event") == "checkpoint_saved" for e in events(proc.stdout))
    # FSDP: only rank 0 reads the pretrained weights; the others get their shards by broadcast
    loaded = sorted(e["rank"] for e in events(proc.stdout, "hf_weights_loaded"))
    assert loaded == ([0] if strategy == "fsdp" else [0, 1]), loaded
