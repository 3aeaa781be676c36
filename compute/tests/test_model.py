import json
from importlib import resources

import pytest
import torch

from aiinfra.model import GPT, GPTConfig, apply_rotary, load_presets, rope_cos_sin


def test_presets_file_shape_and_param_counts():
    raw = json.loads(resources.files("aiinfra").joinpath("presets.json").read_text())
    assert set(raw) == {"gpt-tiny", "gpt-125m", "gpt-350m", "gpt-1b", "gpt-3b"}
    keys = {"n_layer", "n_head", "n_kv_head", "d_model", "ffn_hidden", "vocab_size", "max_seq_len", "params"}
    for name, entry in raw.items():
        assert set(entry) == keys, name
        cfg = GPTConfig.from_preset(name)
        with torch.device("meta"):
            model = GPT(cfg)
        assert model.num_params() == entry["params"] == cfg.num_params(), name
    # sizes span roughly 10M .. 3B
    assert raw["gpt-tiny"]["params"] < 20e6 and 2.5e9 < raw["gpt-3b"]["params"] < 3.2e9


def test_module_names_follow_contract_and_tied_weights():
    model = GPT(GPTConfig.from_preset("gpt-tiny", n_layer=2))
    names = set(dict(model.named_parameters(remove_duplicate=False)))
    for n in [
        "tok_embeddings.weight", "norm.weight", "output.weight",
        "layers.0.attention_norm.weight", "layers.0.ffn_norm.weight",
        "layers.0.attention.wq.weight", "layers.0.attention.wk.weight",
        "layers.0.attention.wv.weight", "layers.0.attention.wo.weight",
        "layers.0.feed_forward.w1.weight", "layers.0.feed_forward.w2.weight", "layers.0.feed_forward.w3.weight",
    ]:
        assert n in names, n
    assert model.output.weight is model.tok_embeddings.weight
    assert model.norm.eps == model.config.norm_eps
    att = model.layers[0].attention
    assert (att.n_head, att.n_kv_head, att.head_dim) == (4, 4, 64)
    untied = GPT(GPTConfig.from_preset("gpt-tiny", n_layer=1, tie_embeddings=False))
    assert untied.output.weight is not untied.tok_embeddings.weight
    assert untied.num_params() == untied.config.num_params()


def test_forward_shapes_loss_and_causality():
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=50, n_layer=2, n_head=4, n_kv_head=2, d_model=32, ffn_hidden=48, max_seq_len=16)
    model = GPT(cfg).eval()
    idx = torch.randint(0, 50, (3, 10))
    logits = model(idx)
    assert logits.shape == (3, 10, 50)
    logits2, loss = model(idx, idx)
    assert torch.allclose(logits, logits2)
    assert abs(loss.item() - torch.log(torch.tensor(50.0)).item()) < 1.0
    changed = idx.clone()
    changed[:, 7:] = (changed[:, 7:] + 1) % 50
    out = model(changed)
    assert torch.allclose(out[:, :7], logits[:, :7], atol=1e-6)
    assert not torch.allclose(out[:, 7:], logits[:, 7:])
    with pytest.raises(ValueError, match="max_seq_len"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_rotary_is_relative_and_norm_preserving():
    hd = 16
    cos, sin = rope_cos_sin(hd, 64, theta=10000.0)
    q = torch.randn(hd)
    k = torch.randn(hd)

    def at(x, pos):
        return apply_rotary(x.view(1, 1, hd), cos[pos : pos + 1], sin[pos : pos + 1]).view(hd)

    assert torch.allclose(at(q, 5).norm(), q.norm(), atol=1e-5)
    d1 = torch.dot(at(q, 10), at(k, 3))
    d2 = torch.dot(at(q, 40), at(k, 33))
    assert torch.allclose(d1, d2, atol=1e-4)
    c2, s2 = rope_cos_sin(hd, 4, offset=10)
    assert torch.allclose(c2, cos[10:14]) and torch.allclose(s2, sin[10:14])


def test_bad_model_config_is_clear():
    with pytest.raises(ValueError, match="divisible by model.n_head"):
        GPTConfig(d_model=30, n_head=4)
    with pytest.raises(ValueError, match="multiple of model.n_kv_head"):
        GPTConfig(d_model=32, n_head=4, n_kv_head=3)
    with pytest.raises(ValueError, match="unknown model preset"):
        GPTConfig.from_preset("gpt-9000")
    assert "gpt-1b" in load_presets()


def test_flops_per_token_matches_6n_rule():
    cfg = GPTConfig.from_preset("gpt-125m")
    f = cfg.flops_per_token(1024)
    attn = 12 * cfg.n_layer * cfg.d_model * 1024
    assert 6 * cfg.num_params() * 0.99 < f - attn <= 6 * cfg.num_params()


def test_gqa_uses_sdpa_without_repeating_kv(monkeypatch):
    """Grouped-query attention goes through SDPA's enable_gqa (torch >= 2.5): no repeated K/V
    copies, and the same output as the repeat_interleave reference."""
    import torch.nn.functional as F

    from aiinfra import model as model_mod

    if not model_mod.SDPA_GQA:
        pytest.skip("this torch's SDPA has no enable_gqa")
    torch.manual_seed(0)
    gpt = GPT(GPTConfig(vocab_size=64, n_layer=1, n_head=4, n_kv_head=2, d_model=32, ffn_hidden=64, max_seq_len=16))
    att = gpt.layers[0].attention
    x = torch.randn(2, 16, 32)
    cos, sin = gpt.rope_cos[:16], gpt.rope_sin[:16]
    q = apply_rotary(att.wq(x).view(2, 16, 4, 8).transpose(1, 2), cos, sin)
    k = apply_rotary(att.wk(x).view(2, 16, 2, 8).transpose(1, 2), cos, sin)
    v = att.wv(x).view(2, 16, 2, 8).transpose(1, 2)
    ref = F.scaled_dot_product_attention(q, k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1), is_causal=True)
    expected = att.wo(ref.transpose(1, 2).reshape(2, 16, 32))

    def no_repeat(*args, **kwargs):
        raise AssertionError("K/V repeated: SDPA's enable_gqa should be used")

    monkeypatch.setattr(torch.Tensor, "repeat_interleave", no_repeat)
    torch.testing.assert_close(att(x, cos, sin), expected)


