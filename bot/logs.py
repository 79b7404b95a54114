"""Structured logs: one JSON object per line when standard error is not a terminal (a container, a log
shipper; `JsonLines`), readable coloured lines on a terminal (structlog's console renderer). Every `logging`
logger of the bot and its libraries goes through the one handler, so the request id, workspace (team_id),
user and request kind bound for the current request (`bind_request`) appear on every line that request
writes, in its listeners too.

Logs go to standard error: standard output stays clean for `herobot manifest` and exports.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

import orjson
import structlog

_installed: logging.Handler | None = None

QUIET_LOGGERS = {"alembic": logging.WARNING, "apscheduler": logging.WARNING, "aiohttp.access": logging.WARNING}


def configure_logging(
    *, stream: TextIO | None = None, json_lines: bool | None = None, level: int = logging.INFO
) -> None:
    if json_lines is None:
        json_lines = not _is_terminal(stream or sys.stderr)
    shared: list[Any] = [
        merge_request_ids,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    formatter: logging.Formatter = (
        JsonLines()
        if json_lines
        else structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=_is_terminal(stream or sys.stderr)),
            ],
        )
    )
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    global _installed
    # Only our own handler is replaced: others (a test runner's capture, say) are left in place.
    if _installed is not None:
        root.removeHandler(_installed)
    _installed = handler
    root.addHandler(handler)
    root.setLevel(level)
    # What no line shows is not collected for each record (the logging HOWTO's "Optimization" table): the
    # caller's file and line (a walk up the stack), thread, process and multiprocessing names.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# What every LogRecord has; anything else on a record came from `extra=` and goes on the line.
# structlog's own loggers add `_logger` and `_name` (`wrap_for_formatter`).
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "_logger", "_name"}


class JsonLines(logging.Formatter):
    """One JSON object per record: the event, the ids bound for the request, level, logger, the record's
    `extra=` values, an ISO timestamp in UTC and, for an exception, its plain traceback (never its local
    variables, which may hold tokens). The same keys as structlog's JSON renderer behind its stdlib
    formatter, in a third of the time: that formatter copies each record twice before rendering it, and
    the line every request writes was a tenth of a short request's work. orjson writes the line: an
    `extra=` datetime, UUID or enum appears as its ISO form or value (the standard library wrote its
    repr), anything else orjson cannot write as its repr."""

    def format(self, record: logging.LogRecord) -> str:
        # A structlog logger's line arrives as its event dict (`wrap_for_formatter`); a `logging` one as text.
        event: dict[str, Any] | None = record.msg if isinstance(record.msg, dict) else None
        text = record.getMessage() if event is None else str(event.get("event", ""))
        line: dict[str, Any] = {"event": text, **_bound.get()}
        line["level"] = record.levelname.lower()
        line["logger"] = record.name
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS:
                line[key] = value  # a line's own value wins over a bound id
        if event is not None:
            line.update((key, value) for key, value in event.items() if key != "event")
        line["timestamp"] = datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z")
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = record.stack_info
        try:
            return orjson.dumps(line, default=repr, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # what orjson refuses (an integer past 64 bits…): the standard library writes it
            return json.dumps(line, default=repr)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test runner swaps it per test)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id(proposed: str | None = None) -> str:
    """A load balancer's X-Request-Id when it looks like one, so lines join up across systems; else a new id."""
    if proposed and _REQUEST_ID.match(proposed):
        return proposed
    # 64 random bits, as hex: the same shape as before (a uuid4's first 16 digits) without a system call
    # and a UUID object per request. A correlation id, not a secret.
    return f"{random.getrandbits(64):016x}"


# The ids bound for the current request or job, as one mapping in one context variable: binding and
# reading them is one lookup, where structlog's own context variables cost a variable per key and a walk
# over the whole context on every log line.
_bound: ContextVar[MappingProxyType[str, str]] = ContextVar("herobot_log_ids", default=MappingProxyType({}))


def current_request_id() -> str | None:
    return _bound.get().get("request_id")


@contextmanager
def bind_request(**ids: str | None) -> Iterator[None]:
    """Bind ids for the current request (and tasks it spawns); unset values are left out."""
    token = _bound.set(MappingProxyType({**_bound.get(), **{k: v for k, v in ids.items() if v}}))
    try:
        yield
    finally:
        _bound.reset(token)


def merge_request_ids(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The structlog processor that puts the bound ids on every line (a line's own values win)."""
    for key, value in _bound.get().items():
        event_dict.setdefault(key, value)
    return event_dict
