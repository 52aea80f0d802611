"""The one logging setup of every sohoa process: text for a terminal, JSON lines for a log collector.

Each line carries the context it was written in — the HTTP request id (``X-Request-ID``, set by the API) and
the batch being digitized — held in context variables, so a line written deep in ``ingest.pipeline`` says which
upload it belongs to without every function passing ids along. Celery tasks carry both ids in their message
headers (``ingest.tasks``), so a worker's lines name the request that queued the work.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import traceback
from datetime import datetime, timezone

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("sohoa_request_id", default=None)
batch_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("sohoa_batch_id", default=None)
task: contextvars.ContextVar[str | None] = contextvars.ContextVar("sohoa_task", default=None)

_CONTEXT = {"request_id": request_id, "batch_id": batch_id, "task": task}
# attributes every LogRecord has: anything else given with ``extra=`` goes into the JSON object
# (and ``color_message``: uvicorn's copy of the message with terminal colours)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName", "ids",
                                                                          "color_message"} | set(_CONTEXT)


class ContextFilter(logging.Filter):
    """Copies the context variables onto each record (before any formatter runs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _CONTEXT.items():
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, context ids, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _CONTEXT:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human lines; the ids, when there are any, in brackets after the level."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{n}={getattr(record, n)}" for n in _CONTEXT if getattr(record, n, None)]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


def configure(log_format: str = "text", level: str = "INFO", stream=None) -> None:
    """Give the root logger one handler with sohoa's formatter; replaces whatever was there (idempotent)."""
    if log_format not in ("text", "json"):
        raise ValueError(f"log format must be text or json, not {log_format!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler._sohoa = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_sohoa", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "celery"):  # let them reach our handler instead of their own
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Alembic says which plugins it set up each time a process opens the catalogue: noise unless debugging
    logging.getLogger("alembic").setLevel(level if level == "DEBUG" else "WARNING")


def configure_from(settings) -> None:
    configure(settings.log_format, settings.log_level)


@contextlib.contextmanager
def context(**ids: str | None):
    """Set context ids (``request_id``, ``batch_id``, ``task``) for the lines logged inside the block."""
    tokens = [(_CONTEXT[name], _CONTEXT[name].set(value)) for name, value in ids.items() if value is not None]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
