"""The pipeline's evaluation step: held-out loss and perplexity of a candidate on the published dataset's test split,
and of the production model on the very same windows, so the gate compares like with like.

``python -m aiinfra.evaluate --model <checkpoint uri> --dataset <prep output root> [--registry <root>]
[--max-windows N] [--out <uri of metrics.json>]``

The candidate is a trainer checkpoint (a root or one ``step-XXXXXXXX`` directory). The test split is the dataset's
``test.bin`` (aiinfra.prep): non-overlapping windows of ``seq_len + 1`` tokens in file order, the first
``--max-windows`` of them. With ``--registry`` and a production version there, that version is evaluated on the same
windows and recorded as ``metrics.baseline``. Benchmark tasks (lm-eval) are not run by this step yet.
Exit codes: 0, 2 bad input (missing split, vocabulary mismatch).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import fsspec
import numpy as np
import torch

from .checkpoint import CheckpointError, load_model_for_inference
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
def heldout_loss(model: GPT, tokens: np.ndarray, max_windows: int, batch: int = 8) -> tuple[float, int]:
    seq = model.config.max_seq_len
    windows = min((len(tokens) - 1) // seq, max_windows)
    if windows < 1:
        raise EvalError(f"the test split has {len(tokens)} tokens, fewer than one window of {seq + 1}")
    if int(tokens.max()) >= model.config.vocab_size:
        raise EvalError(f"the test split holds token id {int(tokens.max())} >= the model's vocab_size {model.config.vocab_size}")
    total = 0.0
    for start in range(0, windows, batch):
        rows = torch.from_numpy(np.stack([tokens[w * seq : w * seq + seq + 1] for w in range(start, min(start + batch, windows))]))
        _, loss = model(rows[:, :-1], rows[:, 1:])
        total += float(loss) * len(rows)
    return total / windows, windows


def evaluate(model_uri: str, dataset: str, registry: str | None, max_windows: int) -> dict[str, Any]:
    tokens, split = test_split(dataset)
    loss, windows = heldout_loss(load_gpt(model_uri), tokens, max_windows)
    metrics: dict[str, Any] = {"test_loss": loss, "perplexity": math.exp(min(loss, 80.0)), "test_split": split, "test_windows": windows}
    if registry:
        reg = ModelRegistry(registry)
        current_alias, _ = reg.alias("production")
        if current_alias is not None:
            version = int(current_alias["version"])
            base_loss, _ = heldout_loss(load_gpt(reg.model_uri(version)), tokens, max_windows)
            metrics["baseline"] = {"version": version, "test_loss": base_loss}
    return metrics


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m aiinfra.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--registry")
    p.add_argument("--max-windows", type=int, default=512)
    p.add_argument("--out")
    args = p.parse_args(argv)
    try:
        metrics = evaluate(args.model, args.dataset, args.registry, args.max_windows)
    except (EvalError, CheckpointError, RegistryError, FileNotFoundError) as err:
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
