"""Crisis alerts: a spike of complaints with one tag raises one alert in the crisis channel.

When the complaints with a tag reach HERO_CRISIS_THRESHOLD (N within the window), HERO_CRISIS_CHANNEL
gets one alert; each later complaint with that tag updates it (chat.update) instead of posting again.
Once a whole window passes without a complaint with the tag, the alert is closed and the next spike
raises a new one. Anyone who sees the alert may acknowledge it: the crisis channel is the team on call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.complaints import crisis_store as store
from bot.complaints.crisis_views import alert_message
from bot.runtime import Runtime

log = logging.getLogger("herobot.complaints.crisis")

# Updates of one alert message per refresh, at most: figures that keep moving are shown by the next complaint's.
REFRESH_ROUNDS = 3


async def complaint_logged(
    runtime: Runtime, client: AsyncWebClient, team_id: str, complaint_id: int, tags: Sequence[str]
) -> None:
    """Called once a new complaint is committed: raise, or update, the alert for each of its tags."""
    if not runtime.settings.hero_crisis_channel:
        return
    for tag in dict.fromkeys(t for t in tags if t):
        try:
            await _tag_logged(runtime, client, team_id, tag)
        except Exception:  # the complaint is stored; an alert that fails must not fail its capture
            log.exception("crisis alert for tag %r of complaint %s failed", tag, complaint_id)


async def _tag_logged(runtime: Runtime, client: AsyncWebClient, team_id: str, tag: str) -> None:
    threshold = runtime.settings.crisis_threshold
    now = runtime.now()
    stale = None
    async with runtime.database.unit_of_work() as session:
        alert = await store.open_alert(session, team_id, tag)
        if alert is not None and alert.last_complaint_at <= now - threshold.window:
            if await store.close_alert(session, alert, now):
                stale = alert.id
            alert = None
        raised = False
        if alert is None:
            count = await store.count_since(session, team_id, tag, now - threshold.window)
            if count >= threshold.count:
                alert, raised = await store.raise_alert(session, team_id, tag, count, now)
        if alert is not None and not raised:
            alert.count = await store.count_since(session, team_id, tag, store.alert_since(alert, threshold.window))
            alert.last_complaint_at = max(alert.last_complaint_at, now)
        alert_id = alert.id if alert is not None else None
    if stale is not None:
        await refresh(runtime, client, team_id, stale)
    if alert_id is None:
        return
    if raised:
        await _post(runtime, client, team_id, alert_id)
    else:
        await refresh(runtime, client, team_id, alert_id)


async def _post(runtime: Runtime, client: AsyncWebClient, team_id: str, alert_id: int) -> None:
    """Post the alert this instance raised; if Slack refuses, withdraw it so the next complaint raises it again."""
    channel = runtime.settings.hero_crisis_channel
    assert channel is not None
    threshold = runtime.settings.crisis_threshold
    async with runtime.database.unit_of_work() as session:
        alert = await store.get_alert(session, team_id, alert_id)
        if alert is None:
            return
        shown = await store.summary(session, alert, threshold.window)
    try:
        answer = await client.chat_postMessage(channel=channel, **alert_message(shown, threshold))
    except SlackApiError as error:
        log.warning("could not post the crisis alert to %s: %s", channel, error.response.get("error"))
        async with runtime.database.unit_of_work() as session:
            await store.withdraw(session, alert_id)
        return
    async with runtime.database.unit_of_work() as session:
        await store.set_message(session, alert_id, str(answer["channel"]), str(answer["ts"]))
        alert = await store.get_alert(session, team_id, alert_id)
        latest = await store.summary(session, alert, threshold.window) if alert is not None else shown
    if latest != shown:  # complaints that came while it was being posted found no message to update
        await refresh(runtime, client, team_id, alert_id)


async def refresh(runtime: Runtime, client: AsyncWebClient, team_id: str, alert_id: int) -> None:
    """Show the alert's current counts (or its acknowledgement, or that it closed) in its message.

    Several instances may update the message at once, and Slack keeps whichever update reaches it last,
    which need not be the newest figures. So after each update the figures are read again and shown again
    if they moved meanwhile: the last instance to update always leaves the newest figures."""
    threshold = runtime.settings.crisis_threshold
    shown: store.AlertSummary | None = None
    for _ in range(REFRESH_ROUNDS):
        async with runtime.database.unit_of_work() as session:
            alert = await store.get_alert(session, team_id, alert_id)
            if alert is None or not alert.channel or not alert.ts:
                return  # still being posted by whoever raised it; that one shows the latest counts
            channel, ts = alert.channel, alert.ts
            latest = await store.summary(session, alert, threshold.window)
        if latest == shown:
            return
        try:
            await client.chat_update(channel=channel, ts=ts, **alert_message(latest, threshold))
        except SlackApiError as error:
            log.warning(
                "could not update the crisis alert %s in %s: %s", alert_id, channel, error.response.get("error")
            )
            return
        shown = latest
