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
