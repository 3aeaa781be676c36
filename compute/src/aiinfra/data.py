"""Training data: nanoGPT-style token files and a learnable synthetic task.

Every sample is addressed by a global index, so the order is a pure function of
(seed, index): it does not depend on the number of ranks, and the data position of a run
is just the number of samples consumed (``step * global_batch_size``). That makes resume
exact and makes a 1-process and an N-process run see the same global batches.

Within optimizer step ``s`` the global batch is the samples ``s*G .. s*G+G-1``; rank ``r``
takes the contiguous block ``r*G/W .. (r+1)*G/W - 1`` and splits it into micro batches.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass

import fsspec
import numpy as np
import torch

from .config import ConfigError, DataConfig

TRAIN, VAL = 0, 1


class SyntheticSource:
    """Arithmetic progressions modulo an alphabet: sample i starts at a random token s with a
    random stride k in 1..4, token_t = (s + k*t) mod A, with A = min(vocab_size, 256).
    After two tokens the rest is predictable, so a small model's loss falls quickly."""

    def __init__(self, vocab_size: int, seq_len: int, seed: int, split: int) -> None:
        self.alphabet = min(vocab_size, 256)
        self.seq_len = seq_len
        self.seed = seed
        self.split = split

    def __len__(self) -> int:
        return 2**62

    def get(self, index: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.split, index])
        start = int(rng.integers(0, self.alphabet))
        stride = int(rng.integers(1, 5))
        t = np.arange(self.seq_len + 1, dtype=np.int64)
        return (start + stride * t) % self.alphabet


class TokenFileSource:
    """Non-overlapping windows of seq_len+1 tokens from a memory-mapped token array.
    The train split is visited in a fresh permutation each epoch (seeded by (seed, epoch));
    the validation split in file order."""

    def __init__(self, tokens: np.ndarray, seq_len: int, seed: int, shuffle: bool, name: str) -> None:
        self.tokens = tokens
        self.seq_len = seq_len
        self.seed = seed
        self.shuffle = shuffle
        self.windows = (len(tokens) - 1) // seq_len
        if self.windows < 1:
            raise ConfigError(
                f"the {name} split has {len(tokens)} tokens, fewer than seq_len + 1 = {seq_len + 1}; "
                "use a longer token file or a smaller seq_len / data.val_fraction"
            )
        self._perm_epoch = -1
        self._perm: np.ndarray | None = None

    def __len__(self) -> int:
        return self.windows

    def _window(self, index: int) -> int:
        if not self.shuffle:
            return index % self.windows
        epoch, pos = divmod(index, self.windows)
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, 7, epoch]).permutation(self.windows)
            self._perm_epoch = epoch
        assert self._perm is not None
        return int(self._perm[pos])

    def get(self, index: int) -> np.ndarray:
        w = self._window(index)
        start = w * self.seq_len
        return np.asarray(self.tokens[start : start + self.seq_len + 1], dtype=np.int64)


def _is_local(uri: str) -> bool:
    return fsspec.utils.get_protocol(uri) in ("file", "local")


