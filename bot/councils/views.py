"""Block Kit for councils: the council modal, lists, run history, confirmations. Pure functions.

The digest message itself is built in `digest_views`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bot import blocks as bk
from bot.councils.cadence import WEEKDAYS, Frequency
from bot.councils.digest import SECTION_LABELS, SECTIONS
from bot.councils.service import NAME_MAX, CouncilDraft, cadence_of
from bot.ids import CouncilAction
from storage.models import Council, CouncilRun

USAGE = """*`/council` — councils and their scheduled digests*
• `/council create` — a new council: its channel, how often, at what local time, which sections (admins)
• `/council list` — the councils, each with its next digest
• `/council show &lt;name&gt;` — a council's settings and its last digests (posted, skipped, failed)
• `/council preview &lt;name&gt;` — the digest of the period so far, only to you; nothing is posted
• `/council post &lt;name&gt;` — post the digest of the period so far now (admins)
• `/council edit &lt;name&gt;` — change it (admins)
• `/council pause &lt;name&gt;` / `/council resume &lt;name&gt;` — stop and restart its digests (admins)
• `/council delete &lt;name&gt;` — delete it, after a confirmation (admins)
• `/council help` — this list"""

FREQUENCIES = [
    (Frequency.DAILY.value, "Daily"),
    (Frequency.WEEKLY.value, "Weekly, on the weekday below"),
    (Frequency.MONTHLY.value, "Monthly, on the day below"),
    (Frequency.CRON.value, "Cron expression (below)"),
]
SECTION_CHOICES = [("projects", "HERO projects"), ("complaints", "Social complaints"), ("risk", "IT risk reviews")]
QUIET = "skip"
RUN_BADGES = {
    "posted": ":white_check_mark: posted",
    "skipped": ":zzz: skipped — nothing happened",
    "failed": ":x: failed",
    "running": ":hourglass_flowing_sand: posting",
}


class CouncilModalMeta(BaseModel):
    council_id: int | None = None
    channel_id: str | None = None


def usage(problem: str | None = None) -> dict[str, Any]:
    text = f":warning: {problem}\n\n{USAGE}" if problem else USAGE
    return bk.message(text, [bk.section(text)])


def notice(text: str) -> dict[str, Any]:
    return bk.message(text, [bk.section(text)])


def _checkboxes(action_id: str, choices: list[tuple[str, str]], chosen: Sequence[str]) -> dict[str, Any]:
    options = [bk.option(text, value) for value, text in choices]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": action_id, "options": options}
    initial = [o for o in options if o["value"] in set(chosen)]
    if initial:
        element["initial_options"] = initial
    return element


def council_modal(
    draft: CouncilDraft, *, council_id: int | None = None, channel_id: str | None = None
) -> dict[str, Any]:
    editing = council_id is not None
    channel_picker: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "value",
        "placeholder": bk.plain("Where the digest is posted"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if draft.channel_id:
        channel_picker["initial_conversation"] = draft.channel_id
    blocks: list[bk.Block] = [
        bk.text_input("name", "Name", initial=draft.name, max_length=NAME_MAX, placeholder="CX council"),
        bk.input_block("channel", "Channel", channel_picker),
        bk.input_block(
            "frequency", "How often", bk.static_select("value", "How often", FREQUENCIES, initial=draft.frequency)
        ),
        bk.input_block(
            "weekday",
            "Weekday (weekly)",
            bk.static_select(
                "value",
                "Pick a weekday",
                [(str(i), day) for i, day in enumerate(WEEKDAYS)],
                initial=str(draft.weekday) if draft.weekday is not None else None,
            ),
            optional=True,
        ),
        bk.input_block(
            "day",
            "Day of the month (monthly)",
            bk.static_select(
                "value",
                "Pick a day",
                [(str(d), str(d)) for d in range(1, 32)],
                initial=str(draft.day_of_month) if draft.day_of_month is not None else None,
            ),
            optional=True,
            hint="29, 30 or 31 fall on the last day of shorter months.",
        ),
        bk.text_input(
            "cron",
            "Cron expression",
            initial=draft.cron,
            optional=True,
            max_length=100,
            placeholder="0 9 * * 1-5",
            hint="Only for “Cron”: minute hour day month weekday, in the council's time zone; at most hourly.",
        ),
        bk.input_block(
            "time",
            "Local time",
            {"type": "timepicker", "action_id": "value", "initial_time": draft.at or "09:00"},
            hint="Not used by a cron expression, which names its own time.",
        ),
        bk.text_input(
            "zone",
            "Time zone",
            initial=draft.zone,
            max_length=64,
            placeholder="Europe/Stockholm",
            hint="An IANA time zone name; the digest keeps its local time when clocks change.",
        ),
        bk.input_block("sections", "Sections", _checkboxes("value", SECTION_CHOICES, draft.sections)),
        bk.input_block(
            "quiet",
            "Quiet periods",
            _checkboxes(
                "value", [(QUIET, "Skip the digest when nothing happened")], [QUIET] if draft.skip_quiet else []
            ),
            optional=True,
        ),
    ]
    meta = CouncilModalMeta(council_id=council_id, channel_id=channel_id)
    return bk.modal(
        CouncilAction.EDIT_MODAL if editing else CouncilAction.CREATE_MODAL,
        "Edit council" if editing else "New council",
        blocks,
        submit="Save" if editing else "Create",
        private_metadata=meta.model_dump_json(exclude_none=True),
    )


def draft_from_state(values: dict[str, dict[str, Any]]) -> CouncilDraft:
    """Read a submitted council modal's `view.state.values` into a draft (validation comes after)."""

    def element(block: str) -> dict[str, Any]:
        found = values.get(block, {}).get("value", {})
        return found if isinstance(found, dict) else {}

    def selected(block: str) -> str:
        return str((element(block).get("selected_option") or {}).get("value") or "")

    def chosen(block: str) -> list[str]:
        return [str(o.get("value")) for o in element(block).get("selected_options") or [] if isinstance(o, dict)]

    def number(text: str) -> int | None:
        return int(text) if text.isdigit() else None

    return CouncilDraft(
        name=str(element("name").get("value") or ""),
        channel_id=str(element("channel").get("selected_conversation") or ""),
        frequency=selected("frequency"),
        weekday=number(selected("weekday")),
        day_of_month=number(selected("day")),
        cron=str(element("cron").get("value") or ""),
        at=str(element("time").get("selected_time") or ""),
        zone=str(element("zone").get("value") or ""),
        sections=chosen("sections"),
        skip_quiet=QUIET in chosen("quiet"),
    )


