"""Continuous-batching inference engine.

One engine thread owns the model and the KV cache and runs ``step()`` in a loop:

1. drop sequences that were cancelled (client gone) or ran past their deadline;
2. decode: every running sequence advances one token in ONE batched forward (rows
   ``0..B-1`` of the cache, so attention reads a view, no gather), then is sampled with
   tensor ops for the whole batch; finished sequences leave at once, and the last running
   sequence's cache rows move into the freed slot (the batch stays dense);
3. prefill, under a token budget (``max_num_batched_tokens`` minus the decode tokens of
   this step): waiting requests are admitted in FIFO order while a slot is free and their
   padded prompt fits, and run together in one forward whose last-token logits give their
   first token; they decode from the next step on. A prompt longer than the budget is
   prefilled in chunks, one chunk per step, in a spare staging slot, so long prompts do not
   stall the running batch; when done its cache rows move into a decode slot.

Requests therefore join and leave the running batch at every step. The decisions (who runs,
in which cache slot, which chunk) are ``scheduler.Scheduler``'s, which does not import torch;
this module runs the forward passes, samples, and turns tokens into outputs. HTTP handlers talk to
the engine through ``submit`` (thread-safe, raises ``QueueFull`` when the bounded waiting
queue is full) and ``Sequence.cancel``; outputs are handed back through ``deliver`` once per
step, which the server points at its event loop.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable

import torch

from .model_runner import ModelRunner
from .scheduler import Scheduler, Sequence
from .tokenizer import Tokenizer
from .types import EngineConfig, EngineStopped, QueueFull, SamplingParams, StepOutput

__all__ = [
    "Engine",
    "EngineConfig",
    "EngineStopped",
    "QueueFull",
    "SamplingParams",
    "Sequence",
    "StepOutput",
]

log = logging.getLogger("aiinfra.serve.engine")


class _NullMetrics:
    def observe_batch(self, n: int) -> None: ...
    def observe_ttft(self, s: float) -> None: ...
    def observe_itl(self, s: float) -> None: ...
    def add_prompt_tokens(self, n: int) -> None: ...
    def add_generation_tokens(self, n: int) -> None: ...
    def set_queue(self, waiting: int, running: int, kv_usage: float) -> None: ...


class Engine:
    def __init__(
        self,
        runner_factory: Callable[[int, int], ModelRunner],
        tokenizer: Tokenizer,
        config: EngineConfig | None = None,
        metrics: Any | None = None,
        model_max_len: int | None = None,
    ) -> None:
        """``runner_factory(num_slots, max_len)`` builds the model runner (and its cache)."""
        self.config = config or EngineConfig()
        self.config.validate()
        self.tokenizer = tokenizer
        max_len = self.config.max_model_len or model_max_len
        # One spare slot beyond the decode slots: the staging slot for chunked prefill.
        self.runner = runner_factory(self.config.max_batch_size + 1, max_len)
        if self.runner.cache.num_slots - 1 < self.config.max_batch_size:  # the runner fit it to the GPU
            self.config.max_batch_size = self.runner.cache.num_slots - 1
        self.max_len = self.runner.max_len
        self.device = self.runner.device
        self.metrics = metrics or _NullMetrics()
        self.scheduler = Scheduler(self.config)
        self._live: dict[int, Sequence] = {}  # every submitted, unfinished sequence
        self.deliver: Callable[[list[tuple[Callable[[StepOutput], None], StepOutput]]], None] = _deliver_now
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._accepting = True
        self.max_batch_seen = 0
        self.steps = 0
        self.last_error: BaseException | None = None
        self.consecutive_failures = 0  # /healthz fails from 3 on (a broken device: restart the pod)

    # ------------------------------------------------------------------ public API
    def submit(
        self,
        prompt: list[int],
        params: SamplingParams,
        sink: Callable[[StepOutput], None],
        timeout: float | None = None,
    ) -> Sequence:
        if not prompt:
            raise ValueError("the prompt is empty")
        if len(prompt) >= self.max_len:
            raise ValueError(f"the prompt has {len(prompt)} tokens; the model's limit is {self.max_len}")
        if params.max_tokens < 1:
            raise ValueError("max_tokens must be >= 1")
        seq = Sequence(prompt, params, sink, self.tokenizer.decoder(), None)
        if timeout is not None:
            seq.deadline = seq.arrival + timeout
        if params.seed is not None:
            seq.generator = torch.Generator(device=self.device).manual_seed(params.seed)
        with self._cv:
            if not self._accepting:
                raise EngineStopped("the engine is shutting down")
            self.scheduler.add(seq)
            self._live[seq.id] = seq
            self._cv.notify()
        return seq

    @property
    def vocab_size(self) -> int:
        return self.runner.config.vocab_size

    # the scheduler's queues, read by tests and the HTTP side
    @property
    def waiting(self) -> collections.deque[Sequence]:
        return self.scheduler.waiting

    @property
    def running(self) -> list[Sequence]:
        return self.scheduler.running

    @property
    def staging(self) -> Sequence | None:
        return self.scheduler.staging

    @property
    def num_waiting(self) -> int:
        return len(self.scheduler.waiting)

    @property
    def num_running(self) -> int:
        return self.scheduler.num_running

    def room(self) -> int:
        """How many more requests submit() would accept now (the waiting queue's free places)."""
        return max(0, self.config.max_waiting - len(self.scheduler.waiting))

    def has_work(self) -> bool:
        return self.scheduler.has_work()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="aiinfra-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the engine thread; requests still queued or running end with an error."""
        with self._cv:
            self._accepting = False
            self._stopping = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(timeout)
        self._fail_all("the server is shutting down")

    def wake(self) -> None:
        with self._cv:
            self._cv.notify()

    # ------------------------------------------------------------------ loop
    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._stopping and not self.has_work():
                    self._cv.wait(timeout=0.5)
                if self._stopping:
                    return
            try:
                self.step()
                self.consecutive_failures = 0
            except Exception as exc:  # a failed step must not hang the clients
                log.exception("engine step failed")
                self.last_error = exc
                self.consecutive_failures += 1
                self._fail_all(f"internal error: {type(exc).__name__}: {exc}")

    def _fail_all(self, message: str) -> None:
        with self._cv:
            # _live also holds sequences between queue and batch when a step failed mid-way
            seqs = list(self._live.values())
            self._live.clear()
            self.scheduler.clear()
        events = []
        for s in seqs:
            if not s.finished:
                s.finished = True
                events.append((s.sink, self._output(s, "", "error", error=message)))
        if events:
            self.deliver(events)
        self._report()

    # ------------------------------------------------------------------ one step
    def step(self) -> None:
        events: list[tuple[Callable[[StepOutput], None], StepOutput]] = []
        now = time.monotonic()
        self._reap(now, events)
        decode_tokens = self._decode(events) if self.scheduler.running else 0
        self._prefill(self.config.max_num_batched_tokens - decode_tokens, events)
        self.steps += 1
        if events:
            self.deliver(events)
        self._report()

    def _report(self) -> None:
        cap = (self.config.max_batch_size + 1) * self.max_len
        self.metrics.set_queue(self.num_waiting, self.num_running, self.scheduler.cached_positions() / cap)

    def _reap(self, now: float, events: list) -> None:
        with self._cv:  # submit() appends to the waiting queue from other threads
            gone, moves = self.scheduler.reap(now)
        self._move(moves)
        for seq, reason in gone:
            events.append((seq.sink, self._finish(seq, reason)))

    def _move(self, moves: list[tuple[int, int, int]]) -> None:
        for src, dst, length in moves:
            self.runner.cache.move(src, dst, length)

    def _remove(self, indices: list[int]) -> None:
        """Drop the running sequences at these indices (the scheduler keeps the batch dense)."""
        self._move(self.scheduler.remove(indices))

    def _decode(self, events: list) -> int:
        seqs = self.scheduler.running
        n = len(seqs)
        self.max_batch_seen = max(self.max_batch_seen, n)
        self.metrics.observe_batch(n)
        dev = self.device
        last = torch.tensor([s.tokens[-1] for s in seqs], dtype=torch.long, device=dev)[:, None]
        pos = [s.num_cached for s in seqs]
        start = torch.tensor(pos, dtype=torch.long, device=dev)
        ones = torch.ones(n, dtype=torch.long, device=dev)
        logits = self.runner.forward(last, start, ones, slots=None, max_kv=max(pos) + 1)
        for s in seqs:
            s.num_cached += 1
        new = self._sample(logits, seqs)
        now = time.monotonic()
        done = []
        for i, (s, t) in enumerate(zip(seqs, new)):
            out = self._append(s, t, now)
            if out is not None:
                events.append((s.sink, out))
            if s.finished:
                done.append(i)
        self._remove(done)
        self.metrics.add_generation_tokens(n)
        return n

    def _prefill(self, budget: int, events: list) -> None:
        sched = self.scheduler
        dev = self.device
        # 1. the next chunk of a long prompt in the staging slot
        chunk = sched.next_chunk(budget)
        if chunk is not None:
            logits = self.runner.forward(
                torch.tensor([chunk.tokens], dtype=torch.long, device=dev),
                torch.tensor([chunk.start], device=dev),
                torch.tensor([chunk.length], device=dev),
                slots=torch.tensor([chunk.slot], device=dev),
                fresh=chunk.start == 0,
                max_kv=chunk.start + chunk.length,
            )
            budget -= chunk.length
            move = sched.chunk_done(chunk)
            if move is not None:  # the whole prompt is in: it joins the running batch
                self._move([move])
                self._first_token(logits, [chunk.seq], events)
        # 2. admit waiting requests (FIFO) while a slot is free and the padded batch fits
        with self._cv:
            adm = sched.admit(budget)
        if adm.staged is not None:
            self.metrics.add_prompt_tokens(len(adm.staged.prompt))
        if not adm.seqs:
            return
        n = len(adm.seqs)
        rows = torch.zeros(n, adm.longest, dtype=torch.long)
        for j, s in enumerate(adm.seqs):
            rows[j, : len(s.prompt)] = torch.tensor(s.prompt, dtype=torch.long)
        lengths = torch.tensor([len(s.prompt) for s in adm.seqs], dtype=torch.long, device=dev)
        logits = self.runner.forward(
            rows.to(dev),
            torch.zeros(n, dtype=torch.long, device=dev),
            lengths,
            slots=torch.arange(adm.base, adm.base + n, device=dev),
            fresh=True,
        )
        sched.prefilled(adm.seqs)
        for s in adm.seqs:
            self.metrics.add_prompt_tokens(len(s.prompt))
        self._first_token(logits, adm.seqs, events)

    def _first_token(self, logits: torch.Tensor, seqs: list[Sequence], events: list) -> None:
        new = self._sample(logits, seqs)
        now = time.monotonic()
        done = []
        for s, t in zip(seqs, new):
            out = self._append(s, t, now)
            if out is not None:
                events.append((s.sink, out))
            if s.finished:
                done.append(s.slot)
        self.metrics.add_generation_tokens(len(seqs))
        self._remove(done)

    # ------------------------------------------------------------------ sampling
    def _sample(self, logits: torch.Tensor, seqs: list[Sequence]) -> list[int]:
        """Greedy for temperature 0, else temperature + nucleus (top-p) sampling, for the whole
        batch with tensor ops. Sampling draws Exp(1) noise and takes argmax(p / noise) (the
        exponential race, equivalent to a categorical draw); a request with a seed draws its
        noise from its own generator, so its output does not depend on its batch mates."""
        greedy = logits.argmax(dim=-1)
        temps = [s.params.temperature for s in seqs]
        if all(t == 0.0 for t in temps):
            return greedy.tolist()
        dev = logits.device
        t = torch.tensor(temps, dtype=torch.float32, device=dev)
        probs = torch.softmax(logits / t.clamp(min=1e-5)[:, None], dim=-1)
        top_ps = [s.params.top_p for s in seqs]
        if any(p < 1.0 for p in top_ps):
            tp = torch.tensor(top_ps, dtype=torch.float32, device=dev)
            sorted_p, idx = probs.sort(dim=-1, descending=True)
            before = sorted_p.cumsum(dim=-1) - sorted_p  # mass of the tokens ranked above
            sorted_p = sorted_p.masked_fill(before >= tp[:, None], 0.0)
            probs = torch.zeros_like(probs).scatter_(-1, idx, sorted_p)
        noise = torch.empty_like(probs).exponential_()
        for i, s in enumerate(seqs):
            if s.generator is not None:
                noise[i].exponential_(generator=s.generator)
        sampled = (probs / noise).argmax(dim=-1)
        return torch.where(t == 0.0, greedy, sampled).tolist()

    # ------------------------------------------------------------------ outputs
    @property
    def _eos(self) -> frozenset[int]:
        return self.tokenizer.eos_token_ids

    def _append(self, s: Sequence, token: int, now: float) -> StepOutput | None:
        p = s.params
        if s.first_token_at is None:
            s.first_token_at = now
            self.metrics.observe_ttft(now - s.arrival)
        else:
            self.metrics.observe_itl(now - (s.last_token_at or now))
        s.last_token_at = now
        s.tokens.append(token)
        s.generated.append(token)
        s.pending_ids.append(token)
        reason = None
        if token in self._eos and not p.ignore_eos:
            reason = "stop"
        else:
            before = len(s.text)
            s.text += s.decoder.step(token)
            if p.stop and len(s.text) > before:
                longest = max(len(x) for x in p.stop)
                lo = max(0, before - longest + 1)
                hits = [i for i in (s.text.find(x, lo) for x in p.stop) if i >= 0]
                if hits:
                    s.text = s.text[: min(hits)]
                    reason = "stop"
        if reason is None and (len(s.generated) >= p.max_tokens or len(s.tokens) >= self.max_len):
            reason = "length"
        if reason is not None:
            if reason == "length":
                s.text += s.decoder.flush()
            return self._finish(s, reason)
        # hold back text that could be the start of a stop string
        hold = max((len(x) for x in p.stop), default=1) - 1
        upto = max(s.emitted, len(s.text) - hold)
        if upto == s.emitted:
            return None
        return self._output(s, self._take(s, upto), None)

    def _take(self, s: Sequence, upto: int) -> str:
        text = s.text[s.emitted : upto]
        s.emitted = upto
        return text

    def _finish(self, s: Sequence, reason: str) -> StepOutput:
        s.finished = True
        self._live.pop(s.id, None)
        error = None
        if reason == "timeout":
            error = "the request timed out"
        elif reason == "cancelled":
            error = "the request was cancelled"
        return self._output(s, self._take(s, len(s.text)), reason, error=error)

    def _output(self, s: Sequence, text: str, reason: str | None, error: str | None = None) -> StepOutput:
        ids, s.pending_ids = s.pending_ids, []
        return StepOutput(
            text=text,
            token_ids=ids,
            finished=reason is not None,
            finish_reason=reason,
            prompt_tokens=len(s.prompt),
            completion_tokens=len(s.generated),
            error=error,
        )


def _deliver_now(events: list[tuple[Callable[[StepOutput], None], StepOutput]]) -> None:
    for sink, out in events:
        sink(out)