def localize(uri: str, cache_dir: str) -> str:
    """Local path of a token file: itself when local, else a cached copy (downloaded once per
    machine; concurrent ranks serialize on a file lock and reuse the finished copy)."""
    if _is_local(uri):
        path = uri[len("file://") :] if uri.startswith("file://") else uri
        if not os.path.exists(path):
            raise ConfigError(f"data file {uri!r} does not exist")
        return path
    fs, rpath = fsspec.core.url_to_fs(uri)
    if not fs.exists(rpath):
        raise ConfigError(f"data file {uri!r} does not exist")
    size = fs.size(rpath)
    key = hashlib.sha256(uri.encode()).hexdigest()[:16]
    os.makedirs(cache_dir, exist_ok=True)
    local = os.path.join(cache_dir, f"{key}-{os.path.basename(rpath)}")
    with open(local + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (os.path.exists(local) and os.path.getsize(local) == size):
            tmp = f"{local}.tmp-{os.getpid()}"
            fs.get_file(rpath, tmp)
            os.replace(tmp, local)
    return local


def _memmap(path: str, dtype: str) -> np.ndarray:
    itemsize = np.dtype(dtype).itemsize
    if os.path.getsize(path) % itemsize:
        raise ConfigError(f"token file {path!r} size is not a multiple of {itemsize} bytes ({dtype})")
    return np.memmap(path, dtype=dtype, mode="r")


def _join(uri: str, name: str) -> str:
    return uri.rstrip("/") + "/" + name


def split_rows(rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """(inputs, targets, positions or None) of a stack of samples: token windows (batch,
    seq_len + 1) of pre-training, or packed SFT rows (batch, 3, seq_len) of ids, labels
    (-100: no loss) and positions restarting at 0 per document (see aiinfra/sft.py)."""
    t = torch.from_numpy(rows)
    if t.dim() == 3:
        return t[:, 0], t[:, 1], t[:, 2]
    return t[:, :-1], t[:, 1:], None


def build_sources(cfg: DataConfig, vocab_size: int, seq_len: int, seed: int, tokenizer: str | None = None):
    """(train_source, val_source) for a data config; ``tokenizer``: the model's directory,
    where an SFT dataset's tokenizer comes from unless data.tokenizer names one."""
    if cfg.source == "sft":
        from .sft import build_sft_sources

        return build_sft_sources(cfg, tokenizer, vocab_size, seq_len, seed)
    if cfg.source == "synthetic":
        return SyntheticSource(vocab_size, seq_len, seed, TRAIN), SyntheticSource(vocab_size, seq_len, seed, VAL)
    assert cfg.path
    fs, rpath = fsspec.core.url_to_fs(cfg.path)
    if fs.isdir(rpath):
        train = _memmap(localize(_join(cfg.path, "train.bin"), cfg.cache_dir), cfg.dtype)
        val_uri = _join(cfg.path, "val.bin")
        val = _memmap(localize(val_uri, cfg.cache_dir), cfg.dtype) if fs.exists(_join(rpath, "val.bin")) else None
    else:
        train, val = _memmap(localize(cfg.path, cfg.cache_dir), cfg.dtype), None
    if val is None:
        n_val = int(len(train) * cfg.val_fraction)
        if n_val > 0:
            train, val = train[: len(train) - n_val], train[len(train) - n_val :]
    # A sample (not a full scan of a possibly huge file); every batch is checked as well.
    top = int(train[: 1 << 22].max()) if len(train) else 0
    if top >= vocab_size:
        raise ConfigError(
            f"token file {cfg.path!r} holds token id {top} >= model vocab_size {vocab_size}; "
            "check data.dtype or set model.vocab_size"
        )
    train_src = TokenFileSource(train, seq_len, seed, shuffle=True, name="train")
    val_src = TokenFileSource(val, seq_len, seed, shuffle=False, name="validation") if val is not None else None
    return train_src, val_src


@dataclass
class Batcher:
    """Per-rank micro batches of a global batch; stateless given (first sample, micro).

    The data position is the number of samples the run has consumed, not the step: a step
    that starts at sample ``first`` takes samples ``first .. first + G - 1`` (G = global batch),
    rank ``r`` the ``r``-th contiguous block of them. So a run resumed with another global
    batch size (or number of ranks) continues at the first sample not yet seen."""

    source: object
    global_batch_size: int
    micro_batch_size: int
    rank: int
    world_size: int
    device: torch.device
    vocab_size: int | None = None

    @property
    def per_rank(self) -> int:
        return self.global_batch_size // self.world_size

    def indices(self, first: int, micro: int) -> range:
        start = first + self.rank * self.per_rank + micro * self.micro_batch_size
        return range(start, start + self.micro_batch_size)

    def batch(self, first: int, micro: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(inputs, targets, positions or None) of one micro batch, on the device."""
        rows = np.stack([self.source.get(i) for i in self.indices(first, micro)])  # type: ignore[attr-defined]
        top = int(rows[:, 0].max()) if rows.ndim == 3 else int(rows.max())
        if self.vocab_size is not None and top >= self.vocab_size:
            raise ValueError(
                f"token id {top} in the batch starting at sample {first} is >= the model's "
                f"vocab_size {self.vocab_size}; check data.dtype and model.vocab_size"
            )
        parts = split_rows(rows)
        if self.device.type == "cuda":
            parts = tuple(p.pin_memory().to(self.device, non_blocking=True) if p is not None else None for p in parts)  # type: ignore[assignment]
        return parts

    @property
    def labelled(self) -> bool:
        """Whether samples carry their own labels (SFT: only response tokens count)."""
        return bool(getattr(self.source, "labelled", False))

    def target_count(self, first: int) -> int:
        """Targets that carry loss in the whole global batch starting at sample ``first``: the
        same number on every rank, from the data alone (no communication)."""
        rows = (self.source.get(i) for i in range(first, first + self.global_batch_size))  # type: ignore[attr-defined]
        return int(sum(int((r[1] != -100).sum()) for r in rows))

    def micro_target_count(self, first: int, micro: int) -> int:
        return int(sum(int((self.source.get(i)[1] != -100).sum()) for i in self.indices(first, micro)))  # type: ignore[attr-defined]


def eval_indices(n_samples: int, rank: int, world_size: int) -> list[int]:
    """The validation samples rank r evaluates: r, r+W, r+2W, ... below n_samples."""
    return list(range(rank, n_samples, world_size))


def write_token_file(path: str, tokens: np.ndarray, dtype: str = "uint16") -> None:
    """Write tokens as a flat binary file (nanoGPT format) to a local path or fsspec URI."""
    arr = np.asarray(tokens, dtype=dtype)
    with fsspec.open(path, "wb") as fh:
        fh.write(arr.tobytes())
