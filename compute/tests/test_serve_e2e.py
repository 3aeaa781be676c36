"""End to end: train a tiny GPT with the trainer CLI -> checkpoint -> `aiinfra-serve` on
127.0.0.1 -> OpenAI API requests. Also concurrency, overload (429), drain on SIGTERM, bad
input and auth against real server processes. All traffic goes to 127.0.0.1 on free ports;
every request loop is bounded in count and time."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch

from aiinfra.checkpoint import load_model_for_inference
from aiinfra.model import GPT

BIN = Path(sys.executable).parent
KEY_FILE_KEY = "sk-test-file-0123456789"
KEY_ENV_KEY = "sk-test-env-abcdef"
AUTH = {"Authorization": f"Bearer {KEY_FILE_KEY}"}
EOS = 256  # the byte tokenizer's end-of-text id (vocab 257)

TRAIN_CONFIG = {
    "seed": 3, "steps": 40, "global_batch_size": 16, "micro_batch_size": 16, "seq_len": 64, "lr": 1e-2,
    "warmup_steps": 4, "log_interval": 10, "eval_interval": 20, "eval_samples": 16, "checkpoint_interval": 20,
    "metrics_port": 0, "device": "cpu", "precision": "fp32",
    "model": {"preset": None, "vocab_size": 257, "n_layer": 2, "n_head": 4, "n_kv_head": 2, "d_model": 64,
              "ffn_hidden": 128, "max_seq_len": 256},
    "data": {"source": "synthetic"},
}


def _script(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name) or name


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


class ServerProc:
    """An `aiinfra-serve` subprocess on 127.0.0.1."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = [_script("aiinfra-serve"), "--host", "127.0.0.1", "--port", str(self.port), "--threads", "1",
               *(["--log-level", "warning"] if "--log-level" not in args else []), *args]
        self._fh = open(log, "wb")
        # its own session: a test may signal the server's whole process group
        self.proc = subprocess.Popen(cmd, stdout=self._fh, stderr=subprocess.STDOUT, env={**_env(), **(env or {})},
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready after {timeout} s:\n{self.log.read_text()}")

    def metrics(self) -> dict[str, float]:
        text = httpx.get(self.url + "/metrics", timeout=10).text
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._fh.close()


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-e2e")


@pytest.fixture(scope="module")
def checkpoint(workdir: Path) -> Path:
    """A tiny GPT trained for a few steps by the trainer CLI; two checkpoints with eval."""
    cfg = workdir / "train.json"
    cfg.write_text(json.dumps(TRAIN_CONFIG))
    ckpt = workdir / "ckpt"
    run = subprocess.run([_script("aiinfra-train"), "train", "--config", str(cfg), "--checkpoint-dir", str(ckpt)],
                         capture_output=True, text=True, timeout=300, env=_env())
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(p.name for p in ckpt.iterdir()) == ["step-00000020", "step-00000040"]
    return ckpt


@pytest.fixture(scope="module")
def reference(checkpoint: Path) -> GPT:
    config, state, _ = load_model_for_inference(str(checkpoint), select="newest")
    model = GPT(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert set(missing) <= {"output.weight"} and not unexpected
    return model.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def server(checkpoint: Path, workdir: Path):
    keys = workdir / "keys.txt"
    keys.write_text(f"# serving keys\n{KEY_FILE_KEY}\n\n")
    srv = ServerProc(["--model", str(checkpoint), "--api-keys-file", str(keys), "--max-batch-size", "16",
                      "--max-num-batched-tokens", "256", "--max-queue", "64", "--max-request-bytes", "65536"],
                     workdir / "server.log", env={"AIINFRA_API_KEYS": f"{KEY_ENV_KEY}, other-key"})
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


# ---------------------------------------------------------------------- helpers
@torch.no_grad()
def reference_greedy(model: GPT, prompt: list[int], max_tokens: int) -> list[int]:
    ids, out = list(prompt), []
    while len(out) < max_tokens and len(ids) < model.config.max_seq_len:
        t = int(model(torch.tensor([ids]))[0, -1].argmax())
        ids.append(t)
        out.append(t)
        if t == EOS:
            break
    return out


def sse_events(response: httpx.Response) -> list[Any]:
    events = []
    for line in response.iter_lines():
        if line.startswith("data: "):
            data = line[len("data: "):]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def assert_openai_error(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["type"], str) and err["type"]
    if code is not None:
        assert err["code"] == code, err
    return err


def post(srv: ServerProc, path: str, body: Any, headers: dict | None = None, **kw: Any) -> httpx.Response:
    return httpx.post(srv.url + path, json=body, headers=AUTH if headers is None else headers, timeout=60, **kw)


# ---------------------------------------------------------------------- the API
def test_health_ready_models_and_metric_names(server: ServerProc, checkpoint: Path) -> None:
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["model"] == "ckpt"
    models = httpx.get(server.url + "/v1/models", headers=AUTH).json()
    assert models["object"] == "list"
    [m] = models["data"]
    assert m["id"] == "ckpt" and m["object"] == "model" and m["max_model_len"] == 256
    assert m["aiinfra"]["step"] == 40 and m["aiinfra"]["quantization"] == "none"
    text = httpx.get(server.url + "/metrics").text
    for name in ("aiinfra_server_requests_total", "aiinfra_server_request_duration_seconds_bucket",
                 "aiinfra_server_time_to_first_token_seconds_bucket", "aiinfra_server_inter_token_latency_seconds_bucket",
                 "aiinfra_server_queue_depth", "aiinfra_server_running_requests", "aiinfra_server_batch_size_bucket",
                 "aiinfra_server_kv_cache_usage_ratio", "aiinfra_server_prompt_tokens_total",
                 "aiinfra_server_generation_tokens_total"):
        assert name in text, name


def test_completion_and_chat_return_text(server: ServerProc, reference: GPT) -> None:
    r = post(server, "/v1/completions", {"model": "ckpt", "prompt": "abcdefghij", "max_tokens": 12, "temperature": 0})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "text_completion" and body["model"] == "ckpt" and body["id"].startswith("cmpl-")
    [choice] = body["choices"]
    assert isinstance(choice["text"], str) and choice["text"]
    assert choice["finish_reason"] in ("length", "stop")
    assert body["usage"] == {"prompt_tokens": 10, "completion_tokens": len(choice["token_ids"]),
                             "total_tokens": 10 + len(choice["token_ids"])}
    # the served model is the trained checkpoint: same greedy tokens as the reference loop
    assert choice["token_ids"] == reference_greedy(reference, list(b"abcdefghij"), 12)

    r = post(server, "/v1/chat/completions", {"messages": [{"role": "system", "content": "count"},
                                                           {"role": "user", "content": "abcdef"}],
                                              "max_tokens": 8, "temperature": 0.7, "top_p": 0.9, "seed": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    msg = body["choices"][0]["message"]
    assert msg["role"] == "assistant" and isinstance(msg["content"], str)
    assert body["usage"]["completion_tokens"] >= 1
    again = post(server, "/v1/chat/completions", {"messages": [{"role": "system", "content": "count"},
                                                               {"role": "user", "content": "abcdef"}],
                                                  "max_tokens": 8, "temperature": 0.7, "top_p": 0.9, "seed": 5})
    assert again.json()["choices"][0]["message"] == msg  # same seed, same sample


def test_batch_of_prompts_in_one_request(server: ServerProc, reference: GPT) -> None:
    prompts = ["abc", "zyxwv", [104, 105]]
    r = post(server, "/v1/completions", {"prompt": prompts[:2], "max_tokens": 5, "temperature": 0, "echo": True})
    assert r.status_code == 200, r.text
    choices = r.json()["choices"]
    assert [c["index"] for c in choices] == [0, 1]
    for prompt, c in zip(prompts, choices):
        assert c["token_ids"] == reference_greedy(reference, list(prompt.encode()), 5)
        assert c["text"].startswith(prompt)  # echo
    r = post(server, "/v1/completions", {"prompt": [prompts[2], [1, 2, 3]], "max_tokens": 4, "temperature": 0})
    assert [c["token_ids"] for c in r.json()["choices"]] == [reference_greedy(reference, [104, 105], 4),
                                                             reference_greedy(reference, [1, 2, 3], 4)]
    with httpx.stream("POST", server.url + "/v1/completions", headers=AUTH, timeout=60,
                      json={"prompt": prompts[:2], "max_tokens": 5, "temperature": 0, "stream": True}) as s:
        events = sse_events(s)
    assert events[-1] == "[DONE]"
    by_index: dict[int, str] = {0: "", 1: ""}
    for e in events[:-1]:
        by_index[e["choices"][0]["index"]] += e["choices"][0]["text"]
    assert by_index == {0: choices[0]["text"][3:], 1: choices[1]["text"][5:]}


def test_streaming_matches_non_streaming(server: ServerProc) -> None:
    body = {"prompt": "the cat sat on", "max_tokens": 20, "temperature": 0}
    full = post(server, "/v1/completions", body).json()["choices"][0]
    with httpx.stream("POST", server.url + "/v1/completions", headers=AUTH, timeout=60,
                      json={**body, "stream": True, "stream_options": {"include_usage": True}}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    assert events[-1] == "[DONE]"
    usage = events[-2]
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == len(full["token_ids"])
    chunks = events[:-2]
    assert all(e["object"] == "text_completion" for e in chunks)
    assert "".join(e["choices"][0]["text"] for e in chunks) == full["text"]
    assert chunks[-1]["choices"][0]["finish_reason"] == full["finish_reason"]
    assert all(e["choices"][0]["finish_reason"] is None for e in chunks[:-1])

    chat = {"messages": [{"role": "user", "content": "hello"}], "max_tokens": 10, "temperature": 0}
    full = post(server, "/v1/chat/completions", chat).json()["choices"][0]
    with httpx.stream("POST", server.url + "/v1/chat/completions", headers=AUTH, timeout=60,
                      json={**chat, "stream": True}) as r:
        events = sse_events(r)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(e["object"] == "chat.completion.chunk" for e in chunks)
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in chunks) == full["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == full["finish_reason"]


def test_32_concurrent_mixed_requests_match_reference_and_batch(server: ServerProc, reference: GPT) -> None:
    rng = random.Random(11)
    jobs = []
    for i in range(32):
        prompt = bytes(rng.randrange(97, 123) for _ in range(rng.choice([1, 5, 20, 60, 140]))).decode()
        jobs.append((prompt, rng.choice([4, 16, 40]), i % 2 == 0))
    before = server.metrics()

    async def one(client: httpx.AsyncClient, prompt: str, n: int, stream: bool) -> list[int] | str:
        body = {"prompt": prompt, "max_tokens": n, "temperature": 0, "stream": stream}
        if not stream:
            r = await client.post("/v1/completions", json=body)
            assert r.status_code == 200, r.text
            return r.json()["choices"][0]["token_ids"]
        text = []
        async with client.stream("POST", "/v1/completions", json=body) as r:
            assert r.status_code == 200
            async for line in r.aiter_lines():
                if line.startswith("data: {"):
                    text.append(json.loads(line[6:])["choices"][0]["text"])
                elif line == "data: [DONE]":
                    return "".join(text)
        raise AssertionError("stream ended without [DONE]")

    async def main() -> list[Any]:
        async with httpx.AsyncClient(base_url=server.url, headers=AUTH, timeout=120,
                                     limits=httpx.Limits(max_connections=64)) as client:
            return await asyncio.wait_for(asyncio.gather(*(one(client, *j) for j in jobs)), 120)

    results = asyncio.run(main())
    for (prompt, n, stream), got in zip(jobs, results):
        want = reference_greedy(reference, list(prompt.encode()), n)
        if stream:
            assert got == bytes(t for t in want if t < 256).decode("utf-8", errors="replace")
        else:
            assert got == want
    after = server.metrics()
    steps = after["aiinfra_server_batch_size_count"] - before["aiinfra_server_batch_size_count"]
    seqs = after["aiinfra_server_batch_size_sum"] - before["aiinfra_server_batch_size_sum"]
    assert seqs / steps > 1.5, "decode steps should batch several requests"
    single = after['aiinfra_server_batch_size_bucket{le="1.0"}'] - before['aiinfra_server_batch_size_bucket{le="1.0"}']
    assert single < steps
    ok = 'aiinfra_server_requests_total{code="200"}'
    assert after[ok] - before.get(ok, 0.0) == 32


BAD = [
    ("malformed json", b'{"prompt": "x",', 400, "invalid_json"),
    ("not an object", b'["x"]', 400, "invalid_type"),
    ("prompt wrong type", {"prompt": 42}, 400, "invalid_value"),
    ("prompt missing", {"max_tokens": 3}, 400, "missing_required_parameter"),
    ("max_tokens negative", {"prompt": "x", "max_tokens": -1}, 400, "invalid_value"),
    ("max_tokens string", {"prompt": "x", "max_tokens": "5"}, 400, "invalid_value"),
    ("temperature out of range", {"prompt": "x", "temperature": 3}, 400, "invalid_value"),
    ("temperature string", {"prompt": "x", "temperature": "hot"}, 400, "invalid_value"),
    ("top_p zero", {"prompt": "x", "top_p": 0}, 400, "invalid_value"),
    ("stream not bool", {"prompt": "x", "stream": "yes"}, 400, "invalid_value"),
    ("n > 1", {"prompt": "x", "n": 2}, 400, "invalid_value"),
    ("empty prompt", {"prompt": ""}, 400, "invalid_value"),
    ("token id out of vocab", {"prompt": [1, 2, 999]}, 400, "invalid_value"),
    ("prompt too long", {"prompt": "y" * 300}, 400, "context_length_exceeded"),
    ("prompt + max_tokens too long", {"prompt": "y" * 200, "max_tokens": 100}, 400, "context_length_exceeded"),
    ("unknown model", {"model": "gpt-4", "prompt": "x"}, 404, "model_not_found"),
    ("logprobs", {"prompt": "x", "logprobs": 5}, 400, "unsupported_parameter"),
    ("penalty", {"prompt": "x", "presence_penalty": 0.5}, 400, "unsupported_parameter"),
    ("best_of", {"prompt": "x", "best_of": 3}, 400, "unsupported_parameter"),
    ("unknown parameter", {"prompt": "x", "top_k": 3}, 400, "unsupported_parameter"),
    ("seed out of range", {"prompt": "x", "seed": 2**64}, 400, "invalid_value"),
    ("lone surrogate", b'{"prompt": "\\ud800"}', 400, "invalid_value"),
    ("deeply nested", b'{"prompt": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", 400, "invalid_json"),
]


@pytest.mark.parametrize("name,body,status,code", BAD, ids=[b[0] for b in BAD])
def test_bad_input_gets_openai_error(server: ServerProc, name: str, body: Any, status: int, code: str) -> None:
    if isinstance(body, bytes):
        r = httpx.post(server.url + "/v1/completions", content=body,
                       headers={**AUTH, "Content-Type": "application/json"}, timeout=30)
    else:
        r = post(server, "/v1/completions", body)
    assert_openai_error(r, status, code)


def test_bad_chat_input_and_server_keeps_serving(server: ServerProc) -> None:
    assert_openai_error(post(server, "/v1/chat/completions", {"messages": []}), 400, "invalid_value")
    assert_openai_error(post(server, "/v1/chat/completions", {"messages": [{"role": "wizard", "content": "x"}]}),
                        400, "invalid_value")
    assert_openai_error(post(server, "/v1/chat/completions",
                             {"messages": [{"role": "user", "content": "z" * 400}]}), 400, "context_length_exceeded")
    assert_openai_error(httpx.get(server.url + "/v1/nothing", headers=AUTH), 404)
    big = {"prompt": "x" * 70_000}
    assert_openai_error(post(server, "/v1/completions", big), 413, "request_too_large")
    r = post(server, "/v1/completions", {"prompt": "still here", "max_tokens": 3})
    assert r.status_code == 200 and r.json()["usage"]["completion_tokens"] >= 1


def test_api_keys(server: ServerProc) -> None:
    body = {"prompt": "k", "max_tokens": 1}
    assert_openai_error(post(server, "/v1/completions", body, headers={}), 401, "missing_api_key")
    assert_openai_error(post(server, "/v1/completions", body, headers={"Authorization": "Bearer wrong"}), 401,
                        "invalid_api_key")
    assert_openai_error(post(server, "/v1/completions", body, headers={"Authorization": f"Basic {KEY_FILE_KEY}"}),
                        401, "missing_api_key")
    assert_openai_error(httpx.get(server.url + "/v1/models"), 401, "missing_api_key")
    for key in (KEY_FILE_KEY, KEY_ENV_KEY, "other-key"):
        assert post(server, "/v1/completions", body, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    # probes and metrics stay open (kubelet and Prometheus do not hold keys)
    assert httpx.get(server.url + "/readyz").status_code == 200
    assert httpx.get(server.url + "/metrics").status_code == 200


def _wait_idle(server: ServerProc) -> dict[str, float]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        m = server.metrics()
        if m["aiinfra_server_running_requests"] == 0 and m["aiinfra_server_queue_depth"] == 0:
            return m
        time.sleep(0.05)
    raise AssertionError("the server did not become idle")


def test_client_disconnect_cancels_streaming_generation(server: ServerProc) -> None:
    """Eight sequences of up to 250 tokens in one streaming request; the client hangs up after
    the first event: generation stops far short of 8 x 250 tokens."""
    before = _wait_idle(server)["aiinfra_server_generation_tokens_total"]
    with httpx.stream("POST", server.url + "/v1/completions", headers=AUTH, timeout=60,
                      json={"prompt": [f"p{i}" for i in range(8)], "max_tokens": 250, "ignore_eos": True,
                            "stream": True}) as r:
        for line in r.iter_lines():
            if line.startswith("data: {"):
                break  # got the first tokens: hang up
    generated = _wait_idle(server)["aiinfra_server_generation_tokens_total"] - before
    assert 8 <= generated < 8 * 250


def test_client_disconnect_cancels_non_streaming_generation(server: ServerProc) -> None:
    m0 = _wait_idle(server)
    body = json.dumps({"prompt": [f"q{i}" for i in range(8)], "max_tokens": 250, "ignore_eos": True}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + f"Authorization: Bearer {KEY_FILE_KEY}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(0.05)  # hang up without reading the response
    closed = 'aiinfra_server_requests_total{code="499"}'
    deadline = time.monotonic() + 20
    while server.metrics().get(closed, 0.0) == m0.get(closed, 0.0) and time.monotonic() < deadline:
        time.sleep(0.05)
    m = _wait_idle(server)
    assert m[closed] == m0.get(closed, 0.0) + 1  # answered "client closed", not 200
    assert m["aiinfra_server_generation_tokens_total"] - m0["aiinfra_server_generation_tokens_total"] < 8 * 250


# ---------------------------------------------------------------------- overload and drain
def test_overload_gets_429_and_nothing_is_lost(checkpoint: Path, workdir: Path, reference: GPT) -> None:
    """One decode slot and a waiting queue of 2: of 10 simultaneous long requests, the
    excess is refused with 429 + Retry-After; every accepted one completes in full. The same
    server also checks --select best."""
    srv = ServerProc(["--model", str(checkpoint), "--select", "best",
                      "--max-batch-size", "1", "--max-queue", "2", "--max-num-batched-tokens", "64"],
                     workdir / "overload.log")
    try:
        srv.wait_ready()
        info = httpx.get(srv.url + "/v1/models").json()["data"][0]["aiinfra"]
        manifests = [json.loads(p.read_text()) for p in checkpoint.glob("step-*/manifest.json")]
        best = min(manifests, key=lambda m: m["eval"]["val_loss"])
        assert info["step"] == best["step"] and info["quantization"] == "none"

        async def one(client: httpx.AsyncClient, i: int) -> httpx.Response:
            return await client.post("/v1/completions", json={"prompt": f"{i} go", "max_tokens": 200,
                                                              "temperature": 0, "stop": ["\x00\x01"]})

        async def main() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=srv.url, timeout=120, limits=httpx.Limits(max_connections=32)) as c:
                return await asyncio.wait_for(asyncio.gather(*(one(c, i) for i in range(10))), 150)

        responses = asyncio.run(main())
        codes = [r.status_code for r in responses]
        assert set(codes) <= {200, 429}, [(r.status_code, r.text[:300]) for r in responses if r.status_code not in (200, 429)]
        assert codes.count(429) >= 1 and codes.count(200) >= 3, codes
        for r in responses:
            if r.status_code == 429:
                assert_openai_error(r, 429, "rate_limit_exceeded")
                assert int(r.headers["Retry-After"]) >= 1
            else:
                choice = r.json()["choices"][0]
                assert choice["finish_reason"] in ("length", "stop")
                if choice["finish_reason"] == "length":
                    assert len(choice["token_ids"]) == 200
        m = srv.metrics()
        assert m['aiinfra_server_requests_total{code="429"}'] == codes.count(429)
        assert m['aiinfra_server_requests_total{code="200"}'] == codes.count(200) + 1  # + /v1/models
        # greedy output of --select best equals the reference loop on the best checkpoint
        r = httpx.post(srv.url + "/v1/completions", json={"prompt": "abcdefgh", "max_tokens": 6, "temperature": 0},
                       timeout=30)
        best_ref = GPT(reference.config)
        cfg, state, _ = load_model_for_inference(str(checkpoint), select="best")
        best_ref.load_state_dict(state, strict=False)
        assert r.json()["choices"][0]["token_ids"] == reference_greedy(best_ref.eval(), list(b"abcdefgh"), 6)

        # the engine process dies mid-stream: the stream ends with an error, the server exits 1
        [engine_pid] = engine_children(srv.proc.pid)
        with httpx.stream("POST", srv.url + "/v1/completions", timeout=60,
                          json={"prompt": "z", "max_tokens": 200, "stream": True, "ignore_eos": True}) as s:
            lines = s.iter_lines()
            for line in lines:
                if line.startswith("data: {"):
                    break
            os.kill(engine_pid, signal.SIGKILL)
            rest = [line for line in lines if line.startswith("data: ")]
        assert json.loads(rest[-2][6:])["error"]["type"] == "server_error" and rest[-1] == "data: [DONE]"
        assert srv.proc.wait(30) == 1
        assert "engine process exited" in srv.log.read_text()
    finally:
        srv.stop()


def engine_children(pid: int) -> list[int]:
    """The server's engine process (a multiprocessing spawn child; not its resource tracker)."""
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(k) for k in kids if b"spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes()]


def test_sigterm_drains_in_flight_requests_and_exits(checkpoint: Path, workdir: Path) -> None:
    # one slot for ten requests of 200 tokens: ~2000 decode steps (seconds) remain when SIGTERM
    # comes, so the requests sent during the drain meet a server that still listens
    srv = ServerProc(["--model", str(checkpoint), "--max-batch-size", "1", "--drain-timeout", "60",
                      "--log-level", "info"], workdir / "drain.log")
    try:
        srv.wait_ready()

        async def one(client: httpx.AsyncClient, i: int, first: asyncio.Event) -> tuple[int, int, str | None]:
            body = {"prompt": f"request {i}", "max_tokens": 200, "temperature": 0, "ignore_eos": True}
            if i % 2:
                r = await client.post("/v1/completions", json=body)
                c = r.json()["choices"][0] if r.status_code == 200 else {}
                return r.status_code, len(c.get("token_ids", [])), c.get("finish_reason")
            n, reason = 0, None
            async with client.stream("POST", "/v1/completions", json={**body, "stream": True,
                                                                      "stream_options": {"include_usage": True}}) as r:
                async for line in r.aiter_lines():
                    if line.startswith("data: {"):
                        first.set()
                        ev = json.loads(line[6:])
                        if "usage" in ev and ev.get("usage"):
                            n = ev["usage"]["completion_tokens"]
                        elif ev.get("choices") and ev["choices"][0]["finish_reason"]:
                            reason = ev["choices"][0]["finish_reason"]
                return r.status_code, n, reason

        async def main() -> tuple[list, list[int], int]:
            first = asyncio.Event()
            async with httpx.AsyncClient(base_url=srv.url, timeout=120, limits=httpx.Limits(max_connections=32)) as c:
                burst = [asyncio.ensure_future(one(c, i, first)) for i in range(10)]
                await asyncio.wait_for(first.wait(), 60)
                # SIGTERM only once the server holds all 10 (running, queued or done): a request
                # still on its way when the drain starts is rightly refused
                for _ in range(600):
                    text = (await c.get("/metrics")).text
                    gauges = {ln.split()[0]: float(ln.split()[1]) for ln in text.splitlines()
                              if ln.startswith(("aiinfra_server_running_requests ", "aiinfra_server_queue_depth "))}
                    if sum(gauges.values()) + sum(t.done() for t in burst) >= 10:
                        break
                    await asyncio.sleep(0.02)
                # to the whole process group, as tini -g or a terminal would: the engine
                # process ignores it and the server drains
                os.killpg(srv.proc.pid, signal.SIGTERM)
                late: list[int] = []
                ready = 0
                async with httpx.AsyncClient(base_url=srv.url, timeout=10) as fresh:
                    for _ in range(100):  # bounded: new requests during the drain get 503
                        r = await fresh.post("/v1/completions", json={"prompt": "late", "max_tokens": 2})
                        late.append(r.status_code)
                        if r.status_code == 503:
                            assert_openai_error(r, 503, "service_unavailable")
                            ready = (await fresh.get("/readyz")).status_code
                            break
                        await asyncio.sleep(0.01)
                results = await asyncio.wait_for(asyncio.gather(*burst), 120)
                return results, late, ready

        results, late, ready = asyncio.run(main())
        log = lambda: srv.log.read_text()  # noqa: E731
        assert late[-1] == 503 and ready == 503, (late, ready, log())
        for status, n, reason in results:
            assert status == 200 and reason == "length" and n == 200, (results, log())
        assert srv.proc.wait(60) == 0, log()
        assert "drained" in log()
    finally:
        srv.stop()


def test_sigterm_while_loading_stops_at_once(checkpoint: Path, workdir: Path) -> None:
    """A pod deleted during a long model load: /readyz says loading, SIGTERM kills the loading
    engine process and the server exits 0 without waiting for the load."""
    srv = ServerProc(["--model", str(checkpoint), "--log-level", "info"], workdir / "early.log")
    try:
        deadline = time.monotonic() + 60
        while True:  # the HTTP side is up long before the engine process has imported torch
            try:
                r = httpx.get(srv.url + "/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and srv.proc.poll() is None, srv.log.read_text()
                time.sleep(0.05)
        if r.status_code == 200:
            pytest.skip("the model loaded before the test could stop it")
        assert r.json()["status"] == "loading"
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(30) == 0, srv.log.read_text()
        assert time.monotonic() - t0 < 15
        assert "abandoned" in srv.log.read_text()
    finally:
        srv.stop()


# ---------------------------------------------------------------------- issue 20: client errors, huge requests
def test_healthz_answers_promptly_during_a_request_with_90000_prompts(checkpoint: Path, workdir: Path) -> None:
    """Requests with 90,000 prompts each (~0.8 MB, within the default 1 MiB body limit) are
    refused from their prompt count, before validation and tokenizing; meanwhile /healthz keeps
    answering (the event loop never stalls for long)."""
    srv = ServerProc(["--model", str(checkpoint)], workdir / "server-huge.log")
    try:
        srv.wait_ready()
        huge = json.dumps({"prompt": ["abcde"] * 90_000, "max_tokens": 16}).encode()
        assert len(huge) < 1 << 20

        async def main() -> tuple[list[float], httpx.Response]:
            async with httpx.AsyncClient(base_url=srv.url, timeout=60) as c:
                stop = asyncio.Event()
                gaps: list[float] = []

                async def poll() -> None:
                    while not stop.is_set():
                        t0 = time.perf_counter()
                        r = await c.get("/healthz")
                        assert r.status_code == 200
                        gaps.append(time.perf_counter() - t0)
                        await asyncio.sleep(0.01)

                poller = asyncio.create_task(poll())
                await asyncio.sleep(0.3)
                rs = await asyncio.gather(*(c.post("/v1/completions", content=huge,
                                                   headers={"content-type": "application/json"}) for _ in range(3)))
                await asyncio.sleep(0.3)
                stop.set()
                await poller
                return gaps, rs[0]

        gaps, r = asyncio.run(asyncio.wait_for(main(), 120))
        assert max(gaps) < 0.5, f"/healthz took up to {max(gaps):.3f} s during the huge requests"
        assert_openai_error(r, 400, "too_many_prompts")
    finally:
        srv.stop()


def test_official_openai_client(server: ServerProc, reference: GPT) -> None:
    """The official `openai` client (how issue 20's defects were found): completions, chat,
    streaming, and refused parameters surface as BadRequestError naming the parameter."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY_FILE_KEY, max_retries=0, timeout=60)
    assert [m.id for m in client.models.list().data] == ["ckpt"]
    prompt = "3 5 7 9 "
    c = client.completions.create(model="ckpt", prompt=prompt, max_tokens=6, temperature=0)
    ids = list(prompt.encode())
    want = reference_greedy(reference, ids, 6)
    assert c.choices[0].text == bytes(t for t in want if t < 256).decode(errors="replace")
    assert c.usage.prompt_tokens == len(ids) and c.usage.completion_tokens == len(want)
    chunks = list(client.completions.create(model="ckpt", prompt=prompt, max_tokens=6, temperature=0, stream=True,
                                            stream_options={"include_usage": True}))
    assert "".join(ch.choices[0].text for ch in chunks if ch.choices) == c.choices[0].text
    assert chunks[-1].usage.completion_tokens == len(want)
    chat = client.chat.completions.create(model="ckpt", messages=[{"role": "user", "content": "hi"}], max_tokens=4,
                                          temperature=0, seed=2**63 - 1)
    assert chat.choices[0].message.role == "assistant" and chat.usage.completion_tokens >= 1
    refused = [
        ("completions", {"prompt": "x", "best_of": 2}, "best_of"),
        ("completions", {"prompt": "x", "seed": 2**64}, "seed"),
        ("completions", {"prompt": "x", "suffix": "y"}, "suffix"),
        ("chat", {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
        ("chat", {"tool_choice": "required"}, "tool_choice"),
        ("chat", {"response_format": {"type": "json_object"}}, "response_format"),
        ("chat", {"logprobs": True}, "logprobs"),
    ]
    for api, kwargs, param in refused:
        with pytest.raises(openai.BadRequestError) as info:
            if api == "completions":
                client.completions.create(model="ckpt", max_tokens=2, **kwargs)
            else:
                client.chat.completions.create(model="ckpt", max_tokens=2,
                                               messages=[{"role": "user", "content": "x"}], **kwargs)
        assert info.value.status_code == 400 and info.value.param == param, (param, info.value)
    with pytest.raises(openai.BadRequestError):  # a body the client sends as is
        client.completions.create(model="ckpt", prompt="x", extra_body={"top_k": 3})


def test_int8_on_cpu_is_refused_where_it_would_be_slower(checkpoint: Path, workdir: Path) -> None:
    """This tiny model (d_model 64) would run slower in int8 than in fp32 on CPU: the server
    says so and exits 1 instead of serving it slowly (issue 20)."""
    srv = ServerProc(["--model", str(checkpoint), "--quantization", "int8", "--device", "cpu"],
                     workdir / "int8-refused.log")
    try:
        assert srv.proc.wait(120) == 1
        text = srv.log.read_text()
        assert "int8 on CPU is slower than fp32 for models with d_model < 512 (this one has 64)" in text
    finally:
        srv.stop()
