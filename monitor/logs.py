"""Structured logs (structlog): JSON lines for machines, console for people; secrets masked."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

import structlog

from monitor import redaction


def _redact(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    return {key: _masked(value) for key, value in event.items()}


def _masked(value: Any) -> Any:
    """`value` with secrets masked at every depth. Containers are copied, not changed in place: they may be
    the caller's own data (a notification's alerts)."""
    if isinstance(value, str):
        return redaction.redact(value)
    if isinstance(value, BaseException):
        return redaction.redact(str(value))
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_masked(item) for item in value)
    if isinstance(value, list | set | frozenset):
        return [_masked(item) for item in value]
    return value


def configure(log_format: str | None = None, level: str = "INFO", stream: Any = None) -> None:
    """`log_format` None means console on a terminal, JSON otherwise."""
    stream = stream or sys.stderr
    if log_format is None:
        log_format = "console" if getattr(stream, "isatty", lambda: False)() else "json"
    renderer: Any = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact,
    ]
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, *shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=_Unbreakable(stream)),
        cache_logger_on_first_use=False,
    )
    # Libraries that log through `logging` (alembic, httpx) come out in the same format, masked too.
    handler = logging.StreamHandler(_Unbreakable(stream))
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


class _Unbreakable:
    """A log stream whose failures (a closed pipe, journald restarting) never fail the caller's work."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):
            return 0

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()
