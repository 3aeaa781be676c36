"""FastAPI application: the OpenAI-compatible API in front of the engine, plus the
operational endpoints (/healthz, /readyz, /metrics), API-key auth, request limits and drain.

The engine runs in its own process (``process.ProcessEngine``, the default) or thread
(``engine.Engine``); both have the same interface. Handlers submit sequences and await their
outputs on a per-request asyncio queue, filled once per engine step from a background thread
(``loop.call_soon_threadsafe``), so HTTP handling never waits on a forward pass. This module
does not import torch.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .types import EngineStopped, QueueFull, SamplingParams, StepOutput
from .metrics import ServerMetrics
from .protocol import ChatCompletionRequest, CompletionRequest, error_json, new_id, now

if TYPE_CHECKING:  # the HTTP process does not import torch: the engine may live in another process
    from .engine import Engine, Sequence

__all__ = ["ServerConfig", "ServerState", "create_app", "load_api_keys"]

log = logging.getLogger("aiinfra.serve")


@dataclass
class ServerConfig:
    api_keys: list[str] = field(default_factory=list)  # empty: no auth
    max_request_bytes: int = 1 << 20
    request_timeout: float = 600.0  # seconds from arrival to the last token
    drain_timeout: float = 120.0  # longest wait for in-flight requests after SIGTERM
    retry_after: int = 1  # seconds, sent with 429 and 503
    default_max_tokens: int = 16  # /v1/completions without max_tokens (OpenAI's default)


class ApiError(Exception):
    def __init__(self, status: int, message: str, type_: str, code: str | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_json(message, type_, code, param)
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


class ServerState:
    """What the app shares with the CLI: the engine (once loaded), readiness and drain flags."""

    def __init__(self, config: ServerConfig, metrics: ServerMetrics | None = None) -> None:
        self.config = config
        self.metrics = metrics or ServerMetrics()
        self.engine: Engine | None = None
        self.model_name: str | None = None
        self.model_info: dict[str, Any] = {}
        self.ready = False
        self.draining = False
        self.load_error: str | None = None
        self.fatal_error: str | None = None  # the engine process died: the server exits 1
        self.inflight = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loader: threading.Thread | None = None
        self.cancel_load = threading.Event()  # set at shutdown: a load still running is abandoned
        self.created = now()

    def attach(self, engine: Engine, model_name: str, info: dict[str, Any] | None = None) -> None:
        """Hand over a loaded engine (from the loader thread); the app starts serving."""
        loop = self.loop
        if loop is not None:
            engine.deliver = lambda events: loop.call_soon_threadsafe(_dispatch, events)
        self.engine = engine
        self.model_name = model_name
        self.model_info = info or {}
        engine.start()
        self.ready = True

    def idle(self) -> bool:
        return self.inflight == 0 and (self.engine is None or not self.engine.has_work())


def _dispatch(events: list[tuple[Callable[[StepOutput], None], StepOutput]]) -> None:
    for sink, out in events:
        sink(out)


def load_api_keys(keys_file: str | None, keys_env: str | None) -> list[str]:
    """Keys from a file (one per line, blank lines and # comments skipped) and/or a
    comma-separated env value."""
    keys: list[str] = []
    if keys_file:
        with open(keys_file, encoding="utf-8") as fh:
            keys += [ln.strip() for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    if keys_env:
        keys += [k.strip() for k in keys_env.split(",") if k.strip()]
    return keys


class _RequestMetrics:
    """ASGI middleware: status code counts and durations (to the last byte) of /v1 requests."""

    def __init__(self, app: Any, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def _send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            self.metrics.requests.labels(code=str(status["code"])).inc()
            self.metrics.duration.observe(time.perf_counter() - start)


def create_app(state: ServerState, on_startup: Callable[[ServerState], None] | None = None) -> FastAPI:
    """``on_startup(state)`` runs once the event loop is up (the CLI starts the model loader there)."""
    cfg = state.config
    keys = [k.encode() for k in cfg.api_keys]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.loop = asyncio.get_running_loop()
        if state.engine is not None:  # attached before the loop existed
            loop = state.loop
            state.engine.deliver = lambda events: loop.call_soon_threadsafe(_dispatch, events)
        if on_startup is not None:
            on_startup(state)
        try:
            yield
        finally:
            loop = asyncio.get_running_loop()
            if state.loader is not None and state.loader.is_alive():
                # stopped while loading: an engine process is killed; an in-process load must
                # finish (a thread torn down inside a torch call aborts the process)
                state.cancel_load.set()
                await loop.run_in_executor(None, state.loader.join)
            if state.engine is not None:
                await loop.run_in_executor(None, state.engine.stop)

    app = FastAPI(title="aiinfra model server", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(_RequestMetrics, metrics=state.metrics)
    app.state.server = state

    # ------------------------------------------------------------------ errors
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return JSONResponse(error_json(str(exc.detail), type_), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_json("internal server error", "server_error"), status_code=500)

    # ------------------------------------------------------------------ gates
    def unavailable(message: str) -> ApiError:
        return ApiError(503, message, "service_unavailable", "service_unavailable",
                        headers={"Retry-After": str(cfg.retry_after), "Connection": "close"})

    def check_auth(request: Request) -> None:
        if not keys:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        presented = token.strip() if scheme.lower() == "bearer" else request.headers.get("x-api-key", "")
        if not presented:
            raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>'", "invalid_request_error",
                           "missing_api_key", headers={"WWW-Authenticate": "Bearer"})
        p = presented.encode()
        ok = False
        for k in keys:  # every key is compared, in constant time
            ok |= hmac.compare_digest(p, k)
        if not ok:
            raise ApiError(401, "invalid API key", "invalid_request_error", "invalid_api_key",
                           headers={"WWW-Authenticate": "Bearer"})

    def gate(request: Request) -> Engine:
        if state.draining:
            raise unavailable("the server is shutting down")
        check_auth(request)
        if not state.ready or state.engine is None:
            raise unavailable("the model is still loading")
        return state.engine

    async def read_json(request: Request) -> Any:
        length = request.headers.get("content-length")
        limit = cfg.max_request_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            raise ApiError(413, f"request body is larger than {limit} bytes", "invalid_request_error", "request_too_large")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"request body is larger than {limit} bytes", "invalid_request_error",
                               "request_too_large")
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"malformed JSON body: {exc}", "invalid_request_error", "invalid_json") from None

    def validate(model_cls: type, body: Any) -> Any:
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object", "invalid_request_error", "invalid_type")
        try:
            return model_cls.model_validate(body)
        except ValidationError as exc:
            err = exc.errors()[0]
            param = ".".join(str(p) for p in err["loc"]) or None
            raise ApiError(400, f"{param}: {err['msg']}" if param else err["msg"], "invalid_request_error",
                           "invalid_value" if err["type"] != "missing" else "missing_required_parameter",
                           param) from None

    def check_model(req: Any) -> str:
        if req.model is not None and req.model != state.model_name:
            raise ApiError(404, f"the model '{req.model}' does not exist; this server serves '{state.model_name}'",
                           "invalid_request_error", "model_not_found", "model")
        return state.model_name or ""

    def sampling(req: Any, max_tokens: int | None, prompt_len: int, engine: Engine, default: int | None) -> SamplingParams:
        room = engine.max_len - prompt_len
        if room <= 0:
            raise ApiError(400, f"this model's maximum context length is {engine.max_len} tokens; the prompt has "
                           f"{prompt_len} tokens", "invalid_request_error", "context_length_exceeded", "messages"
                           if isinstance(req, ChatCompletionRequest) else "prompt")
        if max_tokens is None:
            max_tokens = room if default is None else min(default, room)
        elif max_tokens > room:
            raise ApiError(400, f"this model's maximum context length is {engine.max_len} tokens; you requested "
                           f"{prompt_len + max_tokens} tokens ({prompt_len} in the prompt, {max_tokens} for the "
                           f"completion)", "invalid_request_error", "context_length_exceeded", "max_tokens")
        return SamplingParams(max_tokens=max_tokens, temperature=req.temperature, top_p=req.top_p,
                              stop=req.stop_list(), seed=req.seed, ignore_eos=req.ignore_eos)

    def submit_all(engine: Engine, prompts: list[list[int]], params: list[SamplingParams]) -> tuple[list[Sequence], asyncio.Queue]:
        """Submit every prompt; their outputs arrive on one queue as (prompt index, output)."""
        seqs: list[Sequence] = []
        queue: asyncio.Queue = asyncio.Queue()
        try:
            for i, (ids, p) in enumerate(zip(prompts, params)):
                seqs.append(engine.submit(ids, p, lambda out, i=i: queue.put_nowait((i, out)),
                                          timeout=cfg.request_timeout))
        except QueueFull as exc:
            cancel_all(engine, seqs)
            raise ApiError(429, f"the server is overloaded: {exc}; retry later", "rate_limit_exceeded",
                           "rate_limit_exceeded", headers={"Retry-After": str(cfg.retry_after)}) from None
        except EngineStopped:
            cancel_all(engine, seqs)
            raise unavailable("the server is shutting down") from None
        return seqs, queue

    def cancel_all(engine: Engine, seqs: list[Sequence]) -> None:
        live = [s for s in seqs if not s.finished]
        for s in live:
            s.cancel()
        if live:
            engine.wake()

    def output_error(out: StepOutput) -> ApiError:
        if out.finish_reason == "timeout":
            return ApiError(504, f"the request did not finish within {cfg.request_timeout:g} s", "timeout_error",
                            "timeout")
        return ApiError(500 if out.finish_reason == "error" else 503, out.error or "generation failed", "server_error",
                        out.finish_reason)

    async def wait_disconnect(request: Request) -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    async def collect(queue: asyncio.Queue, n: int) -> list[tuple[str, list[int], StepOutput]]:
        texts: list[list[str]] = [[] for _ in range(n)]
        ids: list[list[int]] = [[] for _ in range(n)]
        final: list[StepOutput | None] = [None] * n
        left = n
        while left:
            i, out = await queue.get()
            texts[i].append(out.text)
            ids[i] += out.token_ids
            if out.finished:
                final[i] = out
                left -= 1
        return [("".join(t), x, f) for t, x, f in zip(texts, ids, final)]  # type: ignore[misc]

    async def run_blocking(request: Request, engine: Engine, seqs: list[Sequence], queue: asyncio.Queue) -> list[tuple[str, list[int], StepOutput]]:
        """Await all sequences; if the client goes away first, cancel them."""
        work = asyncio.ensure_future(collect(queue, len(seqs)))
        watcher = asyncio.ensure_future(wait_disconnect(request))
        try:
            await asyncio.wait({work, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
        if not work.done():
            cancel_all(engine, seqs)
            work.cancel()
            raise ApiError(499, "client closed the request", "invalid_request_error", "client_closed")
        return work.result()

    def usage(p: int, c: int) -> dict[str, int]:
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    def sse(obj: Any) -> bytes:
        return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

    @contextlib.contextmanager
    def inflight() -> Any:
        state.inflight += 1
        try:
            yield
        finally:
            state.inflight -= 1

    def stream_response(
        engine: Engine,
        seqs: list[Sequence],
        queue: asyncio.Queue,
        first: Callable[[int], dict | None],
        chunk: Callable[[int, str, str | None], bytes],
        final_usage: Callable[[dict[str, int]], dict] | None,
    ) -> StreamingResponse:
        """SSE: one event per output of any sequence, then usage (if asked) and [DONE].
        Outputs already queued are written together (one send per engine step, not per
        token). When the client disconnects Starlette cancels this generator and the
        sequences are cancelled in ``finally``. (Drain waits for the engine's sequences;
        uvicorn's graceful shutdown then waits for the bodies still being written.)"""

        async def gen() -> AsyncIterator[bytes]:
            try:
                head = [sse(h) for i in range(len(seqs)) if (h := first(i)) is not None]
                if head:
                    yield b"".join(head)
                left, p_tok, c_tok = len(seqs), 0, 0
                while left:
                    items = [await queue.get()]
                    while not queue.empty():
                        items.append(queue.get_nowait())
                    buf = []
                    for i, out in items:
                        if out.finished:
                            left -= 1
                            p_tok += out.prompt_tokens
                            c_tok += out.completion_tokens
                            if out.finish_reason not in ("stop", "length"):
                                if out.text:
                                    buf.append(chunk(i, out.text, None))
                                buf.append(sse(output_error(out).body))
                                continue
                        if out.text or out.finished:
                            buf.append(chunk(i, out.text, out.finish_reason if out.finished else None))
                    if not left:
                        if final_usage is not None:
                            buf.append(sse(final_usage(usage(p_tok, c_tok))))
                        buf.append(b"data: [DONE]\n\n")
                    if buf:
                        yield b"".join(buf)
            finally:
                cancel_all(engine, seqs)

        return StreamingResponse(gen(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # ------------------------------------------------------------------ operational endpoints
    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        engine = state.engine
        if engine is not None and engine.consecutive_failures >= 3:
            return JSONResponse({"status": "failing", "error": repr(engine.last_error)}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        if state.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        if state.load_error:
            return JSONResponse({"status": "failed", "error": state.load_error}, status_code=503)
        if not state.ready:
            return JSONResponse({"status": "loading"}, status_code=503)
        return JSONResponse({"status": "ready", "model": state.model_name})

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/v1/models")
    async def models(request: Request) -> JSONResponse:
        gate(request)
        return JSONResponse({"object": "list", "data": [{
            "id": state.model_name, "object": "model", "created": state.created, "owned_by": "aiinfra",
            "max_model_len": state.engine.max_len if state.engine else None, **{"aiinfra": state.model_info},
        }]})

    # ------------------------------------------------------------------ completions
    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        engine = gate(request)
        with inflight():
            req: CompletionRequest = validate(CompletionRequest, await read_json(request))
            model = check_model(req)
            tok = engine.tokenizer
            prompts: list[list[int]] = []
            for p in req.prompts():
                ids = tok.encode(p) if isinstance(p, str) else list(p)
                if not ids:
                    raise ApiError(400, "prompt must not be empty", "invalid_request_error", "invalid_value", "prompt")
                if any(t < 0 or t >= engine.vocab_size for t in ids):
                    raise ApiError(400, "prompt token ids must be within the vocabulary", "invalid_request_error",
                                   "invalid_value", "prompt")
                prompts.append(ids)
            params = [sampling(req, req.max_tokens, len(ids), engine, cfg.default_max_tokens) for ids in prompts]
            echo = [tok.decode(ids) if req.echo else "" for ids in prompts]
            seqs, queue = submit_all(engine, prompts, params)
            rid, created = new_id("cmpl"), now()

            if req.stream:
                # the per-token event is a template filled with two json.dumps of short values
                head = (f'data: {{"id":"{rid}","object":"text_completion","created":{created},'
                        f'"model":{json.dumps(model)},"choices":[{{"index":')

                def chunk(i: int, text: str, reason: str | None) -> bytes:
                    return (f'{head}{i},"text":{json.dumps(text)},"logprobs":null,'
                            f'"finish_reason":{json.dumps(reason)}}}]}}\n\n').encode()

                return stream_response(
                    engine, seqs, queue,
                    first=lambda i: {"id": rid, "object": "text_completion", "created": created, "model": model,
                                     "choices": [{"index": i, "text": echo[i], "logprobs": None,
                                                  "finish_reason": None}]} if echo[i] else None,
                    chunk=chunk,
                    final_usage=(lambda u: {"id": rid, "object": "text_completion", "created": created, "model": model,
                                            "choices": [], "usage": u}) if req.include_usage() else None,
                )
            results = await run_blocking(request, engine, seqs, queue)
            for _, _, out in results:
                if out.finish_reason not in ("stop", "length"):
                    raise output_error(out)
            return JSONResponse({
                "id": rid, "object": "text_completion", "created": created, "model": model,
                "choices": [{"index": i, "text": echo[i] + text, "logprobs": None, "finish_reason": out.finish_reason,
                             "token_ids": ids}
                            for i, (text, ids, out) in enumerate(results)],
                "usage": usage(sum(len(p) for p in prompts), sum(out.completion_tokens for _, _, out in results)),
            })

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        engine = gate(request)
        with inflight():
            req: ChatCompletionRequest = validate(ChatCompletionRequest, await read_json(request))
            model = check_model(req)
            try:
                messages = [{"role": m.role, "content": m.text()} for m in req.messages]
            except ValueError as exc:
                raise ApiError(400, str(exc), "invalid_request_error", "invalid_value", "messages") from None
            ids = engine.tokenizer.chat_prompt(messages)
            params = sampling(req, req.effective_max_tokens(), len(ids), engine, None)
            seqs, queue = submit_all(engine, [ids], [params])
            rid, created = new_id("chatcmpl"), now()

            if req.stream:
                head = (f'data: {{"id":"{rid}","object":"chat.completion.chunk","created":{created},'
                        f'"model":{json.dumps(model)},"choices":[{{"index":')

                def chunk(i: int, text: str, reason: str | None) -> bytes:
                    delta = f'{{"content":{json.dumps(text)}}}' if text else "{}"
                    return (f'{head}{i},"delta":{delta},"logprobs":null,'
                            f'"finish_reason":{json.dumps(reason)}}}]}}\n\n').encode()

                return stream_response(
                    engine, seqs, queue,
                    first=lambda i: {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                                     "choices": [{"index": i, "delta": {"role": "assistant", "content": ""},
                                                  "logprobs": None, "finish_reason": None}]},
                    chunk=chunk,
                    final_usage=(lambda u: {"id": rid, "object": "chat.completion.chunk", "created": created,
                                            "model": model, "choices": [], "usage": u}) if req.include_usage() else None,
                )
            [(text, token_ids, out)] = await run_blocking(request, engine, seqs, queue)
            if out.finish_reason not in ("stop", "length"):
                raise output_error(out)
            return JSONResponse({
                "id": rid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None,
                             "finish_reason": out.finish_reason}],
                "usage": usage(len(ids), out.completion_tokens),
            })

    return app


def start_loader(state: ServerState, load: Callable[[], tuple[Engine, str, dict[str, Any]]],
                 on_failure: Callable[[str], None]) -> threading.Thread:
    """Load the model in a thread so /healthz answers (and /readyz says 'loading') meanwhile."""

    def run() -> None:
        try:
            engine, name, info = load()
        except Exception as exc:  # reported on /readyz and by the CLI's exit code
            if state.cancel_load.is_set():
                log.info("model load abandoned: the server is stopping")
                return
            log.exception("model load failed")
            state.load_error = f"{type(exc).__name__}: {exc}"
            on_failure(state.load_error)
            return
        state.attach(engine, name, info)
        log.info("serving %s", name)

    t = threading.Thread(target=run, name="aiinfra-loader", daemon=True)
    state.loader = t
    t.start()
    return t
