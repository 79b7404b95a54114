"""Block Kit of the crisis alert: counts, networks, a few examples with links, and *Acknowledge*."""

from __future__ import annotations

from typing import Any

from bot import blocks as bk
from bot.complaints.crisis_store import AlertSummary
from bot.complaints.routing_ids import CrisisAction
from bot.ids import Kind, format_id
from bot.networks import network_label
from bot.settings import CrisisThreshold

EXAMPLE_TEXT_MAX = 200


def _example_line(example: Any) -> str:
    label = format_id(Kind.COMPLAINT, example.complaint_id)
    who = f" {bk.escape(example.author)}" if example.author else ""
    text = bk.escape(bk.clip(" ".join((example.text or "").split()), EXAMPLE_TEXT_MAX)) or "_no text_"
    link = f" <{example.url}|open>" if example.url and example.url.startswith(("http://", "https://")) else ""
    return f"• *{label}* · {network_label(example.network)}{who}: {text}{link}"


def alert_message(summary: AlertSummary, threshold: CrisisThreshold) -> dict[str, Any]:
    tag = bk.escape(summary.tag)
    plural = "s" if summary.count != 1 else ""
    if summary.closed_at is not None:
        headline = f":white_check_mark: Crisis alert closed: #{summary.tag}"
    else:
        headline = f":rotating_light: Crisis alert: #{summary.tag}"
    text = (
        f"{headline} — {summary.count} complaint{plural} tagged `{summary.tag}` since "
        f"{summary.since.strftime('%Y-%m-%d %H:%M UTC')}"
    )
    blocks: list[bk.Block] = [
        bk.header(headline),
        bk.section(
            f"*{summary.count} complaint{plural}* tagged `{tag}` since {bk.slack_date(summary.since)} "
            f"(alert threshold: {threshold.count} within {_window(threshold)}). "
            f"Latest {bk.slack_date(summary.last_complaint_at)}."
        ),
    ]
    if summary.networks:
        blocks.append(bk.fields([(network_label(network), str(count)) for network, count in summary.networks]))
    if summary.examples:
        lines = "\n".join(_example_line(example) for example in summary.examples)
        blocks.append(bk.section(f"*Latest complaints*\n{lines}"))
    blocks.append(bk.context(f"See them all: `/complaint list tag:{tag}`"))
    if summary.acknowledged_by and summary.acknowledged_at:
        blocks.append(
            bk.section(f":eyes: Acknowledged by <@{summary.acknowledged_by}> {bk.slack_date(summary.acknowledged_at)}.")
        )
    elif summary.closed_at is None:
        blocks.append(
            bk.actions(
                bk.button("Acknowledge", CrisisAction.ACKNOWLEDGE, str(summary.alert_id), style="primary"),
                block_id="crisis_actions",
            )
        )
    if summary.closed_at is not None:
        blocks.append(
            bk.context(
                f"Quiet for {_window(threshold)} — closed {bk.slack_date(summary.closed_at)}. "
                "A new spike raises a new alert."
            )
        )
    return bk.message(text, blocks)


def already_acknowledged(summary: AlertSummary) -> dict[str, Any]:
    when = bk.slack_date(summary.acknowledged_at) if summary.acknowledged_at else ""
    text = f":eyes: <@{summary.acknowledged_by}> already acknowledged the `{bk.escape(summary.tag)}` alert {when}."
    return bk.message(text, [bk.section(text)])


def _window(threshold: CrisisThreshold) -> str:
    minutes = threshold.window.total_seconds() / 60
    if minutes >= 60 and minutes % 60 == 0:
        hours = int(minutes // 60)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes:g} minutes"
