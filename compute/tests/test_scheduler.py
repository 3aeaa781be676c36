"""The engine's scheduler (serve/scheduler.py) on its own: admission, chunked prefill, slot
compaction, reaping. It does not import torch (nor does this file)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aiinfra.serve.scheduler import Scheduler, Sequence
from aiinfra.serve.types import EngineConfig, QueueFull, SamplingParams


def seq(n: int, deadline: float | None = None) -> Sequence:
    return Sequence(list(range(n)), SamplingParams(), lambda out: None, None, deadline)


def sched(batch: int = 4, tokens: int = 64, waiting: int = 16) -> Scheduler:
    return Scheduler(EngineConfig(max_batch_size=batch, max_num_batched_tokens=tokens, max_waiting=waiting))


def test_imports_without_torch() -> None:
    """The scheduler loads where torch cannot be imported at all; so does the HTTP side (router,
    serving modules, engine-process client), which must not pay for torch."""
    code = ("import sys; sys.modules['torch'] = None\n"  # any `import torch` now raises ImportError
            "import aiinfra.serve.scheduler\n"
            "import aiinfra.serve.app, aiinfra.serve.serving_completion, aiinfra.serve.serving_chat\n"
            "import aiinfra.serve.process\n"
            "print('ok')")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_admits_fifo_while_slots_and_padded_budget_allow() -> None:
    s = sched(batch=3)
    a, b, c, d = seq(3), seq(8), seq(2), seq(1)
    for x in (a, b, c, d):
        s.add(x)
    adm = s.admit(16)  # a: 1 x 3; a+b: 2 x 8 = 16; +c would be 3 x 8 = 24 > 16
    assert adm.seqs == [a, b] and adm.longest == 8 and adm.base == 0 and adm.staged is None
    assert (a.slot, b.slot) == (0, 1) and list(s.waiting) == [c, d]
    assert s.running == []  # not until their forward ran
    s.prefilled(adm.seqs)
    assert s.running == [a, b] and (a.num_cached, b.num_cached) == (3, 8)
    adm = s.admit(64)  # one slot left of 3: c only, d waits
    assert adm.seqs == [c] and c.slot == 2 and list(s.waiting) == [d]
    s.prefilled(adm.seqs)
    assert s.admit(64).seqs == [] and list(s.waiting) == [d]
    assert s.admit(0).seqs == []


def test_long_prompt_is_staged_and_prefilled_in_chunks() -> None:
    s = sched(batch=4)
    long, short = seq(40), seq(2)
    s.add(long)
    s.add(short)
    adm = s.admit(16)
    assert adm.seqs == [] and adm.staged is long and s.staging is long
    assert long.slot == s.staging_slot == 4 and list(s.waiting) == [short]  # nothing overtakes it that step
    assert s.num_running == 1 and s.has_work()
    chunk = s.next_chunk(16)
    assert (chunk.start, chunk.length, chunk.slot) == (0, 16, 4) and chunk.tokens == long.prompt[:16]
    assert s.chunk_done(chunk) is None and long.num_cached == 16
    adm = s.admit(16 - 16)  # the chunk took this step's budget
    assert adm.seqs == [] and adm.staged is None
    adm = s.admit(16)  # next step: the short prompt joins while the long one is still staged
    assert adm.seqs == [short] and short.slot == 0
    s.prefilled(adm.seqs)
    chunk = s.next_chunk(16)
    assert (chunk.start, chunk.length) == (16, 16) and s.chunk_done(chunk) is None
    chunk = s.next_chunk(16)
    assert (chunk.start, chunk.length) == (32, 8)  # the rest
    assert s.chunk_done(chunk) == (4, 1, 40)  # complete: its cache rows move to decode slot 1
    assert s.staging is None and s.running == [short, long] and long.slot == 1 and long.num_cached == 40
    assert s.next_chunk(16) is None


def test_staging_slot_counts_against_the_batch_and_budget_limits_the_chunk() -> None:
    s = sched(batch=2)
    s.add(seq(50))
    s.admit(8)
    s.add(seq(1))
    s.add(seq(1))
    assert len(s.admit(8).seqs) == 1  # 2 slots: the staged prompt holds one
    assert s.next_chunk(0) is None and s.next_chunk(5).length == 5


def test_remove_keeps_the_batch_dense_with_cache_moves() -> None:
    s = sched(batch=4)
    seqs = [seq(n) for n in (5, 6, 7, 8)]
    for x in seqs:
        s.add(x)
    s.prefilled(s.admit(64).seqs)
    a, b, c, d = seqs
    moves = s.remove([0, 2])  # c leaves: d moves into slot 2; a leaves: d moves on into slot 0
    assert moves == [(3, 2, 8), (2, 0, 8)]
    assert s.running == [d, b] and (d.slot, b.slot) == (0, 1)
    assert s.remove([1]) == [] and s.running == [d]  # the last one leaves: nothing moves


def test_reap_cancelled_and_timed_out_in_order() -> None:
    s = sched(batch=2)
    run1, run2, staged, late, ok = seq(2), seq(2, deadline=5.0), seq(100), seq(1, deadline=5.0), seq(1)
    for x in (run1, run2):
        s.add(x)
    s.prefilled(s.admit(64).seqs)
    s.add(staged)
    s.admit(64)  # the batch is full: nothing is admitted or staged
    assert s.staging is None
    s.remove([1])
    s.admit(64)  # now staged (100 > budget 64)
    assert s.staging is staged
    s.add(run2)
    s.add(late)
    s.add(ok)
    run1.cancel()
    staged.cancel()
    gone, moves = s.reap(now=10.0)
    assert gone == [(run1, "cancelled"), (staged, "cancelled"), (run2, "timeout"), (late, "timeout")]
    assert moves == [] and s.running == [] and s.staging is None and list(s.waiting) == [ok]
    assert s.reap(now=10.0) == ([], [])


def test_bounded_queue_and_clear() -> None:
    s = sched(waiting=2)
    s.add(seq(1))
    s.add(seq(1))
    with pytest.raises(QueueFull):
        s.add(seq(1))
    s.prefilled(s.admit(64).seqs)
    assert s.cached_positions() == 2
    s.clear()
    assert not s.has_work() and s.num_running == 0
