"""Benchmark tasks for the evaluation step, run by EleutherAI's lm-eval harness (the ``eval`` extra) on a model
exported to a Hugging Face directory (aiinfra.export), with task definitions and data from a local or bucket
directory only.

Why lm-eval's ``hf`` model on the export and not ``local-completions`` against the builtin server: multiple-choice
tasks (hellaswag, arc, ...) score each choice by its log-likelihood, which through the completions API needs prompt
token logprobs (``echo`` with ``logprobs``); the builtin server returns no logprobs, and a server process adds a port,
a readiness wait and a second copy of the weights on a CPU runner. The export is the same weights the server loads
(tests/test_export.py checks transformers' logits on it against ours), evaluated in process.

Task directory (``--task-dir``): lm-eval task YAMLs (``task:`` entries, ``tag:`` names expanding to tasks) and their
data files. Every task's data must be in that directory: ``dataset_path`` one of the file builders
(json, csv, parquet, arrow, text) with ``dataset_kwargs.data_files`` relative to the YAML's folder, or a folder
of data files under the task directory. A hub dataset id, a URL, a path outside the task directory or a
``custom_dataset`` function is refused before any model is loaded; the hub is switched off
(HF_DATASETS_OFFLINE / HF_HUB_OFFLINE) while the harness runs. YAMLs may use ``!function`` helpers from their
folder (lm-eval's own task format): the task directory is code, keep it in the tenant's bucket.

Results per task: every metric lm-eval reports (``acc``, ``acc_norm``, ...; ``<metric>,<filter>`` for filters other
than ``none``) and its ``<metric>_stderr``, the task's primary score (its first higher-is-better metric), and a
fingerprint (sha256 of the YAML folder's files and the data files) so scores from different task data never compare.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import fsspec

FILE_BUILDERS = ("json", "csv", "parquet", "arrow", "text")
OFFLINE_ENV = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


class BenchmarkError(ValueError):
    pass


def parse_tasks(value: str) -> list[str]:
    names = [t.strip() for t in value.split(",")]
    if not names or any(not t for t in names):
        raise BenchmarkError(f"--tasks {value!r}: a comma-separated list of task names")
    if len(set(names)) != len(names):
        raise BenchmarkError(f"--tasks {value!r} names a task twice")
    return names


@contextmanager
def local_task_dir(uri: str) -> Iterator[Path]:
    """The task directory as a local folder: a local path as is, a bucket prefix copied into a temporary folder."""
    from fsspec.implementations.local import LocalFileSystem

    fs, path = fsspec.core.url_to_fs(uri)
    if isinstance(fs, LocalFileSystem):
        local = Path(path)
        if not local.is_dir():
            raise BenchmarkError(f"--task-dir {uri!r} is not a directory")
        yield local.resolve()
        return
    if not fs.isdir(path):
        raise BenchmarkError(f"--task-dir {uri!r}: no such prefix")
    tmp = tempfile.mkdtemp(prefix="aiinfra-tasks-")
    try:
        fs.get(path.rstrip("/") + "/", tmp + "/", recursive=True)
        yield Path(tmp).resolve()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def offline() -> Iterator[None]:
    """The hub switched off: environment for anything imported later, and datasets' constants if already imported."""
    saved = {k: os.environ.get(k) for k in OFFLINE_ENV}
    os.environ.update(OFFLINE_ENV)
    try:
        import datasets.config as dconf  # read at import time: set it too

        patched = {k: getattr(dconf, k) for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE") if hasattr(dconf, k)}
        for k in patched:
            setattr(dconf, k, True)
    except ImportError:
        dconf, patched = None, {}
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for k, v in patched.items():
            setattr(dconf, k, v)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _data_files(task: str, spec: Any, base: Path, root: Path) -> tuple[Any, list[Path]]:
    """``data_files`` with every pattern made absolute (relative to the YAML's folder), and the files they match;
    a pattern that is a URL, leaves the task directory or matches nothing is an error."""
    if isinstance(spec, dict):
        out, files = {}, []
        for split, value in spec.items():
            out[split], more = _data_files(task, value, base, root)
            files += more
        return out, files
    if isinstance(spec, (list, tuple)):
        out_list, files = [], []
        for value in spec:
            resolved, more = _data_files(task, value, base, root)
            out_list.append(resolved)
            files += more
        return out_list, files
    if not isinstance(spec, str) or "://" in spec or spec.startswith("hf:"):
        raise BenchmarkError(f"task {task!r}: data file {spec!r} is not a local file; put it in the task directory")
    pattern = (base / spec).resolve() if not os.path.isabs(spec) else Path(spec).resolve()
    if not _inside(pattern, root):
        raise BenchmarkError(f"task {task!r}: data file {spec!r} is outside the task directory {str(root)!r}")
    matches = sorted(Path(p) for p in glob.glob(str(pattern), recursive=True) if Path(p).is_file())
    if not matches:
        raise BenchmarkError(f"task {task!r}: data file {spec!r} is not in the task directory (looked for {str(pattern)!r})")
    return str(pattern), matches


def local_task_config(task: str, cfg: dict[str, Any], yaml_path: Path, root: Path) -> tuple[dict[str, Any], str]:
    """The task's full config with its data paths made absolute, and its fingerprint; BenchmarkError when its data
    is not local to the task directory."""
    if cfg.get("custom_dataset") is not None:
        raise BenchmarkError(f"task {task!r}: custom_dataset functions are not allowed; its data cannot be checked to be local")
    path = cfg.get("dataset_path")
    kwargs = dict(cfg.get("dataset_kwargs") or {})
    base = yaml_path.parent
    if path in FILE_BUILDERS:
        if "data_files" not in kwargs:
            raise BenchmarkError(f"task {task!r}: dataset_path {path!r} needs dataset_kwargs.data_files in the task directory")
        kwargs["data_files"], files = _data_files(task, kwargs["data_files"], base, root)
        for key in ("data_dir", "revision", "token"):
            if kwargs.get(key):
                raise BenchmarkError(f"task {task!r}: dataset_kwargs.{key} is not allowed with local data files")
    elif isinstance(path, str) and path and (base / path).resolve().is_dir() and _inside((base / path).resolve(), root):
        path = str((base / path).resolve())
        files = sorted(p for p in Path(path).rglob("*") if p.is_file())
        if "data_files" in kwargs:
            kwargs["data_files"], more = _data_files(task, kwargs["data_files"], Path(path), root)
            files += more
    else:
        raise BenchmarkError(
            f"task {task!r}: dataset_path {path!r} is not local data (a hub dataset is not downloaded at run time); "
            f"put its files in the task directory and use dataset_path: json|csv|parquet|arrow|text with "
            f"dataset_kwargs.data_files relative to {yaml_path.name}"
        )
    digest = hashlib.sha256()
    for f in sorted(set(files) | {p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts}):
        digest.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    out = {**cfg, "dataset_path": path, "dataset_kwargs": kwargs}
    return out, digest.hexdigest()


def resolve_tasks(names: list[str], root: Path) -> dict[str, tuple[dict[str, Any], str]]:
    """{task: (config, fingerprint)} for the requested tasks (tags expanded), from the task directory alone; every
    problem (unknown task, group, non-local data) is raised before any model or dataset is loaded."""
    from lm_eval.tasks import TaskManager
    from lm_eval.tasks._index import Kind
    from lm_eval.tasks._yaml_loader import load_yaml

    index = TaskManager(include_path=str(root), include_defaults=False).task_index
    leaves: list[str] = []
    for name in names:
        entry = index.get(name)
        if entry is None:
            known = sorted(k for k, e in index.items() if e.kind in (Kind.TASK, Kind.TAG))
            raise BenchmarkError(f"task {name!r} is not defined in the task directory (it defines: {', '.join(known) or 'nothing'})")
        if entry.kind == Kind.TAG:
            leaves += sorted(entry.tags)
        elif entry.kind == Kind.TASK:
            leaves.append(name)
        else:
            raise BenchmarkError(f"{name!r} is a {entry.kind.name.lower()}; list its tasks instead")
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for task in leaves:
        entry = index[task]
        if entry.kind != Kind.TASK or entry.yaml_path is None:
            raise BenchmarkError(f"task {task!r} must be a YAML task in the task directory")
        cfg = load_yaml(entry.yaml_path, resolve_func=True)
        for key in ("tag", "group", "task_list"):
            cfg.pop(key, None)
        out[task] = local_task_config(task, cfg, Path(entry.yaml_path).resolve(), root)
    return out


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def task_results(results: dict[str, Any], configs: dict[str, tuple[dict[str, Any], str]]) -> dict[str, Any]:
    """lm-eval's ``simple_evaluate`` output as ``{"tasks": {task: {metric: value}}, "scores": {task: primary},
    "task_info": {task: {...}}}``."""
    tasks, scores, info = {}, {}, {}
    for task, (_, fingerprint) in configs.items():
        raw = results["results"].get(task, {})
        values: dict[str, float | None] = {}
        for key, value in raw.items():
            if "," not in key:
                continue  # "alias" and other labels
            metric, filt = key.split(",", 1)
            name = metric if filt == "none" else f"{metric},{filt}"
            values[name] = _number(value)
        better = results.get("higher_is_better", {}).get(task, {})
        primary = next((m for m in better if better[m] and values.get(m) is not None), None)
        tasks[task] = values
        if primary is not None:
            scores[task] = values[primary]
        info[task] = {
            "primary": primary,
            "higher_is_better": dict(better),
            "samples": results.get("n-samples", {}).get(task, {}).get("effective"),
            "num_fewshot": results.get("n-shot", {}).get(task),
            "version": results.get("versions", {}).get(task),
            "sha256": fingerprint,
        }
    return {"tasks": tasks, "scores": scores, "task_info": info}


def run_tasks(hf_dir: str, configs: dict[str, tuple[dict[str, Any], str]], *, device: str, batch_size: int,
              limit: int | None, dtype: str = "float32", seed: int = 0) -> dict[str, Any]:
    """Score the Hugging Face model directory ``hf_dir`` on the resolved tasks (see resolve_tasks)."""
    with offline(), tempfile.TemporaryDirectory(prefix="aiinfra-datasets-") as cache:
        import lm_eval
        from lm_eval.tasks import TaskManager

        logging.getLogger("lm_eval").setLevel(logging.WARNING)
        manager = TaskManager(include_defaults=False)
        # A private datasets cache: nothing stale from another run, and no writable $HOME needed in the pod.
        specs = [{**cfg, "dataset_kwargs": {**cfg["dataset_kwargs"], "cache_dir": cache}} for cfg, _ in configs.values()]
        results = lm_eval.simple_evaluate(
            model="hf",
            model_args={"pretrained": hf_dir, "dtype": dtype, "trust_remote_code": False},
            tasks=specs,
            task_manager=manager,
            device=device,
            batch_size=batch_size,
            limit=limit,
            log_samples=False,
            bootstrap_iters=1000,  # closed-form stderr for means; a bounded bootstrap for the others
            random_seed=seed,
            numpy_random_seed=seed,
            torch_random_seed=seed,
            fewshot_random_seed=seed,
        )
    if results is None:
        raise BenchmarkError("lm-eval returned no results")
    return task_results(results, configs)
