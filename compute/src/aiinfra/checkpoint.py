"""Checkpoints: torch.distributed.checkpoint (DCP) state plus a manifest written last.

Layout (compute/CONTRACT.md)::

    <checkpoint_dir>/step-00001000/
        .metadata, __0_0.distcp, ...      DCP files: model + optimizer state (sharded under FSDP)
        trainer_state/rank-00000.pt ...   per rank: step, samples seen (the data position), LR schedule, RNG, scaler
        manifest.json                     written last, atomically; without it the step does not count

``<checkpoint_dir>`` is a local path or any fsspec URI (``s3://``, ``gs://``, ``az://``,
``memory://``). The manifest holds the sha256 of every other file; resume picks the newest
complete checkpoint whose files verify, and falls back to an older one when a file is corrupt.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import re
import socket
import time
from typing import Any, Iterable

import warnings

import fsspec
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.metadata import TensorStorageMetadata

try:
    from torch.distributed.checkpoint import FsspecReader, FsspecWriter
except ImportError:  # torch 2.8 (the images' base) has them only in the module that defines them
    from torch.distributed.checkpoint._fsspec_filesystem import FsspecReader, FsspecWriter

from . import __version__
from .logs import log_event
from .model import GPTConfig


# DCP warns when it runs without a process group (single-process use is intended); a background
# save warns from its own thread, where _dcp_save's catch_warnings does not reach.
# Object stores have no fsync either; their PUT on close is the durability point.
warnings.filterwarnings("ignore", message="torch.distributed is disabled", module="torch.distributed.checkpoint")
warnings.filterwarnings("ignore", message="fsync not supported", module="torch.distributed.checkpoint")

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STEP_RE = re.compile(r"^step-(\d{8})$")
TRAINER_STATE_DIR = "trainer_state"


def _dcp_save(state: dict[str, Any], writer: Any) -> None:
    with warnings.catch_warnings():
        # DCP warns when it runs without a process group; single-process use is intended.
        warnings.filterwarnings("ignore", message="torch.distributed is disabled")
        # Object stores have no fsync; their PUT on close is the durability point.
        warnings.filterwarnings("ignore", message="fsync not supported")
        dcp.save(state, storage_writer=writer)


def _dcp_load(state: dict[str, Any], reader: Any) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.distributed is disabled")
        dcp.load(state, storage_reader=reader)


class CheckpointError(RuntimeError):
    """No usable checkpoint, or a checkpoint failed verification."""


def step_dir_name(step: int) -> str:
    return f"step-{step:08d}"


def _sha256_stream(fh: Any) -> str:
    h = hashlib.sha256()
    while True:
        chunk = fh.read(8 << 20)
        if not chunk:
            return h.hexdigest()
        h.update(chunk)


class _HashingStream:
    """A write stream that hashes what passes through it (DCP writes each file sequentially)."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.sha = hashlib.sha256()

    def write(self, data: Any) -> int:
        self.sha.update(data)
        return self._raw.write(data)

    def __getattr__(self, name: str) -> Any:  # tell, flush, fileno, close, ...
        return getattr(self._raw, name)


def _hash_while_writing(writer: Any) -> dict[str, str]:
    """sha256 of every file the DCP ``writer`` writes (by file name; its files are flat in the
    step directory), computed as the bytes go out: no checkpoint is read back to be hashed.
    Wraps the instance's create_stream / rename (the metadata file is written under a temporary
    name, then renamed); the filesystem object keeps its own state (fsspec's)."""
    fs = writer.fs
    hashes: dict[str, str] = {}
    create, rename = fs.create_stream, fs.rename

    @contextlib.contextmanager
    def create_stream(path: Any, mode: str):
        with create(path, mode) as stream:
            if "w" not in mode:
                yield stream
                return
            hashing = _HashingStream(stream)
            yield hashing
        hashes[str(path).rstrip("/").rsplit("/", 1)[-1]] = hashing.sha.hexdigest()

    def rename_hashed(path: Any, new_path: Any) -> None:
        rename(path, new_path)
        old = str(path).rsplit("/", 1)[-1]
        if old in hashes:
            hashes[str(new_path).rsplit("/", 1)[-1]] = hashes.pop(old)

    fs.create_stream = create_stream
    fs.rename = rename_hashed
    return hashes


