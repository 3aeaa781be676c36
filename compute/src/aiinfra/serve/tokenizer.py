"""Tokenizers for serving: a byte-level one for the trainer's GPT checkpoints and a wrapper
around Hugging Face tokenizers for ``hf:`` models.

The trainer trains on token ids (token files or synthetic data); to turn text into ids the
server uses UTF-8 bytes (ids 0..255), id 256 is end-of-text when the vocabulary has room for
it, and ids above that decode to nothing. A checkpoint whose trainer config names another
tokenizer (``config["tokenizer"]`` = ``"hf:<name-or-path>"``) is served with that one.
"""

from __future__ import annotations

import codecs
from typing import Any, Protocol, Sequence

__all__ = ["ByteTokenizer", "HFTokenizer", "IncrementalDecoder", "Tokenizer", "render_chat", "tokenizer_for"]


class IncrementalDecoder(Protocol):
    def step(self, token_id: int) -> str: ...

    def flush(self) -> str: ...


class Tokenizer(Protocol):
    eos_token_id: int | None
    vocab_size: int

    @property
    def eos_token_ids(self) -> frozenset[int]: ...  # every id that ends generation

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def decoder(self) -> IncrementalDecoder: ...

    def chat_prompt(self, messages: list[dict[str, str]]) -> list[int]: ...


def render_chat(messages: list[dict[str, str]]) -> str:
    """The simple chat template used for models without their own:

        <|system|>\\n...\\n<|user|>\\n...\\n<|assistant|>\\n
    """
    out = []
    for m in messages:
        out.append(f"<|{m['role']}|>\n{m['content']}\n")
    out.append("<|assistant|>\n")
    return "".join(out)


class _ByteDecoder:
    def __init__(self) -> None:
        self._dec = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def step(self, token_id: int) -> str:
        if 0 <= token_id < 256:
            return self._dec.decode(bytes((token_id,)))
        return ""

    def flush(self) -> str:
        return self._dec.decode(b"", final=True)


class ByteTokenizer:
    """UTF-8 bytes as token ids; needs a vocabulary of at least 256."""

    def __init__(self, vocab_size: int) -> None:
        if vocab_size < 256:
            raise ValueError(f"the byte tokenizer needs vocab_size >= 256, the model has {vocab_size}")
        self.vocab_size = vocab_size
        self.eos_token_id: int | None = 256 if vocab_size > 256 else None
        self.spec: str | None = None  # for tokenizer_for(spec, vocab_size) in another process

    @property
    def eos_token_ids(self) -> frozenset[int]:
        return frozenset() if self.eos_token_id is None else frozenset((self.eos_token_id,))

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(i for i in ids if 0 <= i < 256).decode("utf-8", errors="replace")

    def decoder(self) -> IncrementalDecoder:
        return _ByteDecoder()

    def chat_prompt(self, messages: list[dict[str, str]]) -> list[int]:
        return self.encode(render_chat(messages))


class _HFDecoder:
    """Incremental detokenization by prefix/read offsets (as in TGI and vLLM): text is
    emitted once it no longer ends in an incomplete character."""

    def __init__(self, tok: Any) -> None:
        self._tok = tok
        self._ids: list[int] = []
        self._prefix = 0
        self._read = 0

    def step(self, token_id: int) -> str:
        self._ids.append(token_id)
        prefix_text = self._tok.decode(self._ids[self._prefix : self._read], skip_special_tokens=True)
        new_text = self._tok.decode(self._ids[self._prefix :], skip_special_tokens=True)
        if len(new_text) > len(prefix_text) and not new_text.endswith("\ufffd"):
            self._prefix = self._read
            self._read = len(self._ids)
            return new_text[len(prefix_text) :]
        return ""

    def flush(self) -> str:
        prefix_text = self._tok.decode(self._ids[self._prefix : self._read], skip_special_tokens=True)
        new_text = self._tok.decode(self._ids[self._prefix :], skip_special_tokens=True)
        self._prefix = self._read = len(self._ids)
        return new_text[len(prefix_text) :]


class HFTokenizer:
    def __init__(self, tok: Any, vocab_size: int, spec: str | None = None) -> None:
        self._tok = tok
        self.vocab_size = vocab_size
        self.eos_token_id: int | None = tok.eos_token_id
        self.spec = spec
        # more end ids from the model's generation_config (e.g. Llama 3's <|eot_id|>)
        self.extra_eos_token_ids: set[int] = set()

    @property
    def eos_token_ids(self) -> frozenset[int]:
        ids = set(self.extra_eos_token_ids)
        if self.eos_token_id is not None:
            ids.add(self.eos_token_id)
        return frozenset(ids)

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text))

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode(list(ids), skip_special_tokens=True)

    def decoder(self) -> IncrementalDecoder:
        return _HFDecoder(self._tok)

    def chat_prompt(self, messages: list[dict[str, str]]) -> list[int]:
        if getattr(self._tok, "chat_template", None):
            out = self._tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
            if hasattr(out, "keys"):  # transformers >= 5 returns a BatchEncoding
                out = out["input_ids"]
            return [int(t) for t in out]
        return self.encode(render_chat(messages))


def tokenizer_for(spec: str | None, vocab_size: int) -> Tokenizer:
    """``None`` or ``"bytes"``: the byte tokenizer; ``"hf:<name-or-path>"``: a Hugging Face tokenizer."""
    if spec in (None, "", "bytes", "byte"):
        return ByteTokenizer(vocab_size)
    if spec.startswith("hf:"):
        try:
            from transformers import AutoTokenizer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError(f"tokenizer {spec!r} needs the 'transformers' package") from exc
        return HFTokenizer(AutoTokenizer.from_pretrained(spec[3:]), vocab_size, spec)
    raise ValueError(f"unknown tokenizer {spec!r}; use 'bytes' or 'hf:<name-or-path>'")
