"""Logging complaints from Slack: the command, the message shortcut and the complaint emoji, each once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.complaints.ids import ComplaintAction
from bot.console import demo
from bot.console.surfaces import find_element, texts
from storage.models import Complaint, ComplaintTag
from tests.blockkit import check_message, check_view
from tests.conftest import Harness

FEED_POST = "Angry customer <https://twitter.com/jane_doe/status/123?s=20|twitter.com/jane_doe/status/123>: my refund is 3 weeks late!"


async def complaints(harness: Harness) -> list[Complaint]:
    async with harness.database.unit_of_work() as session:
        return list((await session.scalars(select(Complaint).order_by(Complaint.id))).all())


def last_ephemeral(harness: Harness, user: str) -> str:
    shown = [e for e in harness.fake.ephemerals if e.user == user][-1]
    return shown.text + "\n" + texts(shown.blocks)


def thread_replies(harness: Harness, channel: str, ts: str) -> list[str]:
    return [
        m.text + "\n" + texts(m.blocks)
        for m in harness.fake.messages.get(channel, [])
        if m.thread_ts == ts and m.user == harness.fake.BOT_USER
    ]


async def test_add_logs_once_and_the_same_link_answers_with_the_existing_id(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/complaint", "add <https://x.com/jane_doe/status/123> refund is late")
    assert "Logged *COMP-1*" in last_ephemeral(harness, demo.MAYA)
    # The same post under another host name and with share parameters is the same complaint.
    await harness.slack.slash(demo.LEO, "/complaint", "add https://twitter.com/jane_doe/status/123/?s=20&t=abc")
    assert "Already logged as *COMP-1*" in last_ephemeral(harness, demo.LEO)
    stored = await complaints(harness)
    assert len(stored) == 1
    complaint = stored[0]
    assert (complaint.network, complaint.author, complaint.text) == ("twitter", "@jane_doe", "refund is late")
    assert (complaint.status, complaint.source, complaint.created_by) == ("new", "command", demo.MAYA)
    # Default severity medium: due 24 h after it was logged.
    assert (complaint.due_at - complaint.created_at).total_seconds() == 1440 * 60
    # No routing rule: the triage channel gets it with a Take it button.
    triage = harness.fake.messages[demo.TRIAGE]
    assert len(triage) == 1 and "COMP-1" in texts(triage[0].blocks)
    find_element(triage[0].blocks, "Take it")


async def test_add_without_anything_answers_with_the_usage(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/complaint", "add")
    assert "Give the post's link" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/complaint", "frobnicate")
    shown = last_ephemeral(harness, demo.MAYA)
    assert "I don't know `/complaint frobnicate`" in shown and "/complaint list" in shown
    assert await complaints(harness) == []


async def test_the_complaint_emoji_logs_a_message_once_whatever_the_reactions(harness: Harness) -> None:
    post = harness.fake.post_as_user(demo.LEO, demo.SOCIAL_FEED, FEED_POST)
    emoji = harness.settings.hero_complaint_emoji
    await harness.slack.react(demo.MAYA, post, emoji)
    await harness.slack.react(demo.LEO, post, emoji)  # another reactor
    envelope = harness.slack.reaction_event(demo.MAYA, post, emoji)
    await harness.slack.send_event(envelope)
    await harness.slack.send_event(envelope, retry=1)  # Slack's retry of the same event
    await harness.slack.react(demo.SAM, post, "eyes")  # another emoji does nothing
    stored = await complaints(harness)
    assert len(stored) == 1
    complaint = stored[0]
    assert (complaint.slack_channel, complaint.slack_ts, complaint.source) == (demo.SOCIAL_FEED, post.ts, "reaction")
    assert complaint.url == "https://twitter.com/jane_doe/status/123?s=20"
    assert (complaint.network, complaint.author) == ("twitter", "@jane_doe")
    replies = thread_replies(harness, demo.SOCIAL_FEED, post.ts)
    assert len(replies) == 1 and "Logged as *COMP-1*" in replies[0]
    reply = next(m for m in harness.fake.messages[demo.SOCIAL_FEED] if m.thread_ts == post.ts)
    check_message({"text": reply.text, "blocks": reply.blocks})
    assert complaint.thread_ts == reply.ts
    # Add details opens the same modal, editing COMP-1.
    block_id, button = find_element(reply.blocks, "Add details")
    await harness.slack.act(demo.MAYA, button, block_id, message=reply)
    modal = harness.fake.top_modal(demo.MAYA)
    assert modal is not None and modal.view["callback_id"] == ComplaintAction.MODAL
    check_view(modal.view)
    answer = await harness.slack.submit(demo.MAYA, {"severity": "critical", "tags": "Refunds, #Late Delivery"})
    assert answer.status == 200 and not answer.body
    stored = await complaints(harness)
    assert len(stored) == 1 and stored[0].severity == "critical"
    assert (stored[0].due_at - stored[0].created_at).total_seconds() == 60 * 60
    async with harness.database.unit_of_work() as session:
        tags = (await session.scalars(select(ComplaintTag.tag).order_by(ComplaintTag.tag))).all()
    assert tags == ["late-delivery", "refunds"]


async def test_a_reaction_on_a_thread_reply_is_read_from_its_thread(harness: Harness) -> None:
    parent = harness.fake.post_as_user(demo.LEO, demo.SOCIAL_FEED, "Thread about delivery")
    reply = harness.fake.post_as_user(
        demo.LEO, demo.SOCIAL_FEED, "Facebook post https://facebook.com/acme/posts/9 by @sam_k", thread_ts=parent.ts
    )
    await harness.slack.react(demo.MAYA, reply, harness.settings.hero_complaint_emoji)
    stored = await complaints(harness)
    assert len(stored) == 1 and stored[0].network == "facebook" and stored[0].author == "@sam_k"
    assert harness.fake.calls_to("conversations.replies")
    answer = [m for m in harness.fake.messages[demo.SOCIAL_FEED] if m.user == harness.fake.BOT_USER]
    assert len(answer) == 1 and answer[0].thread_ts == parent.ts


async def test_the_message_shortcut_prefills_and_logs_once(harness: Harness) -> None:
    post = harness.fake.post_as_user(demo.LEO, demo.SOCIAL_FEED, FEED_POST)
    await harness.slack.message_shortcut(demo.MAYA, ComplaintAction.SHORTCUT_LOG, post)
    modal = harness.fake.top_modal(demo.MAYA)
    assert modal is not None
    check_view(modal.view)
    blocks = {b["block_id"]: b for b in modal.view["blocks"] if b.get("block_id")}
    assert blocks["url"]["element"]["initial_value"] == "https://twitter.com/jane_doe/status/123?s=20"
    assert blocks["author"]["element"]["initial_value"] == "@jane_doe"
    assert blocks["network"]["element"]["initial_option"]["value"] == "twitter"
    assert "my refund is 3 weeks late" in blocks["text"]["element"]["initial_value"]
    # A bad link is refused inline, nothing is stored.
    refused = await harness.slack.submit(demo.MAYA, {"url": "not a link"})
    assert refused.json["response_action"] == "errors" and "url" in refused.json["errors"]
    assert await complaints(harness) == []
    await harness.slack.submit(demo.MAYA, {"severity": "high", "tags": "refunds", "region": "Nordics"})
    stored = await complaints(harness)
    assert len(stored) == 1
    assert (stored[0].severity, stored[0].region, stored[0].source) == ("high", "Nordics", "shortcut")
    replies = thread_replies(harness, demo.SOCIAL_FEED, post.ts)
    assert len(replies) == 1 and "COMP-1" in replies[0] and "complaints-triage" not in replies[0]
    assert f"<#{demo.TRIAGE}>" in replies[0]
    # The shortcut on the same message again opens COMP-1 for editing instead of logging a second one.
    await harness.slack.message_shortcut(demo.MAYA, ComplaintAction.SHORTCUT_LOG, post)
    again = harness.fake.top_modal(demo.MAYA)
    assert again is not None and "already *COMP-1*" in texts(again.view["blocks"])
    await harness.slack.submit(demo.MAYA, {})
    async with harness.database.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Complaint)) == 1


async def test_a_message_the_bot_cannot_read_is_not_logged_and_the_reactor_is_told(harness: Harness) -> None:
    post = harness.fake.post_as_user(demo.LEO, demo.CX_COUNCIL, "customer says hi")
    harness.fake.channels[demo.CX_COUNCIL].bot_is_member = True
    del harness.fake.channels[demo.CX_COUNCIL]  # a channel the fake cannot find
    await harness.slack.react(demo.MAYA, post, harness.settings.hero_complaint_emoji)
    assert await complaints(harness) == []
    dm = harness.fake.messages[harness.fake.dm_channel(demo.MAYA)]
    assert "could not read the message" in dm[-1].text


async def test_a_concurrent_insert_of_the_same_post_is_read_back_not_duplicated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.complaints.service import ComplaintDraft
    from handlers.complaints_flow import log_drafts
    from storage.repositories import complaints as repository

    runtime = harness.hero.runtime
    draft = ComplaintDraft(text="late", url="https://x.com/a/status/77", network="twitter").validated()
    first = await log_drafts(runtime, runtime.client, demo.TEAM_ID, demo.MAYA, [draft])
    real = repository.known_complaints
    calls: list[int] = []

    def misses_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return [] if len(calls) == 1 else real(*args, **kwargs)

    # As if another instance committed the same post between our look-up and our insert.
    monkeypatch.setattr(repository, "known_complaints", misses_once)
    second = await log_drafts(runtime, runtime.client, demo.TEAM_ID, demo.LEO, [draft])
    assert len(calls) == 2
    assert second[0].created is False and second[0].complaint.id == first[0].complaint.id
    assert len(await complaints(harness)) == 1


async def test_a_write_that_fails_after_logging_leaves_no_complaint_tag_or_audit_row(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.complaints import service
    from bot.complaints.service import ComplaintDraft
    from handlers.complaints_flow import log_drafts
    from storage.models import AuditEvent

    runtime = harness.hero.runtime
    draft = ComplaintDraft(text="late", url="https://x.com/a/status/78", tags=["refunds"]).validated()

    def fails(*_args: Any) -> None:
        raise RuntimeError("after the complaint and its tags")

    # The audit row is written last: the complaint and its tags are in by then, and must go with it.
    with monkeypatch.context() as patched:
        patched.setattr(service, "insert_events", fails)
        with pytest.raises(RuntimeError):
            await log_drafts(runtime, runtime.client, demo.TEAM_ID, demo.MAYA, [draft])
    assert await complaints(harness) == []
    async with harness.database.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(ComplaintTag)) == 0
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    [logged] = await log_drafts(runtime, runtime.client, demo.TEAM_ID, demo.MAYA, [draft])
    assert logged.created and logged.tags == ["refunds"]
    async with harness.database.unit_of_work() as session:
        tags = (
            await session.scalars(select(ComplaintTag.tag).where(ComplaintTag.complaint_id == logged.complaint.id))
        ).all()
        events = (await session.scalars(select(AuditEvent).where(AuditEvent.entity_id == logged.complaint.id))).all()
    assert list(tags) == ["refunds"]
    assert [(e.entity_type, e.action, e.after["tags"]) for e in events] == [("complaint", "created", ["refunds"])]
