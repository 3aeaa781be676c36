"""Structured JSON logs: one JSON object per line on stdout, with time, level, rank, event."""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from typing import Any

_LOGGER = logging.getLogger("aiinfra")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "rank": int(os.environ.get("RANK", "0")),
            "pid": record.process,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=_default, allow_nan=False)


def _default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at emit time (it may be replaced, e.g. by pytest)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def setup_logging(level: str = "INFO") -> logging.Logger:
    if not any(isinstance(h.formatter, JsonFormatter) for h in _LOGGER.handlers):
        handler = _StdoutHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        _LOGGER.addHandler(handler)
        _LOGGER.propagate = False
    _LOGGER.setLevel(os.environ.get("AIINFRA_LOG_LEVEL", level).upper())
    return _LOGGER


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    _LOGGER.log(level, event, extra={"fields": {k: _clean(v) for k, v in fields.items()}})


def now() -> float:
    return time.time()


_REDACTED: list[str] = []
_BASE_FACTORY = logging.getLogRecordFactory()


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _BASE_FACTORY(*args, **kwargs)
    if not _REDACTED:
        return record
    message = record.getMessage()
    exc_text = logging.Formatter().formatException(record.exc_info) if record.exc_info else None
    if any(s in message or (exc_text and s in exc_text) for s in _REDACTED):
        for s in _REDACTED:
            message = message.replace(s, "[redacted]")
            exc_text = exc_text.replace(s, "[redacted]") if exc_text else exc_text
        record.msg, record.args = message, None
        if exc_text:
            record.exc_text = exc_text  # formatters print exc_text when set instead of formatting exc_info again
    return record


def redact_in_logs(secrets: list[str]) -> None:
    """Replace each of ``secrets`` (e.g. the server's API keys) with ``[redacted]`` in every log record of this
    process, its message and its exception text, whichever logger or handler writes it."""
    _REDACTED[:] = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)
