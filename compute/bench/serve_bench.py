#!/usr/bin/env python3
"""Serving benchmark: the builtin server, vLLM and a plain Hugging Face ``generate`` loop on the
same model, same machine, same run, same prompts.

    python compute/bench/serve_bench.py                                  # CPU smoke: tiny GPT, builtin + hf
    python compute/bench/serve_bench.py --model s3://b/ckpt --precision bf16 --prompt-len 512 \\
        --max-tokens 256 --concurrency 1,8,32,64 --request-rates 4,16,64 \\
        --backends builtin,hf,vllm --vllm-url http://127.0.0.1:8001      # GPU: vLLM started as printed
    python compute/bench/serve_bench.py --int8-check --tiny-width 1024   # int8 vs fp32 speed on this device

What makes the comparison fair (issue 20):
- **unique prompts**: every request of every level gets its own random token-id prompt (a
  distinct first token), so no server gets prefix-cache hits; vLLM is also told
  ``--no-enable-prefix-caching`` (the builtin server has no prefix cache).
- **pinned settings**: the builtin server is started with ``--max-batch-size``,
  ``--max-num-batched-tokens`` and ``--max-model-len`` from the flags, and the vLLM command
  line printed (and checked against ``/v1/models``' ``max_model_len``) uses the same values
  (``--max-num-seqs``, ``--max-num-batched-tokens``, ``--max-model-len``); every request asks
  for exactly ``--max-tokens`` tokens (``ignore_eos``), greedy.
- **enough requests**: closed-loop levels send ``max(--requests, 4 x C)`` requests; open-loop
  levels send ``--rate-requests`` requests with Poisson arrivals at each ``--request-rates``
  rate (requests/s; arrival times drawn once from a fixed seed, whatever the server does).
- **per-token ITL**: streamed chunks carry their ``token_ids`` (``return_token_ids``, which
  the builtin server and vLLM since vllm-project/vllm#22587 honour); the k tokens of one
  network read (one or several events) arriving d seconds after the previous read count k
  inter-token latencies of d/k, so tokens that arrive together are not counted as latency 0. Where a server does not
  return token ids, one token per text event is assumed and the row is marked
  ``itl_exact: false``.
- ``hf``: transformers ``generate`` (greedy, KV cache, static batches of C prompts of equal
  length, so no padding, one batch after another) on the same weights (a trainer checkpoint is exported
  with ``aiinfra.export`` first); TTFT is from the batch start, ITL from per-step stamps.
  It is not a server, so it has closed-loop rows only.

``--json`` writes every row. vLLM is not a dependency: it is any OpenAI-compatible URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import socket
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


def make_tiny_checkpoint(workdir: Path, model: dict[str, Any] | None = None) -> str:
    """A tiny GPT checkpoint written by the trainer CLI (2 steps: only the weights' format matters)."""
    cfg = {"steps": 2, "global_batch_size": 2, "micro_batch_size": 2, "seq_len": 64, "warmup_steps": 1,
           "log_interval": 1, "eval_interval": 0, "checkpoint_interval": 0, "metrics_port": 0, "device": "cpu",
           "precision": "fp32", "model": model or TINY, "data": {"source": "synthetic"}}
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


class Prompts:
    """Unique token-id prompts: request i of a run starts with its own token, the rest random."""

    def __init__(self, length: int, low: int, high: int, seed: int) -> None:
        self.length, self.low, self.high = length, low, high
        self.rng = random.Random(seed)
        self.used: set[tuple[int, ...]] = set()

    def take(self, n: int) -> list[list[int]]:
        out = []
        while len(out) < n:
            p = [self.rng.randrange(self.low, self.high) for _ in range(self.length)]
            key = tuple(p[:8])  # unique in its first tokens: no shared prefix blocks either
            if key not in self.used:
                self.used.add(key)
                out.append(p)
        return out


def summarize(results: list[dict[str, Any]], wall: float, extra: dict[str, Any]) -> dict[str, Any]:
    ttft = [r["ttft"] for r in results]
    itl = [x for r in results for x in r["itl"]]
    lat = [r["latency"] for r in results]
    tokens = sum(r["tokens"] for r in results)
    row = {**extra, "requests": len(results), "seconds": round(wall, 3),
           "requests_per_s": len(results) / wall, "output_tokens_per_s": tokens / wall, "output_tokens": tokens,
           "itl_exact": all(r["exact"] for r in results)}
    for name, values in (("ttft", ttft), ("itl", itl), ("latency", lat)):
        for q in (0.5, 0.95, 0.99):
            row[f"{name}_p{int(q * 100)}_ms"] = 1e3 * pct(values, q)
    return row


# ---------------------------------------------------------------------- OpenAI-compatible servers
async def one_request(client: httpx.AsyncClient, model: str, prompt: list[int], max_tokens: int) -> dict[str, Any]:
    """One streamed completion. Timing is per network read: the k tokens of all events in one
    read arrived together, d seconds after the previous read, so they count k ITLs of d/k
    (not one of d and k-1 of ~0, as stamping each parsed event would)."""
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0, "stream": True,
            "ignore_eos": True, "stream_options": {"include_usage": True}, "return_token_ids": True}
    t0 = time.perf_counter()
    last = ttft = usage = None
    itl: list[float] = []
    counted = 0
    exact = True
    buf = b""
    async with client.stream("POST", "/v1/completions", json=body) as r:
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {(await r.aread()).decode(errors='replace')[:300]}")
        async for data in r.aiter_raw():
            now = time.perf_counter()
            buf += data
            *events, buf = buf.split(b"\n\n")
            k = 0
            for event in events:
                line = event.strip()
                if not line.startswith(b"data: {"):
                    continue
                ev = json.loads(line[6:])
                if ev.get("error"):
                    raise RuntimeError(f"stream error: {ev['error']}")
                if ev.get("usage") and not ev.get("choices"):
                    usage = ev["usage"]["completion_tokens"]
                    continue
                choice = (ev.get("choices") or [{}])[0]
                ids = choice.get("token_ids")
                if ids is None:  # a server without return_token_ids: one token per text event
                    exact = False
                    k += 1 if choice.get("text") else 0
                else:
                    k += len(ids)
            if k == 0:
                continue
            if ttft is None:
                # the first token's latency is the TTFT; others in its read have no gap of
                # their own to measure, so they add no ITL sample (rather than a false 0)
                ttft = now - t0
            else:
                itl += [(now - last) / k] * k
            last = now
            counted += k
    end = time.perf_counter()
    if ttft is None:
        raise RuntimeError("no tokens streamed")
    if usage is not None and usage != counted:
        exact = False
    return {"ttft": ttft, "itl": itl, "tokens": usage if usage is not None else counted, "latency": end - t0,
            "exact": exact}


