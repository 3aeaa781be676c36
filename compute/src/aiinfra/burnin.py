"""Node burn-in: checks a new node before it takes training work.

1. GEMM throughput: a square matmul in the training precision, timed, compared with a floor
   (``--min-tflops``; on a known GPU by default ``--min-fraction`` of its peak from the table).
2. Numerics: every rank computes the same seeded GEMM; results must be finite (no NaN/Inf)
   and bit-identical across ranks (catches a silently faulty GPU).
3. All-reduce: a sum across all ranks must give the exact expected value; the bus bandwidth
   is measured and compared with ``--min-busbw-gbps``.

Prints one JSON report line per rank and exits non-zero when any check fails on any rank.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from .metrics import device_peak_flops


@dataclass
class BurninOptions:
    device: str = "auto"
    precision: str = "auto"
    gemm_size: int = 0  # 0: 8192 on GPU, 512 on CPU
    gemm_iters: int = 0  # 0: 50 on GPU, 5 on CPU
    min_tflops: float | None = None
    min_fraction: float = 0.5
    allreduce_mb: float = 0.0  # 0: 256 MiB on GPU, 4 MiB on CPU
    min_busbw_gbps: float = 0.0
    timeout_s: float = 300.0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_burnin(opts: BurninOptions) -> tuple[bool, dict[str, Any]]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = opts.device == "cuda" or (opts.device == "auto" and torch.cuda.is_available())
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        kwargs: dict[str, Any] = {
            "backend": "nccl" if use_cuda else "gloo",
            "timeout": timedelta(seconds=opts.timeout_s),
        }
        if use_cuda:
            kwargs["device_id"] = device
        dist.init_process_group(**kwargs)
    precision = opts.precision
    if precision == "auto":
        precision = "bf16" if use_cuda else "fp32"
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]
    if use_cuda:
        torch.backends.cuda.matmul.allow_tf32 = True

    failures: list[str] = []
    report: dict[str, Any] = {"event": "burnin", "rank": rank, "world_size": world, "device": str(device)}
    if use_cuda:
        report["device_name"] = torch.cuda.get_device_name(device)

    # 1. GEMM throughput
    n = opts.gemm_size or (8192 if use_cuda else 512)
    iters = opts.gemm_iters or (50 if use_cuda else 5)
    gen = torch.Generator(device="cpu").manual_seed(1234)
    a = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
    b = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
    for _ in range(3):
        c = a @ b
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        c = a @ b
    _sync(device)
    dt = time.perf_counter() - t0
    tflops = 2 * n**3 * iters / dt / 1e12
    peak, peak_label = device_peak_flops(device, precision)
    floor = opts.min_tflops
    if floor is None and peak is not None:
        floor = opts.min_fraction * peak / 1e12
    report["gemm"] = {
        "size": n,
        "precision": precision,
        "tflops": round(tflops, 3),
        "min_tflops": floor,
        "peak_tflops": peak / 1e12 if peak else None,
        "peak_source": peak_label,
    }
    if floor is not None and tflops < floor:
        failures.append(f"GEMM {tflops:.2f} TFLOP/s below the floor {floor:.2f} TFLOP/s")

    # 2. numerics: finite and identical on every rank
    finite = bool(torch.isfinite(c).all().item())
    checksum = float(c.double().abs().sum().item())
    report["numerics"] = {"finite": finite, "checksum": checksum}
    if not finite:
        failures.append("GEMM result holds NaN or Inf")
    if world > 1:
        sums: list[Any] = [None] * world
        dist.all_gather_object(sums, checksum)
        if len(set(sums)) != 1:
            failures.append(f"GEMM results differ across ranks: {sums}")
            report["numerics"]["all_ranks"] = sums

    # 3. all-reduce correctness and bandwidth
    if world > 1:
        mb = opts.allreduce_mb or (256.0 if use_cuda else 4.0)
        numel = max(1, int(mb * (1 << 20) // 4))
        t = torch.full((numel,), float(rank + 1), device=device, dtype=torch.float32)
        dist.all_reduce(t)
        _sync(device)
        expected = world * (world + 1) / 2
        ok = bool(torch.all(t == expected).item())
        if not ok:
            failures.append(f"all-reduce gave a wrong sum (expected {expected})")
        reps = 5
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(reps):
            dist.all_reduce(t)
        _sync(device)
        dt = (time.perf_counter() - t0) / reps
        busbw = numel * 4 * 2 * (world - 1) / world / dt / 1e9
        report["allreduce"] = {"mb": mb, "correct": ok, "busbw_gbps": round(busbw, 3), "min_busbw_gbps": opts.min_busbw_gbps}
        if busbw < opts.min_busbw_gbps:
            failures.append(f"all-reduce bus bandwidth {busbw:.2f} GB/s below {opts.min_busbw_gbps} GB/s")
        # every rank learns whether any rank failed
        flag = torch.tensor([1.0 if failures else 0.0], device=device)
        dist.all_reduce(flag)
        report["failed_ranks"] = int(flag.item())
        any_failed = flag.item() > 0
    else:
        any_failed = bool(failures)
    report["failures"] = failures
    report["ok"] = not any_failed
    # One write per report: ranks share stdout, and print() issues the text and the newline as two
    # writes that another rank's report can land between (seen as interleaved JSON in tests).
    os.write(1, (json.dumps(report) + "\n").encode())
    if dist.is_initialized():
        dist.destroy_process_group()
    return not any_failed, report
