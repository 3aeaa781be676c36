#!/usr/bin/env python3
"""Serving benchmark: throughput and latency of `aiinfra-serve` at several concurrency levels,
against the same server answering one request at a time, in one run.

    python compute/bench/serve_bench.py                      # CPU smoke: tiny model, trained 2 steps
    python compute/bench/serve_bench.py --model s3://b/ckpt --concurrency 1,8,32,64 \\
        --prompt-len 512 --max-tokens 256 --precision bf16  # GPU

For each concurrency level C it sends ``max(requests, 2*C)`` streaming completions (random
prompts of ``--prompt-len`` tokens, ``--max-tokens`` output tokens with ``ignore_eos``), C at a
time, to a server on 127.0.0.1, and reports requests/s, output tokens/s, time to first token
(TTFT) and inter-token latency (ITL) p50/p95. Level 1 is the one-request-at-a-time baseline;
each level's output-token throughput is also given as a ratio to it. ``--json`` writes the
figures to a file. With ``--url`` it measures a server that is already running (any
OpenAI-compatible server, e.g. vLLM, for comparison on the same model).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

TINY = {"preset": None, "vocab_size": 257, "n_layer": 4, "n_head": 4, "n_kv_head": 2, "d_model": 128,
        "ffn_hidden": 384, "max_seq_len": 512}


def _script(name: str) -> str:
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else shutil.which(name) or name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_tiny_checkpoint(workdir: Path) -> str:
    """A tiny GPT checkpoint written by the trainer CLI (2 steps: only the weights' format matters)."""
    cfg = {"steps": 2, "global_batch_size": 2, "micro_batch_size": 2, "seq_len": 64, "warmup_steps": 1,
           "log_interval": 1, "eval_interval": 0, "checkpoint_interval": 0, "metrics_port": 0, "device": "cpu",
           "precision": "fp32", "model": TINY, "data": {"source": "synthetic"}}
    path = workdir / "train.json"
    path.write_text(json.dumps(cfg))
    ckpt = workdir / "ckpt"
    subprocess.run([_script("aiinfra-train"), "train", "--config", str(path), "--checkpoint-dir", str(ckpt)],
                   check=True, capture_output=True, timeout=600)
    return str(ckpt)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def one_request(client: httpx.AsyncClient, model: str | None, prompt: list[int] | str, max_tokens: int) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0, "stream": True,
                            "ignore_eos": True, "stream_options": {"include_usage": True}}
    if model:
        body["model"] = model
    t0 = time.perf_counter()
    stamps: list[float] = []
    tokens = 0
    async with client.stream("POST", "/v1/completions", json=body) as r:
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {(await r.aread()).decode()[:300]}")
        async for line in r.aiter_lines():
            if not line.startswith("data: {"):
                continue
            ev = json.loads(line[6:])
            if ev.get("usage"):
                tokens = ev["usage"]["completion_tokens"]
            elif ev.get("choices") and ev["choices"][0].get("text"):
                stamps.append(time.perf_counter())
    end = time.perf_counter()
    if not stamps:
        raise RuntimeError("no tokens streamed")
    return {"ttft": stamps[0] - t0, "itl": [b - a for a, b in zip(stamps, stamps[1:])], "tokens": tokens or len(stamps),
            "latency": end - t0}