def _client(url: str, headers: dict[str, str], conns: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=3600, headers=headers,
                             limits=httpx.Limits(max_connections=conns + 4, max_keepalive_connections=conns + 4))


async def closed_loop(url: str, model: str, concurrency: int, prompts: list[list[int]], max_tokens: int,
                      headers: dict[str, str]) -> dict[str, Any]:
    """C clients, each sending its next request when the previous one ends."""
    queue = list(reversed(prompts))
    results: list[dict[str, Any]] = []
    async with _client(url, headers, concurrency) as client:
        async def worker() -> None:
            while queue:
                results.append(await one_request(client, model, queue.pop(), max_tokens))

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return summarize(results, wall, {"mode": "closed", "concurrency": concurrency})


async def open_loop(url: str, model: str, rate: float, prompts: list[list[int]], max_tokens: int,
                    headers: dict[str, str], seed: int) -> dict[str, Any]:
    """Poisson arrivals at ``rate`` requests/s (inf: all at once), independent of completions."""
    rng = random.Random(seed)
    arrivals, t = [], 0.0
    for _ in prompts:
        arrivals.append(t)
        t += 0.0 if math.isinf(rate) else rng.expovariate(rate)
    async with _client(url, headers, len(prompts)) as client:
        t0 = time.perf_counter()

        async def at(when: float, prompt: list[int]) -> dict[str, Any]:
            await asyncio.sleep(max(0.0, t0 + when - time.perf_counter()))
            return await one_request(client, model, prompt, max_tokens)

        results = await asyncio.gather(*(at(a, p) for a, p in zip(arrivals, prompts)))
        wall = time.perf_counter() - t0
    return summarize(list(results), wall, {"mode": "poisson", "request_rate": rate})


