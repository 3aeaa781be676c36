"""OpenAI-compatible request and response shapes (the subset the server implements).

Requests are validated with pydantic. A parameter the server does not implement is refused
(400 naming it), as OpenAI refuses an unrecognized argument, rather than ignored: ignoring
``best_of``, ``tools`` or ``response_format`` would return something other than what the client
asked for. The OpenAI parameters declared below with a neutral value (``best_of: 1``,
``tools: []``, ``tool_choice: "none"``, ``response_format: {"type": "text"}``, ...) are accepted
at that value only; ``user`` (an end-user id for abuse monitoring) is accepted. Wrong types and
out-of-range values are rejected with an OpenAI-style error (see ``ErrorBody``).
Responses are plain dicts and SSE bytes built by ``CompletionFormat`` and ``ChatFormat``
(one object per response, holding its id, creation time and model): a per-token stream
event is a string template rather than a pydantic model, since it is written for every token.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

__all__ = [
    "ChatCompletionRequest",
    "ChatFormat",
    "ChatMessage",
    "CompletionFormat",
    "CompletionRequest",
    "ErrorBody",
    "StreamOptions",
    "UnsupportedParameter",
    "error_json",
    "new_id",
    "now",
    "sse",
    "usage_json",
]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def now() -> int:
    return int(time.time())


def _same(value: Any, neutral: Any) -> bool:
    """JSON equality without Python's bool == int (``true`` is not ``1``)."""
    if isinstance(value, bool) or isinstance(neutral, bool):
        return type(value) is type(neutral) and value == neutral
    return value == neutral


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# OpenAI parameters the engine does not implement, with the values that ask for nothing
# (a client may send them explicitly): any other value is refused, naming the parameter.
NEUTRAL: dict[str, tuple[Any, ...]] = {
    "best_of": (None, 1),
    "suffix": (None, ""),
    "tools": (None, []),
    "tool_choice": (None, "none"),
    "parallel_tool_calls": (None,),
    "functions": (None, []),
    "function_call": (None, "none"),
    "response_format": (None, {"type": "text"}),
    "logprobs": (None, False, 0),
    "top_logprobs": (None, 0),
    "presence_penalty": (None, 0, 0.0),
    "frequency_penalty": (None, 0, 0.0),
    "logit_bias": (None, {}),
}


class UnsupportedParameter(ValueError):
    """A parameter this server does not implement was given a value other than its neutral one."""

    def __init__(self, param: str) -> None:
        super().__init__(f"'{param}' is not supported by this server (accepted only as "
                         f"{' or '.join(json.dumps(v) for v in NEUTRAL[param] if v is not None) or 'null'})")
        self.param = param


class StreamOptions(_Base):
    include_usage: StrictBool = False


class SamplingFields(_Base):
    model: str | None = None
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    temperature: float = Field(default=1.0, ge=0.0, le=2.0, strict=True)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0, strict=True)
    n: StrictInt = Field(default=1, ge=1, le=1)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    stop: str | list[str] | None = None
    # int64, as OpenAI documents it (torch.Generator takes 64 bits)
    seed: StrictInt | None = Field(default=None, ge=INT64_MIN, le=INT64_MAX)
    user: str | None = None
    # extension (as in vLLM): keep generating past the end-of-text token, for benchmarks
    ignore_eos: StrictBool = False

    @model_validator(mode="before")
    @classmethod
    def _unsupported(cls, data: Any) -> Any:
        """Refuse a non-neutral value of a parameter the engine does not implement (before
        field validation, so the error names it whatever its type)."""
        if isinstance(data, dict):
            for param in sorted(NEUTRAL.keys() & data.keys()):
                if not any(_same(data[param], v) for v in NEUTRAL[param]):
                    raise UnsupportedParameter(param)
            data = {k: v for k, v in data.items() if k not in NEUTRAL}
        return data

    @field_validator("temperature", "top_p", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        # JSON numbers only: reject strings ("0.5") and booleans, accept ints as floats.
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError("must be a number")
        try:
            return float(v)
        except OverflowError:  # an integer too large for a float: a 400, not a 500
            raise ValueError("must be a number in range") from None

    @field_validator("stop")
    @classmethod
    def _stop(cls, v: str | list[str] | None) -> list[str] | None:
        if v is None:
            return None
        stops = [v] if isinstance(v, str) else list(v)
        if len(stops) > 4:
            raise ValueError("at most 4 stop sequences are allowed")
        if any(s == "" for s in stops):
            raise ValueError("stop sequences must not be empty")
        return stops

    def stop_list(self) -> list[str]:
        return list(self.stop or [])  # type: ignore[arg-type]

    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class CompletionRequest(SamplingFields):
    # A prompt is a string, a list of strings, a list of token ids or a list of token-id lists.
    prompt: str | list[str] | list[StrictInt] | list[list[StrictInt]]
    echo: StrictBool = False
    # extension (as in vLLM): stream chunks carry their token ids (benchmarks count tokens)
    return_token_ids: StrictBool = False

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, v: Any) -> Any:
        if isinstance(v, list) and len(v) == 0:
            raise ValueError("prompt must not be empty")
        if isinstance(v, list) and v and isinstance(v[0], list) and any(len(p) == 0 for p in v):
            raise ValueError("token-id prompts must not be empty")
        return v

    def prompts(self) -> list[str | list[int]]:
        """The prompt as a list of prompts (each a string or a list of token ids)."""
        p = self.prompt
        if isinstance(p, str):
            return [p]
        if p and isinstance(p[0], int):
            return [list(p)]  # type: ignore[arg-type]
        return list(p)  # type: ignore[arg-type]


