"""The server's KV cache, and the batched forward of the trainer's GPT through it.

The cache is pre-allocated: ``num_slots`` sequences of up to ``max_len`` tokens, laid out as
``(layer, slot, kv_head, position, head_dim)`` so that the keys of the running batch, kept in
slots ``0..B-1`` by the engine, are a view ``k[layer, :B, :, :T]`` that goes straight into
``scaled_dot_product_attention`` with no copy.

One ``forward`` call runs a batch of rows, each row a chunk of one sequence: ``L == 1`` for
decode (every running sequence, one token each, in one forward) and ``L > 1`` for prefill
(several new prompts padded to the longest, or the next chunk of a long prompt). The layers
themselves run in ``GPT.forward`` (one implementation of the block for training and serving);
this module only says where each row's keys and values go and which ones its attention
reads (``_BatchCache``, a ``aiinfra.model.KVCache``).
"""

from __future__ import annotations

import logging

import torch

from ..model import GPT

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


class _BatchCache:
    """One forward's view of the ``KVCache``: where each row's new keys and values are written
    and what its attention reads (see ``ModelRunner.forward`` for the arguments)."""

    def __init__(self, cache: KVCache, B: int, L: int, positions: torch.Tensor, valid: torch.Tensor,
                 row_slots: torch.Tensor, slots: torch.Tensor | None, fresh: bool, max_kv: int) -> None:
        self.cache = cache
        self.B, self.L = B, L
        self.slots = slots
        self.fresh = fresh
        self.max_kv = max_kv
        if L == 1:
            self.w_slot, self.w_pos, self.w_row, self.w_t = row_slots, positions[:, 0], None, None
        else:
            self.w_row, self.w_t = valid.nonzero(as_tuple=True)
            self.w_slot, self.w_pos = row_slots[self.w_row], positions[self.w_row, self.w_t]
        self.mask = None
        if not fresh:
            kpos = torch.arange(max_kv, device=positions.device)
            self.mask = (kpos[None, None, :] <= positions[:, :, None])[:, None]  # (B, 1, L, T)

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        kc, vc = self.cache.k[layer], self.cache.v[layer]
        if self.L == 1:
            kc[self.w_slot, :, self.w_pos] = k[:, :, 0]
            vc[self.w_slot, :, self.w_pos] = v[:, :, 0]
        else:
            kc[self.w_slot, :, self.w_pos] = k.transpose(1, 2)[self.w_row, self.w_t]
            vc[self.w_slot, :, self.w_pos] = v.transpose(1, 2)[self.w_row, self.w_t]
        if self.fresh:  # whole prompts: attention needs only the keys computed here (causal)
            return k, v, None
        if self.slots is None:  # the decode batch, dense in slots 0..B-1: a view, no gather
            return kc[: self.B, :, : self.max_kv], vc[: self.B, :, : self.max_kv], self.mask
        return kc[self.slots, :, : self.max_kv], vc[self.slots, :, : self.max_kv], self.mask


class ModelRunner:
    """Runs ``GPT.forward`` on batches of sequence chunks, reading and writing a ``KVCache``."""

    def __init__(self, model: GPT, num_slots: int, max_len: int | None = None) -> None:
        cfg = model.config
        self.model = model.eval()
        self.config = cfg
        self.max_len = min(max_len or cfg.max_seq_len, cfg.max_seq_len)
        param = next(model.parameters())
        self.device = param.device
        self.dtype = model.tok_embeddings.weight.dtype
        if model.rope_cos.dtype != torch.float32:  # a model cast with .to(dtype): rotary tables stay float32
            model.rope_cos = model.rope_cos.float()
            model.rope_sin = model.rope_sin.float()
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
        row_slots = slots if slots is not None else torch.arange(B, device=dev)
        if fresh:
            max_kv = L
        elif max_kv is None:
            max_kv = int((start + lengths).max().item())
        batch = _BatchCache(self.cache, B, L, positions, valid, row_slots, slots, fresh, max_kv)
        # padding positions past the cache are clamped: their rows are never written or read
        rope_pos = positions.clamp(max=self.max_len - 1)
        if L == 1:  # decode: each row's only token
            return self.model(tokens, cache=batch, positions=rope_pos)[:, 0].float()
        return self.model(tokens, cache=batch, positions=rope_pos, last=lengths - 1).float()
