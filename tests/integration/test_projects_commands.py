"""/hero as a person uses it: signed slash commands in, what Slack shows and what is stored out."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.console import demo
from bot.console.surfaces import find_element, texts
from storage.models import AuditEvent, Project, ProjectMember, ProjectNote
from tests.conftest import Harness


def last_ephemeral(harness: Harness, user: str) -> str:
    shown = [e for e in harness.fake.ephemerals if e.user == user]
    assert shown, "nothing was shown to the user"
    return shown[-1].text + "\n" + texts(shown[-1].blocks)


async def count(harness: Harness, model: type) -> int:
    async with harness.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_help_answers_with_usage_ephemerally(harness: Harness) -> None:
    reply = await harness.slack.slash(demo.MAYA, "/hero", "help")
    assert reply.status == 200
    shown = last_ephemeral(harness, demo.MAYA)
    assert "/hero new" in shown and "/hero stage HERO-12" in shown
    assert harness.fake.messages.get(demo.GENERAL) is None


async def test_unknown_subcommand_answers_with_usage(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "launch-everything now")
    shown = last_ephemeral(harness, demo.MAYA)
    assert "I don't know `/hero launch-everything`" in shown
    assert "/hero list" in shown


async def test_one_line_new_logs_announces_and_offers_details(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Answer delayed-refund tweets")
    shown = last_ephemeral(harness, demo.MAYA)
    assert "Logged *HERO-1: Answer delayed-refund tweets*" in shown
    assert "Add details" in shown
    async with harness.database.unit_of_work() as session:
        project = (await session.scalars(select(Project))).one()
        assert (project.title, project.owner_id, project.stage, project.team_id) == (
            "Answer delayed-refund tweets",
            demo.MAYA,
            "proposed",
            demo.TEAM_ID,
        )
    announced = harness.fake.messages[demo.PROJECTS]
    assert len(announced) == 1 and "HERO-1: Answer delayed-refund tweets" in announced[0].text
    assert await count(harness, AuditEvent) == 1


async def test_new_opens_modal_with_inline_errors_then_saves(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new")
    modal = harness.fake.top_modal(demo.MAYA)
    assert modal is not None and modal.view["title"]["text"] == "New HERO project"
    reply = await harness.slack.submit(
        demo.MAYA,
        {"title": "ab", "problem": "Refunds take 3 weeks", "network": "twitter", "success": "replies < 1h"},
    )
    assert reply.json == {
        "response_action": "errors",
        "errors": {"title": "Give the project a title of at least 3 characters."},
    }
    assert await count(harness, Project) == 0
    reply = await harness.slack.submit(
        demo.MAYA,
        {
            "title": "Refund tweets",
            "problem": "Refunds take 3 weeks",
            "network": "twitter",
            "members": [demo.LEO],
            "success": "replies < 1h",
        },
    )
    assert reply.status == 200 and reply.json.get("response_action") is None
    assert harness.fake.top_modal(demo.MAYA) is None
    async with harness.database.unit_of_work() as session:
        project = (await session.scalars(select(Project))).one()
        assert project.network == "twitter" and project.problem == "Refunds take 3 weeks"
        members = (await session.scalars(select(ProjectMember.user_id))).all()
        notes = (await session.execute(select(ProjectNote.kind, ProjectNote.to_stage, ProjectNote.author_id))).all()
        audit = (await session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "project"))).one()
    assert members == [demo.LEO]
    assert notes == [("created", "proposed", demo.MAYA)]
    assert (audit.action, audit.entity_id, audit.actor_id) == ("created", project.id, demo.MAYA)
    assert audit.after == {
        "title": "Refund tweets",
        "stage": "proposed",
        "network": "twitter",
        "owner_id": demo.MAYA,
        "members": [demo.LEO],
    }
    await harness.slack.slash(demo.LEO, "/hero", "list")
    assert "HERO-1" in last_ephemeral(harness, demo.LEO)


async def test_stage_changes_follow_the_machine_and_launch_needs_approval(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 launched")
    assert "cannot move from *proposed* to *launched*" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/hero", "stage 1 active")
    assert "moved from *proposed* to *active*" in last_ephemeral(harness, demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/hero", "stage hero-1 launched")
    assert "approved" in last_ephemeral(harness, demo.MAYA)
    async with harness.database.unit_of_work() as session:
        project = (await session.scalars(select(Project))).one()
        assert project.stage == "active"
    assert any("is now active" in m.text or "active" in m.text for m in harness.fake.messages[demo.PROJECTS][1:])


async def test_only_owner_members_or_admins_change_a_project(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.LEO, "/hero", "update HERO-1 I answered 40 tweets")
    assert "Only the owner <@U0MAYA>" in last_ephemeral(harness, demo.LEO)
    await harness.slack.slash(demo.LEO, "/hero", "stage HERO-1 active")
    assert await count(harness, ProjectNote) == 1  # only the creation entry
    await harness.slack.slash(demo.SAM, "/hero", "update HERO-1 checked by ops")
    assert "Added to *HERO-1*" in last_ephemeral(harness, demo.SAM)


async def test_show_lists_timeline_and_buttons(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.MAYA, "/hero", "update HERO-1 answered 40 tweets today")
    await harness.slack.slash(demo.MAYA, "/hero", "show HERO-1")
    shown = [e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1]
    rendered = texts(shown.blocks)
    assert "HERO-1: Refund tweets" in rendered and "answered 40 tweets today" in rendered
    find_element(shown.blocks, "Add note")
    await harness.slack.slash(demo.MAYA, "/hero", "show HERO-99")
    assert "There is no project HERO-99" in last_ephemeral(harness, demo.MAYA)


async def test_forged_signature_is_refused_and_reaches_no_handler(harness: Harness) -> None:
    body = b"command=%2Fhero&text=new+Forged&user_id=U0MAYA&team_id=T0HERO&channel_id=C0GENERAL"
    response = await harness.post(
        "/slack/events",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": "1700000000",
            "X-Slack-Signature": "v0=bad",
        },
    )
    assert response.status == 401
    assert await count(harness, Project) == 0
    assert harness.fake.calls == []


async def test_healthz_reports_a_migrated_database(harness: Harness) -> None:
    response = await harness.get("/healthz")
    assert response.status == 200


async def test_project_times_follow_the_bots_clock(harness: Harness) -> None:
    """Digests count projects by when they were started and launched: those times come from the bot's clock."""
    from datetime import UTC, datetime

    started = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    harness.hero.runtime.now = lambda: started
    await harness.slack.slash(demo.MAYA, "/hero", "new Answer delayed-refund tweets")
    later = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    harness.hero.runtime.now = lambda: later
    await harness.slack.slash(demo.MAYA, "/hero", "update HERO-1 Drafted the reply templates.")
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 active")
    async with harness.database.unit_of_work() as session:
        project = (await session.scalars(select(Project))).one()
        notes = (await session.scalars(select(ProjectNote).order_by(ProjectNote.id))).all()
    assert project.created_at == started
    assert (project.updated_at, project.last_activity_at) == (later, later)
    assert [(note.kind, note.created_at) for note in notes] == [
        ("created", started),
        ("note", later),
        ("stage", later),
    ]


async def test_list_shows_a_page_newest_first_with_the_whole_count(harness: Harness) -> None:
    for number in range(1, 13):
        await harness.slack.slash(demo.MAYA if number % 3 else demo.LEO, "/hero", f"new Project {number}")
    await harness.slack.slash(demo.SAM, "/hero", "list all")
    shown = last_ephemeral(harness, demo.SAM)
    assert "(12)" in shown and "Showing 1–10 of 12" in shown
    assert shown.index("*HERO-12*") < shown.index("*HERO-3*") and "*HERO-2*" not in shown and "*HERO-1*" not in shown
    await harness.slack.slash(demo.LEO, "/hero", "list")  # Leo's own: a first page that holds them all
    mine = last_ephemeral(harness, demo.LEO)
    assert "(4)" in mine and "Showing" not in mine
    assert all(f"*HERO-{n}*" in mine for n in (3, 6, 9, 12)) and "*HERO-1*" not in mine
