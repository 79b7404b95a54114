"""Block Kit for HERO projects: pure functions from plain data to messages, modals and Home sections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from bot import blocks as bk
from bot.ids import ProjectAction, RecordId
from bot.networks import NETWORKS, network_label
from bot.projects.service import Listed, ProjectDraft, ProjectPage, ProjectStats, StageChange, label, member_ids
from bot.projects.stages import STAGE_EMOJI, Stage, next_stages
from storage.models import Project, ProjectNote
from storage.repositories.projects import ProjectLine

USAGE = """*`/hero` — HERO projects*
• `/hero new` — log a new HERO project (opens a form); `/hero new &lt;title&gt;` logs it in one line
• `/hero list [mine|all|proposed|active|launched|paused|retired]` — your projects, all, or one stage
• `/hero show HERO-12` — details and timeline
• `/hero update HERO-12 &lt;progress note&gt;` — add a note to the timeline
• `/hero stage HERO-12 &lt;stage&gt;` — move it: proposed → active → launched → retired (or paused)
• `/hero stats` — projects by stage and social channel
• `/hero compact` — the HERO compact: what HEROes, managers and IT promise each other
• `/hero help` — this list"""


class ProjectModalMeta(BaseModel):
    """What a project modal carries between opening and submission."""

    project_id: RecordId | None = None
    channel_id: str | None = None


def usage(problem: str | None = None) -> dict[str, Any]:
    text = f":warning: {problem}\n\n{USAGE}" if problem else USAGE
    return bk.message(text, [bk.section(text)])


def stage_badge(stage: str) -> str:
    return f"{STAGE_EMOJI.get(Stage(stage), '')} {stage}"


def project_modal(
    draft: ProjectDraft | None = None,
    *,
    project_id: int | None = None,
    channel_id: str | None = None,
    remind_compact: bool = False,
    councils: Sequence[tuple[int, str]] = (),
) -> dict[str, Any]:
    """`councils`: (id, name) of the workspace's councils; with any, the form offers the optional council."""
    draft = draft or ProjectDraft(title="")
    editing = project_id is not None
    blocks: list[bk.Block] = []
    if remind_compact:
        blocks.append(
            bk.context(":handshake: You haven't accepted the HERO compact yet: read it with `/hero compact`.")
        )
    blocks += [
        bk.text_input(
            "title", "Title", initial=draft.title, max_length=150, placeholder="Answer delayed-refund tweets"
        ),
        bk.text_input(
            "problem",
            "The customer problem",
            initial=draft.problem,
            multiline=True,
            max_length=2900,
            placeholder="What goes wrong for customers, and where do they say so?",
        ),
        bk.input_block(
            "network",
            "Social channel",
            bk.static_select(
                "value",
                "Where the customers are",
                list(NETWORKS.items()),
                initial=draft.network or None,
            ),
        ),
        bk.text_input(
            "audience",
            "Audience",
            initial=draft.audience,
            optional=True,
            max_length=200,
            placeholder="e.g. frequent flyers in the Nordics",
        ),
        bk.input_block(
            "members",
            "Team members",
            {
                "type": "multi_users_select",
                "action_id": "value",
                "placeholder": bk.plain("Who works on it with you"),
                **({"initial_users": draft.members} if draft.members else {}),
            },
            optional=True,
        ),
        bk.text_input(
            "success",
            "How success is measured",
            initial=draft.success_measure,
            multiline=True,
            max_length=2900,
            placeholder="e.g. median first response under 1 hour; fewer repeat complaints",
        ),
    ]
    if councils:
        blocks.append(
            bk.input_block(
                "council",
                "Council",
                bk.static_select(
                    "value",
                    "The council that follows it",
                    [(str(council_id), name) for council_id, name in councils],
                    initial=str(draft.council_id) if draft.council_id is not None else None,
                ),
                optional=True,
                hint="Its digest lists this project.",
            )
        )
    meta = ProjectModalMeta(project_id=project_id, channel_id=channel_id)
    return bk.modal(
        ProjectAction.DETAILS_MODAL if editing else ProjectAction.NEW_MODAL,
        "Edit HERO project" if editing else "New HERO project",
        blocks,
        submit="Save" if editing else "Log project",
        private_metadata=meta.model_dump_json(exclude_none=True),
    )


