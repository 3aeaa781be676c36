"""KV-cached forward pass on the trainer's GPT parameters.

The cache is pre-allocated: ``num_slots`` sequences of up to ``max_len`` tokens, laid out as
``(layer, slot, kv_head, position, head_dim)`` so that the keys of the running batch, kept in
slots ``0..B-1`` by the engine, are a view ``k[layer, :B, :, :T]`` that goes straight into
``scaled_dot_product_attention`` with no copy.

One ``forward`` call runs a batch of rows, each row a chunk of one sequence: ``L == 1`` for
decode (every running sequence, one token each, in one forward) and ``L > 1`` for prefill
(several new prompts padded to the longest, or the next chunk of a long prompt).
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F

from ..model import GPT, apply_rotary, rope_cos_sin

__all__ = ["KVCache", "ModelRunner", "slots_that_fit"]

log = logging.getLogger("aiinfra.serve.model_runner")


def slots_that_fit(requested: int, bytes_per_slot: int, free_bytes: int, fraction: float = 0.9,
                   reserve_bytes: int = 1 << 30) -> int:
    """How many of ``requested`` KV-cache slots fit in ``fraction`` of the free device memory,
    keeping ``reserve_bytes`` for activations and the allocator."""
    budget = int(free_bytes * fraction) - reserve_bytes
    return max(0, min(requested, budget // bytes_per_slot))


class KVCache:
    def __init__(
        self,
        n_layer: int,
        num_slots: int,
        n_kv_head: int,
        max_len: int,
        head_dim: int,
        dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        shape = (n_layer, num_slots, n_kv_head, max_len, head_dim)
        size = 2 * n_layer * num_slots * n_kv_head * max_len * head_dim * torch.empty((), dtype=dtype).element_size()
        try:
            self.k = torch.zeros(shape, dtype=dtype, device=device)
            self.v = torch.zeros(shape, dtype=dtype, device=device)
        except torch.OutOfMemoryError:
            raise RuntimeError(
                f"the KV cache ({num_slots} slots x {max_len} positions = {size / 2**30:.1f} GiB) does not fit on "
                f"{device}: lower --max-batch-size or --max-model-len, or use --quantization int8 for the weights"
            ) from None
        self.num_slots = num_slots
        self.max_len = max_len

    @property
    def nbytes(self) -> int:
        return self.k.numel() * self.k.element_size() * 2

    def move(self, src: int, dst: int, length: int) -> None:
        """Copy the first ``length`` positions of slot ``src`` into slot ``dst`` (all layers)."""
        if src == dst or length <= 0:
            return
        self.k[:, dst, :, :length].copy_(self.k[:, src, :, :length])
        self.v[:, dst, :, :length].copy_(self.v[:, src, :, :length])


def _sdpa_supports_gqa() -> bool:
    try:
        q = torch.zeros(1, 2, 1, 2)
        kv = torch.zeros(1, 1, 1, 2)
        F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)
        return True
    except (TypeError, RuntimeError):
        return False


_GQA = _sdpa_supports_gqa()


class ModelRunner:
    """Runs ``GPT`` layer by layer, reading and writing a ``KVCache``."""

    def __init__(self, model: GPT, num_slots: int, max_len: int | None = None) -> None:
        cfg = model.config
        self.model = model.eval()
        self.config = cfg
        self.max_len = min(max_len or cfg.max_seq_len, cfg.max_seq_len)
        param = next(model.parameters())
        self.device = param.device
        self.dtype = model.tok_embeddings.weight.dtype
        self.n_head = cfg.n_head
        self.n_kv_head = cfg.n_kv_head
        self.head_dim = cfg.head_dim
        if self.device.type == "cuda":
            # size the cache to the GPU: fewer slots (a smaller max batch) rather than an OOM
            per_slot = 2 * cfg.n_layer * cfg.n_kv_head * self.max_len * cfg.head_dim * param.element_size()
            free, _ = torch.cuda.mem_get_info(self.device)
            fit = slots_that_fit(num_slots, per_slot, free)
            if fit < 2:
                raise RuntimeError(f"no room for a KV cache of even one sequence of {self.max_len} positions "
                                   f"({per_slot / 2**30:.2f} GiB each, {free / 2**30:.1f} GiB free): lower "
                                   "--max-model-len or use --quantization int8")
            if fit < num_slots:
                log.warning("KV cache: %d slots of %d positions fit on %s (%d asked for); the batch is capped at %d",
                            fit, self.max_len, self.device, num_slots, fit - 1)
                num_slots = fit
        self.cache = KVCache(cfg.n_layer, num_slots, cfg.n_kv_head, self.max_len, cfg.head_dim, self.dtype, self.device)
        cos, sin = rope_cos_sin(cfg.head_dim, self.max_len, cfg.rope_theta, device=self.device)
        self.cos = cos  # float32 (max_len, head_dim)
        self.sin = sin

    @torch.inference_mode()
    def forward(
        self,
        tokens: torch.Tensor,
        start: torch.Tensor,
        lengths: torch.Tensor,
        slots: torch.Tensor | None = None,
        fresh: bool = False,
        max_kv: int | None = None,
    ) -> torch.Tensor:
        """Run ``tokens`` (B, L) and return float32 logits (B, vocab) of each row's last valid token.

        Row b holds ``lengths[b]`` tokens of the sequence in cache slot ``slots[b]`` (row b's
        slot is b when ``slots`` is None: the decode batch), at positions ``start[b]...``;
        their keys and values are written to the cache. ``fresh``: every row starts at 0
        (a whole prompt), so attention needs only the keys computed here. ``max_kv``: the
        longest ``start + lengths`` (the caller knows it; passing it saves a device sync).
        """
        B, L = tokens.shape
        dev = self.device
        ar = torch.arange(L, device=dev)
        positions = start[:, None] + ar[None, :]  # (B, L)
        valid = ar[None, :] < lengths[:, None]  # (B, L)
        safe_pos = positions.clamp(max=self.max_len - 1)
        cos = self.cos[safe_pos][:, None]  # (B, 1, L, D)
        sin = self.sin[safe_pos][:, None]
        row_slots = slots if slots is not None else torch.arange(B, device=dev)
        if fresh:
            max_kv = L
        elif max_kv is None:
            max_kv = int((start + lengths).max().item())
        if L == 1:
            w_slot, w_pos, w_row, w_t = row_slots, positions[:, 0], None, None
        else:
            w_row, w_t = valid.nonzero(as_tuple=True)
            w_slot, w_pos = row_slots[w_row], positions[w_row, w_t]
        mask = None
        if not fresh:
            kpos = torch.arange(max_kv, device=dev)
            mask = (kpos[None, None, :] <= positions[:, :, None])[:, None]  # (B, 1, L, T)
        cache = self.cache
        h = self.model.tok_embeddings(tokens)
        for i, layer in enumerate(self.model.layers):
            attn = layer.attention
            x = layer.attention_norm(h)
            q = attn.wq(x).view(B, L, self.n_head, self.head_dim).transpose(1, 2)
            k = attn.wk(x).view(B, L, self.n_kv_head, self.head_dim).transpose(1, 2)
            v = attn.wv(x).view(B, L, self.n_kv_head, self.head_dim).transpose(1, 2)
            q = apply_rotary(q, cos, sin)
            k = apply_rotary(k, cos, sin)
            kc, vc = cache.k[i], cache.v[i]
            if L == 1:
                kc[w_slot, :, w_pos] = k[:, :, 0]
                vc[w_slot, :, w_pos] = v[:, :, 0]
            else:
                kc[w_slot, :, w_pos] = k.transpose(1, 2)[w_row, w_t]
                vc[w_slot, :, w_pos] = v.transpose(1, 2)[w_row, w_t]
            if fresh:
                keys, values = k, v
            elif slots is None:
                keys, values = kc[:B, :, :max_kv], vc[:B, :, :max_kv]
            else:
                keys, values = kc[slots, :, :max_kv], vc[slots, :, :max_kv]
            y = self._attention(q, keys, values, mask)
            h = h + attn.wo(y.transpose(1, 2).reshape(B, L, self.n_head * self.head_dim))
            h = h + layer.feed_forward(layer.ffn_norm(h))
        last = h[torch.arange(B, device=dev), lengths - 1] if L > 1 else h[:, 0]
        return self.model.output(self.model.norm(last)).float()

    def _attention(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        if self.n_kv_head != self.n_head and not _GQA:
            rep = self.n_head // self.n_kv_head
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
            gqa = {}
        else:
            gqa = {"enable_gqa": True} if self.n_kv_head != self.n_head else {}
        if mask is None:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True, **gqa)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **gqa)
