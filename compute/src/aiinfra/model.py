"""GPT decoder (pre-norm, RMSNorm, rotary embeddings, SwiGLU, grouped-query attention).

Module names follow torchtitan / Llama (see compute/CONTRACT.md):

    GPT.tok_embeddings  nn.Embedding
    GPT.layers[i]       TransformerBlock(attention_norm, attention(wq, wk, wv, wo),
                                         ffn_norm, feed_forward(w1, w2, w3))
    GPT.norm            RMSNorm(.weight, .eps)
    GPT.output          nn.Linear (weight tied to tok_embeddings when tie_embeddings)

There is one forward pass, used by the trainer and the model server alike: ``GPT.forward``
takes an optional ``KVCache`` (the server's pre-allocated cache is in
``aiinfra/serve/model_runner.py``), which each attention layer hands this step's keys and
values to and gets back the keys, values and mask to attend over.
"""

from __future__ import annotations

import dataclasses
import json
import math
import zlib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch import nn

__all__ = [
    "GPTConfig",
    "GPT",
    "TransformerBlock",
    "Attention",
    "FeedForward",
    "KVCache",
    "RMSNorm",
    "rope_cos_sin",
    "apply_rotary",
    "attend",
    "load_presets",
    "default_ffn_hidden",
    "lm_loss",
    "document_mask",
    "DocumentMask",
]


