"""The pipeline's evaluation step: held-out loss and perplexity of a candidate on the published dataset's test split,
and of the production model on the very same windows, so the gate compares like with like.

``python -m aiinfra.evaluate --model <checkpoint uri> --dataset <prep output root> [--registry <root>]
[--max-windows N] [--out <uri of metrics.json>] [--tasks a,b --task-dir <uri> [--task-limit N] [--batch-size N]
[--device cpu|cuda]]``

``--device`` places the held-out loss and the benchmark tasks alike (default: cuda when available, else cpu). The
held-out loss runs in fp32 on any device, so candidate and production compare within float rounding.

The candidate is a trainer checkpoint (a root or one ``step-XXXXXXXX`` directory). The test split is the dataset's
``test.bin`` (aiinfra.prep): non-overlapping windows of ``seq_len + 1`` tokens in file order, the first
``--max-windows`` of them. With ``--registry`` and a production version there, that version is evaluated on the same
windows and recorded as ``metrics.baseline``.

With ``--tasks``, benchmark tasks run through EleutherAI's lm-eval harness (aiinfra.benchmarks, the ``eval`` extra) on
the candidate exported to a Hugging Face directory, task YAMLs and data from ``--task-dir`` (a local folder or bucket
prefix; nothing from the hub): ``metrics.tasks.<task>.<metric>`` (with ``<metric>_stderr``), ``metrics.scores.<task>``
(the task's primary score, what the gate's ``--min-score <task>=x`` reads) and ``metrics.task_info.<task>`` (primary
metric, samples, fingerprint of the task files). The production version is scored on the same tasks in the same run:
``metrics.baseline.tasks`` / ``metrics.baseline.scores``. The tasks are checked (defined, data local) before anything
is loaded.
Exit codes: 0, 2 bad input (missing split, vocabulary mismatch, unknown task, task data not local).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from contextlib import ExitStack
from typing import Any

import fsspec
import numpy as np
import torch

from .benchmarks import BenchmarkError, local_task_dir, parse_tasks, resolve_tasks, run_tasks
from .checkpoint import CheckpointError, load_model_for_inference
from .export import export_checkpoint
from .model import GPT
from .prep import PrepError, current
from .registry import ModelRegistry, RegistryError


class EvalError(ValueError):
    pass


def load_gpt(uri: str) -> GPT:
    config, state, _ = load_model_for_inference(uri, select="best")
    model = GPT(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # A tied output layer is stored once, as the embedding; anything else missing or extra is a wrong checkpoint.
    allowed = {"output.weight"} if config.tie_embeddings else set()
    if set(missing) - allowed or unexpected:
        raise EvalError(f"checkpoint {uri!r} does not match its model config: missing {sorted(set(missing) - allowed)}, unexpected {sorted(unexpected)}")
    return model.eval()


def test_split(dataset: str) -> tuple[np.ndarray, str]:
    """(test tokens, split id) of the published dataset under ``dataset`` (a prep output root or run prefix)."""
    try:
        prefix = current(dataset)
    except PrepError:
        prefix = dataset.rstrip("/")
    with fsspec.open(f"{prefix}/manifest.json", "rb") as fh:
        manifest = json.loads(fh.read())
    entry = manifest["files"].get("test.bin")
    if entry is None:
        raise EvalError(f"dataset {prefix!r} has no test.bin: prepare it with --tokenizer")
    with fsspec.open(f"{prefix}/test.bin", "rb") as fh:
        tokens = np.frombuffer(fh.read(), dtype=entry["dtype"]).astype(np.int64)
    return tokens, manifest["test_split"]


@torch.no_grad()
def heldout_loss(model: GPT, tokens: np.ndarray, max_windows: int, batch: int = 8, device: str = "cpu") -> tuple[float, int]:
    seq = model.config.max_seq_len
    windows = min((len(tokens) - 1) // seq, max_windows)
    if windows < 1:
        raise EvalError(f"the test split has {len(tokens)} tokens, fewer than one window of {seq + 1}")
    if int(tokens.max()) >= model.config.vocab_size:
        raise EvalError(f"the test split holds token id {int(tokens.max())} >= the model's vocab_size {model.config.vocab_size}")
    model = model.to(device=device, dtype=torch.float32)
    total = 0.0
    for start in range(0, windows, batch):
        rows = torch.from_numpy(np.stack([tokens[w * seq : w * seq + seq + 1] for w in range(start, min(start + batch, windows))])).to(device)
        _, loss = model(rows[:, :-1], rows[:, 1:])
        total += float(loss) * len(rows)
    return total / windows, windows


def check_device(name: str) -> str:
    """``name`` if torch can place tensors there, else EvalError (a typo or a GPU the node does not have)."""
    try:
        torch.empty(1, device=name)
    except (RuntimeError, AssertionError) as err:
        raise EvalError(f"--device {name!r} is not usable here: {err}") from None
    return name


def benchmark(model_uri: str, configs: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    """lm-eval scores of a trainer checkpoint: exported to a temporary Hugging Face directory, then run. bf16 on a
    GPU (half the disk and memory of fp32 for a large model), fp32 on CPU (where bf16 matmuls are slow)."""
    dtype = "bf16" if str(opts.get("device", "cpu")).startswith("cuda") else "fp32"
    with tempfile.TemporaryDirectory(prefix="aiinfra-eval-hf-") as hf_dir:
        export_checkpoint(model_uri, hf_dir, select="best", dtype=dtype, force=True)
        return run_tasks(hf_dir, configs, dtype={"bf16": "bfloat16", "fp32": "float32"}[dtype], **opts)


def evaluate(model_uri: str, dataset: str, registry: str | None, max_windows: int, tasks: list[str] | None = None,
             task_dir: str | None = None, task_opts: dict[str, Any] | None = None) -> dict[str, Any]:
    with ExitStack() as stack:
        configs: dict[str, Any] = {}
        if tasks:
            if not task_dir:
                raise BenchmarkError("--tasks needs --task-dir: the task YAMLs and their data (nothing is downloaded)")
            # Every task is checked (defined, data local) before a model or dataset is loaded.
            configs = resolve_tasks(tasks, stack.enter_context(local_task_dir(task_dir)))
        device = check_device(str((task_opts or {}).get("device", "cpu")))
        tokens, split = test_split(dataset)
        loss, windows = heldout_loss(load_gpt(model_uri), tokens, max_windows, device=device)
        metrics: dict[str, Any] = {"test_loss": loss, "perplexity": math.exp(min(loss, 80.0)), "test_split": split, "test_windows": windows}
        if configs:
            metrics.update(benchmark(model_uri, configs, task_opts or {}))
        if registry:
            reg = ModelRegistry(registry)
            current_alias, _ = reg.alias("production")
            if current_alias is not None:
                version = int(current_alias["version"])
                base_loss, _ = heldout_loss(load_gpt(reg.model_uri(version)), tokens, max_windows, device=device)
                metrics["baseline"] = {"version": version, "test_loss": base_loss}
                if configs:  # production on the very same tasks, so the gate can compare scores
                    scored = benchmark(reg.model_uri(version), configs, task_opts or {})
                    metrics["baseline"].update(tasks=scored["tasks"], scores=scored["scores"])
    return metrics


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m aiinfra.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--registry")
    p.add_argument("--max-windows", type=int, default=512)
    p.add_argument("--out")
    p.add_argument("--tasks", help="comma-separated lm-eval task (or tag) names defined in --task-dir")
    p.add_argument("--task-dir", help="folder or bucket prefix with the task YAMLs and their data files")
    p.add_argument("--task-limit", type=int, help="score at most N documents per task (default: all)")
    p.add_argument("--batch-size", type=int, default=8, help="lm-eval batch size")
    p.add_argument("--device", help="torch device for the held-out loss and the benchmark tasks (default: cuda when available, else cpu)")
    args = p.parse_args(argv)
    try:
        tasks = parse_tasks(args.tasks) if args.tasks is not None else None
        if args.task_dir and not tasks:
            raise BenchmarkError("--task-dir without --tasks: name the tasks to run")
        if args.task_limit is not None and args.task_limit < 1:
            raise BenchmarkError(f"--task-limit must be >= 1, got {args.task_limit}")
        if args.batch_size < 1:
            raise BenchmarkError(f"--batch-size must be >= 1, got {args.batch_size}")
        opts = {"device": args.device or ("cuda" if torch.cuda.is_available() else "cpu"),
                "batch_size": args.batch_size, "limit": args.task_limit}
        metrics = evaluate(args.model, args.dataset, args.registry, args.max_windows, tasks, args.task_dir, opts)
    except ImportError as err:
        print(f"evaluate: {err}; benchmark tasks need the eval extra (pip install 'aiinfra[eval]')", file=sys.stderr)
        return 2
    except (EvalError, BenchmarkError, CheckpointError, RegistryError, FileNotFoundError) as err:
        print(f"evaluate: {err}", file=sys.stderr)
        return 2
    text = json.dumps(metrics, sort_keys=True)
    if args.out:
        with fsspec.open(args.out, "w") as fh:
            fh.write(text)
    print(text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
