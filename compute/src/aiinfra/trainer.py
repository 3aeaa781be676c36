"""Distributed GPT trainer: DDP or FSDP2 under torchrun, one process per GPU (gloo on CPU).

Run one process directly (``aiinfra-train train ...``) or many with
``torchrun --nproc-per-node=N -m aiinfra.cli train ...``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import os
import random
import signal
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from .checkpoint import CheckpointStore, PendingCheckpoint, checkpoint_manifest, finish_checkpoint, load_checkpoint, start_checkpoint
from .config import ConfigError, TrainConfig
from .data import Batcher, build_sources, split_rows
from .logs import log_event, setup_logging
from .metrics import TrainMetrics, device_peak_flops
from .model import GPT, GPTConfig, TransformerBlock


# ---------------------------------------------------------------------------- runtime
@dataclass
class Runtime:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    distributed: bool

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(cfg: TrainConfig, local_rank: int) -> torch.device:
    if cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("device is 'cuda' but no CUDA device is available")
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def init_runtime(cfg: TrainConfig) -> Runtime:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(cfg, local_rank)
    distributed = world > 1
    if distributed and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        kwargs: dict[str, Any] = {"backend": backend, "timeout": timedelta(seconds=cfg.dist_timeout_s)}
        if device.type == "cuda":
            kwargs["device_id"] = device
        dist.init_process_group(**kwargs)
    return Runtime(rank, world, local_rank, device, distributed)


def _drop_dtensor_caches() -> None:
    """Empty torch's process-wide DTensor caches (sharding propagation, mesh topology,
    redistribute plans). Their entries hold the FSDP DeviceMesh, and the mesh holds the process
    group: while they are filled, destroy_process_group() only unregisters the group and the
    gloo/NCCL backend, with its C++ worker threads, lives on until interpreter teardown.
    Private torch APIs, hence best effort: each is skipped when this torch lacks it."""
    clears = (
        ("torch.distributed.tensor.debug", "_clear_sharding_prop_cache", None),
        ("torch.distributed.tensor._collective_utils", "MeshTopoInfo", "build_from_mesh.cache_clear"),
        ("torch.distributed.tensor._redistribute", "clear_redistribute_planner_cache", None),
        ("torch.distributed.tensor._redistribute", "_gen_transform_infos", "cache_clear"),
    )
    import importlib

    for module, name, attr in clears:
        try:
            fn = getattr(importlib.import_module(module), name)
            for part in (attr or "").split("."):
                fn = getattr(fn, part) if part else fn
            fn()
        except Exception:  # noqa: BLE001 - a missing private API only means a slower teardown
            pass


def shutdown_distributed(rt: Runtime, clean: bool) -> None:
    """Leave the process group in order; every exit of a distributed run ends here (normal end,
    SIGTERM checkpoint-and-exit, errors). The caller drops its own references to the
    (FSDP/DDP) model, optimizer and DTensors first.

    Why: destroy_process_group() while anything still references the group (the FSDP module,
    DTensor state, torch's DTensor caches) does not destroy the gloo/NCCL backend; it stays
    alive, threads running, into interpreter teardown and C++ static destruction, which run in
    no defined order; that is where rank 1 of a successful FSDP run sometimes aborted with
    "terminate called without an active exception" (SIGABRT). So: (1) on a clean end, a barrier, so no rank closes its
    connections while a peer still talks to it; skipped after an error, where a peer may be
    gone or stuck in another collective; (2) drop the caches and collect the module graphs;
    (3) destroy the group, now its last owner, so the backend's destructor joins its threads
    here, in the main thread, before the interpreter starts shutting down."""
    if not (rt.distributed and dist.is_initialized()):
        return
    if clean:
        try:
            dist.barrier()
        except Exception as exc:  # noqa: BLE001 - a peer failed; still tear down locally
            log_event("shutdown_barrier_failed", level=30, error=str(exc))
    _drop_dtensor_caches()
    gc.collect()
    try:
        dist.destroy_process_group()
    except Exception as exc:  # noqa: BLE001
        if clean:
            raise
        log_event("process_group_destroy_failed", level=30, error=str(exc))  # keep the first error


def resolve_precision(cfg: TrainConfig, device: torch.device) -> str:
    if cfg.precision != "auto":
        if cfg.precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ConfigError("precision 'bf16' is not supported on this GPU; use fp16 or fp32")
        return cfg.precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


class StopRequest:
    """SIGTERM/SIGINT set a flag; the loop finishes the step, checkpoints and exits 0."""

    def __init__(self) -> None:
        self.requested = False
        self.signal_name: str | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        for sig, prev in self._previous.items():
            signal.signal(sig, prev)
        self._previous.clear()

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        self.signal_name = signal.Signals(signum).name


@dataclass(frozen=True)
class LRSchedule:
    """Linear warmup to lr, then cosine decay to lr * min_lr_ratio, measured in samples seen.

    The lengths are fixed when a run starts (``warmup_steps`` and ``steps`` times the global
    batch size of that start) and saved in every checkpoint: a resume with another global batch
    size or another ``steps`` continues the same curve instead of reshaping it after the fact
    (a longer run stays at the floor past the decay). lr and min_lr_ratio come from the config."""

    warmup_samples: int
    decay_samples: int  # samples at the end of the decay (warmup included)

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> "LRSchedule":
        return cls(cfg.warmup_steps * cfg.global_batch_size, cfg.steps * cfg.global_batch_size)

    def factor(self, samples_seen: int, batch: int, min_lr_ratio: float) -> float:
        """Factor of lr for the step that consumes samples ``samples_seen .. + batch - 1``."""
        if self.warmup_samples > 0 and samples_seen < self.warmup_samples:
            return min(1.0, (samples_seen + batch) / self.warmup_samples)
        span = max(1, self.decay_samples - self.warmup_samples)
        progress = min(1.0, (samples_seen - self.warmup_samples) / span)
        return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """The schedule's factor at ``step`` of a run that keeps cfg's global batch size."""
    g = cfg.global_batch_size
    return LRSchedule.from_config(cfg).factor(step * g, g, cfg.min_lr_ratio)


# ---------------------------------------------------------------------------- model setup
def build_model(
    cfg: TrainConfig, gpt: GPTConfig | None, rt: Runtime, precision: str
) -> tuple[nn.Module, nn.Module, bool]:
    """(module to call, the underlying model, whether FSDP handles mixed precision)."""
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank
    hf_source: nn.Module | None = None
    if cfg.is_hf:
        from .hf import build_hf_model

        if rt.distributed and cfg.strategy == "fsdp":
            # Only rank 0 reads the weights (into CPU memory); every rank builds the model on the
            # meta device, shards it, and receives its shards by broadcast (_materialize_hf): no
            # rank ever holds the whole model on its GPU, and the files are read once.
            if rt.is_main:
                hf_source = build_hf_model(cfg.model.hf, cfg.model.hf_config, torch.device("cpu"))
            model: nn.Module = build_hf_model(cfg.model.hf, cfg.model.hf_config, torch.device("meta"), weights=False)
        else:
            model = build_hf_model(cfg.model.hf, cfg.model.hf_config, rt.device)
        max_pos = getattr(model.config, "max_position_embeddings", None)
        if max_pos and cfg.seq_len > max_pos:
            raise ConfigError(f"seq_len ({cfg.seq_len}) exceeds the model's max_position_embeddings ({max_pos})")
        blocks = model.blocks()  # type: ignore[operator]
    else:
        assert gpt is not None
        # On the meta device: no memory and no init yet. The weights are materialized once
        # the model is sharded (FSDP: each rank its shard), then initialized per parameter
        # (GPT.init_weights(seed)), identically for any number of ranks.
        with torch.device("meta"):
            model = GPT(gpt)
        blocks = list(model.layers)  # type: ignore[arg-type]
    if cfg.lora.rank:
        # Before sharding: each block's adapters belong to its FSDP unit.
        from .lora import apply_lora

        # PEFT initialises the adapters from the global RNG: seeded the same way on every path,
        # so they do not depend on what building the model drew from it
        torch.manual_seed(cfg.seed + 1)
        apply_lora(model, cfg.lora, cfg.is_hf, cfg.model.hf or cfg.model.init_from)
        if hf_source is not None:
            torch.manual_seed(cfg.seed + 1)
            apply_lora(hf_source, cfg.lora, True, cfg.model.hf)
    if cfg.activation_checkpointing:
        if cfg.is_hf:
            model.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})  # type: ignore[operator,union-attr]
        else:
            model.activation_checkpointing = True
    fsdp_mp = False
    if cfg.compile:
        if rt.distributed and cfg.strategy == "fsdp" and blocks:
            for block in blocks:
                block.compile()
        else:
            model.compile()
    if not rt.distributed or cfg.strategy == "ddp":
        _materialize(model, cfg, rt)
    if not rt.distributed:
        return model, model, False
    if cfg.strategy == "ddp":
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [rt.device.index] if rt.device.type == "cuda" else None
        return DDP(model, device_ids=ids, broadcast_buffers=False, gradient_as_bucket_view=True), model, False
    try:
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard
    except ImportError:  # torch 2.4 / 2.5
        from torch.distributed._composable.fsdp import MixedPrecisionPolicy, fully_shard  # type: ignore
    mp = MixedPrecisionPolicy()
    if precision in ("bf16", "fp16") and rt.device.type == "cuda":
        # Compute in bf16/fp16 from the fp32 master shards, gradients reduced in fp32 (fp16:
        # the ShardedGradScaler scales the loss, so fp16 gradients do not underflow).
        mp = MixedPrecisionPolicy(param_dtype=DTYPES[precision], reduce_dtype=torch.float32)
        fsdp_mp = True
    n = len(blocks)
    for i, block in enumerate(blocks):
        # The last block is resharded by the root's backward anyway: keep it gathered.
        fully_shard(block, mp_policy=mp, reshard_after_forward=i < n - 1)
    fully_shard(model, mp_policy=mp)
    _materialize(model, cfg, rt)
    if cfg.is_hf:
        _materialize_hf(model, hf_source, rt)
    return model, model, fsdp_mp


def _materialize_hf(model: nn.Module, source: nn.Module | None, rt: Runtime) -> None:
    """Allocate a sharded HF model built on the meta device and fill it from rank 0's copy
    (``source``, None elsewhere): set_model_state_dict broadcasts one tensor at a time and each
    rank keeps its shard; buffers outside the state dict (rotary tables) are broadcast too."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    model.to_empty(device=rt.device)
    full = source.state_dict() if source is not None else {}
    set_model_state_dict(model, full, options=StateDictOptions(full_state_dict=True, broadcast_from_rank0=True))
    buffers = dict(source.named_buffers()) if source is not None else {}
    for name, buf in model.named_buffers():
        if source is not None:
            buf.copy_(buffers[name])
        dist.broadcast(buf, src=0)
    if rt.is_main:
        log_event("hf_weights_broadcast", tensors=len(full), buffers=len(buffers))


def _materialize(model: nn.Module, cfg: TrainConfig, rt: Runtime) -> None:
    """Allocate a GPT built on the meta device (sharded already under FSDP) and initialize it:
    seeded weights, LoRA adapters, then the weights of ``model.init_from`` when set."""
    if not isinstance(model, GPT):
        return  # Hugging Face models are built on the device
    model.to_empty(device=rt.device)
    if model.config.tie_embeddings and (not rt.distributed or cfg.strategy == "ddp"):
        model.output.weight = model.tok_embeddings.weight  # to_empty may swap the shared Parameter
    model.init_weights(seed=cfg.seed)
    if cfg.lora.rank:
        from .lora import init_lora_weights

        init_lora_weights(model, cfg.seed)
    if cfg.model.init_from:
        load_initial_weights(model, cfg.model.init_from, rt)


def load_initial_weights(model: GPT, uri: str, rt: Runtime) -> None:
    """The weights of a trainer checkpoint into ``model`` (any sharding): rank 0 reads and
    verifies them, set_model_state_dict broadcasts each tensor and every rank keeps its shard.
    Every base weight must come from the checkpoint with its shape; LoRA adapters keep their
    initialisation."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    from .checkpoint import load_model_for_inference

    names = [k for k in model.state_dict() if "lora_" not in k]
    full: dict[str, torch.Tensor] = {}
    if rt.is_main:
        try:
            gpt, weights, _ = load_model_for_inference(uri)
        except Exception as exc:  # noqa: BLE001 - reported as a config problem with the cause
            raise ConfigError(f"model.init_from {uri!r}: {exc}") from None
        if gpt != model.config:
            raise ConfigError(f"model.init_from {uri!r} holds a model of {gpt.to_dict()}, not of this run's {model.config.to_dict()}")
        for name in names:
            src = name.replace(".base_layer.", ".")  # a LoRA-wrapped Linear's own weight
            if src not in weights:
                raise ConfigError(f"model.init_from {uri!r} has no weight {src!r}")
            full[name] = weights[src].to(rt.device)
        log_event("initial_weights_loaded", uri=uri, tensors=len(full))
    options = StateDictOptions(full_state_dict=True, broadcast_from_rank0=rt.distributed, strict=False)
    set_model_state_dict(model, full, options=options)


def build_optimizer(cfg: TrainConfig, model: nn.Module, device: torch.device) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.dim() >= 2 else no_decay).append(p)
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    fused = cfg.fused_adamw == "on" or (cfg.fused_adamw == "auto" and device.type == "cuda")
    kwargs: dict[str, Any] = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2), "eps": cfg.adam_eps}
    if fused:
        kwargs["fused"] = True
    return torch.optim.AdamW(groups, **kwargs)


def _rng_state(device: torch.device) -> dict[str, Any]:
    # Tensors and plain Python values only, so the checkpoint loads with torch.load(weights_only=True):
    # numpy's state carries an ndarray, stored here as a tensor.
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": (name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
        "python": random.getstate(),
    }
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.int64).astype(np.uint32), pos, has_gauss, cached))
    random.setstate(state["python"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


# ---------------------------------------------------------------------------- evaluation
@torch.no_grad()
def evaluate(
    model: nn.Module, source: Any, cfg: TrainConfig, rt: Runtime, amp: contextlib.AbstractContextManager | Any
) -> dict[str, float] | None:
    """Mean validation loss over eval_samples sequences (rounded up to a multiple of the world
    size so every rank runs the same number of forward passes) and its perplexity."""
    if source is None or cfg.eval_samples <= 0:
        return None
    was_training = model.training
    model.eval()
    per_rank = -(-cfg.eval_samples // rt.world_size)
    indices = list(range(rt.rank * per_rank, (rt.rank + 1) * per_rank))
    total = torch.zeros(2, dtype=torch.float64, device=rt.device)
    for i in range(0, len(indices), cfg.micro_batch_size):
        chunk = indices[i : i + cfg.micro_batch_size]
        x, y, pos = (t.to(rt.device) if t is not None else None for t in split_rows(np.stack([source.get(j) for j in chunk])))
        with amp():
            _, loss = model(x, y) if pos is None else model(x, y, positions=pos)
        # Weighted by targets that carry loss: for SFT the mean over all response tokens.
        count = (y != -100).sum()
        total[0] += loss.double() * count
        total[1] += count
    if rt.distributed:
        dist.all_reduce(total)
    model.train(was_training)
    val_loss = float(total[0] / total[1].clamp(min=1))
    return {"val_loss": val_loss, "perplexity": float(math.exp(min(val_loss, 80.0))), "val_tokens": int(total[1])}


# ---------------------------------------------------------------------------- trainer
@dataclass
class TrainResult:
    step: int
    losses: dict[int, float]
    stopped_by_signal: bool
    last_eval: dict[str, float] | None
    tokens_per_second: float | None
    mfu: float | None
    # Whether this process received the stop signal itself; stopped_by_signal without it means
    # another rank was signalled (its node is going away) and the run is not finished.
    signal_received: bool = False


class Trainer:
    def __init__(self, cfg: TrainConfig) -> None:
        setup_logging()
        self.cfg = cfg
        self.gpt_config = None if cfg.is_hf else cfg.gpt_config()
        # Checked before joining the process group, so every rank fails with the same message.
        self.accum = cfg.grad_accum_steps(int(os.environ.get("WORLD_SIZE", "1")))
        self.rt = init_runtime(cfg)
        try:
            self._build(cfg)
        except BaseException as exc:
            # A rank that fails here (bad config, OOM) leaves the group in order as well.
            self.close(clean=False, error=exc)
            raise

    def _build(self, cfg: TrainConfig) -> None:
        self.precision = resolve_precision(cfg, self.rt.device)
        if self.rt.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = cfg.tf32
            torch.backends.cudnn.allow_tf32 = cfg.tf32
        self.model, self.gpt, fsdp_mp = build_model(cfg, self.gpt_config, self.rt, self.precision)
        self.optimizer = build_optimizer(cfg, self.gpt, self.rt.device)
        self.lr_schedule = LRSchedule.from_config(cfg)
        self.scaler = None
        if self.precision == "fp16":
            if self.rt.distributed and cfg.strategy == "fsdp":
                from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

                self.scaler = ShardedGradScaler(self.rt.device.type)
            else:
                self.scaler = torch.amp.GradScaler(self.rt.device.type)
        use_autocast = self.precision in ("bf16", "fp16") and not fsdp_mp
        dtype = DTYPES[self.precision]
        device_type = self.rt.device.type
        self.amp = (
            (lambda: torch.autocast(device_type, dtype=dtype)) if use_autocast else (lambda: contextlib.nullcontext())
        )
        self.vocab_size = int(self.gpt.config.vocab_size)
        self.train_source, self.val_source = build_sources(cfg.data, self.vocab_size, cfg.seq_len, cfg.seed, cfg.model.hf)
        self.batcher = Batcher(
            self.train_source,
            cfg.global_batch_size,
            cfg.micro_batch_size,
            self.rt.rank,
            self.rt.world_size,
            self.rt.device,
            self.vocab_size,
        )
        self.store = CheckpointStore(cfg.checkpoint_dir) if cfg.checkpoint_dir else None
        peak, peak_label = device_peak_flops(self.rt.device, self.precision, cfg.peak_tflops)
        self.peak_flops = peak
        self.extra_manifest = None
        if self.gpt_config is not None:
            self.flops_per_token = self.gpt_config.flops_per_token(cfg.seq_len)
        else:
            from .hf import hf_flops_per_token, hf_manifest_entry

            self.flops_per_token = hf_flops_per_token(self.gpt, cfg.seq_len)  # type: ignore[arg-type]
            self.extra_manifest = {"hf": hf_manifest_entry(cfg.model.hf, self.gpt)}  # type: ignore[arg-type]
        if cfg.lora.rank:
            from .lora import ADAPTER_DIR

            # The adapter in each checkpoint (PEFT layout); the checkpoint holds only what trains.
            self.extra_manifest = {**(self.extra_manifest or {}), "adapter": {"path": ADAPTER_DIR, "base": cfg.model.hf or cfg.model.init_from}}
        self.metrics = TrainMetrics(
            cfg.metrics_port,
            serve=self.rt.local_rank == 0,
            mfu_available=peak is not None,
            labels={
                "run_name": cfg.run_name,
                "device": peak_label,
                "precision": self.precision,
                "strategy": cfg.strategy if self.rt.distributed else "single",
                "world_size": str(self.rt.world_size),
            },
        )
        # The per-step stop agreement runs on CPU tensors: over gloo, beside NCCL when on GPUs.
        self.stop_group = None
        if self.rt.distributed and dist.get_backend() != "gloo":
            self.stop_group = dist.new_group(backend="gloo")
        # Background checkpoints run DCP's collectives in a thread: on a gloo group of their own,
        # never interleaved with the training loop's.
        self.ckpt_group = dist.new_group(backend="gloo") if self.rt.distributed and cfg.checkpoint_async else None
        self.pending: PendingCheckpoint | None = None
        self.step = 0
        self.samples_seen = 0  # the data position: samples consumed by all steps so far
        self.restarts = 0
        self.last_eval: dict[str, float] | None = None
        self.stop = StopRequest()
        log_event("rank_ready", pid=os.getpid(), local_rank=self.rt.local_rank, device=str(self.rt.device))
        if self.rt.is_main:
            log_event(
                "trainer_init",
                world_size=self.rt.world_size,
                device=str(self.rt.device),
                device_peak=peak_label,
                precision=self.precision,
                strategy=cfg.strategy if self.rt.distributed else "single",
                params=sum(p.numel() for p in self.gpt.parameters()),
                model=cfg.model.hf or ("hf_config" if cfg.model.hf_config else cfg.model.preset),
                grad_accum=self.accum,
                compile=cfg.compile,
                metrics_port=self.metrics.port,
            )

    # -------------------------------------------------------------- checkpoints
    def _trainer_state(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "samples_seen": self.samples_seen,
            "lr_schedule": self.lr_schedule.to_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "rng": _rng_state(self.rt.device),
            "world_size": self.rt.world_size,
            "rank": self.rt.rank,
            "restarts": self.restarts,
            "last_eval": self.last_eval,
        }

    def save(self, background: bool = False) -> None:
        """Checkpoint this step (collective). ``background``: dcp.async_save, the files are
        written while training goes on and the manifest once every rank's write is done
        (_finish_pending, at the first step all ranks agree on); otherwise the checkpoint is
        complete on return. A save first completes the one in flight, so the stop checkpoint
        only has its own step left to write."""
        if self.store is None:
            return
        self._finish_pending()
        files = None
        if self.cfg.lora.rank:
            from .lora import adapter_files

            files = adapter_files(self.gpt, self.cfg.lora, self.cfg.is_hf, self.cfg.model.hf or self.cfg.model.init_from)
        manifest = checkpoint_manifest(self.cfg.to_dict(), self.gpt_config, self.last_eval, self.extra_manifest)
        pending = start_checkpoint(
            self.store, self.step, self.model, self.optimizer, self._trainer_state(), manifest, files,
            frozen=not self.cfg.lora.rank, async_group=self.ckpt_group if background else "sync",
        )
        if pending is None:
            return
        if background:
            self.pending = pending
        else:
            finish_checkpoint(pending, self.cfg.keep_last, self.cfg.keep_best)
            self.metrics.last_checkpoint.set(time.time())

    def _finish_pending(self) -> None:
        """Complete the background checkpoint (collective): wait for its files, write its manifest."""
        if self.pending is None:
            return
        pending, self.pending = self.pending, None
        finish_checkpoint(pending, self.cfg.keep_last, self.cfg.keep_best, group=self.ckpt_group)
        self.metrics.last_checkpoint.set(time.time())

    def resume(self) -> bool:
        if self.store is None or not self.cfg.resume:
            return False
        loaded = load_checkpoint(
            self.store, self.model, self.optimizer, verify=self.cfg.verify_checkpoint, frozen=not self.cfg.lora.rank
        )
        if loaded is None:
            return False
        step, manifest, state = loaded
        self.step = step
        saved_cfg = manifest.get("config") or {}
        saved_batch = int(saved_cfg.get("global_batch_size", self.cfg.global_batch_size))
        # Checkpoints of format 1 always recorded samples_seen (then step x global batch).
        self.samples_seen = int(state.get("samples_seen", step * saved_batch))
        if state.get("lr_schedule"):
            schedule = LRSchedule(**state["lr_schedule"])
        else:  # written before the schedule was saved: the one its config implied
            schedule = LRSchedule(
                int(saved_cfg.get("warmup_steps", self.cfg.warmup_steps)) * saved_batch,
                int(saved_cfg.get("steps", self.cfg.steps)) * saved_batch,
            )
        if schedule != self.lr_schedule and self.rt.is_main:
            log_event(
                "lr_schedule_kept",
                level=30,
                reason="the schedule is fixed when a run starts; steps or global_batch_size changed since",
                schedule=schedule.to_dict(),
                config_would_give=self.lr_schedule.to_dict(),
            )
        self.lr_schedule = schedule
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        if state.get("rank") == self.rt.rank and state.get("world_size") == self.rt.world_size:
            _set_rng_state(state["rng"], self.rt.device)
        else:
            torch.manual_seed(self.cfg.seed + 1000003 * step + self.rt.rank)
        self.restarts = int(state.get("restarts", 0)) + 1
        self.last_eval = manifest.get("eval")
        self.metrics.restarts.inc(self.restarts)
        self.metrics.step.set(step)
        if self.rt.is_main:
            log_event("resumed", step=step, restarts=self.restarts, samples_seen=self.samples_seen)
        return True

    # -------------------------------------------------------------- loop
    def _sync_context(self, last_micro: bool):
        if not self.rt.distributed or last_micro:
            if self.rt.distributed and self.cfg.strategy == "fsdp":
                self.model.set_requires_gradient_sync(True)  # type: ignore[operator]
            return contextlib.nullcontext()
        if self.cfg.strategy == "ddp":
            return self.model.no_sync()  # type: ignore[operator]
        # fsdp_reduce_every_micro: reduce-scatter each micro batch's gradients (torchtitan's
        # default): only sharded gradients are held, at the cost of one reduce-scatter per micro
        # batch; otherwise the full unsharded gradients accumulate until the last one.
        self.model.set_requires_gradient_sync(self.cfg.fsdp_reduce_every_micro)  # type: ignore[operator]
        return contextlib.nullcontext()

    def train_step(self) -> tuple[float, float | None]:
        """One optimizer step. Returns (this rank's mean micro-batch loss, grad norm or None)."""
        cfg = self.cfg
        self.last_lr = cfg.lr * self.lr_schedule.factor(self.samples_seen, cfg.global_batch_size, cfg.min_lr_ratio)
        for group in self.optimizer.param_groups:
            group["lr"] = self.last_lr
        loss_sum = torch.zeros((), device=self.rt.device, dtype=torch.float32)
        # SFT: each micro batch's mean loss weighs by its share of the global batch's loss-
        # carrying targets (known from the data on every rank, no communication), so the step
        # minimizes the mean over all response tokens, however they fall into micro batches.
        total = self.batcher.target_count(self.samples_seen) if self.batcher.labelled else 0
        for micro in range(self.accum):
            x, y, pos = self.batcher.batch(self.samples_seen, micro)
            if self.batcher.labelled:
                weight = self.batcher.micro_target_count(self.samples_seen, micro) * self.rt.world_size / max(1, total)
            else:
                weight = 1.0 / self.accum
            with self._sync_context(micro == self.accum - 1):
                with self.amp():
                    _, loss = self.model(x, y) if pos is None else self.model(x, y, positions=pos)
                if self.batcher.labelled:
                    loss_sum += loss.detach().float() * weight * self.accum
                else:
                    loss_sum += loss.detach().float()
                scaled = loss * weight if self.batcher.labelled else loss / self.accum
                if self.scaler is not None:
                    self.scaler.scale(scaled).backward()
                else:
                    scaled.backward()
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        grad_norm = None
        if self.cfg.grad_clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
            if hasattr(norm, "full_tensor"):
                norm = norm.full_tensor()
            grad_norm = norm
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        self.samples_seen += cfg.global_batch_size
        return loss_sum / self.accum, grad_norm  # type: ignore[return-value]

    def _stop_agreed(self) -> tuple[bool, bool]:
        """(whether any rank was asked to stop, whether every rank's background checkpoint
        write is done), agreed every step so all stop, and complete a checkpoint, at the same
        one. A CPU tensor over a gloo group (the default group on CPU; a gloo group of its own
        beside NCCL): reading it waits for the other ranks, never for the GPU."""
        writing = self.pending is not None and not self.pending.done()
        if not self.rt.distributed:
            return self.stop.requested, not writing
        flag = torch.tensor([1 if self.stop.requested else 0, 1 if writing else 0], dtype=torch.int32)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self.stop_group)
        return bool(flag[0].item()), not bool(flag[1].item())

    def _mean_loss(self, loss: torch.Tensor) -> float:
        """Mean of the ranks' losses: the one device-to-host copy, made at logged steps only."""
        total = loss.detach().float().clone()
        if self.rt.distributed:
            dist.all_reduce(total)
        return float(total.item()) / self.rt.world_size

    def run(self) -> TrainResult:
        cfg = self.cfg
        self.stop.install()
        losses: dict[int, float] = {}
        tps = mfu = None
        stopped = False
        try:
            self.resume()
            self.model.train()
            tokens_per_step = cfg.global_batch_size * cfg.seq_len
            # No host sync per step (it would stall the GPU's launch queue): the loss is read,
            # checked for NaN and timed at logged steps only (every log_interval, the last one,
            # a stop, evaluations and checkpoints); step_seconds and tokens/s are the means since
            # the previous logged step.
            mark_t, mark_step = time.perf_counter(), self.step
            while self.step < cfg.steps:
                loss, grad_norm = self.train_step()
                stop, written = self._stop_agreed()
                if written and self.pending is not None:
                    self._finish_pending()
                self.metrics.step.set(self.step)
                periodic = bool(cfg.checkpoint_interval) and self.step % cfg.checkpoint_interval == 0
                evaluating = bool(cfg.eval_interval) and (self.step % cfg.eval_interval == 0 or self.step == cfg.steps)
                if self.step % cfg.log_interval == 0 or self.step == cfg.steps or stop or periodic or evaluating:
                    mean_loss = self._mean_loss(loss)
                    now = time.perf_counter()
                    dt = (now - mark_t) / max(1, self.step - mark_step)
                    losses[self.step] = mean_loss
                    if not math.isfinite(mean_loss):
                        raise FloatingPointError(f"loss is {mean_loss} at step {self.step}")
                    tps = tokens_per_step / dt
                    mfu = (self.flops_per_token * tps / (self.peak_flops * self.rt.world_size)) if self.peak_flops else None
                    self.metrics.loss.set(mean_loss)
                    self.metrics.step_seconds.set(dt)
                    self.metrics.tokens_per_second.set(tps)
                    self.metrics.set_mfu(mfu)
                    if self.rt.device.type == "cuda":
                        self.metrics.gpu_memory.set(torch.cuda.max_memory_allocated(self.rt.device))
                    if self.rt.is_main:
                        log_event(
                            "step",
                            step=self.step,
                            loss=mean_loss,
                            lr=self.last_lr,
                            grad_norm=float(grad_norm) if grad_norm is not None else None,
                            step_seconds=round(dt, 6),
                            tokens_per_second=round(tps, 1),
                            mfu=round(mfu, 4) if mfu is not None else None,
                        )
                did_eval = False
                if evaluating:
                    self.last_eval = evaluate(self.model, self.val_source, cfg, self.rt, self.amp)
                    did_eval = self.last_eval is not None
                    if did_eval and self.rt.is_main:
                        self.metrics.val_loss.set(self.last_eval["val_loss"])  # type: ignore[index]
                        log_event("eval", step=self.step, **self.last_eval)  # type: ignore[arg-type]
                if stop or periodic or self.step == cfg.steps:
                    if not did_eval and self.store is not None:
                        if stop and not (periodic or self.step == cfg.steps):
                            # The grace period belongs to the save: no evaluation on the stop
                            # path, and the manifest's eval must describe these weights or be null.
                            self.last_eval = None
                        else:
                            # The manifest's eval must describe these weights (used by select=best).
                            self.last_eval = evaluate(self.model, self.val_source, cfg, self.rt, self.amp)
                    # periodic ones in the background; the last and the stop checkpoint complete here
                    self.save(background=cfg.checkpoint_async and not stop and self.step != cfg.steps)
                if stop:
                    stopped = True
                    if self.rt.is_main:
                        log_event("stopped_by_signal", step=self.step, signal=self.stop.signal_name)
                    break
                if evaluating or stop or periodic:
                    mark_t, mark_step = time.perf_counter(), self.step  # keep eval and saves out of step times
        finally:
            self.stop.uninstall()
        # Read after the save: a signal the launcher sent to every local worker has arrived by
        # now even where another rank's signal decided the stop.
        received = self.stop.requested
        if self.rt.is_main:
            log_event("train_done", step=self.step, stopped_by_signal=stopped)
        if stopped and not received and self.rt.local_rank == 0:
            log_event("stopped_for_peer", level=30, step=self.step, reason="another node's ranks were signalled to stop")
        return TrainResult(self.step, losses, stopped, self.last_eval, tps, mfu, received)

    def close(self, clean: bool = True, error: BaseException | None = None) -> None:
        """Release everything the run holds, then leave the process group (see
        shutdown_distributed). ``clean``: the run ended normally or by a stop signal on every
        rank, so the ranks can meet in a final barrier; ``error``: the exception that ended it.
        The trainer is unusable afterwards."""
        # The FSDP/DDP module, optimizer (DTensor state) and batcher reference the process
        # group; they must be gone before it is destroyed.
        for name in ("model", "gpt", "optimizer", "scaler", "batcher", "amp", "stop_group", "pending", "ckpt_group"):
            if hasattr(self, name):
                setattr(self, name, None)
        if error is not None:
            # The traceback's frames (train_step's activations and gradients) hold DTensors.
            traceback.clear_frames(error.__traceback__)
        shutdown_distributed(self.rt, clean)


def train(cfg: TrainConfig) -> TrainResult:
    trainer = Trainer(cfg)
    try:
        result = trainer.run()
    except BaseException as exc:
        trainer.close(clean=False, error=exc)
        raise
    trainer.close(clean=True)
    return result


# ---------------------------------------------------------------------------- eval command
def run_eval(cfg: TrainConfig, select: str = "newest", step: int | None = None, update_manifest: bool = False) -> dict[str, Any]:
    """Evaluate a checkpoint of cfg.checkpoint_dir on the validation split."""
    setup_logging()
    if not cfg.checkpoint_dir:
        raise ConfigError("eval needs checkpoint_dir (--checkpoint-dir or AIINFRA_CHECKPOINT_DIR)")
    gpt_config = None if cfg.is_hf else cfg.gpt_config()
    rt = init_runtime(cfg)
    try:
        # The model lives only in _eval_checkpoint's frame: gone before the group is destroyed.
        out = _eval_checkpoint(cfg, gpt_config, rt, select, step, update_manifest)
    except BaseException as exc:
        traceback.clear_frames(exc.__traceback__)
        shutdown_distributed(rt, clean=False)
        raise
    shutdown_distributed(rt, clean=True)
    return out


def _eval_checkpoint(
    cfg: TrainConfig, gpt_config: GPTConfig | None, rt: Runtime, select: str, step: int | None, update_manifest: bool
) -> dict[str, Any]:
    precision = resolve_precision(cfg, rt.device)
    model, gpt, fsdp_mp = build_model(cfg, gpt_config, rt, precision)
    store = CheckpointStore(cfg.checkpoint_dir)  # type: ignore[arg-type]
    loaded = load_checkpoint(store, model, None, verify=cfg.verify_checkpoint, step=step, select=select, frozen=not cfg.lora.rank)
    if loaded is None:
        raise ConfigError(f"no complete checkpoint under {cfg.checkpoint_dir!r}")
    ck_step, manifest, _ = loaded
    dtype = DTYPES[precision]
    use_autocast = precision in ("bf16", "fp16") and not fsdp_mp
    amp = (lambda: torch.autocast(rt.device.type, dtype=dtype)) if use_autocast else (lambda: contextlib.nullcontext())
    _, val_source = build_sources(cfg.data, int(gpt.config.vocab_size), cfg.seq_len, cfg.seed, cfg.model.hf)
    if val_source is None:
        raise ConfigError("the data has no validation split (data.val_fraction is 0 and no val.bin)")
    result = evaluate(model, val_source, cfg, rt, amp) or {}
    out = {"step": ck_step, "uri": store.step_uri(ck_step), **result}
    if rt.is_main:
        if update_manifest:
            manifest["eval"] = result
            store.write_manifest(ck_step, manifest)
        log_event("eval_done", **out)
    return out