def draft_from_state(values: dict[str, dict[str, Any]]) -> ProjectDraft:
    """Read a submitted project modal's `view.state.values` into a draft."""

    def value(block: str) -> Any:
        return values.get(block, {}).get("value", {})

    network = (value("network").get("selected_option") or {}).get("value", "")
    council = str((value("council").get("selected_option") or {}).get("value") or "")
    return ProjectDraft(
        title=value("title").get("value") or "",
        problem=value("problem").get("value") or "",
        network=network,
        audience=value("audience").get("value") or "",
        success_measure=value("success").get("value") or "",
        members=list(value("members").get("selected_users") or []),
        council_id=int(council) if council.isdigit() else None,
    )


def draft_of(project: Project) -> ProjectDraft:
    return ProjectDraft(
        title=project.title,
        problem=project.problem,
        network=project.network,
        audience=project.audience,
        success_measure=project.success_measure,
        members=member_ids(project),
        council_id=project.council_id,
    )


def _team(project: Project) -> str:
    people = [f"<@{project.owner_id}> (owner)"] + [f"<@{user}>" for user in member_ids(project)]
    return ", ".join(people)


def _summary_fields(project: Project) -> bk.Block:
    return bk.fields(
        [
            ("Stage", stage_badge(project.stage)),
            (
                "Social channel",
                network_label(project.network) + (f" — {bk.escape(project.audience)}" if project.audience else ""),
            ),
            ("Team", _team(project)),
            ("Started", bk.slack_date(project.created_at, "{date_short_pretty}")),
        ]
    )


def created_confirmation(project: Project, *, needs_details: bool, remind_compact: bool) -> dict[str, Any]:
    name = label(project)
    text = f":white_check_mark: Logged *{name}: {bk.escape(project.title)}*. You own it."
    blocks: list[bk.Block] = [bk.section(text), _summary_fields(project)]
    buttons = [bk.button("View project", ProjectAction.VIEW, str(project.id))]
    if needs_details:
        buttons.insert(0, bk.button("Add details", ProjectAction.ADD_DETAILS, str(project.id), style="primary"))
    blocks.append(bk.actions(*buttons))
    tips = [f"Post progress with `/hero update {name} &lt;note&gt;`; move it with `/hero stage {name} active`."]
    if remind_compact:
        tips.append(":handshake: You haven't accepted the HERO compact yet: `/hero compact`.")
    blocks.append(bk.context(*tips))
    return bk.message(f"Logged {name}: {project.title}", blocks)


def announcement(project: Project) -> dict[str, Any]:
    name = label(project)
    text = f":seedling: New HERO project *{name}: {bk.escape(project.title)}* by <@{project.owner_id}>"
    blocks = [bk.section(text)]
    if project.problem:
        blocks.append(bk.section(f"*The customer problem*\n{bk.escape(project.problem)}"))
    blocks += [
        _summary_fields(project),
        bk.actions(bk.button("View project", ProjectAction.VIEW, str(project.id))),
    ]
    return bk.message(f"New HERO project {name}: {project.title}", blocks)


def stage_announcement(change: StageChange, actor_id: str) -> dict[str, Any]:
    project = change.project
    name = label(project)
    verb = {
        Stage.LAUNCHED: ":rocket: launched",
        Stage.RETIRED: ":file_cabinet: retired",
        Stage.PAUSED: ":double_vertical_bar: paused",
        Stage.ACTIVE: ":hammer_and_wrench: is now active",
    }.get(change.to_stage, f"moved to {change.to_stage.value}")
    text = f"*{name}: {bk.escape(project.title)}* {verb} (was {change.from_stage.value}) — by <@{actor_id}>"
    return bk.message(f"{name} {change.to_stage.value}", [bk.section(text)])


def _timeline_line(note: ProjectNote) -> str:
    when = bk.slack_date(note.created_at, "{date_short} {time}")
    if note.kind == "created":
        what = "logged the project"
    elif note.kind == "stage":
        what = f"moved it *{note.from_stage} → {note.to_stage}*"
        if note.body:
            what += f": {bk.escape(note.body)}"
    else:
        what = bk.escape(note.body)
    return f"• {when} <@{note.author_id}> {what}"