async def run_level(url: str, model: str | None, concurrency: int, n: int, prompts: list[Any], max_tokens: int,
                    headers: dict[str, str]) -> dict[str, Any]:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=600, headers=headers,
                                 limits=httpx.Limits(max_connections=concurrency + 4)) as client:
        async def task(i: int) -> dict[str, Any]:
            async with sem:
                return await one_request(client, model, prompts[i % len(prompts)], max_tokens)

        t0 = time.perf_counter()
        results = await asyncio.gather(*(task(i) for i in range(n)))
        wall = time.perf_counter() - t0
    ttft = [r["ttft"] for r in results]
    itl = [x for r in results for x in r["itl"]]
    tokens = sum(r["tokens"] for r in results)
    return {"concurrency": concurrency, "requests": n, "seconds": wall, "requests_per_s": n / wall,
            "output_tokens_per_s": tokens / wall, "ttft_p50_ms": 1e3 * pct(ttft, 0.5), "ttft_p95_ms": 1e3 * pct(ttft, 0.95),
            "itl_p50_ms": 1e3 * pct(itl, 0.5), "itl_p95_ms": 1e3 * pct(itl, 0.95),
            "latency_p50_s": statistics.median(r["latency"] for r in results)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="checkpoint URI or hf:<name> for the server (default: a tiny model made here)")
    p.add_argument("--url", help="measure this running server instead of starting one")
    p.add_argument("--served-model-name", help="model id to send (default: the server's)")
    p.add_argument("--concurrency", default="1,4,16,32", help="comma-separated levels; 1 is the baseline")
    p.add_argument("--requests", type=int, default=16, help="requests per level (at least 2x the level)")
    p.add_argument("--prompt-len", type=int, default=64)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--precision", default="auto")
    p.add_argument("--quantization", default="none")
    p.add_argument("--max-batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=0, help="server torch threads (0: default)")
    p.add_argument("--server-arg", action="append", default=[], help="extra aiinfra-serve argument (repeatable)")
    p.add_argument("--api-key", default=os.environ.get("AIINFRA_BENCH_API_KEY"))
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)
    levels = sorted({int(c) for c in args.concurrency.split(",")})
    if levels[0] != 1:
        levels.insert(0, 1)

    workdir = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    proc = None
    url = args.url
    try:
        if url is None:
            model = args.model or make_tiny_checkpoint(workdir)
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            cmd = [_script("aiinfra-serve"), "--model", model, "--host", "127.0.0.1", "--port", str(port),
                   "--precision", args.precision, "--quantization", args.quantization,
                   "--max-batch-size", str(max(args.max_batch_size, max(levels))), "--max-queue", "4096",
                   "--threads", str(args.threads), "--log-level", "warning", *args.server_arg]
            log = open(workdir / "server.log", "wb")
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 600
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"server exited: {(workdir / 'server.log').read_text()}")
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("server did not become ready")
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
        info = httpx.get(url + "/v1/models", headers=headers, timeout=10).json()["data"][0]
        model_id = args.served_model_name or info["id"]
        rng = random.Random(0)
        prompts = [[rng.randrange(32, 127) for _ in range(args.prompt_len)] for _ in range(64)]
        # warm-up (first-call allocations, kernel selection)
        asyncio.run(run_level(url, model_id, 2, 2, prompts, 4, headers))
        rows = []
        for c in levels:
            n = max(args.requests, 2 * c)
            rows.append(asyncio.run(run_level(url, model_id, c, n, prompts, args.max_tokens, headers)))
        base = rows[0]["output_tokens_per_s"]
        for r in rows:
            r["throughput_vs_one_at_a_time"] = r["output_tokens_per_s"] / base
        print(f"model {model_id} ({info.get('aiinfra', {})}), prompt {args.prompt_len} tokens, "
              f"output {args.max_tokens} tokens")
        print(f"{'conc':>5} {'reqs':>5} {'req/s':>8} {'out tok/s':>10} {'x base':>7} {'TTFT p50':>9} {'TTFT p95':>9} "
              f"{'ITL p50':>8} {'ITL p95':>8}  (ms)")
        for r in rows:
            print(f"{r['concurrency']:>5} {r['requests']:>5} {r['requests_per_s']:>8.2f} {r['output_tokens_per_s']:>10.1f} "
                  f"{r['throughput_vs_one_at_a_time']:>7.2f} {r['ttft_p50_ms']:>9.1f} {r['ttft_p95_ms']:>9.1f} "
                  f"{r['itl_p50_ms']:>8.2f} {r['itl_p95_ms']:>8.2f}")
        if args.json:
            Path(args.json).write_text(json.dumps({"model": model_id, "info": info.get("aiinfra"),
                                                   "prompt_len": args.prompt_len, "max_tokens": args.max_tokens,
                                                   "levels": rows}, indent=2))
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
