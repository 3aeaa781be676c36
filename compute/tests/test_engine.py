"""Engine and model runner, in process, on small random-initialised GPTs (CPU)."""

from __future__ import annotations

import random
import threading
import time

import pytest
import torch

from aiinfra.model import GPT, GPTConfig
from aiinfra.serve.engine import Engine, EngineConfig, EngineStopped, QueueFull, SamplingParams
from aiinfra.serve.model_runner import ModelRunner
from aiinfra.serve.tokenizer import ByteTokenizer

CFG = GPTConfig(vocab_size=260, n_layer=2, n_head=4, n_kv_head=2, d_model=64, ffn_hidden=128, max_seq_len=128)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: on a small shared CPU, two threads that spin-wait for each other
    make these tiny matmuls several times slower."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def sharp_gpt(cfg: GPTConfig, seed: int = 0) -> GPT:
    """A random GPT whose output depends strongly on the whole context: GPT-2 init leaves
    attention nearly uniform and the logits dominated by the last token, which would let a
    wrong KV cache go unnoticed; larger weights make attention sharp."""
    torch.manual_seed(seed)
    m = GPT(cfg).eval().requires_grad_(False)
    with torch.no_grad():
        for layer in m.layers:
            for lin in (layer.attention.wq, layer.attention.wk):
                lin.weight.mul_(12.0)
            for lin in (layer.attention.wv, layer.attention.wo, layer.feed_forward.w2):
                lin.weight.mul_(6.0)
    return m


@pytest.fixture(scope="module")
def model() -> GPT:
    return sharp_gpt(CFG)


def test_outputs_depend_on_context(model: GPT) -> None:
    """Guards the tests below: change an early prompt token and the greedy continuation changes."""
    rng = random.Random(0)
    changed = 0
    for _ in range(10):
        prompt = [rng.randrange(256) for _ in range(20)]
        other = list(prompt)
        other[2] = (other[2] + 1) % 256
        changed += reference_greedy(model, prompt, 8) != reference_greedy(model, other, 8)
    assert changed >= 8


def make_engine(model: GPT, tokenizer=None, **kw) -> Engine:
    cfg = EngineConfig(**{"max_batch_size": 8, "max_num_batched_tokens": 64, "max_waiting": 64, **kw})
    return Engine(lambda slots, n: ModelRunner(model, slots, n), tokenizer or ByteTokenizer(CFG.vocab_size), cfg,
                  model_max_len=CFG.max_seq_len)


@torch.no_grad()
def reference_greedy(model: GPT, prompt: list[int], max_tokens: int, eos: int | None = None) -> list[int]:
    """The plain loop: full forward over the whole sequence for every new token, argmax."""
    ids = list(prompt)
    out: list[int] = []
    while len(out) < max_tokens and len(ids) < model.config.max_seq_len:
        t = int(model(torch.tensor([ids]))[0, -1].argmax())
        ids.append(t)
        out.append(t)
        if t == eos:
            break
    return out


class Collector:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.text: list[str] = []
        self.final = None

    def __call__(self, out) -> None:
        assert self.final is None, "output after the final one"
        self.ids += out.token_ids
        self.text.append(out.text)
        if out.finished:
            self.final = out


def run_all(engine: Engine, max_steps: int = 10_000) -> None:
    for _ in range(max_steps):
        if not engine.has_work():
            return
        engine.step()
    raise AssertionError("engine did not finish")