class ChatMessage(_Base):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    # OpenAI allows content parts ([{"type": "text", "text": ...}]); text parts are joined.
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        parts = []
        for part in self.content:
            if part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise ValueError("only text content parts are supported")
            parts.append(part["text"])
        return "".join(parts)


class ChatCompletionRequest(SamplingFields):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)

    def effective_max_tokens(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


class ErrorBody(_Base):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


def error_json(message: str, type_: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope: {"error": {"message", "type", "param", "code"}}."""
    return {"error": ErrorBody(message=message, type=type_, param=param, code=code).model_dump()}


# ---------------------------------------------------------------------- responses
def usage_json(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def sse(obj: Any) -> bytes:
    """One server-sent event carrying ``obj`` as compact JSON."""
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


class CompletionFormat:
    """The ``text_completion`` objects of one /v1/completions response."""

    def __init__(self, model: str) -> None:
        self.id, self.created, self.model = new_id("cmpl"), now(), model
        # the per-token event is a template filled with two json.dumps of short values
        self._head = (f'data: {{"id":"{self.id}","object":"text_completion","created":{self.created},'
                      f'"model":{json.dumps(model)},"choices":[{{"index":')

    def _envelope(self) -> dict[str, Any]:
        return {"id": self.id, "object": "text_completion", "created": self.created, "model": self.model}

    def response(self, choices: list[tuple[str, str | None, list[int]]], usage: dict[str, int]) -> dict[str, Any]:
        """``choices``: (text, finish_reason, token_ids) per prompt."""
        return {**self._envelope(),
                "choices": [{"index": i, "text": text, "logprobs": None, "finish_reason": reason, "token_ids": ids}
                            for i, (text, reason, ids) in enumerate(choices)],
                "usage": usage}

    def stream_first(self, index: int, echo: str) -> dict[str, Any] | None:
        """The event before any generated text: the echoed prompt, if asked for."""
        if not echo:
            return None
        return {**self._envelope(),
                "choices": [{"index": index, "text": echo, "logprobs": None, "finish_reason": None}]}

    def stream_chunk(self, index: int, text: str, reason: str | None, ids: list[int] | None = None) -> bytes:
        return (f'{self._head}{index},"text":{json.dumps(text)},"logprobs":null,'
                f'"finish_reason":{json.dumps(reason)}}}]}}\n\n').encode()

    def stream_chunk_ids(self, index: int, text: str, reason: str | None, ids: list[int] | None = None) -> bytes:
        """A chunk with this event's ``token_ids`` (``return_token_ids``, as vLLM)."""
        return (f'{self._head}{index},"text":{json.dumps(text)},"logprobs":null,'
                f'"finish_reason":{json.dumps(reason)},"token_ids":{json.dumps(ids or [])}}}]}}\n\n').encode()

    def stream_usage(self, usage: dict[str, int]) -> dict[str, Any]:
        return {**self._envelope(), "choices": [], "usage": usage}


class ChatFormat:
    """The ``chat.completion`` (and ``chat.completion.chunk``) objects of one chat response."""

    def __init__(self, model: str) -> None:
        self.id, self.created, self.model = new_id("chatcmpl"), now(), model
        self._head = (f'data: {{"id":"{self.id}","object":"chat.completion.chunk","created":{self.created},'
                      f'"model":{json.dumps(model)},"choices":[{{"index":')

    def _envelope(self, obj: str) -> dict[str, Any]:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model}

    def response(self, text: str, reason: str | None, usage: dict[str, int]) -> dict[str, Any]:
        return {**self._envelope("chat.completion"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None,
                             "finish_reason": reason}],
                "usage": usage}

    def stream_first(self, index: int) -> dict[str, Any]:
        """The first event: the assistant role, no content yet."""
        return {**self._envelope("chat.completion.chunk"),
                "choices": [{"index": index, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                             "finish_reason": None}]}

    def stream_chunk(self, index: int, text: str, reason: str | None, ids: list[int] | None = None) -> bytes:
        delta = f'{{"content":{json.dumps(text)}}}' if text else "{}"
        return (f'{self._head}{index},"delta":{delta},"logprobs":null,'
                f'"finish_reason":{json.dumps(reason)}}}]}}\n\n').encode()

    def stream_usage(self, usage: dict[str, int]) -> dict[str, Any]:
        return {**self._envelope("chat.completion.chunk"), "choices": [], "usage": usage}
