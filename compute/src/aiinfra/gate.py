"""The promotion gate: a candidate version becomes production only if it is no worse than production on the same
held-out split and meets the absolute score floors; the decision (with its reasons) is written into the registry.

``python -m aiinfra.gate --root <registry> --version <n> [--max-loss-regression 0.01] [--min-score task=0.55]
[--min-score task:metric=0.5] [--max-score-regression 0.02] [--promote]`` reads the production alias first, decides, records the decision, and with ``--promote`` moves the alias by a
conditional write against what it read: if another run promoted in between, this one loses (exit 3) and production
stays as the other run left it.

Benchmark rules read what aiinfra.evaluate wrote: ``--min-score <task>=x`` is a floor on ``metrics.scores.<task>`` (the
task's primary score), ``<task>:<metric>=x`` on ``metrics.tasks.<task>.<metric>``; ``--max-score-regression d`` allows
each of the candidate's task scores to be at most ``d`` (absolute) below production's on the same task data (scored in
the candidate's run, ``metrics.baseline.scores``, or recorded in production's manifest with the same task fingerprint).
Exit codes: 0 accepted (and promoted with --promote), 4 rejected, 3 alias conflict,
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
    # Absolute floors for benchmark scores: by task name (its primary score, e.g. {"hellaswag": 0.55}) or
    # "task:metric" (e.g. {"hellaswag:acc_norm": 0.5}).
    min_score: dict[str, float] = field(default_factory=dict)
    # Largest allowed absolute drop of a task score below production's on the same tasks (None: not checked).
    max_score_regression: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.max_loss_regression < 1:
            raise ValueError(f"max_loss_regression must be in [0, 1), got {self.max_loss_regression}")
        if self.max_score_regression is not None and not 0 <= self.max_score_regression < 1:
            raise ValueError(f"max_score_regression must be in [0, 1), got {self.max_score_regression}")
        for key, floor in self.min_score.items():
            task, _, metric = key.partition(":")
            if not task or key.count(":") > 1 or (":" in key and not metric):
                raise ValueError(f"min score {key!r}: use <task> or <task>:<metric>")
            if not _finite(floor):
                raise ValueError(f"min score {key!r}: the floor must be a finite number, got {floor!r}")


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


def _score(metrics: dict[str, Any], key: str) -> Any:
    """The value a min-score rule reads: ``scores.<task>`` or ``tasks.<task>.<metric>``."""
    task, sep, metric = key.partition(":")
    if sep:
        return (metrics.get("tasks") or {}).get(task, {}).get(metric)
    return (metrics.get("scores") or {}).get(task)


def _baseline_scores(candidate: dict[str, Any], production: dict[str, Any]) -> dict[str, float]:
    """Production's task scores comparable with the candidate's: measured in the candidate's run, else those in
    production's manifest whose task fingerprint equals the candidate's."""
    metrics = candidate.get("metrics", {})
    base = metrics.get("baseline") or {}
    if base.get("version") == production["version"] and base.get("scores"):
        return {t: v for t, v in base["scores"].items() if _finite(v)}
    prod = production.get("metrics", {})
    mine, theirs = metrics.get("task_info") or {}, prod.get("task_info") or {}
    return {
        t: v for t, v in (prod.get("scores") or {}).items()
        if _finite(v) and mine.get(t, {}).get("sha256") and mine[t]["sha256"] == theirs.get(t, {}).get("sha256")
    }


def _score_checks(candidate: dict[str, Any], production: dict[str, Any] | None, cfg: GateConfig,
                  checks: list[dict[str, Any]], reasons: list[str]) -> None:
    metrics = candidate.get("metrics", {})
    for key, floor in sorted(cfg.min_score.items()):
        score = _score(metrics, key)
        passed = _finite(score) and score >= floor
        checks.append({"check": f"score:{key}", "candidate": score, "limit": floor, "passed": passed})
        if not passed:
            reasons.append(f"{key} score {score!r} is below the floor {floor}" if score is not None else f"no {key} score")
    if cfg.max_score_regression is None or production is None:
        return
    baseline = _baseline_scores(candidate, production)
    for task, score in sorted((metrics.get("scores") or {}).items()):
        if task not in baseline:
            reasons.append(f"not comparable: production version {production['version']} has no {task} score on the "
                           f"same task data; score production in the same run (metrics.baseline.scores)")
            continue
        limit = baseline[task] - cfg.max_score_regression
        passed = _finite(score) and score >= limit
        checks.append({"check": f"regression:{task}", "candidate": score, "production": baseline[task], "limit": limit, "passed": passed})
        if not passed:
            reasons.append(f"{task} score {score!r} is below production's {baseline[task]:.6g} by more than "
                           f"{cfg.max_score_regression} (limit {limit:.6g})")


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
    _score_checks(candidate, production, cfg, checks, reasons)
    return {
        "accepted": not reasons,
        "reasons": reasons,
        "checks": checks,
        "compared_with": production["version"] if production else None,
    }


def _min_scores(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        task, sep, value = item.rpartition("=")
        if not sep or not task:
            raise ValueError(f"--min-score {item!r}: use <task>=<score> or <task>:<metric>=<score>")
        try:
            out[task] = float(value)
        except ValueError:
            raise ValueError(f"--min-score {item!r}: {value!r} is not a number") from None
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aiinfra.gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--version", type=int, required=True)
    parser.add_argument("--run", default="manual")
    parser.add_argument("--max-loss-regression", type=float, default=0.0)
    parser.add_argument("--min-score", action="append", default=[], help="<task>=x or <task>:<metric>=x (repeatable)")
    parser.add_argument("--max-score-regression", type=float,
                        help="largest absolute drop of a task score below production's (default: not checked)")
    parser.add_argument("--promote", action="store_true", help="move the production alias when accepted")
    args = parser.parse_args(argv)
    registry = ModelRegistry(args.root)
    try:
        cfg = GateConfig(args.max_loss_regression, _min_scores(args.min_score), args.max_score_regression)
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