def _next_run(council: Council, now: datetime) -> str:
    if council.paused:
        return ":double_vertical_bar: paused"
    following = cadence_of(council).next_run(now)
    return "next " + bk.slack_date(following, "{date_short_pretty} at {time}")


def _sections(council: Council) -> str:
    return ", ".join(SECTION_LABELS[s] for s in SECTIONS if s in council.sections.split(","))


def council_line(council: Council, now: datetime) -> str:
    return (
        f"*{bk.escape(council.name)}* → <#{council.channel_id}> · {cadence_of(council).describe()} · "
        f"{_next_run(council, now)}"
    )


def council_list(councils: Sequence[Council], now: datetime, *, is_admin: bool) -> dict[str, Any]:
    if not councils:
        text = "No councils yet. " + (
            "Create one with `/council create`." if is_admin else "An admin creates one with `/council create`."
        )
        return notice(text)
    title = f"Councils ({len(councils)})"
    blocks: list[bk.Block] = [bk.section(f"*{title}* — times shown in your time zone")]
    lines = [f"• {council_line(council, now)}" for council in councils]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > bk.SECTION_TEXT_MAX - 10:
            blocks.append(bk.section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    blocks.append(bk.section("\n".join(chunk)))
    blocks.append(bk.context("`/council show <name>` for its last digests · `/council preview <name>` to see one now"))
    return bk.message(title + ": " + ", ".join(c.name for c in councils), blocks)


def _run_line(run: CouncilRun) -> str:
    badge = RUN_BADGES.get(run.status, run.status)
    when = bk.slack_date(run.period_end, "{date_short_pretty} at {time}")
    extra = " (late)" if run.late and run.status == "posted" else ""
    if run.status == "failed" and run.reason:
        extra += f": {bk.escape(run.reason)[:300]} (attempt {run.attempts})"
    return f"• {when} {badge}{extra}"


def council_detail(council: Council, runs: Sequence[CouncilRun], now: datetime) -> dict[str, Any]:
    quiet = "skipped" if council.skip_quiet else "posted as a short “quiet period” line"
    blocks: list[bk.Block] = [
        bk.section(f"*{bk.escape(council.name)}*"),
        bk.fields(
            [
                ("Channel", f"<#{council.channel_id}>"),
                ("When", cadence_of(council).describe()),
                ("Sections", _sections(council)),
                ("Quiet periods", quiet),
                ("Next digest", _next_run(council, now)),
                ("Created by", f"<@{council.created_by}>"),
            ]
        ),
    ]
    if runs:
        blocks.append(bk.section("*Last digests*\n" + "\n".join(_run_line(run) for run in runs)))
    else:
        blocks.append(bk.context("No digest has run yet. `/council preview` shows what the next one holds."))
    return bk.message(f"Council {council.name}", blocks)


def delete_confirmation(council: Council) -> dict[str, Any]:
    text = (
        f":warning: Delete the council *{bk.escape(council.name)}*? Its digests stop and their history goes; "
        "projects that named it keep everything else."
    )
    return bk.message(
        f"Delete the council {council.name}?",
        [
            bk.section(text),
            bk.actions(
                bk.button("Delete", CouncilAction.DELETE, str(council.id), style="danger"),
                bk.button("Keep it", CouncilAction.KEEP, str(council.id)),
            ),
        ],
    )


def saved_confirmation(council: Council, now: datetime, *, created: bool, channel_note: str | None) -> dict[str, Any]:
    verb = "Created" if created else "Saved"
    text = f":white_check_mark: {verb} the council *{bk.escape(council.name)}*: {council_line(council, now)}."
    blocks: list[bk.Block] = [bk.section(text)]
    if channel_note:
        blocks.append(bk.section(channel_note))
    blocks.append(bk.context(f"Try `/council preview {bk.escape(council.name)}` to see what it will hold."))
    return bk.message(f"{verb} the council {council.name}", blocks)
