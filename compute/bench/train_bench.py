"""Trainer throughput benchmark: tokens/s and MFU for a model size, precision and compile flag.

Runs the real trainer step (aiinfra.trainer.Trainer.train_step: forward, backward, clipping,
fused AdamW, LR schedule) on synthetic data, so it measures what a training job gets.

  # one GPU (the design target: >= 40-45% MFU for a 0.5-3B model in bf16 with compile)
  python compute/bench/train_bench.py --preset gpt-1b --precision bf16 --compile --micro-batch-size 8
  # several GPUs
  torchrun --nproc-per-node=8 compute/bench/train_bench.py --preset gpt-3b --strategy fsdp --compile
  # CPU smoke (no GPU): a tiny model, fp32; MFU is not reported (no CPU peak in the table)
  python compute/bench/train_bench.py

Prints one JSON line with tokens_per_second, mfu (null when the device peak is unknown; pass
--peak-tflops to compute it against a nominal peak) and the settings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

from aiinfra.config import config_from_dict
from aiinfra.trainer import Trainer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cuda = torch.cuda.is_available()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="gpt-1b" if cuda else "gpt-tiny")
    p.add_argument("--n-layer", type=int, help="override the preset's layer count (e.g. a quick CPU smoke)")
    p.add_argument("--precision", default="bf16" if cuda else "fp32", choices=["bf16", "fp16", "fp32"])
    p.add_argument("--compile", action="store_true")
    p.add_argument("--strategy", default="fsdp", choices=["ddp", "fsdp"])
    p.add_argument("--seq-len", type=int, default=2048 if cuda else 128)
    p.add_argument("--micro-batch-size", type=int, default=8 if cuda else 4)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--warmup", type=int, default=5 if cuda else 2, help="untimed steps (compile, allocator)")
    p.add_argument("--steps", type=int, default=20 if cuda else 5, help="timed steps")
    p.add_argument("--peak-tflops", type=float, default=None, help="device peak for MFU when not in the table")
    p.add_argument("--threads", type=int, default=None, help="CPU intra-op threads")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    total = args.warmup + args.steps
    model: dict = {"preset": args.preset}
    if args.n_layer:
        model["n_layer"] = args.n_layer
    cfg = config_from_dict(
        {
            "steps": total,
            "warmup_steps": 1,
            "seq_len": args.seq_len,
            "micro_batch_size": args.micro_batch_size,
            "global_batch_size": args.micro_batch_size * args.grad_accum * world,
            "precision": args.precision,
            "compile": args.compile,
            "strategy": args.strategy,
            "metrics_port": 0,
            "eval_interval": 0,
            "checkpoint_dir": None,
            "peak_tflops": args.peak_tflops,
            "log_interval": 10**9,
            "model": model,
        }
    )
    trainer = Trainer(cfg)
    device = trainer.rt.device

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    trainer.model.train()
    for _ in range(args.warmup):
        loss, _ = trainer.train_step()
    float(loss)
    sync()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    for _ in range(args.steps):
        loss, _ = trainer.train_step()
    final_loss = float(loss)
    sync()
    dt = time.perf_counter() - t0
    tokens = args.steps * cfg.global_batch_size * cfg.seq_len
    tps = tokens / dt
    mfu = trainer.flops_per_token * tps / (trainer.peak_flops * world) if trainer.peak_flops else None
    # The trainer's MFU follows PaLM: attention scores counted in full (12 x layers x d x seq per
    # token) although causal attention computes about half of them. The causal figure credits
    # them at half (6 x layers x d x seq), as FlashAttention-style kernels do the work; reported
    # beside it so the two conventions are not confused.
    attn_half = 6.0 * trainer.gpt_config.n_layer * trainer.gpt_config.d_model * cfg.seq_len if trainer.gpt_config else 0.0
    mfu_causal = (trainer.flops_per_token - attn_half) * tps / (trainer.peak_flops * world) if trainer.peak_flops else None
    result = {
        "bench": "train",
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "world_size": world,
        "preset": args.preset,
        "params": trainer.gpt.num_params(),
        "precision": trainer.precision,
        "compile": args.compile,
        "strategy": cfg.strategy if world > 1 else "single",
        "seq_len": cfg.seq_len,
        "global_batch_size": cfg.global_batch_size,
        "timed_steps": args.steps,
        "step_seconds": round(dt / args.steps, 4),
        "tokens_per_second": round(tps, 1),
        "tokens_per_second_per_device": round(tps / world, 1),
        "model_tflops_per_device": round(trainer.flops_per_token * tps / world / 1e12, 3),
        "mfu": round(mfu, 4) if mfu is not None else None,
        "mfu_causal_attention_half": round(mfu_causal, 4) if mfu_causal is not None else None,
        "mfu_note": "mfu: PaLM convention, attention scores counted in full; mfu_causal_attention_half: causal attention credited at half",
        "peak_tflops": trainer.peak_flops / 1e12 if trainer.peak_flops else None,
        "max_memory_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 2) if device.type == "cuda" else None,
        "loss": round(final_loss, 4),
        "torch": torch.__version__,
    }
    if trainer.rt.is_main:
        print(json.dumps(result), flush=True)
    trainer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