def default_ffn_hidden(d_model: int, multiple_of: int = 256) -> int:
    """SwiGLU hidden size: 8/3 * d_model rounded up to a multiple (Llama convention)."""
    hidden = int(8 * d_model / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def load_presets() -> dict[str, dict[str, int]]:
    """The preset table shipped in ``aiinfra/presets.json``."""
    text = resources.files("aiinfra").joinpath("presets.json").read_text(encoding="utf-8")
    return json.loads(text)


@dataclass
class GPTConfig:
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_kv_head: int | None = None  # None: same as n_head (plain multi-head attention)
    d_model: int = 768
    ffn_hidden: int | None = None  # None: default_ffn_hidden(d_model)
    max_seq_len: int = 1024
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        if self.n_kv_head is None:
            self.n_kv_head = self.n_head
        if self.ffn_hidden is None:
            self.ffn_hidden = default_ffn_hidden(self.d_model)
        self.validate()

    def validate(self) -> None:
        problems = []
        for name in ("vocab_size", "n_layer", "n_head", "n_kv_head", "d_model", "ffn_hidden", "max_seq_len"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                problems.append(f"model.{name} must be a positive integer, got {value!r}")
        if not problems:
            if self.d_model % self.n_head != 0:
                problems.append(
                    f"model.d_model ({self.d_model}) must be divisible by model.n_head ({self.n_head})"
                )
            elif (self.d_model // self.n_head) % 2 != 0:
                problems.append(
                    f"head_dim = d_model / n_head = {self.d_model // self.n_head} must be even for rotary embeddings"
                )
            if self.n_head % self.n_kv_head != 0:
                problems.append(
                    f"model.n_head ({self.n_head}) must be a multiple of model.n_kv_head ({self.n_kv_head})"
                )
        if not (isinstance(self.rope_theta, (int, float)) and self.rope_theta > 0):
            problems.append(f"model.rope_theta must be > 0, got {self.rope_theta!r}")
        if not (isinstance(self.norm_eps, (int, float)) and self.norm_eps > 0):
            problems.append(f"model.norm_eps must be > 0, got {self.norm_eps!r}")
        if problems:
            raise ValueError("invalid model config: " + "; ".join(problems))

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GPTConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names - {"params"})
        if unknown:
            raise ValueError(f"unknown GPTConfig keys: {unknown}; allowed: {sorted(names)}")
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> "GPTConfig":
        presets = load_presets()
        if name not in presets:
            raise ValueError(f"unknown model preset {name!r}; available: {sorted(presets)}")
        data = {k: v for k, v in presets[name].items() if k != "params"}
        data.update(overrides)
        return cls.from_dict(data)

    def num_params(self) -> int:
        """Parameter count (tied embeddings counted once), without building the model."""
        d, hd = self.d_model, self.head_dim
        attn = d * self.n_head * hd + 2 * d * self.n_kv_head * hd + self.n_head * hd * d
        ffn = 3 * d * self.ffn_hidden
        per_layer = attn + ffn + 2 * d
        total = self.vocab_size * d + self.n_layer * per_layer + d
        if not self.tie_embeddings:
            total += self.vocab_size * d
        return total

    def flops_per_token(self, seq_len: int | None = None) -> float:
        """Training FLOPs per token (forward + backward), PaLM appendix B convention:
        6 * (matmul parameters) + 12 * n_layer * d_model * seq_len for attention scores.
        The input embedding lookup does no matmul, so with untied embeddings its
        parameters are left out; with tied embeddings the shared matrix is the output head."""
        t = seq_len or self.max_seq_len
        n = self.num_params() - (self.n_layer * 2 + 1) * self.d_model  # norms do no matmuls
        if not self.tie_embeddings:
            n -= self.vocab_size * self.d_model
        return 6.0 * n + 12.0 * self.n_layer * self.n_head * self.head_dim * t


def rope_cos_sin(
    head_dim: int,
    seq_len: int,
    theta: float = 10000.0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    offset: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin tables of shape (seq_len, head_dim) for positions offset..offset+seq_len-1,
    in the non-interleaved ("rotate_half") layout: frequencies repeated for both halves."""
    if head_dim % 2:
        raise ValueError(f"head_dim must be even, got {head_dim}")
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim))
    pos = torch.arange(offset, offset + seq_len, device=device, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate x (..., seq, head_dim), e.g. (batch, heads, seq, head_dim), by cos/sin tables
    broadcastable to it (seq, head_dim). Computed in float32, returned in x's dtype."""
    xf = x.float()
    out = xf * cos.float() + _rotate_half(xf) * sin.float()
    return out.to(x.dtype)


def _sdpa_supports_gqa() -> bool:
    try:
        q = torch.zeros(1, 2, 1, 2)
        kv = torch.zeros(1, 1, 1, 2)
        F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)
        return True
    except (TypeError, RuntimeError):
        return False


# SDPA's enable_gqa (torch >= 2.5): grouped-query attention without copies of K and V.
SDPA_GQA = _sdpa_supports_gqa()

# Rows of logits whose loss is computed at once: at most this many bytes in fp32.
LOSS_CHUNK_BYTES = 256 << 20


def _ce_sum(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.float(), targets, ignore_index=-100, reduction="sum")


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the targets that are not -100, computed in fp32 without an fp32
    copy of the whole logits tensor: for a 50k vocabulary, 8 x 2048 tokens, that copy alone is
    3.3 GB (plus as much again for the log-softmax autograd keeps). The rows are taken in chunks
    of at most LOSS_CHUNK_BYTES in fp32, each recomputed in backward from the (bf16) logits
    rather than kept, so only one chunk is ever in fp32. In fp32 it is the same loss."""
    vocab = logits.size(-1)
    flat, tgt = logits.reshape(-1, vocab), targets.reshape(-1)
    rows = max(1, LOSS_CHUNK_BYTES // (4 * vocab))
    count = (tgt != -100).sum().clamp(min=1)
    if flat.dtype == torch.float32 or flat.size(0) <= rows:
        return _ce_sum(flat, tgt) / count
    total = flat.new_zeros((), dtype=torch.float32)
    # split (not slicing): its backward writes every chunk's gradient into one tensor.
    for chunk, chunk_tgt in zip(flat.split(rows), tgt.split(rows)):
        if torch.is_grad_enabled() and chunk.requires_grad:
            total = total + torch.utils.checkpoint.checkpoint(_ce_sum, chunk, chunk_tgt, use_reentrant=False)
        else:
            total = total + _ce_sum(chunk, chunk_tgt)
    return total / count


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return xf.to(x.dtype) * self.weight.to(x.dtype)

    def reset_parameters(self) -> None:
        nn.init.ones_(self.weight)


class KVCache(Protocol):
    """A key/value cache for one ``GPT.forward`` call of a batch (the model server's is in
    ``aiinfra/serve/model_runner.py``): it knows where this batch's tokens sit in its storage."""

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Store layer ``layer``'s keys and values of this forward's tokens, ``k`` and ``v``
        (batch, kv_heads, seq, head_dim; rotary already applied), and return what attention
        reads: keys and values (batch, kv_heads, T, head_dim) and a boolean mask (batch, 1,
        seq, T), True where a query may attend; a None mask means causal attention over
        exactly ``k`` and ``v`` (a whole prompt, nothing cached before it)."""
        ...


def document_mask(positions: torch.Tensor) -> torch.Tensor:
    """Boolean attention mask (batch, 1, seq, seq) of rows that pack several documents, from
    the tokens' positions (batch, seq), which restart at 0 where a document starts: True where
    a query may attend, causal and within its own document."""
    doc = (positions == 0).cumsum(-1)
    seq = positions.shape[-1]
    causal = torch.ones(seq, seq, dtype=torch.bool, device=positions.device).tril()
    return ((doc[:, :, None] == doc[:, None, :]) & causal)[:, None]


class DocumentMask:
    """A KVCache that caches nothing: every layer attends over its own keys and values under
    one document mask (packed training rows)."""

    def __init__(self, positions: torch.Tensor) -> None:
        self.mask = document_mask(positions)

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        return k, v, self.mask


def attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """SDPA of q (batch, heads, seq, head_dim) over k, v (batch, kv_heads, T, head_dim):
    causal when ``mask`` is None, else the boolean ``mask``. Grouped-query attention uses
    SDPA's enable_gqa, which reads each K/V head for its group of queries (no copies)."""
    gqa: dict[str, bool] = {}
    if k.shape[1] != q.shape[1]:
        if SDPA_GQA:
            gqa["enable_gqa"] = True
        else:  # torch 2.4: materialize the repeated K/V
            rep = q.shape[1] // k.shape[1]
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
    if mask is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, **gqa)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **gqa)