def project_detail(project: Project, notes: Sequence[ProjectNote], *, can_change: bool) -> dict[str, Any]:
    name = label(project)
    blocks: list[bk.Block] = [bk.header(f"{name}: {project.title}"), _summary_fields(project)]
    if project.problem:
        blocks.append(bk.section(f"*The customer problem*\n{bk.escape(project.problem)}"))
    if project.success_measure:
        blocks.append(bk.section(f"*How success is measured*\n{bk.escape(project.success_measure)}"))
    blocks.append(bk.divider())
    lines = [_timeline_line(note) for note in notes[-15:]]
    timeline = "*Timeline*\n" + "\n".join(lines) if lines else "*Timeline*\nNothing yet."
    blocks.append(bk.section(_fit_lines(timeline)))
    if can_change:
        blocks.append(project_buttons(project))
    return bk.message(f"{name}: {project.title} ({project.stage})", blocks)


def project_buttons(project: Project) -> bk.Block:
    elements = [
        bk.button("Add note", ProjectAction.ADD_NOTE, str(project.id)),
        bk.button("Edit details", ProjectAction.ADD_DETAILS, str(project.id)),
    ]
    stages = next_stages(Stage(project.stage))
    if stages:
        elements.append(
            bk.static_select(
                ProjectAction.CHANGE_STAGE,
                "Move to…",
                [(f"{project.id}:{s.value}", f"Move to {s.value}") for s in stages],
            )
        )
    return bk.actions(*elements, block_id=f"project_{project.id}")


def _fit_lines(text: str) -> str:
    """Keep whole lines, newest last, within a section's 3000 characters."""
    if len(text) <= bk.SECTION_TEXT_MAX:
        return text
    head, *lines = text.split("\n")
    while lines and len(head) + 3 + sum(len(line) + 1 for line in lines) > bk.SECTION_TEXT_MAX:
        lines.pop(0)
    return bk.clip("\n".join([head, "…", *lines]), bk.SECTION_TEXT_MAX)


def project_line(project: Listed) -> str:
    return (
        f"*{label(project)}* {bk.escape(bk.clip(project.title, 80))} — {stage_badge(project.stage)}, "
        f"{network_label(project.network)}, <@{project.owner_id}>"
    )


def project_list(page: ProjectPage[Project] | ProjectPage[ProjectLine]) -> dict[str, Any]:
    title = {"mine": "Your HERO projects", "all": "All HERO projects"}.get(
        page.filter_name, f"HERO projects: {page.filter_name}"
    )
    if not page.projects:
        empty = {
            "mine": "You have no HERO projects yet. Log one with `/hero new`.",
            "all": "No HERO projects yet. Be the first: `/hero new`.",
        }.get(page.filter_name, f"No projects are {page.filter_name}. See them all with `/hero list all`.")
        blocks = [
            bk.section(f"*{title}*\n{empty}"),
            bk.actions(bk.button("New HERO project", ProjectAction.OPEN_NEW, style="primary")),
        ]
        return bk.message(empty, blocks)
    blocks = [bk.section(f"*{title}* ({page.total})")]
    for project in page.projects:
        blocks.append(
            bk.section(project_line(project), accessory=bk.button("View", ProjectAction.VIEW, str(project.id)))
        )
    shown_to = page.offset + len(page.projects)
    if shown_to < page.total:
        blocks.append(
            bk.context(
                f"Showing {page.offset + 1}–{shown_to} of {page.total}. Narrow it with a stage: `/hero list active`."
            )
        )
    return bk.message(f"{title}: {page.total}", blocks)


def stats_message(stats: ProjectStats) -> dict[str, Any]:
    if stats.total == 0:
        text = "No HERO projects yet. Log the first with `/hero new`."
        return bk.message(text, [bk.section(text)])
    stage_lines = "\n".join(f"{stage_badge(s.value)}: *{stats.by_stage.get(s.value, 0)}*" for s in Stage)
    networks = sorted(stats.by_network.items(), key=lambda item: (-item[1], item[0]))
    network_lines = "\n".join(f"{network_label(key)}: *{count}*" for key, count in networks)
    blocks = [
        bk.header(f"HERO projects: {stats.total}"),
        bk.fields([("By stage", stage_lines), ("By social channel", network_lines)]),
    ]
    return bk.message(f"HERO projects: {stats.total}", blocks)