class CheckpointStore:
    """The step directories under one checkpoint root, on any fsspec filesystem."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/") or root
        self.fs, self.path = fsspec.core.url_to_fs(self.root)
        self.local = fsspec.utils.get_protocol(self.root) in ("file", "local")

    # paths -----------------------------------------------------------------
    def step_path(self, step: int) -> str:
        return f"{self.path.rstrip('/')}/{step_dir_name(step)}"

    def step_uri(self, step: int) -> str:
        if self.local:
            return self.step_path(step)
        return f"{self.root}/{step_dir_name(step)}"

    # listing ---------------------------------------------------------------
    def list_steps(self) -> list[int]:
        if not self.fs.exists(self.path):
            return []
        steps = []
        for entry in self.fs.ls(self.path, detail=False):
            m = STEP_RE.match(entry.rstrip("/").rsplit("/", 1)[-1])
            if m:
                steps.append(int(m.group(1)))
        return sorted(steps)

    def read_manifest(self, step: int) -> dict[str, Any] | None:
        path = f"{self.step_path(step)}/{MANIFEST}"
        try:
            with self.fs.open(path, "rb") as fh:
                data = json.loads(fh.read().decode("utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, UnicodeDecodeError) as exc:
            log_event("checkpoint_manifest_unreadable", step=step, error=str(exc))
            return None
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION or data.get("step") != step:
            log_event("checkpoint_manifest_unsupported", step=step)
            return None
        return data

    def complete(self) -> list[tuple[int, dict[str, Any]]]:
        """Complete checkpoints (with a valid manifest), newest first."""
        out = []
        for step in reversed(self.list_steps()):
            manifest = self.read_manifest(step)
            if manifest is not None:
                out.append((step, manifest))
        return out

    def select(self, select: str = "newest") -> tuple[int, dict[str, Any]]:
        complete = self.complete()
        if not complete:
            raise CheckpointError(f"no complete checkpoint (step-*/manifest.json) under {self.root!r}")
        if select == "newest":
            return complete[0]
        if select == "best":
            scored = [(c[1]["eval"]["val_loss"], -c[0], c) for c in complete if c[1].get("eval")]
            if not scored:
                return complete[0]
            return min(scored, key=lambda t: (t[0], t[1]))[2]
        raise ValueError(f"select must be 'newest' or 'best', got {select!r}")

    def files(self, step: int) -> list[str]:
        """Relative paths of every file of a step except the manifest, sorted."""
        base = self.step_path(step).rstrip("/")
        out = []
        for path in self.fs.find(base):
            rel = path[len(base) :].lstrip("/") if path.startswith(base) else path.rsplit(step_dir_name(step) + "/", 1)[-1]
            if rel != MANIFEST and not rel.endswith(".tmp"):
                out.append(rel)
        return sorted(out)

    def sha256(self, step: int, rel: str) -> str:
        with self.fs.open(f"{self.step_path(step)}/{rel}", "rb") as fh:
            return _sha256_stream(fh)

    def write_manifest(self, step: int, manifest: dict[str, Any]) -> None:
        data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
        final = f"{self.step_path(step)}/{MANIFEST}"
        if self.local:
            tmp = f"{final}.tmp-{os.getpid()}"
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
            dir_fd = os.open(self.step_path(step), os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        else:
            # An object store PUT is atomic: the object appears whole or not at all.
            with self.fs.open(final, "wb") as fh:
                fh.write(data)

    def delete(self, step: int) -> None:
        path = self.step_path(step)
        if self.fs.exists(path):
            # Drop the manifest first so a half-deleted step never looks complete.
            manifest = f"{path}/{MANIFEST}"
            if self.fs.exists(manifest):
                self.fs.rm(manifest)
            self.fs.rm(path, recursive=True)

    def write_bytes(self, step: int, rel: str, data: bytes) -> None:
        path = f"{self.step_path(step)}/{rel}"
        parent = path.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        with self.fs.open(path, "wb") as fh:
            fh.write(data)

    def read_bytes(self, step: int, rel: str) -> bytes:
        with self.fs.open(f"{self.step_path(step)}/{rel}", "rb") as fh:
            return fh.read()

    # DCP storage -------------------------------------------------------------
    def writer(self, step: int):
        if self.local:
            return dcp.FileSystemWriter(self.step_uri(step))
        return FsspecWriter(self.step_uri(step))

    def reader(self, step: int):
        if self.local:
            return dcp.FileSystemReader(self.step_uri(step))
        return FsspecReader(self.step_uri(step))


# ---------------------------------------------------------------------------- helpers
def _dist() -> tuple[int, int, bool]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), True
    return 0, 1, False


def _barrier(group: Any = None) -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier(group=group)


def _gather_dicts(local: dict[str, str], group: Any = None) -> dict[str, str]:
    rank, world, is_dist = _dist()
    if not is_dist:
        return dict(local)
    parts: list[Any] = [None] * world
    dist.all_gather_object(parts, local, group=group)
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(part)
    return merged


def _all_true(flag: bool) -> bool:
    rank, world, is_dist = _dist()
    if not is_dist:
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.int64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item())


def verify_step(store: CheckpointStore, step: int, manifest: dict[str, Any], shard: Iterable[int] | None = None) -> list[str]:
    """Problems found checking a step's files against its manifest (empty when it verifies).
    ``shard`` restricts the sha256 checks to those positions of the sorted file list, so the
    ranks of a job can share the reading."""
    expected: dict[str, str] = manifest.get("files") or {}
    names = sorted(expected)
    problems = []
    present = set(store.files(step))
    for i, rel in enumerate(names):
        if shard is not None and i not in shard:
            continue
        if rel not in present:
            problems.append(f"{rel}: missing")
            continue
        actual = store.sha256(step, rel)
        if actual != expected[rel]:
            problems.append(f"{rel}: sha256 {actual} != manifest {expected[rel]}")
    return problems


# ---------------------------------------------------------------------------- save
class PendingCheckpoint:
    """A checkpoint whose files are (being) written and whose manifest is not: complete once
    ``finish_checkpoint`` has gathered every rank's hashes and rank 0 has written the manifest."""

    def __init__(self, store: CheckpointStore, step: int, future: Any, hashes: dict[str, str], manifest: dict[str, Any], t0: float) -> None:
        self.store = store
        self.step = step
        self.future = future  # None: the DCP files are written already
        self.hashes = hashes  # filled by the writer as it goes
        self.manifest = manifest
        self.t0 = t0

    def done(self) -> bool:
        return self.future is None or self.future.done()


