"""Which sequences run in an engine step and in which KV-cache slots: the engine's decisions,
without torch (``Engine`` runs the forward passes and sampling; this module only counts).

State: ``waiting`` (FIFO), ``running`` (decoding, kept dense in cache slots ``0..B-1``: the
sequence in slot i is ``running[i]``) and at most one ``staging`` sequence, a prompt longer than
a step's token budget, prefilled chunk by chunk in the spare slot ``staging_slot``. Each step
the engine asks, in this order:

1. ``reap(now)``: cancelled and timed-out sequences leave;
2. (the engine decodes ``running``; finished ones leave through ``remove``);
3. ``next_chunk(budget)`` / ``chunk_done``: the next piece of the staged prompt, which joins
   ``running`` when it is complete;
4. ``admit(budget)``: waiting prompts, FIFO, while a slot is free and the padded batch fits
   the rest of the budget (the prompt that does not fit, if nothing was admitted, is staged);
   ``prefilled`` moves them to ``running`` once their forward ran.

Removing a running sequence moves the last one into its slot; those cache copies are returned
as ``(src, dst, length)`` for the engine to apply, in order. Not thread-safe: the engine calls
what touches ``waiting`` under its lock (``submit`` appends from other threads).
"""

from __future__ import annotations

import collections
import itertools
import time
from dataclasses import dataclass
from typing import Any, Callable

from .types import EngineConfig, QueueFull, SamplingParams, StepOutput

__all__ = ["Admission", "Chunk", "Move", "Scheduler", "Sequence"]

_ids = itertools.count()

Move = tuple[int, int, int]  # copy the first `length` cache positions of slot `src` to slot `dst`


class Sequence:
    """One request's prompt, generated tokens and place in the cache (``slot``, ``num_cached``)."""

    def __init__(
        self,
        prompt: list[int],
        params: SamplingParams,
        sink: Callable[[StepOutput], None],
        decoder: Any,
        deadline: float | None,
    ) -> None:
        self.id = next(_ids)
        self.prompt = prompt
        self.params = params
        self.sink = sink
        self.decoder = decoder
        self.deadline = deadline
        self.tokens: list[int] = list(prompt)
        self.generated: list[int] = []
        self.num_cached = 0  # positions written to the KV cache
        self.slot: int | None = None
        self.text = ""
        self.emitted = 0  # characters of text already handed out
        self.pending_ids: list[int] = []
        self.finished = False
        self.cancelled = False
        self.arrival = time.monotonic()
        self.first_token_at: float | None = None
        self.last_token_at: float | None = None
        self.generator: Any = None  # torch.Generator of a request with a seed (set by the engine)

    def cancel(self) -> None:
        """Thread-safe: the engine drops the sequence at its next step."""
        self.cancelled = True

    def dead(self, now: float) -> str | None:
        """Why the sequence must leave now (``cancelled`` | ``timeout``), or None."""
        if self.cancelled:
            return "cancelled"
        if self.deadline is not None and now > self.deadline:
            return "timeout"
        return None


@dataclass
class Chunk:
    """The next ``length`` prompt tokens of the staged sequence, from position ``start``."""

    seq: Sequence
    start: int
    length: int
    slot: int

    @property
    def tokens(self) -> list[int]:
        return self.seq.prompt[self.start : self.start + self.length]


@dataclass
class Admission:
    """Prompts prefilled together this step (padded to ``longest``, in slots ``base..``), and
    the one staged for chunked prefill from the next step (``staged``), if any."""

    seqs: list[Sequence]
    base: int
    longest: int
    staged: Sequence | None = None


