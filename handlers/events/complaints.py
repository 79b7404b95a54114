"""Reacting with HERO_COMPLAINT_EMOJI to a message logs it at once, with defaults.

The same message is logged once: its (channel, ts) is a unique key, so a second reaction, another
reactor or a Slack retry finds the stored complaint and stays silent.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints import views as complaint_views
from bot.complaints.capture import draft_from_message
from bot.runtime import Runtime
from handlers.common import log, post_safely, team_of
from handlers.complaints_flow import announce, fetch_message, log_drafts, permalink, reply_in_thread


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.event("reaction_added")
    async def reaction_added(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        emoji = str(event.get("reaction") or "").split("::", 1)[0]
        item = event.get("item") or {}
        if emoji != runtime.settings.hero_complaint_emoji or item.get("type") != "message":
            return
        channel, ts, reactor = item.get("channel") or "", item.get("ts") or "", event.get("user") or ""
        message = await fetch_message(client, channel, ts)
        if message is None:
            await post_safely(
                client,
                reactor,
                {
                    "text": f":warning: I could not read the message you flagged in <#{channel}>, so it was not logged. "
                    "Invite me with `/invite @herobot`, or use `/complaint add <link or text>`."
                },
            )
            return
        link = await permalink(client, channel, ts)
        draft = draft_from_message(message.get("text") or "", channel=channel, ts=ts, permalink=link, source="reaction")
        team_id = team_of(body)
        logged = (await log_drafts(runtime, client, team_id, reactor, [draft.validated()]))[0]
        if not logged.created:
            log.info("message %s in %s is already complaint %s", ts, channel, logged.complaint.id)
            return
        reply = complaint_views.logged_reply(logged, runtime.now(), add_details=True)
        await reply_in_thread(runtime, client, logged.complaint, channel, message.get("thread_ts") or ts, reply)
        await announce(runtime, [logged])
