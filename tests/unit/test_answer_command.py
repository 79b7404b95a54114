"""A slash command is answered in its ack when quick, through the response_url when slow."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from handlers import common
from handlers.common import CommandReply, answer_command


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def ack(self, **kwargs: Any) -> None:
        self.events.append(("ack", kwargs))

    async def respond(self, **kwargs: Any) -> None:
        self.events.append(("respond", kwargs))


async def test_a_quick_answer_rides_in_the_ack_and_follow_ups_come_after() -> None:
    seen = Recorder()

    async def follow_up() -> None:
        seen.events.append(("follow-up", {}))

    async def produce() -> CommandReply:
        return CommandReply({"text": "done"}, follow_up=follow_up)

    await answer_command(seen.ack, seen.respond, produce)
    assert seen.events == [("ack", {"response_type": "ephemeral", "text": "done"}), ("follow-up", {})]


async def test_a_slow_answer_acks_empty_first_then_responds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "ANSWER_IN_ACK_SECONDS", 0.01)
    seen = Recorder()

    async def produce() -> CommandReply:
        await asyncio.sleep(0.1)
        return CommandReply({"text": "late"})

    await answer_command(seen.ack, seen.respond, produce)
    assert seen.events == [("ack", {}), ("respond", {"response_type": "ephemeral", "text": "late"})]


async def test_a_failure_still_acks_then_reaches_the_error_handler() -> None:
    seen = Recorder()

    async def produce() -> CommandReply:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        await answer_command(seen.ack, seen.respond, produce)
    assert seen.events == [("ack", {})]


async def test_no_payload_means_an_empty_ack() -> None:
    seen = Recorder()

    async def produce() -> CommandReply:
        return CommandReply()

    await answer_command(seen.ack, seen.respond, produce)
    assert seen.events == [("ack", {})]
