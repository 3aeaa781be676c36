"""``aiinfra-train``: train, eval and burnin subcommands.

Single process:   aiinfra-train train --config run.yaml
Under torchrun:   torchrun --nproc-per-node=8 -m aiinfra.cli train --config run.yaml
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .config import ConfigError, load_config, parse_override

EXIT_CONFIG = 2
EXIT_FAILED = 1
# Stopped (checkpoint written) because another rank was signalled, not this one: its node is
# going away, so this run is not finished. Exit 0 would mark the pod, and with it its index of
# an Indexed Job, complete, leaving the relaunched node without peers; a failure makes torchrun
# re-form the group (or Kubernetes recreate the pod) and resume.
EXIT_PEER_STOPPED = 3


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="YAML or JSON config file (env AIINFRA_CONFIG)")
    p.add_argument("--checkpoint-dir", help="checkpoint root: path, s3://, gs://, az://, memory:// (env AIINFRA_CHECKPOINT_DIR)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override any config key, e.g. --set model.n_layer=4 (repeatable)")
    p.add_argument("--preset", help="model preset (model.preset)")
    p.add_argument("--data-path", help="token file or directory (sets data.source=tokens)")
    p.add_argument("--seed", type=int)
    p.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"])
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--strategy", choices=["ddp", "fsdp"])
    p.add_argument("--seq-len", type=int)
    p.add_argument("--micro-batch-size", type=int)
    p.add_argument("--global-batch-size", type=int)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiinfra-train", description="aiinfra distributed GPT trainer")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train (resumes from the newest complete checkpoint)")
    _common(t)
    t.add_argument("--metrics-port", type=int, help="Prometheus port, 0 = off (env AIINFRA_METRICS_PORT; default 9095)")
    t.add_argument("--steps", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--compile", dest="compile", action="store_true", default=None, help="torch.compile the model")
    t.add_argument("--no-compile", dest="compile", action="store_false")
    t.add_argument("--print-config", action="store_true", help="print the resolved config as JSON and exit")

    e = sub.add_parser("eval", help="validation loss and perplexity of a checkpoint")
    _common(e)
    e.add_argument("--select", choices=["newest", "best"], default="newest")
    e.add_argument("--step", type=int, help="evaluate this step instead of --select")
    e.add_argument("--eval-samples", type=int)
    e.add_argument("--update-manifest", action="store_true", help="write the result into the checkpoint's manifest")

    b = sub.add_parser("burnin", help="check a node: GEMM throughput, numerics, all-reduce")
    b.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    b.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"], default="auto")
    b.add_argument("--gemm-size", type=int, default=0)
    b.add_argument("--gemm-iters", type=int, default=0)
    b.add_argument("--min-tflops", type=float, default=None, help="GEMM floor; default: --min-fraction x the GPU's peak (none on CPU)")
    b.add_argument("--min-fraction", type=float, default=0.5)
    b.add_argument("--allreduce-mb", type=float, default=0.0)
    b.add_argument("--min-busbw-gbps", type=float, default=0.0)
    b.add_argument("--timeout-s", type=float, default=300.0)
    return parser


def _overrides(args: argparse.Namespace) -> list[dict[str, Any]]:
    flat: dict[str, Any] = {}
    mapping = {
        "checkpoint_dir": "checkpoint_dir",
        "seed": "seed",
        "precision": "precision",
        "device": "device",
        "strategy": "strategy",
        "seq_len": "seq_len",
        "micro_batch_size": "micro_batch_size",
        "global_batch_size": "global_batch_size",
        "metrics_port": "metrics_port",
        "steps": "steps",
        "lr": "lr",
        "compile": "compile",
        "eval_samples": "eval_samples",
    }
    for attr, key in mapping.items():
        value = getattr(args, attr, None)
        if value is not None:
            flat[key] = value
    out: list[dict[str, Any]] = [parse_override(item) for item in args.set]
    if args.preset:
        out.append({"model": {"preset": args.preset}})
    if args.data_path:
        out.append({"data": {"source": "tokens", "path": args.data_path}})
    out.append(flat)
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "burnin":
            from .burnin import BurninOptions, run_burnin

            ok, _ = run_burnin(
                BurninOptions(
                    device=args.device,
                    precision=args.precision,
                    gemm_size=args.gemm_size,
                    gemm_iters=args.gemm_iters,
                    min_tflops=args.min_tflops,
                    min_fraction=args.min_fraction,
                    allreduce_mb=args.allreduce_mb,
                    min_busbw_gbps=args.min_busbw_gbps,
                    timeout_s=args.timeout_s,
                )
            )
            return 0 if ok else EXIT_FAILED

        cfg = load_config(args.config, _overrides(args))
        if args.command == "train":
            if args.print_config:
                print(json.dumps(cfg.to_dict(), indent=2))
                return 0
            from .trainer import train

            result = train(cfg)
            return EXIT_PEER_STOPPED if result.stopped_by_signal and not result.signal_received else 0
        from .trainer import run_eval

        result = run_eval(cfg, select=args.select, step=args.step, update_manifest=args.update_manifest)
        print(json.dumps(result), flush=True)
        return 0
    except ConfigError as exc:
        print(f"aiinfra-train: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG


def _exit(code: int) -> None:
    """Exit without the interpreter's teardown.

    By now the run has released its resources in order (the trainer destroyed its process
    group, and with it the backend's threads). What normal finalization would add is a cycle
    collection over torch's module graph (several hundred thousand objects: 1-2 s per process
    on a loaded machine) and the teardown of extension modules, where triton's nanobind
    bindings report every object still referenced by a cycle as "leaked instances" on stderr.
    (``gc.freeze()`` skipped the collection but made those reports certain: frozen cycles are
    never freed.) So: do what finalization does that matters (wait for non-daemon threads, run
    the atexit handlers: logging, multiprocessing and torch's own; flush stdio), then leave with
    ``os._exit``. An exception escaping ``main`` does not come here: it takes the normal exit."""
    import atexit
    import os
    import threading

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to deliver
            pass
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
