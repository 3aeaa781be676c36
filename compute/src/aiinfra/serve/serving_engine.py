"""What the OpenAI endpoints share (as vLLM's ``OpenAIServing``): the gate (drain, API key,
readiness), body limits and validation, sampling parameters within the context length,
submitting to the engine with the queue bound (429), awaiting outputs with disconnect
handling, and the SSE writer. ``serving_completion`` and ``serving_chat`` build on it. Does
not import torch (the engine may live in another process).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.requests import ClientDisconnect

from .protocol import ChatCompletionRequest, UnsupportedParameter, error_json, sse, usage_json
from .types import EngineStopped, QueueFull, SamplingParams, StepOutput

if TYPE_CHECKING:
    from .app import ServerState
    from .engine import Engine, Sequence

__all__ = ["ApiError", "OpenAIServing"]


class ApiError(Exception):
    def __init__(self, status: int, message: str, type_: str, code: str | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_json(message, type_, code, param)
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


Results = list[tuple[str, list[int], StepOutput]]  # per prompt: text, token ids, final output

MAX_JSON_DEPTH = 64  # no OpenAI request nests deeper than a handful of levels
OFF_LOOP_CHARS = 32_768  # prompts with more characters are tokenized in a worker thread


def _encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def check_json_values(body: Any) -> None:
    """Refuse (400) what json.loads accepts but the server cannot use: nesting deeper than
    MAX_JSON_DEPTH, and strings with lone UTF-16 surrogates ("\\ud800"), which cannot be
    encoded as UTF-8 (so not tokenized). Iterative, so any depth is safe to walk."""
    stack: list[tuple[Any, int, str | None]] = [(body, 0, None)]
    while stack:
        value, depth, param = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and not _encodable(value):
                raise ApiError(400, f"{param or 'the body'}: strings must be valid Unicode (a lone UTF-16 "
                               "surrogate cannot be encoded as UTF-8)", "invalid_request_error",
                               "invalid_value", param)
        elif isinstance(value, (list, dict)):
            if depth >= MAX_JSON_DEPTH:
                raise ApiError(400, f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep",
                               "invalid_request_error", "invalid_json", param)
            if isinstance(value, dict):
                for k, v in value.items():
                    name = param or (k if _encodable(k) else None)  # the error body must encode
                    stack.append((k, depth + 1, name))
                    stack.append((v, depth + 1, name))
            else:
                stack.extend((v, depth + 1, param) for v in value)


class OpenAIServing:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.cfg = state.config
        self.keys = [k.encode() for k in self.cfg.api_keys]

    # ------------------------------------------------------------------ gates
    def unavailable(self, message: str) -> ApiError:
        return ApiError(503, message, "service_unavailable", "service_unavailable",
                        headers={"Retry-After": str(self.cfg.retry_after), "Connection": "close"})

    def check_auth(self, request: Request) -> None:
        if not self.keys:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        presented = token.strip() if scheme.lower() == "bearer" else request.headers.get("x-api-key", "")
        if not presented:
            raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>'", "invalid_request_error",
                           "missing_api_key", headers={"WWW-Authenticate": "Bearer"})
        p = presented.encode()
        ok = False
        for k in self.keys:  # every key is compared, in constant time
            ok |= hmac.compare_digest(p, k)
        if not ok:
            raise ApiError(401, "invalid API key", "invalid_request_error", "invalid_api_key",
                           headers={"WWW-Authenticate": "Bearer"})

    def gate(self, request: Request) -> Engine:
        state = self.state
        if state.draining:
            raise self.unavailable("the server is shutting down")
        self.check_auth(request)
        if not state.ready or state.engine is None:
            raise self.unavailable("the model is still loading")
        return state.engine

    @contextlib.contextmanager
    def inflight(self) -> Iterator[None]:
        self.state.inflight += 1
        try:
            yield
        finally:
            self.state.inflight -= 1

    # ------------------------------------------------------------------ request
    async def read_json(self, request: Request) -> Any:
        length = request.headers.get("content-length")
        limit = self.cfg.max_request_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            raise ApiError(413, f"request body is larger than {limit} bytes", "invalid_request_error", "request_too_large")
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f"request body is larger than {limit} bytes", "invalid_request_error",
                                   "request_too_large")
                chunks.append(chunk)
        except ClientDisconnect:  # the client went away mid-upload: its error, not the server's
            raise ApiError(499, "client closed the request before sending its body", "invalid_request_error",
                           "client_closed") from None
        try:
            body = json.loads(b"".join(chunks))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"malformed JSON body: {exc}", "invalid_request_error", "invalid_json") from None
        except RecursionError:
            raise ApiError(400, f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep",
                           "invalid_request_error", "invalid_json") from None
        check_json_values(body)
        return body

    @staticmethod
    def validate(model_cls: type, body: Any) -> Any:
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object", "invalid_request_error", "invalid_type")
        try:
            return model_cls.model_validate(body)
        except UnsupportedParameter as exc:  # raised directly by a "before" model validator
            raise ApiError(400, str(exc), "invalid_request_error", "unsupported_parameter", exc.param) from None
        except ValidationError as exc:
            err = exc.errors()[0]
            param = ".".join(str(p) for p in err["loc"]) or None
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, UnsupportedParameter):
                raise ApiError(400, str(cause), "invalid_request_error", "unsupported_parameter", cause.param) from None
            if err["type"] == "extra_forbidden":
                raise ApiError(400, f"'{param}' is not supported by this server (unrecognized parameter)",
                               "invalid_request_error", "unsupported_parameter", param) from None
            raise ApiError(400, f"{param}: {err['msg']}" if param else err["msg"], "invalid_request_error",
                           "invalid_value" if err["type"] != "missing" else "missing_required_parameter",
                           param) from None

    def check_prompt_count(self, body: Any, engine: Engine) -> None:
        """Before any validation or tokenizing: a request cannot carry more prompts than the
        per-request cap (400), nor more than the engine can take now (429)."""
        prompt = body.get("prompt") if isinstance(body, dict) else None
        if not isinstance(prompt, list) or not prompt or not isinstance(prompt[0], (str, list)):
            return  # one prompt (a string or token ids), or invalid: validation reports it
        n, cap = len(prompt), self.cfg.max_prompts_per_request
        if n > cap:
            raise ApiError(400, f"a request may carry at most {cap} prompts; this one has {n}",
                           "invalid_request_error", "too_many_prompts", "prompt")
        room = engine.room()
        if n > room:
            raise ApiError(429, f"the server is overloaded: {n} prompts, room for {room} now; retry later",
                           "rate_limit_exceeded", "rate_limit_exceeded",
                           headers={"Retry-After": str(self.cfg.retry_after)})

    @staticmethod
    async def off_loop(work: Callable[[], Any], size: int) -> Any:
        """Run ``work`` (tokenizing) in a thread when the input is large, so the event loop
        (health checks, other streams) never waits on it."""
        if size < OFF_LOOP_CHARS:
            return work()
        return await asyncio.to_thread(work)

    def check_model(self, req: Any) -> str:
        name = self.state.model_name
        if req.model is not None and req.model != name:
            raise ApiError(404, f"the model '{req.model}' does not exist; this server serves '{name}'",
                           "invalid_request_error", "model_not_found", "model")
        return name or ""

    @staticmethod
    def sampling(req: Any, max_tokens: int | None, prompt_len: int, engine: Engine,
                 default: int | None) -> SamplingParams:
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

    # ------------------------------------------------------------------ engine
    def submit_all(self, engine: Engine, prompts: list[list[int]],
                   params: list[SamplingParams]) -> tuple[list[Sequence], asyncio.Queue]:
        """Submit every prompt; their outputs arrive on one queue as (prompt index, output)."""
        seqs: list[Sequence] = []
        queue: asyncio.Queue = asyncio.Queue()
        try:
            for i, (ids, p) in enumerate(zip(prompts, params)):
                seqs.append(engine.submit(ids, p, lambda out, i=i: queue.put_nowait((i, out)),
                                          timeout=self.cfg.request_timeout))
        except QueueFull as exc:
            self.cancel_all(engine, seqs)
            raise ApiError(429, f"the server is overloaded: {exc}; retry later", "rate_limit_exceeded",
                           "rate_limit_exceeded", headers={"Retry-After": str(self.cfg.retry_after)}) from None
        except EngineStopped:
            self.cancel_all(engine, seqs)
            raise self.unavailable("the server is shutting down") from None
        return seqs, queue

    @staticmethod
    def cancel_all(engine: Engine, seqs: list[Sequence]) -> None:
        live = [s for s in seqs if not s.finished]
        for s in live:
            s.cancel()
        if live:
            engine.wake()

    def output_error(self, out: StepOutput) -> ApiError:
        if out.finish_reason == "timeout":
            return ApiError(504, f"the request did not finish within {self.cfg.request_timeout:g} s", "timeout_error",
                            "timeout")
        return ApiError(500 if out.finish_reason == "error" else 503, out.error or "generation failed", "server_error",
                        out.finish_reason)

    def check_results(self, results: Results) -> None:
        for _, _, out in results:
            if out.finish_reason not in ("stop", "length"):
                raise self.output_error(out)

    # ------------------------------------------------------------------ responses
    @staticmethod
    async def _wait_disconnect(request: Request) -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    @staticmethod
    async def _collect(queue: asyncio.Queue, n: int) -> Results:
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

    async def run_blocking(self, request: Request, engine: Engine, seqs: list[Sequence],
                           queue: asyncio.Queue) -> Results:
        """Await all sequences; if the client goes away first, cancel them."""
        work = asyncio.ensure_future(self._collect(queue, len(seqs)))
        watcher = asyncio.ensure_future(self._wait_disconnect(request))
        try:
            await asyncio.wait({work, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
        if not work.done():
            self.cancel_all(engine, seqs)
            work.cancel()
            raise ApiError(499, "client closed the request", "invalid_request_error", "client_closed")
        return work.result()

    def stream_response(
        self,
        engine: Engine,
        seqs: list[Sequence],
        queue: asyncio.Queue,
        first: Callable[[int], dict | None],
        chunk: Callable[[int, str, str | None, list[int]], bytes],
        final_usage: Callable[[dict[str, int]], dict] | None,
        with_ids: bool = False,
    ) -> StreamingResponse:
        """SSE: one event per output of any sequence, then usage (if asked) and [DONE].
        Outputs already queued are written together (one send per engine step, not per
        token); ``with_ids``: every token is in some event (its ``token_ids``), also one that
        completes no character yet. When the client disconnects Starlette cancels this generator and the
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
                                    buf.append(chunk(i, out.text, None, out.token_ids))
                                buf.append(sse(self.output_error(out).body))
                                continue
                        if out.text or out.finished or (out.token_ids and with_ids):
                            buf.append(chunk(i, out.text, out.finish_reason if out.finished else None,
                                             out.token_ids))
                    if not left:
                        if final_usage is not None:
                            buf.append(sse(final_usage(usage_json(p_tok, c_tok))))
                        buf.append(b"data: [DONE]\n\n")
                    if buf:
                        yield b"".join(buf)
            finally:
                self.cancel_all(engine, seqs)

        return StreamingResponse(gen(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
