"""The engine in its own process (the server's default), as vLLM's engine core.

Why: the engine thread gives up the GIL inside every torch op and must win it back from the
HTTP event loop; with many streams the loop is busy and each op's return waits (measured on
CPU: a decode step 4x slower next to a busy Python thread). In its own process the engine
runs its forward passes undisturbed, and the HTTP side (JSON, SSE) runs in parallel.

Parent (``ProcessEngine``, used by the app like ``Engine``) and child (``_engine_main``) talk
over two multiprocessing queues:

    parent -> child   ("add", id, prompt, params, timeout) | ("abort", id) | ("stop",)
    child -> parent   ("ready", info) | ("load_error", message)
                      | ("step", [(id, StepOutput), ...], metrics delta, consecutive failures)

One "step" message per engine step carries every output of the step, and the engine's metric
observations of it, which the parent applies to its Prometheus registry. The bounded queue is
enforced in the parent (``max_batch_size + max_waiting`` unfinished requests), so a full
server answers 429 without a round trip.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import threading
import time
from typing import Any, Callable

from .types import EngineConfig, EngineStopped, QueueFull, SamplingParams, StepOutput
from .tokenizer import Tokenizer, tokenizer_for

__all__ = ["LoadCancelled", "ProcessEngine", "start_engine_process"]

log = logging.getLogger("aiinfra.serve.process")

_ids = itertools.count(1)


class _Handle:
    """The parent's view of one sequence (what ``Engine.submit`` returns)."""

    __slots__ = ("id", "sink", "finished", "_engine")

    def __init__(self, id_: int, sink: Callable[[StepOutput], None], engine: ProcessEngine) -> None:
        self.id = id_
        self.sink = sink
        self.finished = False
        self._engine = engine

    def cancel(self) -> None:
        if not self.finished:
            self._engine._send(("abort", self.id))


class _DeltaMetrics:
    """The engine's metrics interface, recording observations to ship to the parent."""

    def __init__(self) -> None:
        self.reset()
        self.gauges = (0, 0, 0.0)

    def reset(self) -> None:
        self.batch: list[int] = []
        self.ttft: list[float] = []
        self.itl: list[float] = []
        self.prompt = 0
        self.generated = 0

    def observe_batch(self, n: int) -> None:
        self.batch.append(n)

    def observe_ttft(self, s: float) -> None:
        self.ttft.append(s)

    def observe_itl(self, s: float) -> None:
        self.itl.append(s)

    def add_prompt_tokens(self, n: int) -> None:
        self.prompt += n

    def add_generation_tokens(self, n: int) -> None:
        self.generated += n

    def set_queue(self, waiting: int, running: int, kv_usage: float) -> None:
        self.gauges = (waiting, running, kv_usage)

    def take(self) -> tuple:
        out = (self.batch, self.ttft, self.itl, self.prompt, self.generated, self.gauges)
        self.reset()
        return out