def test_loss_has_no_fp32_copy_of_the_whole_logits(monkeypatch):
    """With bf16 logits the loss is computed in fp32 chunks (recomputed in backward): no fp32
    tensor of the full logits size appears in forward or backward, and loss and gradients
    equal the plain fp32 cross-entropy's."""
    import torch.nn.functional as F
    from torch.utils._python_dispatch import TorchDispatchMode

    from aiinfra import model as model_mod

    vocab, rows = 512, 64
    monkeypatch.setattr(model_mod, "LOSS_CHUNK_BYTES", 16 * vocab * 4)  # 16 rows per chunk
    torch.manual_seed(0)
    logits = torch.randn(4, rows // 4, vocab).bfloat16().requires_grad_()
    targets = torch.randint(0, vocab, (4, rows // 4))
    targets[0, :3] = -100

    class Sizes(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.fp32 = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in out if isinstance(out, (tuple, list)) else [out]:
                if isinstance(t, torch.Tensor) and t.dtype == torch.float32:
                    self.fp32 = max(self.fp32, t.numel())
            return out

    with Sizes() as seen:
        loss = model_mod.lm_loss(logits, targets)
        loss.backward()
    assert seen.fp32 <= 16 * vocab, f"an fp32 tensor of {seen.fp32} elements (the logits have {rows * vocab})"

    ref_logits = logits.detach().float().requires_grad_()
    ref = F.cross_entropy(ref_logits.view(-1, vocab), targets.view(-1), ignore_index=-100)
    ref.backward()
    torch.testing.assert_close(loss, ref, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(logits.grad.float(), ref_logits.grad, rtol=1e-2, atol=1e-4)  # grad stored in bf16


class _ConcatCache:
    """The simplest KVCache: per layer, every key and value so far, concatenated (one sequence
    per row, all rows at the same positions). The server's slot cache is in serve/model_runner.py."""

    def __init__(self, n_layer: int) -> None:
        self.k: list[torch.Tensor | None] = [None] * n_layer
        self.v: list[torch.Tensor | None] = [None] * n_layer

    def update(self, layer, k, v):
        if self.k[layer] is None:  # the prompt: causal attention over its own keys
            self.k[layer], self.v[layer] = k, v
            return k, v, None
        self.k[layer] = torch.cat([self.k[layer], k], dim=2)
        self.v[layer] = torch.cat([self.v[layer], v], dim=2)
        new, total = k.shape[2], self.k[layer].shape[2]
        # query i (position total - new + i) sees the keys up to its own position
        mask = torch.ones(new, total, dtype=torch.bool).tril(total - new)[None, None]
        return self.k[layer], self.v[layer], mask


@pytest.mark.parametrize("n_kv_head", [4, 2])
@torch.no_grad()
def test_forward_with_kv_cache_gives_the_logits_of_the_full_forward(n_kv_head):
    """The one forward pass, with a KV cache: a prompt, then a chunk of 3 tokens, then tokens one
    at a time, each attending to the cached keys, give the logits of the cache-free forward over
    the whole sequence. Tolerance (fp32): rtol = atol = 1e-5 (the full forward runs SDPA over 20
    tokens with its causal flag, the cached one over fewer, with an explicit mask, so the sums
    are ordered differently); the prompt alone is bit-identical to the cache-free forward of
    the prompt (the same computation)."""
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=97, n_layer=3, n_head=4, n_kv_head=n_kv_head, d_model=32, ffn_hidden=64, max_seq_len=32)
    model = GPT(cfg).eval()
    with torch.no_grad():  # sharper attention than GPT-2 init, so a wrong cache shows in the logits
        for layer in model.layers:
            layer.attention.wq.weight.mul_(8.0)
            layer.attention.wk.weight.mul_(8.0)
    ids = torch.randint(0, 97, (2, 20))
    full = model(ids)
    cache = _ConcatCache(cfg.n_layer)
    pos = torch.arange(20).expand(2, 20)
    parts = [(0, 12), (12, 15)] + [(t, t + 1) for t in range(15, 20)]
    for lo, hi in parts:
        out = model(ids[:, lo:hi], cache=cache, positions=pos[:, lo:hi])
        if lo == 0:  # the same computation as without a cache
            assert torch.equal(out, model(ids[:, :hi]))
        torch.testing.assert_close(out, full[:, lo:hi], rtol=1e-5, atol=1e-5)
    # `last` picks one token's logits per row
    last = model(ids, last=torch.tensor([19, 4]))
    # Not bitwise: the output projection of 2 rows and of 40 may take different BLAS kernels (torch 2.15 does).
    torch.testing.assert_close(last, torch.stack([full[0, 19], full[1, 4]]), rtol=1e-6, atol=1e-6)
    # a cache that hands back wrong keys is seen: the test above can fail
    bad = _ConcatCache(cfg.n_layer)
    model(ids[:, :12], cache=bad, positions=pos[:, :12])
    bad.k = [k.flip(2) for k in bad.k]
    out = model(ids[:, 12:13], cache=bad, positions=pos[:, 12:13])
    assert not torch.allclose(out, full[:, 12:13], rtol=1e-3, atol=1e-3)
