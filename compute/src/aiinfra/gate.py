"""The promotion gate: a candidate version becomes production only if it is no worse than production on the same
held-out split and meets the absolute score floors; the decision (with its reasons) is written into the registry.

``python -m aiinfra.gate --root <registry> --version <n> [--max-loss-regression 0.01] [--min-score task=0.55] [--promote]``
reads the production alias first, decides, records the decision, and with ``--promote`` moves the alias by a
conditional write against what it read: if another run promoted in between, this one loses (exit 3) and production
stays as the other run left it. Exit codes: 0 accepted (and promoted with --promote), 4 rejected, 3 alias conflict,
1 any other error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Any

from .registry import AliasConflict, ModelRegistry, RegistryError

EXIT_REJECTED = 4
EXIT_CONFLICT = 3
LOSS = "test_loss"


@dataclass(frozen=True)
class GateConfig:
    # Largest allowed relative rise of the held-out loss over production's (0.01 = 1 % worse at most).
    max_loss_regression: float = 0.0
    # Absolute floors for benchmark scores, by task name (e.g. {"hellaswag": 0.55}).
    min_score: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.max_loss_regression < 1:
            raise ValueError(f"max_loss_regression must be in [0, 1), got {self.max_loss_regression}")


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _baseline(candidate: dict[str, Any], production: dict[str, Any] | None) -> tuple[float | None, str | None]:
    """Production's held-out loss on the candidate's test split: measured in the candidate's own evaluation run
    (``metrics.baseline``) or recorded in production's manifest for the same split; else a reason it is missing."""
    if production is None:
        return None, None
    metrics = candidate.get("metrics", {})
    split = metrics.get("test_split")
    base = metrics.get("baseline")
    if base and base.get("version") == production["version"] and _finite(base.get(LOSS)):
        return float(base[LOSS]), None
    prod_metrics = production.get("metrics", {})
    if split is not None and prod_metrics.get("test_split") == split and _finite(prod_metrics.get(LOSS)):
        return float(prod_metrics[LOSS]), None
    return None, (
        f"not comparable: production version {production['version']} has no held-out loss on the candidate's test "
        f"split {split!r}; evaluate production on it in the same run (metrics.baseline)"
    )


def decide(candidate: dict[str, Any], production: dict[str, Any] | None, cfg: GateConfig) -> dict[str, Any]:
    """The gate's decision for a candidate manifest against the production manifest (None before the first)."""
    metrics = candidate.get("metrics", {})
    checks: list[dict[str, Any]] = []
    reasons: list[str] = []
    loss = metrics.get(LOSS)
    if not _finite(loss):
        reasons.append(f"no finite held-out loss ({LOSS} = {loss!r})")
    else:
        baseline, why = _baseline(candidate, production)
        if why:
            reasons.append(why)
        elif baseline is not None:
            limit = baseline * (1 + cfg.max_loss_regression)
            passed = loss <= limit
            checks.append({"check": "loss", "candidate": loss, "production": baseline, "limit": limit, "passed": passed})
            if not passed:
                reasons.append(
                    f"held-out loss {loss:.6g} is above production's {baseline:.6g} by more than "
                    f"{cfg.max_loss_regression:.2%} (limit {limit:.6g})"
                )
    scores = metrics.get("scores", {})
    for task, floor in sorted(cfg.min_score.items()):
        score = scores.get(task)
        passed = _finite(score) and score >= floor
        checks.append({"check": f"score:{task}", "candidate": score, "limit": floor, "passed": passed})
        if not passed:
            reasons.append(f"{task} score {score!r} is below the floor {floor}" if score is not None else f"no {task} score")
    return {
        "accepted": not reasons,
        "reasons": reasons,
        "checks": checks,
        "compared_with": production["version"] if production else None,
    }


def _min_scores(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        task, sep, value = item.partition("=")
        if not sep or not task:
            raise SystemExit(f"--min-score {item!r}: use <task>=<score>")
        out[task] = float(value)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aiinfra.gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--version", type=int, required=True)
    parser.add_argument("--run", default="manual")
    parser.add_argument("--max-loss-regression", type=float, default=0.0)
    parser.add_argument("--min-score", action="append", default=[])
    parser.add_argument("--promote", action="store_true", help="move the production alias when accepted")
    args = parser.parse_args(argv)
    registry = ModelRegistry(args.root)
    try:
        cfg = GateConfig(args.max_loss_regression, _min_scores(args.min_score))
        # Read production BEFORE deciding: the promotion is conditional on exactly this state.
        current, token = registry.alias("production")
        production = registry.manifest(int(current["version"])) if current else None
        decision = decide(registry.manifest(args.version), production, cfg)
        registry.decide(args.version, decision)
        print(json.dumps({"version": args.version, **decision}, sort_keys=True), flush=True)
        if not decision["accepted"]:
            return EXIT_REJECTED
        if args.promote:
            registry.move_alias("production", args.version, run=args.run, expect=token)
            print(json.dumps({"event": "promoted", "version": args.version, "previous": production and production["version"]}))
    except AliasConflict as err:
        print(f"gate: {err}; production is left as the other run set it", file=sys.stderr)
        return EXIT_CONFLICT
    except (RegistryError, ValueError) as err:
        print(f"gate: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
