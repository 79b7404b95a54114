"""Telling people about new complaints: the owner's DM card, the post in the routed (triage) channel, and
the crisis check that follows. Called by the outbox's drainer (`bot.complaints.outbox`) with notices it
holds the lease of, grouped by recipient, so a burst becomes one post rather than one per complaint.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Connection

from bot.complaints import crisis
from bot.complaints import views as complaint_views
from bot.runtime import Runtime
from bot.workspaces import WorkspaceNotInstalled
from storage.models import Complaint
from storage.models.outbox import CHANNEL_POST, CRISIS_CHECK, OWNER_CARD
from storage.repositories import complaints as complaints_repository
from storage.repositories.outbox import Claimed

log = logging.getLogger("herobot.complaints.notices")

# More new complaints than this for one owner at once: one message listing them, not a card each.
OWNER_CARDS_MAX = 5


@dataclass
class Delivery:
    """What became of a group of notices: sent (or nothing to send), or to try again, and why."""

    sent: list[Claimed] = field(default_factory=list)
    failed: list[Claimed] = field(default_factory=list)
    reason: str | None = None
    # Owner cards posted: (complaint ID, DM channel, ts), kept on the complaint so later changes update the card.
    cards: list[tuple[int, str, str]] = field(default_factory=list)
    tags: dict[int, list[str]] = field(default_factory=dict)


def notice_of(complaint: Complaint) -> tuple[str, str | None]:
    """Where a new complaint's notice goes, as routed: its owner, else its channel, else nowhere."""
    if complaint.owner_id:
        return OWNER_CARD, complaint.owner_id
    if complaint.routed_channel:
        return CHANNEL_POST, complaint.routed_channel
    return CRISIS_CHECK, None


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _post(client: AsyncWebClient, channel: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        answer = await client.chat_postMessage(channel=channel, **payload)
    except SlackApiError as error:
        reason = str(error.response.get("error") or f"http_{error.response.status_code}")
        hint = " (invite the bot with /invite @herobot)" if reason == "not_in_channel" else ""
        raise _Refused(reason + hint) from None
    except (TimeoutError, aiohttp.ClientError) as error:
        raise _Refused(type(error).__name__) from None
    return dict(answer.data) if isinstance(answer.data, dict) else {}


def _complaints_and_tags(
    connection: Connection, team_id: str, group: Sequence[Claimed]
) -> tuple[list[Complaint], dict[int, list[str]]]:
    complaints = complaints_repository.complaints_by_id(connection, team_id, {row.complaint_id for row in group})
    return complaints, complaints_repository.tags_by_complaint(connection, [complaint.id for complaint in complaints])


async def deliver(runtime: Runtime, group: Sequence[Claimed]) -> Delivery:
    """Send one recipient's notices (one team, one kind, one recipient): one post for a channel, a card each
    for an owner, or a digest past OWNER_CARDS_MAX. Slack refusing leaves the unsent ones in `failed`."""
    first = group[0]
    complaints, tags = await runtime.database.read(_complaints_and_tags, first.team_id, group)
    found = {complaint.id: complaint for complaint in complaints}
    done = Delivery(tags={complaint.id: tags.get(complaint.id, []) for complaint in complaints})
    # A complaint deleted meanwhile has nobody to tell: its notice is done.
    done.sent = [row for row in group if row.complaint_id not in found]
    waiting = [row for row in group if row.complaint_id in found]
    if not waiting or first.kind == CRISIS_CHECK or first.recipient is None:
        done.sent += waiting
        return done
    try:
        client = await runtime.client_for(first.team_id)
    except WorkspaceNotInstalled as error:
        done.failed, done.reason = waiting, str(error)
        return done
    shown = [found[row.complaint_id] for row in waiting]
    now = runtime.now()
    try:
        if first.kind == OWNER_CARD and len(waiting) <= OWNER_CARDS_MAX:
            for row, complaint in zip(waiting, shown, strict=True):
                card = complaint_views.owner_card(complaint, done.tags[complaint.id], now)
                answer = await _post(client, first.recipient, card)
                done.sent.append(row)
                if answer.get("channel") and answer.get("ts"):
                    done.cards.append((complaint.id, str(answer["channel"]), str(answer["ts"])))
        else:
            compose = complaint_views.owner_digest if first.kind == OWNER_CARD else complaint_views.triage_post
            await _post(client, first.recipient, compose(shown, done.tags, now))
            done.sent += waiting
    except _Refused as refused:
        sent = {row.id for row in done.sent}
        done.failed = [row for row in waiting if row.id not in sent]
        done.reason = refused.reason
    return done


async def check_crisis(runtime: Runtime, rows: Sequence[Claimed], tags: dict[int, list[str]]) -> None:
    """The crisis check of each complaint, after its notice, as when it was sent straight from the request."""
    for row in rows:
        if not tags.get(row.complaint_id):
            continue  # no tag, no spike to count
        try:
            client = await runtime.client_for(row.team_id)
            await crisis.complaint_logged(runtime, client, row.team_id, row.complaint_id, tags[row.complaint_id])
        except Exception:
            log.exception("the crisis check failed for complaint %s", row.complaint_id)