class Scheduler:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.staging_slot = config.max_batch_size  # one spare slot beyond the decode slots
        self.waiting: collections.deque[Sequence] = collections.deque()
        self.running: list[Sequence] = []
        self.staging: Sequence | None = None

    # ------------------------------------------------------------------ state
    def add(self, seq: Sequence) -> None:
        if len(self.waiting) >= self.config.max_waiting:
            raise QueueFull(f"the waiting queue is full ({self.config.max_waiting} requests)")
        self.waiting.append(seq)

    @property
    def num_running(self) -> int:
        return len(self.running) + (1 if self.staging is not None else 0)

    def has_work(self) -> bool:
        return bool(self.waiting or self.running or self.staging)

    def cached_positions(self) -> int:
        return sum(s.num_cached for s in self.running) + (self.staging.num_cached if self.staging else 0)

    def clear(self) -> None:
        self.running.clear()
        self.staging = None
        self.waiting.clear()

    # ------------------------------------------------------------------ leaving
    def remove(self, indices: list[int]) -> list[Move]:
        """Drop the running sequences at these indices, keeping the batch in slots 0..B-1."""
        moves: list[Move] = []
        for i in sorted(indices, reverse=True):
            last = len(self.running) - 1
            if i != last:
                moved = self.running[last]
                if moved.num_cached > 0:
                    moves.append((last, i, moved.num_cached))
                moved.slot = i
                self.running[i] = moved
            self.running.pop()
        return moves

    def reap(self, now: float) -> tuple[list[tuple[Sequence, str]], list[Move]]:
        """Cancelled and timed-out sequences (running, staged, waiting, in that order) and
        the cache moves that keep the running batch dense."""
        gone: list[tuple[Sequence, str]] = []
        indices = []
        for i, s in enumerate(self.running):
            if reason := s.dead(now):
                gone.append((s, reason))
                indices.append(i)
        moves = self.remove(indices)
        if self.staging is not None and (reason := self.staging.dead(now)):
            gone.append((self.staging, reason))
            self.staging = None
        if any(s.dead(now) for s in self.waiting):
            keep: collections.deque[Sequence] = collections.deque()
            for s in self.waiting:
                if reason := s.dead(now):
                    gone.append((s, reason))
                else:
                    keep.append(s)
            self.waiting = keep
        return gone, moves

    # ------------------------------------------------------------------ prefill
    def next_chunk(self, budget: int) -> Chunk | None:
        """The staged prompt's next chunk that fits ``budget`` tokens, or None."""
        s = self.staging
        if s is None or budget <= 0:
            return None
        return Chunk(s, s.num_cached, min(len(s.prompt) - s.num_cached, budget), self.staging_slot)

    def chunk_done(self, chunk: Chunk) -> Move | None:
        """Record a prefilled chunk. When the prompt is complete the sequence joins the running
        batch: returns the move of its cache rows from the staging slot to its decode slot."""
        s = chunk.seq
        s.num_cached += chunk.length
        if s.num_cached < len(s.prompt):
            return None
        self.staging = None
        s.slot = len(self.running)
        self.running.append(s)
        return (self.staging_slot, s.slot, s.num_cached)

    def admit(self, budget: int) -> Admission:
        """Waiting prompts (FIFO) that start this step: while a decode slot is free and the
        batch padded to its longest prompt fits ``budget``. A first prompt that does not fit
        is staged for chunked prefill when the staging slot is free; either way admission
        stops there, so no later request overtakes it."""
        admitted: list[Sequence] = []
        longest = 0
        staged = None
        while self.waiting and budget > 0:
            s = self.waiting[0]
            p = len(s.prompt)
            reserved = len(self.running) + len(admitted) + (1 if self.staging is not None else 0)
            if reserved >= self.config.max_batch_size:
                break
            if (len(admitted) + 1) * max(longest, p) <= budget:
                self.waiting.popleft()
                admitted.append(s)
                longest = max(longest, p)
                continue
            if not admitted and self.staging is None:
                # too long for this step's budget: prefill it in chunks from the next step
                self.waiting.popleft()
                self.staging = staged = s
                s.slot = self.staging_slot
            break
        base = len(self.running)
        for j, s in enumerate(admitted):
            s.slot = base + j
        return Admission(admitted, base, longest, staged)

    def prefilled(self, seqs: list[Sequence]) -> None:
        """The admitted prompts are in the cache: they decode from the next step on."""
        for s in seqs:
            s.num_cached = len(s.prompt)
        self.running.extend(seqs)
