"""The FastAPI app in process (httpx's ASGI transport): readiness states, drain flag, request
timeouts and engine errors, without starting a server process."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import torch

from aiinfra.model import GPT, GPTConfig
from aiinfra.serve.app import ServerConfig, ServerState, create_app, load_api_keys
from aiinfra.serve.engine import Engine, EngineConfig
from aiinfra.serve.model_runner import ModelRunner
from aiinfra.serve.tokenizer import ByteTokenizer

CFG = GPTConfig(vocab_size=257, n_layer=1, n_head=2, n_kv_head=1, d_model=32, ffn_hidden=64, max_seq_len=64)


@pytest.fixture(scope="module")
def model() -> GPT:
    torch.manual_seed(0)
    return GPT(CFG).eval().requires_grad_(False)


def make_engine(model: GPT) -> Engine:
    return Engine(lambda slots, n: ModelRunner(model, slots, n), ByteTokenizer(257), EngineConfig(max_batch_size=4),
                  model_max_len=CFG.max_seq_len)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=30)


def test_readiness_follows_loading_and_draining(model: GPT) -> None:
    async def main() -> None:
        state = ServerState(ServerConfig())
        app = create_app(state)
        state.loop = asyncio.get_running_loop()
        async with client(app) as c:
            assert (await c.get("/healthz")).status_code == 200
            r = await c.get("/readyz")
            assert r.status_code == 503 and r.json()["status"] == "loading"
            r = await c.post("/v1/completions", json={"prompt": "x"})
            assert r.status_code == 503 and r.json()["error"]["code"] == "service_unavailable"
            assert r.headers["Retry-After"] == "1"
            state.attach(make_engine(model), "tiny")
            try:
                assert (await c.get("/readyz")).json() == {"status": "ready", "model": "tiny"}
                r = await c.post("/v1/completions", json={"prompt": "x", "max_tokens": 2})
                assert r.status_code == 200 and r.json()["model"] == "tiny"
                state.draining = True
                assert (await c.get("/readyz")).status_code == 503
                r = await c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]})
                assert r.status_code == 503 and r.headers["Connection"] == "close"
                assert (await c.get("/healthz")).status_code == 200  # alive while draining
            finally:
                state.engine.stop()

    run(main())


def test_load_failure_is_reported_on_readyz() -> None:
    async def main() -> None:
        state = ServerState(ServerConfig())
        state.load_error = "CheckpointError: no complete checkpoint"
        async with client(create_app(state)) as c:
            r = await c.get("/readyz")
            assert r.status_code == 503 and r.json()["status"] == "failed" and "CheckpointError" in r.json()["error"]

    run(main())


def test_request_timeout_gives_504_and_stream_error_event(model: GPT) -> None:
    async def main() -> None:
        state = ServerState(ServerConfig(request_timeout=0.05))
        app = create_app(state)
        state.loop = asyncio.get_running_loop()
        engine = make_engine(model)
        loop = state.loop
        engine.deliver = lambda events: loop.call_soon_threadsafe(lambda: [s(o) for s, o in events])
        state.engine, state.model_name, state.ready = engine, "tiny", True  # engine thread not started yet
        async with client(app) as c:
            plain = asyncio.ensure_future(c.post("/v1/completions", json={"prompt": "slow", "max_tokens": 20}))

            async def stream() -> list[str]:
                async with c.stream("POST", "/v1/completions",
                                    json={"prompt": "slow", "max_tokens": 20, "stream": True}) as r:
                    assert r.status_code == 200
                    return [line async for line in r.aiter_lines() if line.startswith("data: ")]

            streamed = asyncio.ensure_future(stream())
            while engine.num_waiting < 2:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)  # both are past their deadline before the engine runs
            engine.start()
            try:
                r = await plain
                assert r.status_code == 504 and r.json()["error"]["code"] == "timeout"
                lines = await streamed
                assert json.loads(lines[0][6:])["error"]["code"] == "timeout"
                assert lines[-1] == "data: [DONE]"
                m = state.metrics.render().decode()
                assert 'aiinfra_server_requests_total{code="504"} 1.0' in m
            finally:
                engine.stop()

    run(main())


def test_failed_engine_step_fails_requests_with_500(model: GPT) -> None:
    async def main() -> None:
        state = ServerState(ServerConfig())
        app = create_app(state)
        state.loop = asyncio.get_running_loop()
        engine = make_engine(model)

        def broken(*a, **k):
            raise RuntimeError("CUDA error: device-side assert")

        engine.runner.forward = broken
        state.attach(engine, "tiny")
        try:
            async with client(app) as c:
                for _ in range(3):
                    assert (await c.get("/healthz")).status_code == 200
                    r = await c.post("/v1/completions", json={"prompt": "x", "max_tokens": 3})
                    assert r.status_code == 500
                    assert r.json()["error"]["type"] == "server_error" and "device-side" in r.json()["error"]["message"]
                # a step that keeps failing (a broken GPU) fails liveness, so the pod is restarted
                r = await c.get("/healthz")
                assert r.status_code == 503 and r.json()["status"] == "failing"
        finally:
            engine.stop()

    run(main())


def test_api_keys_from_file_and_env(tmp_path) -> None:
    f = tmp_path / "keys"
    f.write_text("# comment\n a \n\nb\n")
    assert load_api_keys(str(f), " c, ,d ") == ["a", "b", "c", "d"]
    assert load_api_keys(None, None) == []
    with pytest.raises(OSError):
        load_api_keys(str(tmp_path / "missing"), None)


def test_full_queue_answers_429_with_retry_after(model: GPT) -> None:
    async def main() -> None:
        state = ServerState(ServerConfig())
        app = create_app(state)
        state.loop = asyncio.get_running_loop()
        engine = Engine(lambda slots, n: ModelRunner(model, slots, n), ByteTokenizer(257),
                        EngineConfig(max_batch_size=1, max_waiting=1), model_max_len=CFG.max_seq_len)
        loop = state.loop
        engine.deliver = lambda events: loop.call_soon_threadsafe(lambda: [s(o) for s, o in events])
        state.engine, state.model_name, state.ready = engine, "tiny", True  # engine not stepping yet
        async with client(app) as c:
            first = asyncio.ensure_future(c.post("/v1/completions", json={"prompt": "a", "max_tokens": 2}))
            while engine.num_waiting < 1:
                await asyncio.sleep(0.01)
            r = await c.post("/v1/completions", json={"prompt": ["b", "c"], "max_tokens": 2})
            assert r.status_code == 429 and r.headers["Retry-After"] == "1"
            assert r.json()["error"]["code"] == "rate_limit_exceeded"
            engine.start()
            try:
                assert (await first).status_code == 200
            finally:
                engine.stop()

    run(main())
