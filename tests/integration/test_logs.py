"""Structured logs: JSON lines off a terminal, with the request's id, workspace, user and kind on every line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot import logs
from bot.console import demo
from tests.conftest import MakeHarness


class Captured(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.getvalue().splitlines() if line.strip()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    stream = Captured(terminal=False)
    logs.configure_logging(stream=stream)
    yield stream
    logging.getLogger().removeHandler(logs._installed)  # type: ignore[arg-type]
    logs._installed = None


async def test_each_request_logs_json_with_its_ids(make_harness: MakeHarness, captured: Captured) -> None:
    harness = await make_harness(hero_projects_channel=demo.CX_COUNCIL)  # the bot is not in that channel
    response = await harness.post(
        "/slack/events", data=b"", headers={"X-Request-Id": "lb-7f3a", "Content-Type": "application/json"}
    )
    assert response.headers["X-Request-Id"] == "lb-7f3a"
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")

    lines = captured.lines()
    answered = [line for line in lines if line["event"] == "answered slack request"]
    assert answered[0]["request_id"] == "lb-7f3a"
    command = answered[-1]
    assert command["kind"] == "command" and command["status"] == 200
    assert (command["team_id"], command["user_id"]) == (demo.TEAM_ID, demo.MAYA)
    assert command["level"] == "info" and command["logger"] == "herobot.requests" and "timestamp" in command
    # A listener's own line carries the same request id, workspace and user.
    warning = next(line for line in lines if line["event"].startswith(f"could not post to {demo.CX_COUNCIL}"))
    assert warning["level"] == "warning"
    assert (warning["request_id"], warning["team_id"], warning["user_id"]) == (
        command["request_id"],
        demo.TEAM_ID,
        demo.MAYA,
    )
    assert len({line["request_id"] for line in answered}) == 2


def test_a_terminal_gets_readable_lines_not_json() -> None:
    stream = Captured(terminal=True)
    logs.configure_logging(stream=stream)
    try:
        with logs.bind_request(request_id="abc123", team_id="T1"):
            logging.getLogger("herobot").info("hello %s", "there")
    finally:
        logging.getLogger().removeHandler(logs._installed)  # type: ignore[arg-type]
        logs._installed = None
    text = stream.getvalue()
    assert "hello there" in text and "abc123" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_an_exception_is_one_json_line_with_its_traceback_and_no_local_variables() -> None:
    stream = Captured(terminal=False)
    logs.configure_logging(stream=stream)
    try:
        token = "xoxb-secret-value"  # noqa: F841 — a local that must not reach the logs
        try:
            raise RuntimeError("database went away")
        except RuntimeError:
            logging.getLogger("herobot.scheduler").exception("scheduled job failed")
    finally:
        logging.getLogger().removeHandler(logs._installed)  # type: ignore[arg-type]
        logs._installed = None
    (line,) = stream.lines()
    assert line["event"] == "scheduled job failed" and "RuntimeError: database went away" in line["exception"]
    assert "xoxb-secret-value" not in stream.getvalue()


def test_a_request_id_from_outside_is_kept_only_when_it_looks_like_one() -> None:
    assert logs.new_request_id("lb-7f3a") == "lb-7f3a"
    made = logs.new_request_id("<script>alert(1)</script>")
    assert made != "<script>alert(1)</script>" and len(made) == 16


def test_a_line_keeps_its_own_values_over_bound_ids_and_writes_any_value() -> None:
    stream = Captured(terminal=False)
    logs.configure_logging(stream=stream)
    try:
        with logs.bind_request(request_id="abc123", team_id="T1"):
            logging.getLogger("herobot.outbox").warning(
                "posted for %s", "T2", extra={"team_id": "T2", "channels": {"C1"}, "took_ms": 3.5}
            )
    finally:
        logging.getLogger().removeHandler(logs._installed)  # type: ignore[arg-type]
        logs._installed = None
    (line,) = stream.lines()
    assert line["event"] == "posted for T2" and line["level"] == "warning" and line["logger"] == "herobot.outbox"
    assert (line["request_id"], line["team_id"], line["took_ms"]) == ("abc123", "T2", 3.5)
    assert line["channels"] == "{'C1'}"  # what JSON cannot hold is written as its repr
    assert line["timestamp"].endswith("Z")


def test_a_value_fast_json_refuses_is_still_written() -> None:
    stream = Captured(terminal=False)
    logs.configure_logging(stream=stream)
    try:
        logging.getLogger("herobot").info("counted", extra={"huge": 2**70, "keys": {1: "one"}})
    finally:
        logging.getLogger().removeHandler(logs._installed)  # type: ignore[arg-type]
        logs._installed = None
    (line,) = stream.lines()
    assert line["huge"] == 2**70 and line["keys"] == {"1": "one"}


def test_a_structlog_logger_and_a_stray_exception_flag_make_plain_lines() -> None:
    import structlog

    stream = Captured(terminal=False)
    logs.configure_logging(stream=stream)
    try:
        with logs.bind_request(request_id="abc123"):
            structlog.get_logger("herobot.jobs").info("folded", rows=3)
        logging.getLogger("herobot").error("no exception here", exc_info=True)  # outside any except
    finally:
        logging.getLogger().removeHandler(logs._installed)  # type: ignore[arg-type]
        logs._installed = None
    native, stray = stream.lines()
    assert (native["event"], native["rows"], native["request_id"], native["level"]) == ("folded", 3, "abc123", "info")
    assert "_logger" not in native and "_name" not in native
    assert stray["event"] == "no exception here" and "exception" not in stray
