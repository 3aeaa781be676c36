"""Supervised fine-tuning data: JSONL or Parquet records -> chat-templated token ids whose loss is
masked to the assistant's tokens, packed into rows of ``seq_len`` tokens with document boundaries.

A record is either ``{"prompt": ..., "response": ...}`` (one user turn, one assistant turn;
optional ``system``) or ``{"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]}``.
Each conversation is rendered with the tokenizer's chat template (``data.chat_template``
overrides it; a tokenizer without one gets ChatML). The tokens of every assistant turn carry
the loss; system and user turns and the template's own framing up to the assistant's reply
(``<|im_start|>assistant\\n``) carry none.

Packing: the conversations are placed in order into rows of ``seq_len`` tokens (a new row when
the next one does not fit; one longer than ``seq_len`` is truncated and logged). A row is
``(3, seq_len)``: token ids, labels (the next token of the same conversation where that token
carries loss, else -100), and positions, which restart at 0 at every conversation: the model
derives its attention mask from them, so no token attends across a conversation boundary
(document masking) and each conversation's rotary positions start at 0, exactly as if it were
alone in its row. Padding is a document of its own with no loss.

The validation split holds out ``data.val_fraction`` of the conversations (chosen by a hash of
the seed and the record's index, so the split does not change with the file's size).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import ConfigError, DataConfig
from .logs import log_event

# ChatML, for tokenizers that ship no chat template (e.g. one trained from scratch).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
ROLES = ("system", "user", "assistant")
IGNORE = -100


def read_records(uri: str, cache_dir: str) -> list[dict[str, Any]]:
    """The records of a ``.jsonl`` / ``.json`` (one object per line) or ``.parquet`` file, local
    or any fsspec URI (copied once to ``cache_dir``)."""
    from .data import localize

    path = localize(uri, cache_dir)
    if uri.endswith(".parquet"):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError("Parquet datasets need the 'pyarrow' package (pip install 'aiinfra[sft]')") from None
        return pq.read_table(path).to_pylist()
    if not uri.endswith((".jsonl", ".json")):
        raise ConfigError(f"data.path {uri!r}: an SFT dataset is a .jsonl or .parquet file")
    records = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError as exc:
                raise ConfigError(f"{uri} line {n} is not JSON: {exc}") from None
    return records


def to_messages(record: Any, where: str) -> list[dict[str, str]]:
    """A record as chat messages, checked: roles, string contents, at least one assistant turn."""
    if not isinstance(record, dict):
        raise ConfigError(f"{where}: expected an object with 'messages' or 'prompt' and 'response', got {type(record).__name__}")
    if "messages" in record:
        messages = record["messages"]
        if not isinstance(messages, list) or not messages:
            raise ConfigError(f"{where}: 'messages' must be a non-empty list")
    elif "prompt" in record and "response" in record:
        messages = [{"role": "user", "content": record["prompt"]}, {"role": "assistant", "content": record["response"]}]
        if record.get("system"):
            messages.insert(0, {"role": "system", "content": record["system"]})
    else:
        raise ConfigError(f"{where}: expected 'messages' or 'prompt' and 'response', got keys {sorted(record)}")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise ConfigError(f"{where}: message {i} must be {{'role': one of {list(ROLES)}, 'content': a string}}, got {m!r}")
        out.append({"role": m["role"], "content": m["content"]})
    if not any(m["role"] == "assistant" for m in out):
        raise ConfigError(f"{where}: no assistant message, so nothing to learn")
    return out


def localize_dir(uri: str, cache_dir: str) -> str:
    """A local copy of a directory (a tokenizer's files): itself when local, else downloaded once
    per machine (ranks serialize on a lock and reuse the finished copy)."""
    import fcntl
    import os

    import fsspec

    if fsspec.utils.get_protocol(uri) in ("file", "local"):
        return uri[len("file://") :] if uri.startswith("file://") else uri
    fs, rpath = fsspec.core.url_to_fs(uri)
    if not fs.isdir(rpath):
        raise ConfigError(f"data.tokenizer {uri!r} is not a directory")
    local = os.path.join(cache_dir, "tokenizer-" + hashlib.sha256(uri.encode()).hexdigest()[:16])
    os.makedirs(cache_dir, exist_ok=True)
    with open(local + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(local):
            tmp = f"{local}.tmp-{os.getpid()}"
            fs.get(rpath.rstrip("/") + "/", tmp, recursive=True)
            os.replace(tmp, local)
    return local


def load_tokenizer(path: str, cache_dir: str = "/tmp/aiinfra-data"):
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise ConfigError("SFT needs the 'transformers' package for the tokenizer (pip install 'aiinfra[hf]')") from None
    try:
        return AutoTokenizer.from_pretrained(localize_dir(path, cache_dir))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"data.tokenizer {path!r}: no tokenizer could be loaded: {exc}") from None


def _render(tokenizer: Any, messages: list[dict[str, str]], template: str, generation_prompt: bool) -> list[int]:
    out = tokenizer.apply_chat_template(
        messages, chat_template=template, tokenize=True, add_generation_prompt=generation_prompt, return_dict=False
    )
    if isinstance(out, dict) or hasattr(out, "keys"):  # a BatchEncoding in some transformers versions
        out = out["input_ids"]
    return list(out)


def tokenize_conversation(tokenizer: Any, messages: list[dict[str, str]], template: str) -> tuple[list[int], list[bool]]:
    """Token ids of the rendered conversation and, per token, whether it carries loss: the
    tokens an assistant turn adds after the template's generation prompt (its content and
    end-of-turn token). Rendering turn by turn needs a template whose renderings of a prefix
    of the conversation are prefixes of the whole; one that is not is an error."""
    ids: list[int] = []
    mask: list[bool] = []
    for i, m in enumerate(messages):
        if m["role"] == "assistant":
            prompt = _render(tokenizer, messages[:i], template, True) if i else []
            full = _render(tokenizer, messages[: i + 1], template, False)
        else:
            prompt = full = _render(tokenizer, messages[: i + 1], template, False)
        if prompt[: len(ids)] != ids or full[: len(prompt)] != prompt:
            raise ConfigError(
                "the chat template does not render a conversation turn by turn (a prefix of the conversation "
                "renders differently inside the whole), so the response tokens cannot be told apart; set "
                "data.chat_template to one that does (e.g. ChatML)"
            )
        mask += [False] * (len(prompt) - len(ids)) + [m["role"] == "assistant"] * (len(full) - len(prompt))
        ids = full
    return ids, mask


def pack(lengths: list[int], seq_len: int, pack_rows: bool) -> list[list[int]]:
    """Rows of conversation indices, in order: each row takes conversations while they fit."""
    rows: list[list[int]] = []
    used = seq_len
    for i, n in enumerate(lengths):
        if not pack_rows or used + n > seq_len:
            rows.append([])
            used = 0
        rows[-1].append(i)
        used += n
    return rows


@dataclass
class Conversation:
    ids: list[int]
    mask: list[bool]


def build_row(convs: list[Conversation], seq_len: int, pad_id: int) -> np.ndarray:
    """(3, seq_len) int64: ids, labels (next token of the same conversation where it carries
    loss, else -100), positions restarting at 0 per conversation (padding: its own)."""
    row = np.full((3, seq_len), IGNORE, dtype=np.int64)
    at = 0
    for c in convs:
        n = len(c.ids)
        row[0, at : at + n] = c.ids
        labels = np.where(np.asarray(c.mask[1:], dtype=bool), np.asarray(c.ids[1:]), IGNORE)
        row[1, at : at + n - 1] = labels
        row[2, at : at + n] = np.arange(n)
        at += n
    row[0, at:] = pad_id
    row[2, at:] = np.arange(seq_len - at)
    return row


class SFTSource:
    """Packed rows of conversations; the train split is visited in a fresh permutation of its
    rows each epoch (seeded by (seed, epoch)), the validation split in order."""

    labelled = True

    def __init__(self, rows: list[np.ndarray], seed: int, shuffle: bool, name: str) -> None:
        if not rows:
            raise ConfigError(f"the SFT {name} split is empty; use more records or another data.val_fraction")
        self.rows = rows
        self.seed = seed
        self.shuffle = shuffle
        self._epoch = -1
        self._perm: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, index: int) -> np.ndarray:
        if not self.shuffle:
            return self.rows[index % len(self.rows)]
        epoch, pos = divmod(index, len(self.rows))
        if epoch != self._epoch:
            self._perm = np.random.default_rng([self.seed, 11, epoch]).permutation(len(self.rows))
            self._epoch = epoch
        assert self._perm is not None
        return self.rows[int(self._perm[pos])]


def _is_val(seed: int, index: int, fraction: float) -> bool:
    h = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < fraction


def build_sft_sources(cfg: DataConfig, tokenizer_path: str | None, vocab_size: int, seq_len: int, seed: int):
    """(train SFTSource, validation SFTSource or None) for ``data.source: sft``."""
    path = cfg.tokenizer or tokenizer_path
    if not path:
        raise ConfigError("data.source 'sft' needs a tokenizer: set data.tokenizer (an HF model or tokenizer directory) or model.hf")
    tokenizer = load_tokenizer(path, cfg.cache_dir)
    template = cfg.chat_template or getattr(tokenizer, "chat_template", None) or CHATML_TEMPLATE
    if len(tokenizer) > vocab_size:
        raise ConfigError(f"the tokenizer {path!r} has {len(tokenizer)} tokens, more than the model's vocab_size {vocab_size}")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    records = read_records(cfg.path, cfg.cache_dir)  # type: ignore[arg-type]
    splits: dict[bool, list[Conversation]] = {False: [], True: []}
    truncated = 0
    for i, rec in enumerate(records):
        ids, mask = tokenize_conversation(tokenizer, to_messages(rec, f"{cfg.path} record {i}"), template)
        if len(ids) > seq_len:
            truncated += 1
            ids, mask = ids[:seq_len], mask[:seq_len]
        if any(mask[1:]):
            splits[_is_val(seed, i, cfg.val_fraction)].append(Conversation(ids, mask))
    if truncated:
        log_event("sft_truncated", level=30, conversations=truncated, seq_len=seq_len)
    sources = []
    for val in (False, True):
        convs = splits[val]
        rows = [build_row([convs[j] for j in r], seq_len, pad_id) for r in pack([len(c.ids) for c in convs], seq_len, cfg.pack)]
        if val and not rows:
            sources.append(None)
        else:
            sources.append(SFTSource(rows, seed, shuffle=not val, name="validation" if val else "train"))
    log_event(
        "sft_data",
        records=len(records),
        train_conversations=len(splits[False]),
        val_conversations=len(splits[True]),
        train_rows=len(sources[0]),
        response_tokens=int(sum(sum(c.mask[1:]) for c in splits[False])),
    )
    return sources[0], sources[1]
