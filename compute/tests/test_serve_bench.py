"""The serving benchmark runs on CPU (briefly): builtin server and HF generate on the same tiny
model in one run, closed loop and Poisson, exact per-token ITL, unique prompts; its vLLM client
path against an OpenAI-compatible URL (here another builtin server), with the pinned
max_model_len checked."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")
BENCH = Path(__file__).resolve().parents[1] / "bench" / "serve_bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("serve_bench", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_prompts_are_unique() -> None:
    p = _bench().Prompts(16, 32, 127, seed=0)
    batch = p.take(200) + p.take(200)
    assert len({tuple(x[:8]) for x in batch}) == 400 and all(len(x) == 16 for x in batch)


def test_builtin_hf_and_vllm_client_in_one_run(tmp_path: Path) -> None:
    bench = _bench()
    ckpt = bench.make_tiny_checkpoint(tmp_path, {**bench.TINY, "n_layer": 1, "d_model": 64, "ffn_hidden": 128})
    other = bench.Builtin(ckpt, bench.parse_args(["--max-model-len", "256", "--threads", "1"]), tmp_path)
    try:
        out = tmp_path / "bench.json"
        args = ["--model", ckpt, "--backends", "builtin,hf,vllm", "--vllm-url", other.url, "--concurrency", "1,3",
                "--request-rates", "inf", "--requests", "3", "--rate-requests", "4", "--prompt-len", "8",
                "--max-tokens", "5", "--max-model-len", "256", "--threads", "1", "--json", str(out)]
        proc = subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        report = json.loads(out.read_text())
        rows = report["rows"]
        by = {(r["backend"], r["mode"], r.get("concurrency"), r.get("request_rate")) for r in rows}
        assert by == {("builtin", "closed", 1, None), ("builtin", "closed", 3, None),
                      ("builtin", "poisson", None, float("inf")),
                      ("vllm", "closed", 1, None), ("vllm", "closed", 3, None), ("vllm", "poisson", None, float("inf")),
                      ("hf", "closed", 1, None), ("hf", "closed", 3, None)}
        for r in rows:
            want = {1: 4, 3: 12}.get(r.get("concurrency"), 4)  # max(--requests, 4 x C) or --rate-requests
            assert r["requests"] == want and r["output_tokens"] == want * 5, r
            assert r["itl_exact"], r  # token ids in every chunk: per-token ITL
            assert r["ttft_p50_ms"] > 0
            # ITL is never a false 0; over HTTP it is NaN when every token of every request came in one read (a
            # loaded machine), while HF generate stamps each token itself.
            assert r["itl_p50_ms"] > 0 if r["backend"] == "hf" else not r["itl_p50_ms"] <= 0
        assert "--no-enable-prefix-caching" in report["vllm_command"] and "--max-model-len 256" in report["vllm_command"]
        # a "vLLM" with another context length is refused: the settings must match
        proc = subprocess.run([sys.executable, str(BENCH), *args[:-2], "--max-model-len", "200"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode != 0 and "max_model_len 256, not 200" in proc.stdout + proc.stderr
    finally:
        other.stop()
