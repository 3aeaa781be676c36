"""int8 weight-only quantization: accuracy against fp32 on a (quickly) trained tiny GPT.

The measured perplexity change is printed (run with -s) and recorded in compute/README.md."""

from __future__ import annotations

import math
import time

import pytest
import torch
import torch.nn.functional as F

from aiinfra.model import GPT, GPTConfig
from aiinfra.serve import quant
from aiinfra.serve.model_runner import ModelRunner
from aiinfra.serve.quant import Int8Linear, quantize_int8, quantize_weight_int8

CFG = GPTConfig(vocab_size=257, n_layer=2, n_head=4, n_kv_head=2, d_model=96, ffn_hidden=256, max_seq_len=128)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: on a small shared CPU, two threads that spin-wait for each other
    make these tiny matmuls several times slower."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def progressions(n: int, seq: int, gen: torch.Generator) -> torch.Tensor:
    """Arithmetic progressions mod 256 with a random start and stride 1..4 (the trainer's
    synthetic task): learnable, so the trained model has a low, sensitive perplexity."""
    start = torch.randint(0, 256, (n, 1), generator=gen)
    stride = torch.randint(1, 5, (n, 1), generator=gen)
    return (start + stride * torch.arange(seq + 1)) % 256


@pytest.fixture(scope="module")
def trained() -> GPT:
    torch.manual_seed(0)
    model = GPT(CFG)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    gen = torch.Generator().manual_seed(1)
    for _ in range(100):
        batch = progressions(16, 64, gen)
        _, loss = model(batch[:, :-1], batch[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval().requires_grad_(False)


def quantized_copy(model: GPT) -> GPT:
    q = GPT(model.config)
    q.load_state_dict(model.state_dict())
    return quantize_int8(q.eval().requires_grad_(False))


@torch.no_grad()
def perplexity(model: GPT, data: torch.Tensor) -> float:
    _, loss = model(data[:, :-1], data[:, 1:])
    return math.exp(loss.item())


def test_weight_roundtrip_error_is_within_half_a_step() -> None:
    w = torch.randn(64, 128) * torch.linspace(0.01, 3.0, 64)[:, None]  # rows of very different scale
    q, scale = quantize_weight_int8(w)
    assert q.dtype == torch.int8 and scale.shape == (64,)
    err = (q.float() * scale[:, None] - w).abs()
    assert bool((err <= scale[:, None] / 2 + 1e-6).all())
    assert int(q.abs().amax(dim=1).min()) == 127  # every row uses the full range


def test_int8_linear_kernels_agree() -> None:
    lin = torch.nn.Linear(128, 48, bias=False)
    ql = Int8Linear.from_linear(lin)
    x = torch.randn(5, 3, 128)
    y = ql(x)
    ref = lin(x)
    assert ((y - ref).norm() / ref.norm()).item() < 0.01
    # the CPU int8 GEMM (int8 activations) and the weight-only dequantize path (other devices)
    # differ only by the activations' rounding
    deq = F.linear(x, ql.qweight.float() * ql.scale[:, None])
    assert ((y - deq).norm() / deq.norm()).item() < 0.01
    if quant.CPU_W8A8:
        assert ql.qweight_t is not None


def test_int8_rows_do_not_depend_on_the_batch() -> None:
    """Per-row activation scales: a row's output is the same alone or next to rows of very
    different magnitude (continuous batching stays token-identical to serving alone)."""
    ql = Int8Linear.from_linear(torch.nn.Linear(256, 64, bias=False))
    rows = torch.randn(6, 256) * torch.tensor([1e-3, 1.0, 50.0, 0.1, 7.0, 1e3])[:, None]
    together = ql(rows)
    for i in range(6):
        assert torch.equal(ql(rows[i : i + 1])[0], together[i])


def _decode_ms(model: GPT, batch: int, reps: int = 8) -> float:
    runner = ModelRunner(model, num_slots=batch + 1, max_len=64)
    ids = torch.randint(0, 250, (batch, 16), generator=torch.Generator().manual_seed(0))
    runner.forward(ids, torch.zeros(batch, dtype=torch.long), torch.full((batch,), 16), slots=torch.arange(batch),
                   fresh=True)
    tok, pos, one = ids[:, :1], torch.full((batch,), 16), torch.ones(batch, dtype=torch.long)
    best = float("inf")
    for _ in range(4):  # best of 4: the machine is shared, the minimum is the machine's speed
        t0 = time.perf_counter()
        for _ in range(reps):
            runner.forward(tok, pos, one, slots=torch.arange(batch))
        best = min(best, (time.perf_counter() - t0) / reps)
    return best * 1e3


@torch.no_grad()
@pytest.mark.skipif(not quant.CPU_W8A8, reason="this torch has no CPU int8 GEMM (int8 is then refused on CPU)")
def test_int8_decode_is_faster_than_fp32_on_cpu() -> None:
    """Where the server offers int8 on CPU (d_model >= CPU_MIN_D_MODEL) a decode step is faster
    than fp32, alone and batched (issue 20: the old kernel was ~5x slower and did not batch)."""
    cfg = GPTConfig(vocab_size=1024, n_layer=2, n_head=8, n_kv_head=4, d_model=quant.CPU_MIN_D_MODEL * 2,
                    max_seq_len=64)
    torch.manual_seed(0)
    fp32 = GPT(cfg).eval().requires_grad_(False)
    int8 = quantized_copy(fp32)
    for batch in (1, 16):
        a, b = _decode_ms(fp32, batch), _decode_ms(int8, batch)
        print(f"\ndecode step, d_model {cfg.d_model}, batch {batch}: fp32 {a:.2f} ms, int8 {b:.2f} ms ({b / a:.2f}x)")
        assert b < a, f"int8 {b:.2f} ms vs fp32 {a:.2f} ms at batch {batch}"


def test_int8_is_refused_on_cpu_for_small_models() -> None:
    with pytest.raises(ValueError, match="slower than fp32 for models with d_model < 512"):
        quant.check_int8_supported(torch.device("cpu"), 256)
    quant.check_int8_supported(torch.device("cuda"), 64)  # weight-only on GPU: offered for memory
    if quant.CPU_W8A8:
        quant.check_int8_supported(torch.device("cpu"), 512)


def test_int8_stays_close_to_fp32_and_perplexity_change_is_small(trained: GPT) -> None:
    q = quantized_copy(trained)
    linear_bytes = sum(m.qweight.numel() for m in q.modules() if isinstance(m, Int8Linear))
    fp32_bytes = 4 * sum(m.weight.numel() for m in trained.modules() if isinstance(m, torch.nn.Linear))
    assert linear_bytes * 4 == fp32_bytes  # projection weights take a quarter of the fp32 memory

    data = progressions(64, 96, torch.Generator().manual_seed(99))
    with torch.no_grad():
        ref = trained(data[:, :-1])
        out = q(data[:, :-1])
    rel = ((out - ref).norm() / ref.norm()).item()
    agree = (out.argmax(-1) == ref.argmax(-1)).float().mean().item()
    ppl_fp32, ppl_int8 = perplexity(trained, data), perplexity(q, data)
    change = (ppl_int8 - ppl_fp32) / ppl_fp32
    print(f"\nint8 vs fp32: logits rel. error {rel:.4%}, greedy agreement {agree:.2%}, "
          f"perplexity {ppl_fp32:.4f} -> {ppl_int8:.4f} ({change:+.3%})")
    assert ppl_fp32 < 3.0, "the tiny model should have learned the task"
    assert rel < 0.02
    assert agree > 0.98
    assert abs(change) < 0.01


@torch.no_grad()
def test_int8_serving_path_matches_int8_full_forward(trained: GPT) -> None:
    q = quantized_copy(trained)
    runner = ModelRunner(q, num_slots=2)
    prompt = progressions(1, 40, torch.Generator().manual_seed(5))[:, :40]
    logits = runner.forward(prompt, torch.tensor([0]), torch.tensor([40]), slots=torch.tensor([1]), fresh=True)
    torch.testing.assert_close(logits[0], q(prompt)[0, -1], rtol=1e-4, atol=1e-4)
