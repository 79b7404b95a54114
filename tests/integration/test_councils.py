"""Councils from the outside: the modal, who may change them, previews, posting a digest with its chart."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.console import demo
from bot.console.surfaces import find_element
from storage.models import AuditEvent, Council
from tests.conftest import Harness
from tests.integration.council_helpers import (
    channel_messages,
    last_ephemeral,
    open_and_submit,
    runs,
    seed_activity,
    shown,
)

# A Sunday: the weekly (Monday 09:00, Stockholm) period so far began six days ago.
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


async def councils(harness: Harness) -> list[Council]:
    async with harness.database.unit_of_work() as session:
        return list((await session.scalars(select(Council))).all())


async def test_an_admin_creates_a_council_with_the_modal(harness: Harness) -> None:
    harness.hero.runtime.now = lambda: NOW
    await harness.slack.slash(demo.SAM, "/council", "create")
    modal = harness.fake.top_modal(demo.SAM)
    assert modal is not None and modal.view["title"]["text"] == "New council"
    zone = next(b for b in modal.view["blocks"] if b["block_id"] == "zone")
    assert zone["element"]["initial_value"] == "America/New_York"  # Sam's own, from users.info
    reply = await harness.slack.submit(
        demo.SAM,
        {
            "name": "CX council",
            "channel": demo.CX_COUNCIL,
            "frequency": "weekly",
            "weekday": "0",
            "time": "09:00",
            "zone": "Europe/Stockholm",
            "sections": ["projects", "complaints", "risk"],
        },
    )
    assert reply.status == 200 and "errors" not in reply.json
    [council] = await councils(harness)
    assert (council.name, council.channel_id, council.frequency, council.weekday, council.at_time) == (
        "CX council",
        demo.CX_COUNCIL,
        "weekly",
        0,
        "09:00",
    )
    assert council.timezone == "Europe/Stockholm" and council.sections == "projects,complaints,risk"
    # #cx-council is public and the bot was not in it: it joins by itself
    assert [c["channel"] for c in harness.fake.calls_to("conversations.join")] == [demo.CX_COUNCIL]
    confirmation = last_ephemeral(harness, demo.SAM)
    assert "Created the council *CX council*" in confirmation and "I joined <#C0CXCOUNCIL>" in confirmation
    assert "weekly on Monday at 09:00 (Europe/Stockholm)" in confirmation
    await harness.slack.slash(demo.MAYA, "/council", "list")
    listed = last_ephemeral(harness, demo.MAYA)
    # the next run, Monday 16 June 09:00 in Stockholm, shown in each reader's own time zone
    assert "*CX council* → <#C0CXCOUNCIL>" in listed and "<!date^1750057200^" in listed
    async with harness.database.unit_of_work() as session:
        audit = (await session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "council"))).all()
    assert [(a.action, a.actor_id) for a in audit] == [("created", demo.SAM)]


async def test_a_non_admin_is_refused_whatever_the_payload_says(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/council", "create")
    assert "Only admins can create councils" in last_ephemeral(harness, demo.MAYA)
    assert harness.fake.top_modal(demo.MAYA) is None
    # Maya replays the form Sam was given: the server still asks Slack who she is.
    await harness.slack.slash(demo.SAM, "/council", "create")
    modal = harness.fake.top_modal(demo.SAM)
    assert modal is not None
    harness.fake.modals[demo.MAYA] = [modal]
    from tests.integration.council_helpers import MODAL_VALUES

    reply = await harness.slack.submit(demo.MAYA, MODAL_VALUES)
    assert "Only admins" in reply.json["errors"]["name"]
    assert await councils(harness) == []
    for words in ("pause CX council", "post CX council", "delete CX council", "edit CX council"):
        await harness.slack.slash(demo.LEO, "/council", words)
        assert "Only admins" in last_ephemeral(harness, demo.LEO)


async def test_invalid_fields_get_inline_errors(harness: Harness) -> None:
    cases = [
        ({"frequency": "cron", "cron": "every monday"}, "cron", "not a valid cron expression"),
        ({"frequency": "cron", "cron": "*/5 * * * *"}, "cron", "more than once an hour"),
        ({"zone": "Mars/Olympus_Mons"}, "zone", "I don't know the time zone"),
        ({"time": "25:61"}, "time", "HH:MM"),
        ({"frequency": "monthly", "day": ""}, "day", "day of the month"),
        ({"sections": []}, "sections", "at least one section"),
    ]
    for values, field, message in cases:
        reply = await open_and_submit(harness, **values)
        assert message in reply.json["errors"][field], (values, reply.json)
        harness.fake.modals.pop(demo.SAM, None)
    assert await councils(harness) == []
    assert "errors" not in (await open_and_submit(harness)).json
    reply = await open_and_submit(harness, name="  cx   COUNCIL ")
    assert "There is already a council called “CX council”" in reply.json["errors"]["name"]
    assert len(await councils(harness)) == 1


async def test_usage_on_unknown_or_malformed_input(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/council", "frobnicate")
    assert "I don't know `/council frobnicate`" in last_ephemeral(harness, demo.MAYA)
    assert "/council preview &lt;name&gt;" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/council", "preview")
    assert "Name the council, e.g. `/council preview CX council`" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/council", "show Nobody")
    assert "There is no council “Nobody”" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/council", "list")
    assert "No councils yet. An admin creates one with `/council create`" in last_ephemeral(harness, demo.MAYA)


async def test_preview_posts_nothing_and_post_posts_one_digest_with_its_chart(harness: Harness) -> None:
    harness.hero.runtime.now = lambda: NOW
    await open_and_submit(harness)
    [council] = await councils(harness)
    await seed_activity(harness.database, NOW, council_id=council.id)

    await harness.slack.slash(demo.MAYA, "/council", "preview cx council")
    preview = last_ephemeral(harness, demo.MAYA)
    assert "Preview, only for you" in preview and "CX council — digest" in preview
    assert channel_messages(harness) == []

    await harness.slack.slash(demo.SAM, "/council", "post CX council")
    assert "Posted the digest of *CX council*" in last_ephemeral(harness, demo.SAM)
    [digest] = channel_messages(harness)
    text = shown(digest)
    for expected in (
        "*Started*\n1  =",  # projects: one started this week, one the week before
        "*Launched*\n1  ▲ 1",
        "*Stalled (no note for 14 days)*\n1  ▲ 1",
        "HERO-1 Answer refund tweets — launched",  # this council's project
        "*Opened*\n3  ▲ 2",
        "*Resolved*\n1  ▲ 1",
        "*Overdue (first response late)*\n1  ▲ 1",
        "*Median time to first response*\n60 min  ▲ 50 min",
        "*Answered within SLA*\n67 %  ▼ 33 pts",
        "*Crisis alerts*\n1  ▲ 1",
        "`refunds` 2 · `delivery` 1",
        "Twitter / X 2 · Facebook 1",
        "*Waiting for IT*\n1  ▲ 1",
        "*Decided*\n1  ▲ 1\n1 approved",
        "RISK-2 for HERO-2, waiting 5.0 days",
    ):
        assert expected in text, expected
    assert digest.text.startswith("CX council digest: 1 projects started, 3 complaints opened")
    # the chart, uploaded the new way, in the digest's thread
    [upload] = harness.fake.uploads.values()
    assert upload["bytes"][:8] == b"\x89PNG\r\n\x1a\n" and upload["length"] == len(upload["bytes"])
    [chart] = [m for m in harness.fake.messages[demo.CX_COUNCIL] if m.files]
    assert chart.thread_ts == digest.ts
    assert harness.fake.calls_to("files.completeUploadExternal")[0]["thread_ts"] == digest.ts
    assert await runs(harness.database) == []  # posting now does not take a scheduled period


async def test_pause_resume_show_and_delete_with_a_confirmation(harness: Harness) -> None:
    await open_and_submit(harness)
    await harness.slack.slash(demo.SAM, "/council", "pause CX council")
    assert "Paused *CX council*" in last_ephemeral(harness, demo.SAM)
    await harness.slack.slash(demo.SAM, "/council", "pause CX council")
    assert "already paused" in last_ephemeral(harness, demo.SAM)
    await harness.slack.slash(demo.MAYA, "/council", "show cx council")
    assert ":double_vertical_bar: paused" in last_ephemeral(harness, demo.MAYA)
    assert "No digest has run yet" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.SAM, "/council", "resume CX council")
    assert "Resumed *CX council*" in last_ephemeral(harness, demo.SAM)

    await harness.slack.slash(demo.SAM, "/council", "delete CX council")
    confirmation = [e for e in harness.fake.ephemerals if e.user == demo.SAM][-1]
    block_id, button = find_element(confirmation.blocks, "Delete")
    # Leo presses a copy of Sam's button: refused on the server
    await harness.slack.act_on_ephemeral(demo.LEO, demo.GENERAL, button, block_id)
    assert "Only admins can delete councils" in last_ephemeral(harness, demo.LEO)
    assert len(await councils(harness)) == 1
    await harness.slack.act_on_ephemeral(demo.SAM, demo.GENERAL, button, block_id)
    assert await councils(harness) == []


async def test_a_project_names_its_council_in_the_modal_and_the_digest_lists_it(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new")
    modal = harness.fake.top_modal(demo.MAYA)
    assert modal is not None and all(b.get("block_id") != "council" for b in modal.view["blocks"])  # no council yet
    await harness.slack.close(demo.MAYA)
    await open_and_submit(harness)
    [council] = await councils(harness)
    await harness.slack.slash(demo.MAYA, "/hero", "new")
    modal = harness.fake.top_modal(demo.MAYA)
    assert modal is not None
    picker = next(b for b in modal.view["blocks"] if b.get("block_id") == "council")
    assert picker["optional"] and [o["text"]["text"] for o in picker["element"]["options"]] == ["CX council"]
    reply = await harness.slack.submit(
        demo.MAYA,
        {
            "title": "Answer refund tweets",
            "problem": "",
            "network": "twitter",
            "success": "x",
            "council": str(council.id),
        },
    )
    assert "errors" not in reply.json
    await harness.slack.slash(demo.MAYA, "/council", "preview CX council")
    assert "*This council's projects (1)*\n• HERO-1 Answer refund tweets — proposed" in last_ephemeral(
        harness, demo.MAYA
    )
    # a forged council of another workspace (or a deleted one) is refused on its field
    await harness.slack.slash(demo.MAYA, "/hero", "new")
    forged = harness.fake.top_modal(demo.MAYA)
    assert forged is not None
    picker = next(b for b in forged.view["blocks"] if b.get("block_id") == "council")
    picker["element"]["options"].append({"text": {"type": "plain_text", "text": "Theirs"}, "value": "999"})
    reply = await harness.slack.submit(
        demo.MAYA, {"title": "Another one", "network": "twitter", "success": "x", "council": "999"}
    )
    assert "That council no longer exists" in reply.json["errors"]["council"]