COMPACT_TEXT = {
    "HEROes promise": [
        "to act for the customer in public with the same care as in private",
        "to log each project and each complaint they take on, so nothing is forgotten",
        "to run IT's risk checklist before a project launches, and to follow its mitigations",
        "to share what they learn with their council",
    ],
    "Managers promise": [
        "to give HEROes the time and the permission to fix customer problems",
        "to back a HERO who acted in good faith when something goes wrong",
        "to bring what works to the council so others can reuse it",
    ],
    "IT promises": [
        "to help HEROes assess, manage and mitigate risk — not to say no",
        "to review a submitted risk checklist within two working days",
        "to explain each mitigation it asks for, and to teach while reviewing",
    ],
}


def compact_message(*, accepted: bool) -> dict[str, Any]:
    blocks: list[bk.Block] = [bk.header("The HERO compact")]
    for party, duties in COMPACT_TEXT.items():
        blocks.append(bk.section(f"*{party}*\n" + "\n".join(f"• {duty}" for duty in duties)))
    if accepted:
        blocks.append(bk.context(":white_check_mark: You have accepted the HERO compact."))
    else:
        blocks.append(bk.actions(bk.button("Accept the compact", ProjectAction.ACCEPT_COMPACT, "1", style="primary")))
    return bk.message("The HERO compact", blocks)


def compact_accepted() -> dict[str, Any]:
    text = ":handshake: Thank you: you accepted the HERO compact. Log your first project with `/hero new`."
    return bk.message(text, [bk.section(text)])


def note_modal(project: Project) -> dict[str, Any]:
    return bk.modal(
        ProjectAction.NOTE_MODAL,
        "Progress note",
        [
            bk.section(f"*{label(project)}: {bk.escape(project.title)}*"),
            bk.text_input("note", "What happened?", multiline=True, max_length=2900),
        ],
        submit="Add note",
        private_metadata=ProjectModalMeta(project_id=project.id).model_dump_json(exclude_none=True),
    )


def note_added(project: Project, body: str) -> dict[str, Any]:
    text = f":memo: Added to *{label(project)}*: {bk.escape(body)}"
    return bk.message(f"Note added to {label(project)}", [bk.section(text)])


def home_section(projects: Sequence[Project], total: int, *, accepted_compact: bool) -> list[bk.Block]:
    """The App Home part listing a person's own projects, or an empty state that offers one."""
    blocks: list[bk.Block] = [bk.header("Your HERO projects")]
    if not projects:
        blocks.append(
            bk.section(
                "You have no HERO projects yet. A HERO project is how you fix a customer problem in public — log one and your team can follow it."
            )
        )
    for project in projects:
        blocks.append(
            bk.section(project_line(project), accessory=bk.button("View", ProjectAction.VIEW, str(project.id)))
        )
    if total > len(projects):
        blocks.append(bk.context(f"Showing {len(projects)} of {total}. See all with `/hero list mine`."))
    buttons = [bk.button("New HERO project", ProjectAction.OPEN_NEW, style="primary")]
    if not accepted_compact:
        buttons.append(bk.button("Read the HERO compact", ProjectAction.SHOW_COMPACT))
    blocks.append(bk.actions(*buttons))
    return blocks


def project_view_modal(project: Project, notes: Sequence[ProjectNote], *, can_change: bool) -> dict[str, Any]:
    """The project card as a modal (opened from the Home tab, lists and announcements)."""
    detail = project_detail(project, notes, can_change=can_change)
    return bk.modal(
        ProjectAction.VIEW_MODAL,
        label(project),
        detail["blocks"],
        submit=None,
        close="Close",
        private_metadata=ProjectModalMeta(project_id=project.id).model_dump_json(exclude_none=True),
    )


def notice_modal(text: str) -> dict[str, Any]:
    """A small modal that carries one sentence, for answers to clicks made inside a modal."""
    return bk.modal("hero_notice", "HERO bot", [bk.section(text)], submit=None, close="OK")