def _engine_main(load_kwargs: dict[str, Any], engine_config: EngineConfig, threads: int,
                 requests: Any, outputs: Any) -> None:
    """Child process: load the model, then loop: take messages, step, send outputs."""
    # The parent decides when the engine stops (after a drain it sends "stop"): a Ctrl-C or a
    # SIGTERM sent to the whole process group must not kill the engine under in-flight requests.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parent = os.getppid()
    import torch

    from .engine import Engine
    from .loader import load_model
    from .model_runner import ModelRunner

    logging.basicConfig(level=load_kwargs.pop("log_level", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s[engine]: %(message)s")
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        loaded = load_model(**load_kwargs)
        metrics = _DeltaMetrics()
        # The parent bounds unfinished requests (max_batch_size + max_waiting); several may
        # arrive here before a step admits any, so the engine's own queue takes all of them.
        config = dataclasses.replace(engine_config,
                                     max_waiting=engine_config.max_waiting + engine_config.max_batch_size)
        engine = Engine(lambda slots, max_len: ModelRunner(loaded.model, slots, max_len), loaded.tokenizer,
                        config, metrics=metrics, model_max_len=loaded.model.config.max_seq_len)
    except Exception as exc:  # reported to the parent: /readyz and the exit code
        logging.getLogger("aiinfra.serve").exception("model load failed")
        outputs.put(("load_error", f"{type(exc).__name__}: {exc}"))
        return
    pending: list[tuple[int, StepOutput]] = []
    engine.deliver = lambda events: pending.extend((sink.id, out) for sink, out in events)  # type: ignore[attr-defined]
    seqs: dict[int, Any] = {}
    outputs.put(("ready", {
        "name": loaded.name, "info": loaded.info, "max_len": engine.max_len, "vocab_size": engine.vocab_size,
        "tokenizer": loaded.tokenizer.spec, "max_batch_size": engine.config.max_batch_size,
    }))

    class _Sink:
        """Stands for the parent's sink: engine.deliver (above) reads its id."""

        __slots__ = ("id",)

        def __init__(self, id_: int) -> None:
            self.id = id_

        def __call__(self, out: StepOutput) -> None:
            pending.append((self.id, out))

    failures = 0
    while True:
        # take every message that is there; block only when there is nothing to do
        block = not engine.has_work()
        while True:
            try:
                msg = requests.get(timeout=0.5) if block else requests.get_nowait()
            except queue_mod.Empty:
                if os.getppid() != parent:  # the server process is gone: nobody to serve
                    return
                if block and not engine.has_work():
                    continue
                break
            block = False
            kind = msg[0]
            if kind == "add":
                _, id_, prompt, params, timeout = msg
                try:
                    seqs[id_] = engine.submit(prompt, params, _Sink(id_), timeout=timeout)
                except (ValueError, QueueFull) as exc:
                    pending.append((id_, StepOutput("", [], True, "error", len(prompt), 0, str(exc))))
            elif kind == "abort":
                s = seqs.get(msg[1])
                if s is not None:
                    s.cancel()
            elif kind == "stop":
                engine.stop(timeout=0)
                if pending:
                    outputs.put(("step", pending, metrics.take(), failures))
                return
        try:
            engine.step()
            failures = 0
        except Exception as exc:
            logging.getLogger("aiinfra.serve.engine").exception("engine step failed")
            failures += 1
            engine.consecutive_failures = failures
            engine._fail_all(f"internal error: {type(exc).__name__}: {exc}")
        for id_, out in pending:
            if out.finished:
                seqs.pop(id_, None)
        outputs.put(("step", pending, metrics.take(), failures))
        pending = []


class ProcessEngine:
    """Drop-in for ``Engine`` in the app, with the engine in a child process."""

    def __init__(self, proc: Any, requests: Any, outputs: Any, ready: dict[str, Any], config: EngineConfig,
                 metrics: Any) -> None:
        self._proc = proc
        self._requests = requests
        self._outputs = outputs
        # the engine may have capped the batch to the GPU's memory
        self.config = dataclasses.replace(config, max_batch_size=ready.get("max_batch_size", config.max_batch_size))
        self.metrics = metrics
        self.max_len: int = ready["max_len"]
        self.vocab_size: int = ready["vocab_size"]
        self.tokenizer: Tokenizer = tokenizer_for(ready["tokenizer"], self.vocab_size)
        self.capacity = config.max_batch_size + config.max_waiting
        self.deliver: Callable[[list[tuple[Callable[[StepOutput], None], StepOutput]]], None] = _deliver_now
        self._live: dict[int, _Handle] = {}
        self._lock = threading.Lock()
        self._accepting = True
        self._reader: threading.Thread | None = None
        self.consecutive_failures = 0
        self.last_error: str | None = None
        self.num_waiting = 0
        self.num_running = 0
        self.on_dead: Callable[[str], None] | None = None  # called if the engine process dies

    # the Engine interface used by the app -------------------------------------------
    def submit(self, prompt: list[int], params: SamplingParams, sink: Callable[[StepOutput], None],
               timeout: float | None = None) -> _Handle:
        if not prompt:
            raise ValueError("the prompt is empty")
        if len(prompt) >= self.max_len:
            raise ValueError(f"the prompt has {len(prompt)} tokens; the model's limit is {self.max_len}")
        with self._lock:
            if not self._accepting:
                raise EngineStopped("the engine is shutting down")
            if len(self._live) >= self.capacity:
                raise QueueFull(f"the waiting queue is full ({self.config.max_waiting} requests)")
            handle = _Handle(next(_ids), sink, self)
            self._live[handle.id] = handle
        self._send(("add", handle.id, prompt, params, timeout))
        return handle

    def room(self) -> int:
        """How many more requests submit() would accept now (running plus waiting places)."""
        return max(0, self.capacity - len(self._live))

    def has_work(self) -> bool:
        return bool(self._live)

    def wake(self) -> None:
        """Nothing to do: cancellations are messages to the engine process."""

    def start(self) -> None:
        self._reader = threading.Thread(target=self._read, name="aiinfra-engine-reader", daemon=True)
        self._reader.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        with self._lock:
            self._accepting = False
        self._send(("stop",))
        self._proc.join(timeout)
        if self._proc.is_alive():  # it ignores SIGTERM (see _engine_main)
            self._proc.kill()
            self._proc.join(5)
        if self._reader is not None:
            self._reader.join(2)
        self._fail_all("the server is shutting down")

    # internals ------------------------------------------------------------------------
    def _send(self, msg: tuple) -> None:
        try:
            self._requests.put(msg)
        except (ValueError, OSError):  # queue closed at shutdown
            pass

    def _fail_all(self, message: str) -> None:
        with self._lock:
            handles = list(self._live.values())
            self._live.clear()
        events = []
        for h in handles:
            h.finished = True
            events.append((h.sink, StepOutput("", [], True, "error", 0, 0, message)))
        if events:
            self.deliver(events)

    def _apply_metrics(self, delta: tuple) -> None:
        batch, ttft, itl, prompt, generated, (waiting, running, kv) = delta
        m = self.metrics
        for n in batch:
            m.observe_batch(n)
        for s in ttft:
            m.observe_ttft(s)
        for s in itl:
            m.observe_itl(s)
        if prompt:
            m.add_prompt_tokens(prompt)
        if generated:
            m.add_generation_tokens(generated)
        m.set_queue(waiting, running, kv)
        self.num_waiting, self.num_running = waiting, running

    def _read(self) -> None:
        while True:
            try:
                msg = self._outputs.get(timeout=1.0)
            except queue_mod.Empty:
                if not self._proc.is_alive():
                    break
                continue
            except (EOFError, OSError, ValueError):
                break
            if msg[0] != "step":
                continue
            _, outs, delta, failures = msg
            self.consecutive_failures = failures
            if failures:
                self.last_error = "engine step failed (see the engine process log)"
            events = []
            with self._lock:
                for id_, out in outs:
                    h = self._live.get(id_)
                    if h is None:
                        continue
                    if out.finished:
                        h.finished = True
                        del self._live[id_]
                    events.append((h.sink, out))
            # metrics first: a client that has seen a step's output also sees its metrics
            if self.metrics is not None:
                self._apply_metrics(delta)
            if events:
                self.deliver(events)
        if self._accepting:  # the engine process died under us
            code = self._proc.exitcode
            log.error("the engine process exited (code %s)", code)
            self.last_error = f"engine process exited with code {code}"
            self.consecutive_failures = 1_000_000
            with self._lock:
                self._accepting = False
            self._fail_all(self.last_error)
            if self.on_dead is not None:
                self.on_dead(self.last_error)
            return
        self._fail_all("the engine stopped")


def _deliver_now(events: list[tuple[Callable[[StepOutput], None], StepOutput]]) -> None:
    for sink, out in events:
        sink(out)


class LoadCancelled(Exception):
    """The server stopped while the engine process was still loading the model."""


def start_engine_process(load_kwargs: dict[str, Any], config: EngineConfig, metrics: Any, threads: int = 0,
                         ready_timeout: float | None = None, cancel: threading.Event | None = None,
                         ) -> tuple[ProcessEngine, str, dict[str, Any]]:
    """Spawn the engine process and wait until it has loaded the model (or failed to). Setting
    ``cancel`` (a SIGTERM during a long load) kills the loading process: nothing to drain."""
    ctx = mp.get_context("spawn")
    requests, outputs = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=_engine_main, args=(dict(load_kwargs), config, threads, requests, outputs),
                       name="aiinfra-engine", daemon=True)
    proc.start()
    deadline = None if ready_timeout is None else time.monotonic() + ready_timeout
    while True:
        try:
            msg = outputs.get(timeout=0.2)
        except queue_mod.Empty:
            if cancel is not None and cancel.is_set():
                proc.kill()
                proc.join(10)
                raise LoadCancelled("stopped while loading the model") from None
            if not proc.is_alive():
                raise RuntimeError(f"the engine process exited with code {proc.exitcode} while loading") from None
            if deadline is not None and time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError("the engine process did not load the model in time") from None
            continue
        if msg[0] == "load_error":
            proc.join(10)
            raise RuntimeError(msg[1])
        if msg[0] == "ready":
            ready = msg[1]
            engine = ProcessEngine(proc, requests, outputs, ready, config, metrics)
            return engine, ready["name"], ready["info"]