def sweep(url: str, model: str, args: argparse.Namespace, prompts: Prompts, headers: dict[str, str],
          backend: str) -> list[dict[str, Any]]:
    asyncio.run(closed_loop(url, model, 2, prompts.take(2), 4, headers))  # warm-up
    rows = []
    for c in args.levels:
        rows.append(asyncio.run(closed_loop(url, model, c, prompts.take(max(args.requests, 4 * c)),
                                            args.max_tokens, headers)))
        rows[-1]["backend"] = backend
        print(fmt_row(rows[-1]), flush=True)
    for i, rate in enumerate(args.rates):
        rows.append(asyncio.run(open_loop(url, model, rate, prompts.take(args.rate_requests), args.max_tokens,
                                          headers, seed=args.seed + i)))
        rows[-1]["backend"] = backend
        print(fmt_row(rows[-1]), flush=True)
    return rows


# ---------------------------------------------------------------------- the builtin server
class Builtin:
    def __init__(self, model: str, args: argparse.Namespace, workdir: Path, quantization: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [_script("aiinfra-serve"), "--model", model, "--host", "127.0.0.1", "--port", str(self.port),
               "--precision", args.precision, "--quantization", quantization or args.quantization,
               "--max-batch-size", str(args.max_batch_size), "--max-num-batched-tokens",
               str(args.max_num_batched_tokens), "--max-model-len", str(args.max_model_len),
               "--max-queue", "100000",
               "--threads", str(args.threads), "--log-level", "warning", *args.server_arg]
        self.log = workdir / f"server-{self.port}.log"
        self._fh = open(self.log, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 900
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not become ready")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._fh.close()


def server_info(url: str, headers: dict[str, str]) -> dict[str, Any]:
    return httpx.get(url + "/v1/models", headers=headers, timeout=30).json()["data"][0]


# ---------------------------------------------------------------------- Hugging Face generate
def hf_rows(hf_dir: str, args: argparse.Namespace, prompts: Prompts) -> list[dict[str, Any]]:
    import torch
    from transformers import AutoModelForCausalLM, StoppingCriteria, StoppingCriteriaList

    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16,
             "auto": torch.bfloat16 if device.type == "cuda" else torch.float32}[args.precision]
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    model = AutoModelForCausalLM.from_pretrained(hf_dir, torch_dtype=dtype).to(device).eval()

    class Stamp(StoppingCriteria):
        def __init__(self) -> None:
            self.stamps: list[float] = []

        def __call__(self, input_ids, scores, **kwargs):  # once per generated token (per step)
            if device.type == "cuda":
                torch.cuda.synchronize()
            self.stamps.append(time.perf_counter())
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    def batch(ps: list[list[int]]) -> list[dict[str, Any]]:
        ids = torch.tensor(ps, device=device)  # same length: no padding needed
        stamp = Stamp()
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=args.max_tokens,
                                 min_new_tokens=args.max_tokens, do_sample=False, pad_token_id=0,
                                 stopping_criteria=StoppingCriteriaList([stamp]))
        n = out.shape[1] - ids.shape[1]
        s = stamp.stamps
        itl = [b - a for a, b in zip(s, s[1:])]
        return [{"ttft": s[0] - t0, "itl": itl, "tokens": n, "latency": s[-1] - t0, "exact": True} for _ in ps]

    batch(prompts.take(2))  # warm-up
    rows = []
    for c in args.levels:
        work = prompts.take(max(args.requests, 4 * c))
        results: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        for i in range(0, len(work), c):
            results += batch(work[i : i + c])
        row = summarize(results, time.perf_counter() - t0, {"mode": "closed", "concurrency": c, "backend": "hf"})
        rows.append(row)
        print(fmt_row(row), flush=True)
    return rows


# ---------------------------------------------------------------------- int8 speed check
def int8_check(model: str, args: argparse.Namespace, workdir: Path, prompts: Prompts,
               headers: dict[str, str]) -> dict[str, Any]:
    """The builtin server with --quantization none, then int8, same settings: output tokens/s
    at each closed-loop level; int8 must not be slower where the server offers it."""
    out: dict[str, Any] = {}
    for quant in ("none", "int8"):
        srv = Builtin(model, args, workdir, quantization=quant)
        try:
            name = server_info(srv.url, headers)["id"]
            out[quant] = [r["output_tokens_per_s"] for r in sweep(srv.url, name, _only_closed(args), prompts,
                                                                  headers, f"builtin-{quant}")]
        except RuntimeError as exc:
            out[quant] = str(exc)
        finally:
            srv.stop()
            if quant == "int8" and srv.proc.returncode not in (0, None):
                out["int8"] = f"refused: {srv.log.read_text()[-400:]}"
    if isinstance(out["int8"], list) and isinstance(out["none"], list):
        out["int8_vs_fp"] = [round(a / b, 3) for a, b in zip(out["int8"], out["none"])]
    return out