# ---------------------------------------------------------------------- model runner
@torch.no_grad()
def test_runner_prefill_chunks_and_decode_match_full_forward(model: GPT) -> None:
    runner = ModelRunner(model, num_slots=4)
    prompt = torch.randint(0, 256, (1, 30), generator=torch.Generator().manual_seed(1))
    ref = model(prompt)[0]
    whole = runner.forward(prompt, torch.tensor([0]), torch.tensor([30]), slots=torch.tensor([2]), fresh=True)
    torch.testing.assert_close(whole[0], ref[-1], rtol=1e-4, atol=1e-4)
    # the same prompt in three chunks into another slot
    for lo, hi in ((0, 11), (11, 23), (23, 30)):
        logits = runner.forward(prompt[:, lo:hi], torch.tensor([lo]), torch.tensor([hi - lo]),
                                slots=torch.tensor([1]), fresh=lo == 0)
        torch.testing.assert_close(logits[0], ref[hi - 1], rtol=1e-4, atol=1e-4)
    # decode two sequences of different lengths in one batch (slots 0 and 1)
    other = torch.randint(0, 256, (1, 7), generator=torch.Generator().manual_seed(2))
    runner.forward(other, torch.tensor([0]), torch.tensor([7]), slots=torch.tensor([0]), fresh=True)
    nxt = torch.tensor([[5], [9]])
    logits = runner.forward(nxt, torch.tensor([7, 30]), torch.tensor([1, 1]))
    torch.testing.assert_close(logits[0], model(torch.cat([other, nxt[:1]], 1))[0, -1], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(logits[1], model(torch.cat([prompt, nxt[1:]], 1))[0, -1], rtol=1e-4, atol=1e-4)


@torch.no_grad()
def test_runner_padded_prefill_batch(model: GPT) -> None:
    runner = ModelRunner(model, num_slots=3)
    g = torch.Generator().manual_seed(3)
    prompts = [torch.randint(0, 256, (n,), generator=g) for n in (5, 17, 1)]
    rows = torch.zeros(3, 17, dtype=torch.long)
    for i, p in enumerate(prompts):
        rows[i, : len(p)] = p
    logits = runner.forward(rows, torch.zeros(3, dtype=torch.long), torch.tensor([5, 17, 1]),
                            slots=torch.tensor([2, 0, 1]), fresh=True)
    for i, p in enumerate(prompts):
        torch.testing.assert_close(logits[i], model(p[None])[0, -1], rtol=1e-4, atol=1e-4)
    # the cache of slot 2 holds prompt 0: decoding from it matches the full forward
    runner.cache.move(2, 0, 5)
    out = runner.forward(torch.tensor([[42]]), torch.tensor([5]), torch.tensor([1]))
    torch.testing.assert_close(out[0], model(torch.cat([prompts[0], torch.tensor([42])])[None])[0, -1],
                               rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------- engine
def test_greedy_batched_equals_reference_loop(model: GPT) -> None:
    """Mixed prompt lengths (some longer than the step budget, so prefilled in chunks),
    mixed max_tokens (so sequences leave the batch at different steps and the cache is
    compacted), requests arriving while others decode: token-for-token equal to the
    one-request reference loop."""
    engine = make_engine(model, max_batch_size=6, max_num_batched_tokens=40)
    rng = random.Random(7)
    jobs = []
    for _ in range(16):
        prompt = [rng.randrange(256) for _ in range(rng.choice([1, 4, 13, 39, 75]))]
        jobs.append((prompt, rng.choice([1, 3, 9, 25])))
    collectors = []
    for i, (prompt, n) in enumerate(jobs):
        c = Collector()
        engine.submit(prompt, SamplingParams(max_tokens=n, temperature=0.0, ignore_eos=True), c)
        collectors.append(c)
        if i % 3 == 2:  # let some requests start before the next ones arrive
            engine.step()
    run_all(engine)
    assert engine.max_batch_seen == 6
    for (prompt, n), c in zip(jobs, collectors):
        assert c.final is not None and c.final.finish_reason == "length"
        assert c.ids == reference_greedy(model, prompt, n)
        assert c.final.completion_tokens == n and c.final.prompt_tokens == len(prompt)
    assert engine.runner.cache.k.shape[1] == 7  # 6 decode slots + the staging slot


def test_context_limit_finishes_with_length(model: GPT) -> None:
    engine = make_engine(model)
    c = Collector()
    prompt = list(range(120))
    engine.submit(prompt, SamplingParams(max_tokens=50, temperature=0.0, ignore_eos=True), c)
    run_all(engine)
    assert len(c.ids) == CFG.max_seq_len - len(prompt) == 8
    assert c.ids == reference_greedy(model, prompt, 50)
    assert c.final.finish_reason == "length"
    with pytest.raises(ValueError, match="limit is 128"):
        engine.submit(list(range(128)), SamplingParams(), Collector())


def test_eos_stops_and_is_not_text(model: GPT) -> None:
    prompt = [104, 105, 33]
    ref = reference_greedy(model, prompt, 10)
    tok = ByteTokenizer(CFG.vocab_size)
    tok.eos_token_id = ref[3]  # make the 4th greedy token the end-of-text token
    engine = make_engine(model, tokenizer=tok)
    c = Collector()
    engine.submit(prompt, SamplingParams(max_tokens=10, temperature=0.0), c)
    run_all(engine)
    assert c.ids == ref[: ref.index(ref[3]) + 1]
    assert c.final.finish_reason == "stop"
    assert "".join(c.text) == tok.decode(c.ids[:-1])


def test_stop_string_truncates_and_stream_holds_back(model: GPT) -> None:
    tok = ByteTokenizer(256)  # no eos id: only max_tokens and stop strings end generation
    engine = make_engine(model, tokenizer=tok)
    prompt = list(b"The quick brown fox")
    free = Collector()
    engine.submit(prompt, SamplingParams(max_tokens=40, temperature=0.0), free)
    run_all(engine)
    full = "".join(free.text)
    assert full == tok.decode(free.ids)
    stop = full[10:12]
    assert stop and "\ufffd" not in stop
    c = Collector()
    engine.submit(prompt, SamplingParams(max_tokens=40, temperature=0.0, stop=["\x00never", stop]), c)
    run_all(engine)
    assert "".join(c.text) == full[: full.index(stop)]
    assert c.final.finish_reason == "stop"


def test_sampling_seed_is_reproducible_and_independent_of_batch(model: GPT) -> None:
    def sample(seed: int, companions: int) -> list[int]:
        engine = make_engine(model)
        c = Collector()
        for j in range(companions):
            engine.submit([1 + j, 2, 3], SamplingParams(max_tokens=20, temperature=1.0), Collector())
        engine.submit([65, 66, 67], SamplingParams(max_tokens=20, temperature=1.0, top_p=0.9, seed=seed), c)
        run_all(engine)
        return c.ids

    a = sample(1234, 0)
    assert len(a) == 20
    assert sample(1234, 3) == a
    assert sample(99, 0) != a


def test_tiny_top_p_is_greedy_and_temperature_zero_row_in_mixed_batch(model: GPT) -> None:
    engine = make_engine(model)
    prompt = [10, 20, 30, 40]
    nucleus, greedy = Collector(), Collector()
    engine.submit(prompt, SamplingParams(max_tokens=12, temperature=1.5, top_p=1e-6, ignore_eos=True), nucleus)
    engine.submit(prompt, SamplingParams(max_tokens=12, temperature=0.0, ignore_eos=True), greedy)
    engine.submit(prompt, SamplingParams(max_tokens=12, temperature=1.0, ignore_eos=True), Collector())
    run_all(engine)
    ref = reference_greedy(model, prompt, 12)
    assert nucleus.ids == ref
    assert greedy.ids == ref


def test_bounded_queue_raises_queue_full(model: GPT) -> None:
    engine = make_engine(model, max_waiting=2)
    engine.submit([1], SamplingParams(), Collector())
    engine.submit([2], SamplingParams(), Collector())
    with pytest.raises(QueueFull):
        engine.submit([3], SamplingParams(), Collector())
    engine.step()  # both admitted: the queue has room again
    engine.submit([3], SamplingParams(), Collector())


def test_cancel_and_timeout_free_their_slots(model: GPT) -> None:
    engine = make_engine(model, max_batch_size=2)
    a, b, c = Collector(), Collector(), Collector()
    sa = engine.submit([1, 2, 3], SamplingParams(max_tokens=100, temperature=0.0, ignore_eos=True), a)
    engine.submit([4, 5, 6], SamplingParams(max_tokens=100, temperature=0.0, ignore_eos=True), b, timeout=0.05)
    engine.submit([7, 8, 9], SamplingParams(max_tokens=5, temperature=0.0, ignore_eos=True), c)
    engine.step()
    assert len(engine.running) == 2 and len(engine.waiting) == 1
    sa.cancel()
    time.sleep(0.06)
    run_all(engine)
    assert a.final.finish_reason == "cancelled"
    assert b.final.finish_reason == "timeout" and b.final.error
    assert c.final.finish_reason == "length"
    assert c.ids == reference_greedy(model, [7, 8, 9], 5)
    assert not engine.running and not engine.waiting


def test_engine_thread_serves_concurrent_submitters(model: GPT) -> None:
    engine = make_engine(model, max_batch_size=8)
    engine.start()
    try:
        results: dict[int, Collector] = {}
        done = threading.Event()
        lock = threading.Lock()
        rng = random.Random(3)
        prompts = {i: [rng.randrange(256) for _ in range(rng.randrange(1, 30))] for i in range(12)}

        def client(i: int) -> None:
            c = Collector()
            finished = threading.Event()

            def sink(out) -> None:
                c(out)
                if out.finished:
                    finished.set()

            engine.submit(prompts[i], SamplingParams(max_tokens=8, temperature=0.0, ignore_eos=True), sink)
            assert finished.wait(30)
            with lock:
                results[i] = c
                if len(results) == len(prompts):
                    done.set()

        threads = [threading.Thread(target=client, args=(i,)) for i in prompts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert done.is_set()
        for i, c in results.items():
            assert c.ids == reference_greedy(model, prompts[i], 8)
        assert engine.max_batch_seen > 1
    finally:
        engine.stop()
    with pytest.raises(EngineStopped):
        engine.submit([1], SamplingParams(), Collector())


def test_stop_fails_queued_requests(model: GPT) -> None:
    engine = make_engine(model)
    c = Collector()
    engine.submit([1, 2], SamplingParams(max_tokens=5), c)
    engine.stop()
    assert c.final is not None and c.final.finish_reason == "error"


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="must exceed max_batch_size"):
        EngineConfig(max_batch_size=64, max_num_batched_tokens=64).validate()


def test_byte_decoder_handles_split_multibyte_characters() -> None:
    tok = ByteTokenizer(257)
    text = "naïve — 日本語 ✓"
    dec = tok.decoder()
    out = "".join(dec.step(t) for t in tok.encode(text)) + dec.flush()
    assert out == text
    assert tok.decode(tok.encode(text) + [256]) == text  # eos is not text
    assert tok.eos_token_id == 256
    with pytest.raises(ValueError):
        ByteTokenizer(100)


def test_kv_cache_slots_are_fitted_to_free_memory() -> None:
    from aiinfra.serve.model_runner import slots_that_fit

    gib = 1 << 30
    assert slots_that_fit(65, gib // 4, 40 * gib) == 65  # 16 GiB needed, 35 GiB usable
    assert slots_that_fit(65, gib // 4, 10 * gib) == 32  # 9 GiB - 1 GiB reserve = 8 GiB -> 32 slots
    assert slots_that_fit(65, gib, gib) == 0
