"""The digest message: each figure with its move since the period before (▲/▼), sections with nothing
in them left out, a short line for a quiet period. Pure functions from `Digest` to Block Kit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot import blocks as bk
from bot.councils.digest import ComplaintFigures, Digest, Figure, ProjectFigures, RiskFigures
from bot.ids import Kind, format_id
from bot.networks import network_label

QUIET_LINE = ":zzz: A quiet period: no project started or launched, no complaint logged or closed, no review decided."
DECISION_LABELS = {"approved": "approved", "changes_requested": "changes asked", "rejected": "rejected"}


def count(value: float) -> str:
    return f"{value:,.0f}"


def duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def share(value: float) -> str:
    return f"{value * 100:.0f} %"


def points(value: float) -> str:
    return f"{abs(value) * 100:.0f} pts"


def trend(figure: Figure, show: Callable[[float], str] = count, change: Callable[[float], str] | None = None) -> str:
    """`12 ▲ 3` — the figure, and how it moved since the period before (`=` when it didn't)."""
    if figure.now is None:
        return "—"
    shown = show(figure.now)
    moved = figure.change
    if moved is None:
        return shown
    if moved == 0:
        return f"{shown}  ="
    arrow = "▲" if moved > 0 else "▼"
    return f"{shown}  {arrow} {(change or show)(abs(moved))}"


def _period_line(digest: Digest) -> str:
    start = bk.slack_date(digest.period.start, "{date_short_pretty} {time}")
    end = bk.slack_date(digest.period.end, "{date_short_pretty} {time}")
    line = f"{start} → {end}" + (" (so far)" if digest.so_far else "") + " · ▲▼ against the period before"
    if digest.late:
        line = ":hourglass: Posted late: herobot was not running at its time. " + line
    return line


def _projects(figures: ProjectFigures) -> list[bk.Block]:
    blocks = [
        bk.section("*:seedling: HERO projects*"),
        bk.fields(
            [
                ("Started", trend(figures.started)),
                ("Launched", trend(figures.launched)),
                ("Stalled (no note for 14 days)", trend(figures.stalled)),
            ]
        ),
    ]
    if figures.council_projects:
        lines = [
            f"• {format_id(Kind.PROJECT, p.project_id)} {bk.escape(p.title)} — {p.stage}"
            for p in figures.council_projects
        ]
        more = figures.council_project_total - len(figures.council_projects)
        if more > 0:
            lines.append(f"…and {more} more")
        blocks.append(bk.section(f"*This council's projects ({figures.council_project_total})*\n" + "\n".join(lines)))
    return blocks


def _ranked(pairs: list[tuple[str, int]], label: Callable[[str], str]) -> str:
    return " · ".join(f"{label(name)} {n}" for name, n in pairs)


def _complaints(figures: ComplaintFigures) -> list[bk.Block]:
    blocks = [
        bk.section("*:loudspeaker: Social complaints*"),
        bk.fields(
            [
                ("Opened", trend(figures.opened)),
                ("Resolved", trend(figures.resolved)),
                ("Overdue (first response late)", trend(figures.overdue)),
                ("Median time to first response", trend(figures.median_first_response, duration)),
                ("Answered within SLA", trend(figures.within_sla, share, points)),
                ("Crisis alerts", trend(figures.crisis_alerts)),
            ]
        ),
    ]
    lines = []
    if figures.top_tags:
        lines.append("*Top tags:* " + _ranked(figures.top_tags, lambda tag: f"`{bk.escape(tag)}`"))
    if figures.top_networks:
        lines.append("*Networks:* " + _ranked(figures.top_networks, network_label))
    if figures.crisis_tags:
        lines.append("*Crisis alerts on:* " + ", ".join(f"`{bk.escape(tag)}`" for tag in figures.crisis_tags))
    if lines:
        blocks.append(bk.section("\n".join(lines)))
    return blocks


def _waiting(waiting: timedelta) -> str:
    return duration(waiting.total_seconds())


def _risk(figures: RiskFigures) -> list[bk.Block]:
    decided = ", ".join(
        f"{n} {DECISION_LABELS.get(status, status)}" for status, n in sorted(figures.decided_by.items())
    )
    blocks = [
        bk.section("*:shield: IT risk reviews*"),
        bk.fields(
            [
                ("Waiting for IT", trend(figures.pending)),
                ("Decided", trend(figures.decided) + (f"\n{decided}" if decided else "")),
                ("Submitted", trend(figures.submitted)),
            ]
        ),
    ]
    if figures.oldest:
        lines = [
            f"• {format_id(Kind.RISK, r.assessment_id)} for {format_id(Kind.PROJECT, r.project_id)}, "
            f"waiting {_waiting(r.waiting)}"
            for r in figures.oldest
        ]
        blocks.append(bk.section("*Waiting longest*\n" + "\n".join(lines)))
    return blocks


def digest_message(digest: Digest, *, preview: bool = False) -> dict[str, Any]:
    title = f"{digest.council_name} — digest"
    blocks: list[bk.Block] = [bk.header(title), bk.context(_period_line(digest))]
    if preview:
        blocks.insert(0, bk.context(":eyes: Preview, only for you: nothing was posted."))
    if not digest.happened:
        blocks.append(bk.section(QUIET_LINE))
    if digest.projects is not None and not digest.projects.empty:
        blocks += [bk.divider(), *_projects(digest.projects)]
    if digest.complaints is not None and not digest.complaints.empty:
        blocks += [bk.divider(), *_complaints(digest.complaints)]
    if digest.risk is not None and not digest.risk.empty:
        blocks += [bk.divider(), *_risk(digest.risk)]
    if digest.chart is not None:
        where = "is posted with the digest" if preview else "is in the thread"
        blocks.append(bk.context(f":bar_chart: A chart of complaints per day by status {where}."))
    return bk.message(_fallback(digest), blocks)


def _fallback(digest: Digest) -> str:
    parts = []
    if digest.projects is not None:
        parts.append(f"{count(digest.projects.started.now or 0)} projects started")
    if digest.complaints is not None:
        parts.append(f"{count(digest.complaints.opened.now or 0)} complaints opened")
    if digest.risk is not None:
        parts.append(f"{count(digest.risk.decided.now or 0)} risk reviews decided")
    summary = ", ".join(parts) if digest.happened else "a quiet period"
    return f"{digest.council_name} digest: {summary}"