def _only_closed(args: argparse.Namespace) -> argparse.Namespace:
    a = argparse.Namespace(**vars(args))
    a.rates = []
    return a


# ---------------------------------------------------------------------- output
def fmt_row(r: dict[str, Any]) -> str:
    level = f"C={r['concurrency']}" if r["mode"] == "closed" else f"rate={r['request_rate']:g}/s"
    return (f"{r.get('backend', ''):>14} {level:>11} {r['requests']:>5} {r['requests_per_s']:>8.2f} "
            f"{r['output_tokens_per_s']:>10.1f} {r['ttft_p50_ms']:>9.1f} {r['ttft_p99_ms']:>9.1f} "
            f"{r['itl_p50_ms']:>8.2f} {r['itl_p99_ms']:>8.2f} {r['latency_p99_ms'] / 1e3:>8.2f}"
            + ("" if r["itl_exact"] else "  (ITL per chunk: no token ids)"))


HEADER = (f"{'backend':>14} {'level':>11} {'reqs':>5} {'req/s':>8} {'out tok/s':>10} {'TTFT p50':>9} {'TTFT p99':>9} "
          f"{'ITL p50':>8} {'ITL p99':>8} {'E2E p99':>8}  (ms; E2E s)")


def vllm_command(hf_dir: str, args: argparse.Namespace) -> str:
    dtype = {"auto": "bfloat16", "bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}[args.precision]
    return (f"vllm serve {hf_dir} --dtype {dtype} --max-num-seqs {args.max_batch_size} "
            f"--max-num-batched-tokens {args.max_num_batched_tokens} --max-model-len {args.max_model_len} "
            f"--no-enable-prefix-caching --seed {args.seed} --port 8001")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="checkpoint URI or hf:<dir> (default: a tiny GPT made here)")
    p.add_argument("--tiny-width", type=int, default=128,
                   help="d_model of the tiny GPT made when --model is not given (4 layers)")
    p.add_argument("--backends", default="builtin,hf", help="comma-separated: builtin, hf, vllm")
    p.add_argument("--vllm-url", help="a running vLLM (any OpenAI-compatible server) on the same model")
    p.add_argument("--vllm-model", help="model id at --vllm-url (default: its first)")
    p.add_argument("--url", help="measure this running server as 'builtin' instead of starting one")
    p.add_argument("--concurrency", default="1,4,16", help="closed-loop levels (comma-separated)")
    p.add_argument("--request-rates", default="8,32", help="open-loop Poisson rates, requests/s ('inf': all at once)")
    p.add_argument("--requests", type=int, default=64, help="closed-loop requests per level (at least 4 x C)")
    p.add_argument("--rate-requests", type=int, default=128, help="requests per open-loop rate")
    p.add_argument("--prompt-len", type=int, default=64)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--max-batch-size", type=int, default=32, help="pinned: builtin --max-batch-size, vLLM --max-num-seqs")
    p.add_argument("--max-num-batched-tokens", type=int, default=2048, help="pinned on both servers")
    p.add_argument("--max-model-len", type=int, default=512, help="pinned on both servers")
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp16", "fp32"])
    p.add_argument("--quantization", default="none")
    p.add_argument("--device", default="auto", help="for the hf backend")
    p.add_argument("--threads", type=int, default=0, help="torch threads of the builtin engine and hf (0: default)")
    p.add_argument("--server-arg", action="append", default=[], help="extra aiinfra-serve argument (repeatable)")
    p.add_argument("--int8-check", action="store_true",
                   help="only: builtin fp vs int8 tokens/s at each level; exit 1 if int8 is offered and slower")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--api-key", default=os.environ.get("AIINFRA_BENCH_API_KEY"))
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)
    args.levels = sorted({int(c) for c in args.concurrency.split(",") if c})
    args.rates = [float(r) for r in args.request_rates.split(",") if r]
    args.backends = [b for b in args.backends.split(",") if b]
    unknown = set(args.backends) - {"builtin", "hf", "vllm"}
    if unknown:
        p.error(f"unknown backends {sorted(unknown)}")
    if "vllm" in args.backends and not args.vllm_url:
        p.error("--backends vllm needs --vllm-url (start vLLM with the command this script prints)")
    if args.prompt_len + args.max_tokens > args.max_model_len:
        p.error("--prompt-len + --max-tokens must fit in --max-model-len")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    workdir = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    servers: list[Builtin] = []
    report: dict[str, Any] = {"settings": {k: v for k, v in vars(args).items() if k not in ("api_key",)}}
    try:
        w = args.tiny_width
        model = args.model or make_tiny_checkpoint(workdir, {**TINY, "d_model": w, "n_head": max(2, w // 32),
                                                             "n_kv_head": max(1, w // 64), "ffn_hidden": 3 * w})
        vocab = 257
        hf_dir = None
        if model.startswith("hf:"):
            hf_dir = model[3:]
        elif "hf" in args.backends or "vllm" in args.backends:
            from aiinfra.export import export_checkpoint

            hf_dir = str(workdir / "hf")
            export_checkpoint(model, hf_dir, dtype="fp32" if args.precision in ("auto", "fp32") else args.precision)
        if hf_dir:
            vocab = json.loads((Path(hf_dir) / "config.json").read_text())["vocab_size"]
            if model.startswith("hf:"):
                report["vllm_command"] = vllm_command(hf_dir, args)
            else:
                report["vllm_command"] = (f"python -m aiinfra.export --checkpoint {model} --output DIR && "
                                          + vllm_command("DIR", args))
        # byte-level models: printable bytes; other vocabularies: ids above the first few hundred (no specials)
        low, high = (32, 127) if vocab <= 512 else (1000, min(vocab, 30000))
        prompts = Prompts(args.prompt_len, low, high, args.seed)
        print(f"model {model}, prompt {args.prompt_len} tokens (unique per request), output {args.max_tokens} "
              f"tokens (ignore_eos), pinned: max batch {args.max_batch_size}, max batched tokens "
              f"{args.max_num_batched_tokens}, max model len {args.max_model_len}")
        if args.int8_check:
            report["int8_check"] = int8_check(model, args, workdir, prompts, headers)
            print(json.dumps(report["int8_check"]))
            ratios = report["int8_check"].get("int8_vs_fp")
            if args.json:
                Path(args.json).write_text(json.dumps(report, indent=2))
            return 1 if ratios and min(ratios) < 1.0 else 0
        if "vllm" in args.backends or hf_dir:
            print("vLLM with matching settings:", report.get("vllm_command"))
        if "vllm" in args.backends:  # checked before anything runs
            vllm_info = server_info(args.vllm_url, headers)
            if vllm_info.get("max_model_len") not in (None, args.max_model_len):
                raise SystemExit(f"the server at {args.vllm_url} has max_model_len {vllm_info['max_model_len']}, "
                                 f"not {args.max_model_len}: start it with the printed command")
        print(HEADER)
        rows: list[dict[str, Any]] = []
        if "builtin" in args.backends:
            url = args.url
            if url is None:
                servers.append(Builtin(model, args, workdir))
                url = servers[-1].url
            info = server_info(url, headers)
            report["builtin"] = info.get("aiinfra")
            rows += sweep(url, info["id"], args, prompts, headers, "builtin")
            for s in servers:
                s.stop()
            servers.clear()
        if "vllm" in args.backends:
            rows += sweep(args.vllm_url, args.vllm_model or vllm_info["id"], args, prompts, headers, "vllm")
        if "hf" in args.backends:
            if hf_dir is None:
                raise SystemExit("the hf backend needs a Hugging Face directory (hf:<dir> or an exportable checkpoint)")
            rows += hf_rows(hf_dir, args, prompts)
        report["rows"] = rows
        base = {(r["mode"], r.get("concurrency"), r.get("request_rate")): r["output_tokens_per_s"]
                for r in rows if r["backend"] == "builtin"}
        for r in rows:
            b = base.get((r["mode"], r.get("concurrency"), r.get("request_rate")))
            r["tokens_per_s_vs_builtin"] = r["output_tokens_per_s"] / b if b else None
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2))
        return 0
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
