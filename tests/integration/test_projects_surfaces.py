"""Project buttons, modals, the global shortcut and the Home tab, through signed interaction payloads."""

from __future__ import annotations

from sqlalchemy import select

from bot.console import demo
from bot.console.surfaces import find_element, texts
from bot.ids import ProjectAction
from storage.models import CompactAcceptance, Project, ProjectNote
from tests.conftest import Harness


async def new_project(harness: Harness, title: str = "Refund tweets", user: str = demo.MAYA) -> None:
    await harness.slack.slash(user, "/hero", f"new {title}")


async def test_global_shortcut_opens_the_project_modal(harness: Harness) -> None:
    reply = await harness.slack.global_shortcut(demo.LEO, ProjectAction.SHORTCUT_NEW)
    assert reply.status == 200
    modal = harness.fake.top_modal(demo.LEO)
    assert modal is not None and modal.view["callback_id"] == ProjectAction.NEW_MODAL
    assert "HERO compact" in texts(modal.view["blocks"])  # Leo has not accepted it yet
    await harness.slack.submit(
        demo.LEO, {"title": "Instagram DMs", "network": "instagram", "success": "all DMs answered in 2h"}
    )
    async with harness.database.unit_of_work() as session:
        project = (await session.scalars(select(Project))).one()
    assert (project.owner_id, project.network) == (demo.LEO, "instagram")
    # Confirmed to Leo by DM (a shortcut has no channel), announced in the projects channel.
    assert any("Logged HERO-1" in m.text for m in harness.fake.messages[harness.fake.dm_channel(demo.LEO)])
    assert "HERO-1" in harness.fake.messages[demo.PROJECTS][0].text


async def test_home_tab_empty_state_then_projects(harness: Harness) -> None:
    await harness.slack.open_home(demo.MAYA)
    home = harness.fake.homes[demo.MAYA].view
    assert "no HERO projects yet" in texts(home["blocks"])
    find_element(home["blocks"], "New HERO project")
    await new_project(harness)
    await harness.slack.open_home(demo.MAYA)
    home = harness.fake.homes[demo.MAYA].view
    assert "HERO-1" in texts(home["blocks"])


async def test_view_button_opens_the_card_and_the_stage_select_moves_it(harness: Harness) -> None:
    await new_project(harness)
    await harness.slack.open_home(demo.MAYA)
    home = harness.fake.homes[demo.MAYA]
    block_id, view_button = find_element(home.view["blocks"], "View")
    await harness.slack.act(demo.MAYA, view_button, block_id, view=home)
    card = harness.fake.top_modal(demo.MAYA)
    assert card is not None and "HERO-1: Refund tweets" in texts(card.view["blocks"])
    block_id, stage_select = find_element(card.view["blocks"], ProjectAction.CHANGE_STAGE)
    await harness.slack.act(demo.MAYA, stage_select, block_id, view=card, selected="1:active")
    assert "proposed → active" in texts(harness.fake.top_modal(demo.MAYA).view["blocks"])  # updated in place
    async with harness.database.unit_of_work() as session:
        assert (await session.scalars(select(Project.stage))).one() == "active"


async def test_a_non_member_pressing_a_forged_stage_change_is_refused(harness: Harness) -> None:
    await new_project(harness)
    await harness.slack.slash(demo.MAYA, "/hero", "show HERO-1")
    card = [e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1]
    block_id, stage_select = find_element(card.blocks, ProjectAction.CHANGE_STAGE)
    # Leo replays Maya's select: the payload names the project, the server checks who Leo is.
    await harness.slack.act_on_ephemeral(demo.LEO, demo.GENERAL, stage_select, block_id, selected="1:retired")
    refusal = [e for e in harness.fake.ephemerals if e.user == demo.LEO][-1]
    assert "Only the owner" in refusal.text
    async with harness.database.unit_of_work() as session:
        assert (await session.scalars(select(Project.stage))).one() == "proposed"


async def test_add_details_button_edits_the_project(harness: Harness) -> None:
    await new_project(harness)
    confirmation = [e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1]
    block_id, button = find_element(confirmation.blocks, "Add details")
    await harness.slack.act_on_ephemeral(demo.MAYA, demo.GENERAL, button, block_id)
    modal = harness.fake.top_modal(demo.MAYA)
    assert modal is not None and modal.view["callback_id"] == ProjectAction.DETAILS_MODAL
    await harness.slack.submit(
        demo.MAYA,
        {"network": "facebook", "problem": "Refunds are slow", "members": [demo.LEO], "success": "fewer repeats"},
    )
    async with harness.database.unit_of_work() as session:
        project = (await session.scalars(select(Project))).one()
        assert (project.title, project.network, project.problem) == ("Refund tweets", "facebook", "Refunds are slow")
    # Leo is now a team member and may add notes.
    await harness.slack.slash(demo.LEO, "/hero", "update HERO-1 took over the night shift")
    async with harness.database.unit_of_work() as session:
        assert (
            await session.scalars(select(ProjectNote.body).where(ProjectNote.kind == "note"))
        ).one() == "took over the night shift"