class Attention(nn.Module):
    def __init__(self, config: GPTConfig, layer_id: int = 0) -> None:
        super().__init__()
        self.layer_id = layer_id  # this layer's index in a KVCache
        self.n_head = config.n_head
        self.n_kv_head = config.n_kv_head
        self.head_dim = config.head_dim
        d = config.d_model
        self.wq = nn.Linear(d, self.n_head * self.head_dim, bias=False)
        self.wk = nn.Linear(d, self.n_kv_head * self.head_dim, bias=False)
        self.wv = nn.Linear(d, self.n_kv_head * self.head_dim, bias=False)
        self.wo = nn.Linear(self.n_head * self.head_dim, d, bias=False)

    def forward(
        self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache: KVCache | None = None
    ) -> torch.Tensor:
        bsz, seq, _ = x.shape
        q = self.wq(x).view(bsz, seq, self.n_head, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(bsz, seq, self.n_kv_head, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(bsz, seq, self.n_kv_head, self.head_dim).transpose(1, 2)
        q = apply_rotary(q, cos, sin)
        k = apply_rotary(k, cos, sin)
        mask = None
        if cache is not None:
            k, v, mask = cache.update(self.layer_id, k, v)
        y = attend(q, k, v, mask)
        y = y.transpose(1, 2).reshape(bsz, seq, self.n_head * self.head_dim)
        return self.wo(y)


class FeedForward(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.w1 = nn.Linear(config.d_model, config.ffn_hidden, bias=False)
        self.w2 = nn.Linear(config.ffn_hidden, config.d_model, bias=False)
        self.w3 = nn.Linear(config.d_model, config.ffn_hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nn.Module):
    def __init__(self, config: GPTConfig, layer_id: int = 0) -> None:
        super().__init__()
        self.layer_id = layer_id
        self.attention_norm = RMSNorm(config.d_model, config.norm_eps)
        self.attention = Attention(config, layer_id)
        self.ffn_norm = RMSNorm(config.d_model, config.norm_eps)
        self.feed_forward = FeedForward(config)

    def forward(
        self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache: KVCache | None = None
    ) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x), cos, sin, cache)
        return x + self.feed_forward(self.ffn_norm(x))


def _seeded_init(param: torch.Tensor, name: str, std: float | None, seed: int, uniform_bound: float | None = None) -> None:
    """Fill ``param`` (a tensor or an FSDP-sharded DTensor) with N(0, std) drawn from a
    generator of its own (U(-uniform_bound, uniform_bound) when given), or ones when std is
    None; the same values whatever the sharding.
    One parameter at a time is generated in full (the largest is the embedding matrix)."""
    if param.device.type == "meta":
        return
    try:
        from torch.distributed.tensor import DTensor, distribute_tensor
    except ImportError:  # torch 2.4
        from torch.distributed._tensor import DTensor, distribute_tensor  # type: ignore
    sharded = isinstance(param, DTensor)
    device = param.to_local().device if sharded else param.device
    if std is None and uniform_bound is None:
        full = torch.ones(param.shape, device=device, dtype=param.dtype)
    else:
        gen = torch.Generator(device=device)
        gen.manual_seed((seed * 1_000_003 + zlib.crc32(name.encode())) % (1 << 62))
        full = torch.empty(param.shape, device=device, dtype=torch.float32)
        if uniform_bound is not None:
            full.uniform_(-uniform_bound, uniform_bound, generator=gen)
        else:
            full.normal_(0.0, std, generator=gen)
        full = full.to(param.dtype)
    param.copy_(distribute_tensor(full, param.device_mesh, param.placements) if sharded else full)


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.tok_embeddings = nn.Embedding(config.vocab_size, config.d_model)
        self.layers = nn.ModuleList(TransformerBlock(config, i) for i in range(config.n_layer))
        self.norm = RMSNorm(config.d_model, config.norm_eps)
        self.output = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.output.weight = self.tok_embeddings.weight
        cos, sin = rope_cos_sin(config.head_dim, config.max_seq_len, config.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        # Recompute each block's activations in backward (less memory, ~1/3 more compute).
        self.activation_checkpointing = False
        self.init_weights()

    @torch.no_grad()
    def init_weights(self, seed: int | None = None) -> None:
        """GPT-2 style init: N(0, 0.02), residual projections scaled by 1/sqrt(2 * n_layer).
        Also recomputes the rotary tables, so a model built on the meta device can be
        materialized with ``to_empty`` followed by ``init_weights``.

        ``seed``: each parameter from its own generator (seeded by ``seed`` and its name), so
        the values do not depend on how the parameters are sharded: an FSDP model built on the
        meta device, sharded, then materialized gets the weights one process would give it,
        without ever holding the whole model. Without it, the global RNG, in order."""
        std = 0.02
        resid_std = std / math.sqrt(2 * self.config.n_layer)
        specs: list[tuple[str, nn.Parameter, float | None]] = [("tok_embeddings.weight", self.tok_embeddings.weight, std)]
        for i, layer in enumerate(self.layers):
            for name in ("attention.wq", "attention.wk", "attention.wv", "feed_forward.w1", "feed_forward.w3"):
                specs.append((f"layers.{i}.{name}.weight", layer.get_submodule(name).weight, std))
            specs.append((f"layers.{i}.attention.wo.weight", layer.attention.wo.weight, resid_std))
            specs.append((f"layers.{i}.feed_forward.w2.weight", layer.feed_forward.w2.weight, resid_std))
            specs.append((f"layers.{i}.attention_norm.weight", layer.attention_norm.weight, None))
            specs.append((f"layers.{i}.ffn_norm.weight", layer.ffn_norm.weight, None))
        specs.append(("norm.weight", self.norm.weight, None))
        if not self.config.tie_embeddings:
            specs.append(("output.weight", self.output.weight, std))
        for name, param, param_std in specs:
            if seed is not None:
                _seeded_init(param, name, param_std, seed)
            elif param_std is None:
                nn.init.ones_(param)
            else:
                nn.init.normal_(param, mean=0.0, std=param_std)
        device = self.rope_cos.device
        if device.type != "meta":
            cos, sin = rope_cos_sin(self.config.head_dim, self.config.max_seq_len, self.config.rope_theta, device=device)
            self.rope_cos.copy_(cos)
            self.rope_sin.copy_(sin)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        *,
        cache: KVCache | None = None,
        positions: torch.Tensor | None = None,
        last: torch.Tensor | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """idx: (batch, seq) token ids. Returns logits (batch, seq, vocab); with targets
        (batch, seq) returns (logits, mean cross-entropy loss); target -100 is ignored.

        Packed training rows: ``positions`` without ``cache``, restarting at 0 where each
        document starts; every token attends only within its document (``document_mask``).

        Inference with a KV cache (the model server): ``cache`` stores each layer's keys and
        values and supplies those attention reads (see ``KVCache``); ``positions`` (batch, seq)
        are the tokens' positions in their sequences (default 0..seq-1), for the rotary
        embeddings; ``last`` (batch,): only the logits of token ``last[b]`` of each row are
        computed, returned as (batch, vocab) (a prefill needs one token's logits, not the
        output head over every prompt token)."""
        bsz, seq = idx.shape
        if seq > self.config.max_seq_len:
            raise ValueError(f"sequence length {seq} exceeds max_seq_len {self.config.max_seq_len}")
        if positions is None:
            cos = self.rope_cos[:seq]
            sin = self.rope_sin[:seq]
        else:  # per row: (batch, 1, seq, head_dim), broadcast over the heads
            cos = self.rope_cos[positions][:, None]
            sin = self.rope_sin[positions][:, None]
        h = self.tok_embeddings(idx)
        recompute = self.activation_checkpointing and self.training and torch.is_grad_enabled() and cache is None
        # Positions without a cache: rows packing several documents (fine-tuning), whose
        # positions restart at 0 per document; attention stays within each document.
        attn = cache if cache is not None or positions is None else DocumentMask(positions)
        for layer in self.layers:
            if recompute:
                h = torch.utils.checkpoint.checkpoint(layer, h, cos, sin, attn, use_reentrant=False)
            else:
                h = layer(h, cos, sin, attn)
        if last is not None:
            h = h[torch.arange(bsz, device=h.device), last]
        h = self.norm(h)
        logits = self.output(h)
        if targets is None:
            return logits
        return logits, lm_loss(logits, targets)