def start_checkpoint(
    store: CheckpointStore,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    trainer_state: dict[str, Any],
    manifest: dict[str, Any],
    extra_files: dict[str, bytes] | None = None,
    frozen: bool = True,
    async_group: Any = "sync",
) -> PendingCheckpoint | None:
    """Collective: write a step's files (None when that step is complete already).

    ``async_group`` other than "sync": ``dcp.async_save`` over that process group (a gloo group
    of its own, so its collectives never interleave with training's; None without a process
    group): the state is copied to CPU memory here and written in a background thread while
    training goes on. The trainer state and ``extra_files`` (rank 0's) are small and written now.
    ``manifest``: its fields beside ``files`` (see save_checkpoint)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

    rank, _, _ = _dist()
    t0 = time.time()
    if store.read_manifest(step) is not None:
        _barrier()
        return None
    if rank == 0:
        store.delete(step)  # leftovers of an interrupted save of the same step
        store.fs.makedirs(store.step_path(step), exist_ok=True)
    _barrier()

    options = StateDictOptions(ignore_frozen_params=not frozen)
    if optimizer is not None:
        model_sd, optim_sd = get_state_dict(model, optimizer, options=options)
        state = {"model": model_sd, "optim": optim_sd}
    else:
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        state = {"model": get_model_state_dict(model, options=options)}
    writer = store.writer(step)
    hashes = _hash_while_writing(writer)
    future = None
    if async_group == "sync":
        _dcp_save(state, writer)
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="fsync not supported")
            warnings.filterwarnings("ignore", message="torch.distributed is disabled")
            future = dcp.async_save(state, storage_writer=writer, process_group=async_group)
        future = getattr(future, "upload_completion", future)  # an AsyncSaveResponse in newer torch

    buf = io.BytesIO()
    torch.save(trainer_state, buf)
    own = {f"{TRAINER_STATE_DIR}/rank-{rank:05d}.pt": buf.getvalue()}
    if rank == 0:
        own.update(extra_files or {})
    for rel, data in own.items():
        store.write_bytes(step, rel, data)
        hashes[rel] = hashlib.sha256(data).hexdigest()
    if future is not None:
        log_event("checkpoint_started", step=step, staged_seconds=round(time.time() - t0, 3))
    return PendingCheckpoint(store, step, future, hashes, manifest, t0)


def finish_checkpoint(pending: PendingCheckpoint, keep_last: int, keep_best: bool = True, group: Any = None) -> dict[str, Any] | None:
    """Collective (over ``group``): wait for the files, gather every rank's hashes, and on rank 0
    write the manifest (the checkpoint is complete from then on) and delete old checkpoints.
    Returns the manifest on rank 0, None elsewhere."""
    if pending.future is not None:
        pending.future.result()  # raises what the background write raised
    store, step = pending.store, pending.step
    rank, world, _ = _dist()
    hashes = _gather_dicts(pending.hashes, group)  # every rank's files, hashed as they were written
    manifest = None
    if rank == 0:
        files = store.files(step)
        missing = sorted(set(hashes) - set(files))
        if missing:
            raise CheckpointError(f"files written for step {step} are not in {store.step_uri(step)}: {missing}")
        for rel in files:
            if rel not in hashes:  # not written through us (none today): hashed by reading it
                hashes[rel] = store.sha256(step, rel)
        manifest = {
            "format_version": FORMAT_VERSION,
            "step": step,
            "files": dict(sorted(hashes.items())),
            "world_size": world,
            "created_at": time.time(),
            "created_by": f"aiinfra {__version__} (torch {torch.__version__}) on {socket.gethostname()}",
            **pending.manifest,
        }
        store.write_manifest(step, manifest)
        cleanup(store, keep_last, keep_best)
        log_event(
            "checkpoint_saved", step=step, uri=store.step_uri(step), files=len(hashes),
            seconds=round(time.time() - pending.t0, 3), background=pending.future is not None,
        )
    _barrier(group)
    return manifest


def save_checkpoint(
    store: CheckpointStore,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    trainer_state: dict[str, Any],
    config: dict[str, Any],
    model_config: GPTConfig | None,
    eval_result: dict[str, float] | None,
    keep_last: int,
    keep_best: bool = True,
    extra_manifest: dict[str, Any] | None = None,
    extra_files: dict[str, bytes] | None = None,
    frozen: bool = True,
) -> dict[str, Any] | None:
    """Collective: every rank calls it. Returns the manifest (on rank 0; None elsewhere).
    ``extra_files`` (rank 0's): more files of the step (relative path -> bytes), hashed with
    the rest; ``frozen=False`` leaves parameters without requires_grad out (LoRA: the frozen
    base comes from the model's source, the checkpoint holds what trains)."""
    manifest = checkpoint_manifest(config, model_config, eval_result, extra_manifest)
    pending = start_checkpoint(store, step, model, optimizer, trainer_state, manifest, extra_files, frozen)
    if pending is None:
        return store.read_manifest(step) if _dist()[0] == 0 else None
    return finish_checkpoint(pending, keep_last, keep_best)


def checkpoint_manifest(
    config: dict[str, Any], model_config: GPTConfig | None, eval_result: dict[str, float] | None, extra: dict[str, Any] | None
) -> dict[str, Any]:
    """The manifest's fields beside files, step and provenance."""
    return {
        "eval": eval_result,
        "config": config,
        "model_config": model_config.to_dict() if model_config is not None else None,
        **(extra or {}),
    }


def cleanup(store: CheckpointStore, keep_last: int, keep_best: bool = True) -> list[int]:
    """Delete complete checkpoints beyond the newest ``keep_last`` (keeping the best by
    val_loss when ``keep_best``) and incomplete ones older than the newest complete one."""
    complete = store.complete()
    if not complete:
        return []
    keep = {s for s, _ in complete[:keep_last]}
    if keep_best:
        scored = [(m["eval"]["val_loss"], s) for s, m in complete if m.get("eval")]
        if scored:
            keep.add(min(scored)[1])
    newest = complete[0][0]
    complete_steps = {s for s, _ in complete}
    deleted = []
    for step in store.list_steps():
        if step in keep:
            continue
        if step in complete_steps or step < newest:
            store.delete(step)
            deleted.append(step)
    if deleted:
        log_event("checkpoint_cleanup", deleted=deleted)
    return deleted


# ---------------------------------------------------------------------------- load
def load_checkpoint(
    store: CheckpointStore,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    verify: bool = True,
    step: int | None = None,
    select: str = "newest",
    frozen: bool = True,
) -> tuple[int, dict[str, Any], dict[str, Any]] | None:
    """Collective: restore model (and optimizer) from the newest complete checkpoint that
    verifies (or the given step). Returns (step, manifest, trainer_state of this rank) or None
    when the store holds no complete checkpoint. ``frozen=False``: the checkpoint holds only
    the parameters that train (see save_checkpoint); the others keep their values."""
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
        get_state_dict,
        set_model_state_dict,
        set_state_dict,
    )

    rank, world, _ = _dist()
    candidates = store.complete()
    if step is not None:
        candidates = [c for c in candidates if c[0] == step]
        if not candidates:
            raise CheckpointError(f"no complete checkpoint for step {step} under {store.root!r}")
    elif select == "best" and candidates:
        best = store.select("best")
        candidates = [best] + [c for c in candidates if c[0] != best[0]]
    for cand_step, manifest in candidates:
        if verify:
            n = len(manifest.get("files") or {})
            problems = verify_step(store, cand_step, manifest, shard=range(rank, n, world))
            for p in problems:
                log_event("checkpoint_corrupt", level=40, step=cand_step, problem=p)
            if not _all_true(not problems):
                if step is not None:
                    raise CheckpointError(f"checkpoint step {cand_step} failed verification: {problems}")
                log_event("checkpoint_skipped", level=30, step=cand_step, reason="verification failed")
                continue
        reader = store.reader(cand_step)
        options = StateDictOptions(ignore_frozen_params=not frozen, strict=frozen)
        if optimizer is not None:
            model_sd, optim_sd = get_state_dict(model, optimizer, options=options)
            state = {"model": model_sd, "optim": optim_sd}
            _dcp_load(state, reader)
            set_state_dict(model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"], options=options)
        else:
            state = {"model": get_model_state_dict(model, options=options)}
            _dcp_load(state, reader)
            set_model_state_dict(model, state["model"], options=options)
        rel = f"{TRAINER_STATE_DIR}/rank-{rank:05d}.pt"
        if rel not in (manifest.get("files") or {}):
            rel = f"{TRAINER_STATE_DIR}/rank-00000.pt"
        trainer_state = _load_trainer_state(store.read_bytes(cand_step, rel), store.step_uri(cand_step))
        log_event("checkpoint_loaded", step=cand_step, uri=store.step_uri(cand_step))
        return cand_step, manifest, trainer_state
    return None


def _load_trainer_state(data: bytes, where: str) -> dict[str, Any]:
    """A rank's trainer state, unpickled with ``weights_only=True``: tensors and plain Python values only,
    so a crafted checkpoint cannot run code. States of older versions held numpy arrays; their few numpy
    reconstruction globals are allowed by name (they build arrays, nothing else)."""
    try:
        with torch.serialization.safe_globals(_NUMPY_ARRAY_GLOBALS):
            return torch.load(io.BytesIO(data), weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"trainer state of {where} holds objects other than tensors and plain values: {exc}") from None


def _numpy_array_globals() -> list[Any]:
    import numpy as np

    core = getattr(np, "_core", None) or np.core
    out: list[Any] = [core.multiarray._reconstruct, np.ndarray, np.dtype]
    out += [type(np.dtype(t)) for t in (np.uint32, np.int64, np.float64)]
    return out


_NUMPY_ARRAY_GLOBALS = _numpy_array_globals()


def _resolve(uri: str, select: str) -> tuple[CheckpointStore, int, dict[str, Any]]:
    """A checkpoint root, or one step directory (holding manifest.json) of it."""
    uri = uri.rstrip("/")
    name = uri.rsplit("/", 1)[-1]
    m = STEP_RE.match(name)
    if m:
        store = CheckpointStore(uri.rsplit("/", 1)[0] if "/" in uri else ".")
        step = int(m.group(1))
        manifest = store.read_manifest(step)
        if manifest is None:
            raise CheckpointError(f"{uri!r} has no valid {MANIFEST}: the checkpoint is incomplete")
        return store, step, manifest
    store = CheckpointStore(uri)
    step, manifest = store.select(select)
    return store, step, manifest


def load_state_for_export(
    store: CheckpointStore, step: int, manifest: dict[str, Any], verify: bool = True
) -> dict[str, torch.Tensor]:
    """The model tensors of one step (names without the ``model.`` prefix), loaded without a
    process group after verifying every file's sha256 against the manifest."""
    if verify:
        problems = verify_step(store, step, manifest)
        if problems:
            raise CheckpointError(f"checkpoint {store.step_uri(step)} failed verification: " + "; ".join(problems))
    metadata = store.reader(step).read_metadata()
    state: dict[str, torch.Tensor] = {}
    for key, meta in metadata.state_dict_metadata.items():
        if key.startswith("model.") and isinstance(meta, TensorStorageMetadata):
            state[key[len("model.") :]] = torch.empty(meta.size, dtype=meta.properties.dtype)
    if not state:
        raise CheckpointError(f"checkpoint {store.step_uri(step)} holds no model weights")
    wrapped = {"model": state}
    _dcp_load(wrapped, store.reader(step))
    return wrapped["model"]


def load_model_for_inference(
    uri: str, select: str = "newest", verify: bool = True
) -> tuple[GPTConfig, dict[str, torch.Tensor], dict[str, Any]]:
    """Load the model weights of a trainer checkpoint without a process group.

    ``uri``: a checkpoint root (picks by ``select``: ``newest`` or ``best`` by val_loss) or one
    ``step-XXXXXXXX`` directory. Verifies each file's sha256 against the manifest first.
    Returns (GPTConfig, state_dict with GPT parameter names as fp32 CPU tensors, manifest)."""
    store, step, manifest = _resolve(uri, select)
    if not manifest.get("model_config"):
        raise CheckpointError(
            f"{store.step_uri(step)} is a checkpoint of a Hugging Face model (manifest 'hf'); "
            "export it with aiinfra.hf.export_pretrained and serve it as hf:<dir>"
        )
    state = load_state_for_export(store, step, manifest, verify=verify)
    return GPTConfig.from_dict(manifest["model_config"]), state, manifest
