"""Block Kit of the follow-up: the owner's reminder and the escalation in the triage channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import blocks as bk
from bot.ids import Kind, format_id
from bot.networks import network_label
from storage.models import Complaint

SNIPPET_MAX = 300


def duration(span: timedelta) -> str:
    """`2 h 5 min`, `45 min`, `3 d 4 h`: short, for a message."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _details(complaint: Complaint) -> str:
    who = f" from {bk.escape(complaint.author)}" if complaint.author else ""
    text = bk.escape(bk.clip(" ".join((complaint.text or "").split()), SNIPPET_MAX))
    link = f"\n<{complaint.url}|Open the post>" if complaint.url and complaint.url.startswith("http") else ""
    quoted = f"\n>{text}" if text else ""
    return f"{network_label(complaint.network)}{who} · severity *{complaint.severity}*{quoted}{link}"


def reminder_message(complaint: Complaint) -> dict[str, Any]:
    label = format_id(Kind.COMPLAINT, complaint.id)
    owner = f"<@{complaint.owner_id}>, " if complaint.owner_id else ""
    headline = f":alarm_clock: {owner}*{label}* is waiting for its first response — it was due {bk.slack_date(complaint.due_at)}."
    text = f"{label} is waiting for its first response (due {complaint.due_at:%Y-%m-%d %H:%M} UTC)"
    hint = f"Answer the customer, then record it: `/complaint respond {label} <what you did>`."
    if not complaint.owner_id:
        hint = f"Nobody owns it yet: `/complaint assign {label} @someone`, then answer the customer."
    return bk.message(text, [bk.section(headline), bk.section(_details(complaint)), bk.context(hint)])


def escalation_message(complaint: Complaint, target: timedelta, now: datetime) -> dict[str, Any]:
    label = format_id(Kind.COMPLAINT, complaint.id)
    waited = duration(now - complaint.created_at)
    owner = f"Owner <@{complaint.owner_id}>" if complaint.owner_id else "Nobody owns it"
    reminded = f", reminded {bk.slack_date(complaint.reminded_at)}" if complaint.reminded_at else ""
    headline = (
        f":rotating_light: *{label}* has had no first response for {waited} — twice its "
        f"{complaint.severity} target of {duration(target)}. {owner}{reminded}."
    )
    text = f"Escalation: {label} has had no first response for {waited}"
    hint = f"Take it over with `/complaint assign {label} @someone`, or answer and `/complaint respond {label} <note>`."
    return bk.message(text, [bk.section(headline), bk.section(_details(complaint)), bk.context(hint)])