async def test_compact_is_accepted_once(harness: Harness) -> None:
    def last_to_maya() -> str:
        return texts([e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1].blocks)

    await new_project(harness, "Before the compact")
    assert "Logged *HERO-1" in last_to_maya() and "haven't accepted the HERO compact" in last_to_maya()
    await harness.slack.slash(demo.MAYA, "/hero", "compact")
    compact = [e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1]
    assert "IT promises" in texts(compact.blocks)
    block_id, button = find_element(compact.blocks, "Accept the compact")
    await harness.slack.act_on_ephemeral(demo.MAYA, demo.GENERAL, button, block_id)
    await harness.slack.act_on_ephemeral(demo.MAYA, demo.GENERAL, button, block_id)
    async with harness.database.unit_of_work() as session:
        assert len((await session.scalars(select(CompactAcceptance))).all()) == 1
    await harness.slack.slash(demo.MAYA, "/hero", "compact")
    assert "You have accepted" in texts([e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1].blocks)
    await harness.slack.slash(demo.MAYA, "/hero", "new")
    assert "HERO compact" not in texts(harness.fake.top_modal(demo.MAYA).view["blocks"])
    await new_project(harness, "After the compact")
    assert "Logged *HERO-2" in last_to_maya() and "HERO compact" not in last_to_maya()


async def test_stats_count_by_stage_and_channel(harness: Harness) -> None:
    await new_project(harness, "One")
    await new_project(harness, "Two")
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-2 active")
    await harness.slack.slash(demo.MAYA, "/hero", "stats")
    shown = texts([e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1].blocks)
    assert "HERO projects: 2" in shown
    assert "proposed: *1*" in shown and "active: *1*" in shown


async def test_a_note_added_from_the_card_shows_on_the_card_and_the_home_tab(harness: Harness) -> None:
    await new_project(harness)
    await harness.slack.open_home(demo.MAYA)
    home = harness.fake.homes[demo.MAYA]
    block_id, view_button = find_element(home.view["blocks"], "View")
    await harness.slack.act(demo.MAYA, view_button, block_id, view=home)
    card = harness.fake.top_modal(demo.MAYA)
    block_id, add_note = find_element(card.view["blocks"], "Add note")
    await harness.slack.act(demo.MAYA, add_note, block_id, view=card)
    assert harness.fake.top_modal(demo.MAYA).view["callback_id"] == ProjectAction.NOTE_MODAL
    await harness.slack.submit(demo.MAYA, {"note": "answered 12 tweets before lunch"})
    top = harness.fake.top_modal(demo.MAYA)
    assert top is card and "answered 12 tweets before lunch" in texts(top.view["blocks"])
    assert harness.fake.calls_to("views.publish")  # the Home tab was refreshed too


async def test_a_note_added_from_a_message_confirms_in_the_modal(harness: Harness) -> None:
    await new_project(harness)
    await harness.slack.slash(demo.MAYA, "/hero", "show HERO-1")
    card = [e for e in harness.fake.ephemerals if e.user == demo.MAYA][-1]
    block_id, add_note = find_element(card.blocks, "Add note")
    await harness.slack.act_on_ephemeral(demo.MAYA, demo.GENERAL, add_note, block_id)
    reply = await harness.slack.submit(demo.MAYA, {"note": "   "})
    assert reply.json["response_action"] == "errors"
    await harness.slack.submit(demo.MAYA, {"note": "took the night shift"})
    assert "Added to the timeline of *HERO-1*" in texts(harness.fake.top_modal(demo.MAYA).view["blocks"])


async def test_the_card_shows_team_and_timeline_and_its_buttons_only_to_who_may_change_it(harness: Harness) -> None:
    await harness.slack.global_shortcut(demo.MAYA, ProjectAction.SHORTCUT_NEW)
    await harness.slack.submit(
        demo.MAYA, {"title": "Refund tweets", "network": "twitter", "members": [demo.LEO], "success": "replies < 1h"}
    )
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-1 active")
    for user, may_change in ((demo.LEO, True), (demo.SAM, True), (demo.INGRID, False)):
        await harness.slack.slash(user, "/hero", "list all", channel=demo.GENERAL)
        listed = [e for e in harness.fake.ephemerals if e.user == user][-1]
        block_id, view_button = find_element(listed.blocks, "View")
        await harness.slack.act_on_ephemeral(user, demo.GENERAL, view_button, block_id)
        card = harness.fake.top_modal(user)
        assert card is not None, user
        shown = texts(card.view["blocks"])
        assert "HERO-1: Refund tweets" in shown and f"<@{demo.LEO}>" in shown  # the team member
        assert "logged the project" in shown and "proposed → active" in shown  # the timeline, oldest first
        assert shown.index("logged the project") < shown.index("proposed → active")
        buttons = [e.get("action_id") for b in card.view["blocks"] for e in b.get("elements", [])]
        assert (ProjectAction.ADD_NOTE in buttons) is may_change, user
        if may_change:  # the team member and the admin may write on it too
            block_id, add_note = find_element(card.view["blocks"], "Add note")
            await harness.slack.act(user, add_note, block_id, view=card)
            pushed = harness.fake.top_modal(user)
            assert pushed is not None and pushed.view["callback_id"] == ProjectAction.NOTE_MODAL, user
            await harness.slack.close(user)
        await harness.slack.close(user)


async def test_view_names_a_missing_project_without_opening_anything(harness: Harness) -> None:
    await new_project(harness)
    button = {
        "type": "button",
        "action_id": ProjectAction.VIEW,
        "value": "7",
        "text": {"type": "plain_text", "text": "View"},
    }
    await harness.slack.act_on_ephemeral(demo.MAYA, demo.GENERAL, button, "project-7")
    assert harness.fake.top_modal(demo.MAYA) is None
    assert "There is no project HERO-7" in str([e.text for e in harness.fake.ephemerals if e.user == demo.MAYA][-1])
