"""Production mode (`process_before_response=False`): the answer goes back in the ack as soon as the
listener acks, and the work after it (announcements) still happens."""

from __future__ import annotations

from bot.console import demo
from tests.conftest import MakeHarness


async def test_a_command_answers_in_its_ack_and_announces_afterwards(make_harness: MakeHarness) -> None:
    harness = await make_harness(process_before_response=False)
    created = await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    assert created.status == 200
    assert "HERO-1" in created.json["text"]
    await harness.fake.wait_for(lambda: bool(harness.fake.messages.get(demo.PROJECTS)))
    assert [m.text for m in harness.fake.messages[demo.PROJECTS]] == ["New HERO project HERO-1: Refund tweets"]

    listed = await harness.slack.slash(demo.MAYA, "/hero", "list all")
    assert listed.json["text"] == "All HERO projects: 1"
    assert listed.json["response_type"] == "ephemeral"
    assert "Refund tweets" in str(listed.json["blocks"])


async def test_an_answer_in_the_ack_keeps_every_character(make_harness: MakeHarness) -> None:
    harness = await make_harness(process_before_response=False)
    title = 'Café “refund” tweets 🚚 — naïve <b> & \\ "quotes"'
    await harness.slack.slash(demo.MAYA, "/hero", f"new {title}")
    listed = await harness.slack.slash(demo.MAYA, "/hero", "list all")
    assert list(listed.json) == ["text", "response_type", "blocks"]
    assert "Café “refund” tweets 🚚" in listed.body  # written as UTF-8, not as \\u escapes
    shown = str(listed.json["blocks"])
    assert "Café “refund” tweets 🚚 — naïve" in shown and '\\\\ "quotes"' in shown


async def test_a_button_is_acked_empty_and_its_modal_opens_after(make_harness: MakeHarness) -> None:
    harness = await make_harness(process_before_response=False)
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    button = {
        "type": "button",
        "action_id": "hero_project_view",
        "value": "1",
        "text": {"type": "plain_text", "text": "View"},
    }
    reply = await harness.slack.act_on_ephemeral(demo.MAYA, demo.GENERAL, button, "project-1")
    assert (reply.status, reply.body) == (200, "")
    await harness.fake.wait_for(lambda: bool(harness.fake.calls_to("views.open")))
    assert "Refund tweets" in str(harness.fake.calls_to("views.open")[0]["view"])


async def test_a_refusal_is_answered_in_the_ack(make_harness: MakeHarness) -> None:
    harness = await make_harness(process_before_response=False)
    # A project that does not exist: the listener refuses with a short answer, in the ack.
    reply = await harness.slack.slash(demo.MAYA, "/hero", "show HERO-99")
    assert reply.status == 200
    assert "There is no project HERO-99" in reply.json["text"]
