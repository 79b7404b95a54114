"""The production ack's own encoding of a reply, against what Bolt's ack answers for the same call."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.models.blocks import SectionBlock

from bot.ack_runner import SignallingAck

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "Café “refund” 🚚"}}]


async def both(*args: Any, **kwargs: Any) -> tuple[Any, Any, SignallingAck]:
    ours, bolts = SignallingAck(), AsyncAck()
    mine, theirs = await ours(*args, **kwargs), await bolts(*args, **kwargs)
    assert ours.acked.is_set() and ours.response is mine
    assert mine.status == theirs.status and mine.headers == theirs.headers
    return json.loads(mine.body), json.loads(theirs.body), ours


async def test_a_reply_with_blocks_is_the_same_json_as_bolts_written_as_utf8() -> None:
    mine, theirs, ours = await both("Logged", blocks=BLOCKS, response_type="ephemeral")
    assert mine == theirs and list(mine) == list(theirs) == ["text", "response_type", "blocks"]
    assert ours.response is not None and "Café “refund” 🚚" in ours.response.body


async def test_what_it_does_not_encode_itself_goes_to_bolt_unchanged() -> None:
    for args, kwargs in [
        (("Logged",), {}),  # text alone
        (("Logged", [SectionBlock(text="hi")]), {}),  # slack_sdk Block objects
        (("Logged", BLOCKS), {"unfurl_links": False}),
        (({"text": "whole", "response_type": "in_channel"},), {}),
        (("Refund \ud800 late", BLOCKS), {}),  # a lone surrogate, which orjson refuses
    ]:
        ours, bolts = SignallingAck(), AsyncAck()
        mine, theirs = await ours(*args, **kwargs), await bolts(*args, **kwargs)
        assert (mine.status, mine.body, mine.headers) == (theirs.status, theirs.body, theirs.headers), (args, kwargs)
        assert ours.acked.is_set()


async def test_blocks_given_one_by_one_are_all_sent() -> None:
    ours = SignallingAck()
    response = await ours("Logged", (block for block in BLOCKS), response_type="ephemeral")
    assert json.loads(response.body)["blocks"] == BLOCKS


async def test_an_empty_ack_stays_empty() -> None:
    ours = SignallingAck()
    response = await ours()
    assert (response.status, response.body) == (200, "") and ours.acked.is_set()
