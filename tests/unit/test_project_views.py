"""Every project view stays within Slack's Block Kit limits, even with the longest inputs allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.console.blockkit_limits import violations
from bot.console.surfaces import texts
from bot.home import home_view
from bot.projects import views
from bot.projects.service import ProjectDraft, ProjectPage, ProjectStats, StageChange
from bot.projects.stages import Stage
from storage.models import Project, ProjectMember, ProjectNote

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LONG = "x" * 2900


def project(number: int = 1, *, title: str = "Refund tweets", long: bool = False) -> Project:
    return Project(
        id=number,
        team_id="T1",
        title="T" * 150 if long else title,
        problem=LONG if long else "Refunds take three weeks",
        network="twitter",
        audience="A" * 200 if long else "",
        success_measure=LONG if long else "",
        owner_id="U0MAYA",
        stage="active",
        created_at=NOW,
        updated_at=NOW,
        last_activity_at=NOW,
        members=[ProjectMember(user_id=f"U{i:08d}") for i in range(20 if long else 1)],
    )


def notes(count: int, body: str = LONG) -> list[ProjectNote]:
    return [
        ProjectNote(
            id=i,
            team_id="T1",
            project_id=1,
            author_id="U0MAYA",
            kind="note",
            body=body,
            created_at=NOW + timedelta(minutes=i),
        )
        for i in range(count)
    ]


def test_detail_with_longest_fields_and_many_notes_fits() -> None:
    message = views.project_detail(project(long=True), notes(60), can_change=True)
    assert violations(message) == []
    assert "HERO-1" in message["text"]


def test_detail_keeps_newest_notes_when_the_timeline_is_long() -> None:
    timeline = [
        ProjectNote(
            id=i,
            team_id="T1",
            project_id=1,
            author_id="U0MAYA",
            kind="note",
            body=f"note number {i} " + "y" * 300,
            created_at=NOW + timedelta(minutes=i),
        )
        for i in range(15)
    ]
    rendered = texts(views.project_detail(project(), timeline, can_change=False)["blocks"])
    assert "note number 14" in rendered
    assert "Move to" not in rendered


def test_modals_fit() -> None:
    assert violations(views.project_modal(), "modal") == []
    draft = ProjectDraft(
        title="T" * 150, problem=LONG, network="twitter", audience="A" * 200, success_measure=LONG, members=["U1"] * 20
    )
    assert (
        violations(
            views.project_modal(draft, project_id=999_999_999, channel_id="C" * 20, remind_compact=True), "modal"
        )
        == []
    )
    assert violations(views.project_view_modal(project(long=True), notes(50), can_change=True), "modal") == []
    assert violations(views.note_modal(project(long=True)), "modal") == []


def test_lists_stats_compact_and_home_fit() -> None:
    many = [project(n, long=True) for n in range(1, 11)]
    assert violations(views.project_list(ProjectPage(many, 500, "all", 0, 10))) == []
    assert violations(views.project_list(ProjectPage([], 0, "mine", 0, 10))) == []
    stats = ProjectStats(by_stage={s.value: 3 for s in Stage}, by_network={"twitter": 2, "": 1})
    assert violations(views.stats_message(stats)) == []
    assert violations(views.compact_message(accepted=False)) == []
    home = home_view([views.home_section(many, 500, accepted_compact=False)])
    assert violations(home, "home") == []


def test_user_text_cannot_forge_mentions() -> None:
    sneaky = project(title="<!channel> free refunds <@U0SAM>")
    message = views.announcement(sneaky)
    assert "<!channel>" not in texts(message["blocks"])
    assert "&lt;!channel&gt;" in texts(message["blocks"])


def test_empty_states_say_what_to_do_next() -> None:
    assert "/hero new" in views.project_list(ProjectPage([], 0, "mine", 0, 10))["text"]
    assert "/hero new" in views.stats_message(ProjectStats({}, {}))["text"]
    home = texts(views.home_section([], 0, accepted_compact=True))
    assert "no HERO projects yet" in home and "New HERO project" in home


def test_stage_announcement_names_the_change() -> None:
    change = StageChange(project(), Stage.PROPOSED, Stage.ACTIVE)
    assert "was proposed" in views.stage_announcement(change, "U0MAYA")["blocks"][0]["text"]["text"]
