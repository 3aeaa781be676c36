"""int8 weight-only quantization, symmetric, one scale per output channel.

``W ~= q * s`` with ``q = round(W / s)`` in [-127, 127] and ``s = max|W_row| / 127``, so
``x @ W.T ~= (x @ q.T) * s``: the scale is applied to the matmul output. On CPU the matmul runs
in ``aten._weight_int8pack_mm`` (int8 weights read directly) where the build has it; elsewhere
the int8 weight is converted to the activation dtype on the fly. Either way the weights stay
int8 in memory (half of bf16, a quarter of fp32), which leaves room for a larger KV cache.
The embedding table and norms are kept in the model's dtype.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Int8Linear", "quantize_int8", "quantize_weight_int8"]


def quantize_weight_int8(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-output-channel symmetric int8: returns (int8 weight (out, in), float32 scale (out,))."""
    w = weight.detach().float()
    scale = w.abs().amax(dim=1).clamp(min=1e-12) / 127.0
    q = torch.round(w / scale[:, None]).clamp_(-127, 127).to(torch.int8)
    return q, scale


def _int8pack_ok() -> bool:
    op = getattr(torch.ops.aten, "_weight_int8pack_mm", None)
    if op is None:
        return False
    try:
        out = op(torch.ones(1, 32), torch.ones(8, 32, dtype=torch.int8), torch.ones(8))
        return bool(torch.allclose(out, torch.full((1, 8), 32.0)))
    except (RuntimeError, NotImplementedError):
        return False


_INT8PACK = _int8pack_ok()


class Int8Linear(nn.Module):
    """Drop-in for a bias-free ``nn.Linear`` holding an int8 weight and per-channel scales."""

    def __init__(self, qweight: torch.Tensor, scale: torch.Tensor, dtype: torch.dtype) -> None:
        super().__init__()
        self.in_features = qweight.shape[1]
        self.out_features = qweight.shape[0]
        self.register_buffer("qweight", qweight)
        # The scale is kept in the activation dtype so the fused CPU kernel can use it.
        self.register_buffer("scale", scale.to(dtype))

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> Int8Linear:
        if linear.bias is not None:
            raise ValueError("Int8Linear supports bias-free linear layers only")
        q, s = quantize_weight_int8(linear.weight)
        return cls(q.to(linear.weight.device), s.to(linear.weight.device), linear.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, self.in_features)
        if _INT8PACK and x.device.type == "cpu" and x.dtype == self.scale.dtype:
            y = torch.ops.aten._weight_int8pack_mm(x2, self.qweight, self.scale)
        else:
            y = F.linear(x2, self.qweight.to(x.dtype)) * self.scale.to(x.dtype)
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 per-channel"


def quantize_int8(model: nn.Module) -> nn.Module:
    """Replace the GPT's projection layers (attention, feed-forward, output head) in place.
    A tied output head gets its own int8 copy; the embedding table stays as it is."""
    for layer in model.layers:
        for parent, names in ((layer.attention, ("wq", "wk", "wv", "wo")), (layer.feed_forward, ("w1", "w2", "w3"))):
            for name in names:
                setattr(parent, name, Int8Linear.from_linear(getattr(parent, name)))
    model.output = Int8Linear.from_linear(model.output)
    return model
