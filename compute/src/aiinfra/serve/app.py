"""The FastAPI application, a thin router: the OpenAI endpoints are handled by
``serving_completion`` and ``serving_chat`` (on ``serving_engine.OpenAIServing``: auth, limits,
submit, SSE), the operational ones (/healthz, /readyz, /metrics, /v1/models) are here, with
the server's shared state (readiness, drain, the engine once loaded) and its lifespan.

The engine runs in its own process (``process.ProcessEngine``, the default) or thread
(``engine.Engine``); both have the same interface. Handlers submit sequences and await their
outputs on a per-request asyncio queue, filled once per engine step from a background thread
(``loop.call_soon_threadsafe``), so HTTP handling never waits on a forward pass. This module
does not import torch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .metrics import ServerMetrics
from .protocol import error_json, now
from .serving_chat import OpenAIServingChat
from .serving_completion import OpenAIServingCompletion
from .serving_engine import ApiError, OpenAIServing
from .types import StepOutput

if TYPE_CHECKING:  # the HTTP process does not import torch: the engine may live in another process
    from .engine import Engine

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
    max_prompts_per_request: int = 128  # prompts in one /v1/completions request; more get 400


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

    serving = OpenAIServing(state)
    completion = OpenAIServingCompletion(state)
    chat = OpenAIServingChat(state)

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
        serving.gate(request)
        return JSONResponse({"object": "list", "data": [{
            "id": state.model_name, "object": "model", "created": state.created, "owned_by": "aiinfra",
            "max_model_len": state.engine.max_len if state.engine else None, **{"aiinfra": state.model_info},
        }]})

    # ------------------------------------------------------------------ generation
    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return await completion.create(request)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await chat.create(request)

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
