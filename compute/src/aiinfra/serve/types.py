"""The engine's request and output types and errors, without torch (the HTTP process of the
server imports these; only the engine process needs torch)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EngineConfig", "EngineStopped", "QueueFull", "SamplingParams", "StepOutput"]


class QueueFull(Exception):
    """The waiting queue is full; the caller should answer 429."""


class EngineStopped(Exception):
    """The engine no longer accepts requests."""


@dataclass
class EngineConfig:
    max_batch_size: int = 64  # running sequences (decode slots)
    max_num_batched_tokens: int = 2048  # tokens per step: decode tokens + (padded) prefill tokens
    max_waiting: int = 256  # bounded waiting queue; beyond it submit raises QueueFull
    max_model_len: int | None = None  # default: the model's max_seq_len

    def validate(self) -> None:
        if self.max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {self.max_batch_size}")
        if self.max_num_batched_tokens <= self.max_batch_size:
            raise ValueError(
                f"max_num_batched_tokens ({self.max_num_batched_tokens}) must exceed max_batch_size "
                f"({self.max_batch_size}) so prefill can make progress while a full batch decodes"
            )
        if self.max_waiting < 0:
            raise ValueError(f"max_waiting must be >= 0, got {self.max_waiting}")


@dataclass
class SamplingParams:
    max_tokens: int = 16
    temperature: float = 1.0  # 0: greedy
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    ignore_eos: bool = False


@dataclass
class StepOutput:
    """What a request gets after a step: new text (and token ids) since the last output."""

    text: str
    token_ids: list[int]
    finished: bool
    finish_reason: str | None  # stop | length | timeout | cancelled | error
    prompt_tokens: int
    completion_tokens: int
    error: str | None = None
