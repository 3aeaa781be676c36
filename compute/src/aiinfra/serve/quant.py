"""int8 quantization of the projection weights, symmetric, one scale per output channel.

``W ~= q * s`` with ``q = round(W / s)`` in [-127, 127] and ``s = max|W_row| / 127``. The
weights stay int8 in memory (half of bf16, a quarter of fp32), which leaves room for a larger
KV cache. The embedding table and norms are kept in the model's dtype.

The matmul, by device:
- CPU: W8A8. Each activation row (token) is quantized to int8 with its own scale
  ``a = max|x_row| / 127`` and multiplied by the int8 weight in an int8 x int8 -> int32 GEMM
  (``torch._int_mm``, oneDNN/VNNI), then scaled: ``y = (x_q @ q^T) * a * s``. Per-row scales
  keep a row's result independent of the other rows in the batch, so continuous batching stays
  token-identical to serving alone. (The earlier path, ``aten._weight_int8pack_mm`` with fp32
  activations, was 5-30x slower than fp32 and worse with the batch: issue 20.) Int8 on CPU is
  refused for models with ``d_model`` below ``CPU_MIN_D_MODEL``, where the quantization
  overhead outweighs the smaller weights and it is slower than fp32 (measured: README).
- elsewhere (GPU): weight-only; the int8 weight is converted to the activation dtype on the fly
  (``(x @ q^T) * s``): memory, not speed (not faster than bf16).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Int8Linear", "check_int8_supported", "quantize_int8", "quantize_rows_int8", "quantize_weight_int8"]


def quantize_weight_int8(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-output-channel symmetric int8: returns (int8 weight (out, in), float32 scale (out,))."""
    w = weight.detach().float()
    scale = w.abs().amax(dim=1).clamp(min=1e-12) / 127.0
    q = torch.round(w / scale[:, None]).clamp_(-127, 127).to(torch.int8)
    return q, scale


def _int_mm_ok() -> bool:
    """torch._int_mm on CPU (int8 x int8 -> int32), exact on a small case."""
    op = getattr(torch, "_int_mm", None)
    if op is None:
        return False
    try:
        a = torch.full((2, 32), 3, dtype=torch.int8)
        b = torch.full((32, 8), -2, dtype=torch.int8)
        return bool((op(a, b) == -192).all())
    except (RuntimeError, NotImplementedError):
        return False


CPU_W8A8 = _int_mm_ok()
# below this model width, int8 on CPU is slower than fp32 (the weights fit in cache and the
# per-row quantization costs more than the smaller GEMM saves): measured, see README
CPU_MIN_D_MODEL = 512


def check_int8_supported(device: torch.device, d_model: int) -> None:
    """Refuse --quantization int8 where it would be slower than not quantizing (CPU, small
    models) or has no int8 GEMM (CPU torch without _int_mm)."""
    if device.type != "cpu":
        return
    if not CPU_W8A8:
        raise ValueError("--quantization int8 on CPU needs torch._int_mm (int8 GEMM), which this torch build "
                         "lacks; serve with --quantization none")
    if d_model < CPU_MIN_D_MODEL:
        raise ValueError(f"--quantization int8 on CPU is slower than fp32 for models with d_model < "
                         f"{CPU_MIN_D_MODEL} (this one has {d_model}); serve with --quantization none")


def quantize_rows_int8(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row symmetric int8 of activations (rows, in): (int8 rows, float32 scale (rows, 1))."""
    xf = x.float()
    scale = xf.abs().amax(dim=1, keepdim=True).clamp_(min=1e-12) / 127.0
    return torch.round(xf / scale).clamp_(-127, 127).to(torch.int8), scale


class Int8Linear(nn.Module):
    """Drop-in for a bias-free ``nn.Linear`` holding an int8 weight and per-channel scales."""

    def __init__(self, qweight: torch.Tensor, scale: torch.Tensor, dtype: torch.dtype) -> None:
        super().__init__()
        self.in_features = qweight.shape[1]
        self.out_features = qweight.shape[0]
        self.register_buffer("qweight", qweight)
        self.register_buffer("scale", scale.float())
        # CPU: the transposed weight, contiguous, as _int_mm takes it (in, out)
        self.register_buffer("qweight_t", qweight.t().contiguous() if qweight.device.type == "cpu" else None,
                             persistent=False)

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> Int8Linear:
        if linear.bias is not None:
            raise ValueError("Int8Linear supports bias-free linear layers only")
        q, s = quantize_weight_int8(linear.weight)
        return cls(q.to(linear.weight.device), s.to(linear.weight.device), linear.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, self.in_features)
        if self.qweight_t is not None and CPU_W8A8 and x.device.type == "cpu":
            xq, xs = quantize_rows_int8(x2)
            y = (torch._int_mm(xq, self.qweight_t).float() * xs * self.scale).to(x.dtype)
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
