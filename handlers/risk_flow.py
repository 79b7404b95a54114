"""Steps the risk listeners share: posting the conversation's next message, retiring old ones,
sending a submitted check to IT, and telling everyone about a decision."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks as bk
from bot.errors import UserError
from bot.permissions import Actor
from bot.risk import notices, service
from bot.risk import review as review_service
from bot.risk import views as risk_views
from bot.risk.checklist import load_checklist
from bot.risk.conversation import ApprovedAlready, Conversation, StaleAction
from bot.risk.review import Review
from bot.risk.review_views import decision_for_hero, review_card
from bot.runtime import Runtime
from handlers.common import Respond, post_safely, team_of, tell, warning

log = logging.getLogger("herobot.risk")


@asynccontextmanager
async def risk_answering(body: dict[str, Any], client: AsyncWebClient, respond: Respond | None) -> AsyncIterator[None]:
    """Run a use case for a button or modal; a refusal is told to the person, and nothing is stored."""
    try:
        yield
    except UserError as error:
        await tell(body, client, respond, risk_notice_for(error))


async def update_message(client: AsyncWebClient, channel: str | None, ts: str | None, payload: dict[str, Any]) -> None:
    """Replace a message the bot posted; one that is gone or can't be edited is only logged."""
    if not channel or not ts:
        return
    try:
        await client.chat_update(channel=channel, ts=ts, **payload)
    except SlackApiError as error:
        log.warning("could not update message %s in %s: %s", ts, channel, error.response.get("error"))


def clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and ts of the (non-ephemeral) message a button was pressed in."""
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None, None
    return container.get("channel_id"), container.get("message_ts")


async def post_prompt(runtime: Runtime, client: AsyncWebClient, conversation: Conversation) -> dict[str, Any] | None:
    """Post the current question (or the summary) in the HERO's DM and remember it as the live prompt."""
    assessment = conversation.assessment
    payload = (
        risk_views.question_message(conversation)
        if conversation.question is not None
        else risk_views.summary_message(conversation)
    )
    posted = await post_safely(client, assessment.hero_id, payload)
    if posted and posted.get("channel") and posted.get("ts"):
        async with runtime.database.unit_of_work() as session:
            await service.remember_prompt(session, assessment.team_id, assessment.id, posted["channel"], posted["ts"])
    return posted


async def retire_live_prompt(client: AsyncWebClient, conversation: Conversation, reason: str) -> None:
    """The message that had the live buttons before a resume keeps its text but loses its buttons."""
    assessment = conversation.assessment
    await update_message(
        client, assessment.dm_channel, assessment.prompt_ts, notices.retired_prompt(conversation.question, reason)
    )


async def permalink(client: AsyncWebClient, channel: str | None, ts: str | None) -> str | None:
    if not channel or not ts:
        return None
    try:
        answer = await client.chat_getPermalink(channel=channel, message_ts=ts)
        return str(answer.get("permalink") or "") or None
    except SlackApiError:
        return None


async def open_check(
    runtime: Runtime, actor: Actor, project_id: int, *, replace_approved: bool = False
) -> service.Started:
    """Start (or pick up) a project's risk check: the database part, quick enough to answer in an ack."""
    checklist = load_checklist(runtime.settings)
    async with runtime.database.unit_of_work() as session:
        return await service.start(session, actor, project_id, checklist, replace_approved=replace_approved)


async def post_opening(runtime: Runtime, client: AsyncWebClient, started: service.Started) -> None:
    """The check's first messages in the HERO's DM: an introduction (or a revision's), then the question."""
    conversation = started.conversation
    hero = conversation.assessment.hero_id
    if started.resumed:
        await retire_live_prompt(client, conversation, notices.ASKED_AGAIN_NOTE)
    elif started.revision_of is not None:
        await post_safely(client, hero, risk_views.revision_intro(conversation, started.revision_of))
    else:
        await post_safely(client, hero, risk_views.intro_message(conversation))
    await post_prompt(runtime, client, conversation)


async def begin(
    runtime: Runtime,
    client: AsyncWebClient,
    body: dict[str, Any],
    actor: Actor,
    project_id: int,
    *,
    replace_approved: bool = False,
) -> dict[str, Any]:
    """Open the check and post it; the short note for the surface the person started it from."""
    started = await open_check(runtime, actor, project_id, replace_approved=replace_approved)
    await post_opening(runtime, client, started)
    return notices.started_notice(started.conversation, resumed=started.resumed, link=messages_tab(body))


def messages_tab(body: dict[str, Any]) -> str | None:
    """Slack's deep link to the person's DM with the bot (the app's Messages tab)."""
    app_id = body.get("api_app_id")
    team = team_of(body)
    return f"slack://app?team={team}&id={app_id}&tab=messages" if app_id and team else None


async def resume_check(runtime: Runtime, actor: Actor, assessment_id: int | None) -> Conversation:
    async with runtime.database.unit_of_work() as session:
        return await service.resume(session, actor, assessment_id)


async def repost(runtime: Runtime, client: AsyncWebClient, conversation: Conversation) -> None:
    """After a resume: the older prompt loses its buttons, the same question is posted again below."""
    await retire_live_prompt(client, conversation, notices.RESUMED_NOTE)
    await post_prompt(runtime, client, conversation)


async def resume(runtime: Runtime, client: AsyncWebClient, actor: Actor, assessment_id: int | None) -> Conversation:
    conversation = await resume_check(runtime, actor, assessment_id)
    await repost(runtime, client, conversation)
    return conversation


def risk_notice_for(error: UserError) -> dict[str, Any]:
    """How a refusal reads: a stale button gets a calm note with a way back, an approved check a choice."""
    if isinstance(error, ApprovedAlready):
        return notices.replace_approved_prompt(error.assessment_id, error.project_id, str(error))
    if isinstance(error, StaleAction):
        return notices.stale_notice(str(error), error.resume_id)
    return warning(str(error))


async def send_for_review(runtime: Runtime, client: AsyncWebClient, review: Review) -> str:
    """Post the review card to IT's channel, or to each reviewer by DM; say where it went."""
    settings = runtime.settings
    previous = review.previous_cards[0] if review.previous_cards else None
    link = await permalink(client, previous.channel_id, previous.message_ts) if previous else None
    card = review_card(review, previous_link=link)
    posted: list[tuple[str, str]] = []
    channel = settings.hero_it_review_channel
    if channel:
        answer = await post_safely(client, channel, card)
        if answer:
            posted.append((answer["channel"], answer["ts"]))
    if not posted:
        team_id = review.assessment.team_id
        members = await runtime.directory.group_members(client, team_id, settings.hero_it_reviewers_group)
        own = {review.assessment.hero_id, review.project.owner_id}
        for reviewer in sorted(members - own):
            answer = await post_safely(client, reviewer, card)
            if answer:
                posted.append((answer["channel"], answer["ts"]))
    if posted:
        async with runtime.database.unit_of_work() as session:
            await review_service.remember_cards(session, review.assessment.team_id, review.assessment.id, posted)
    group = review_service.group_mention(settings.hero_it_reviewers_group)
    if channel and posted and posted[0][0] == channel:
        return f"posted in <#{channel}> for {group}"
    if posted:
        return f"sent to {len(posted)} IT reviewer{'s' if len(posted) != 1 else ''} by direct message"
    return (
        f"but I couldn't reach any IT reviewer ({group} has no members I can message"
        + (f" and I can't post in <#{channel}>" if channel else "")
        + "). Your check is saved and waiting; please ask an admin to fix the set-up"
    )


async def announce_decision(
    runtime: Runtime,
    client: AsyncWebClient,
    review: Review,
    *,
    also: tuple[str | None, str | None] = (None, None),
) -> None:
    """Every card shows the decision instead of the buttons, and the HERO hears it by DM.

    `also` is the message the reviewer pressed in, updated even if it was never recorded as a card.
    """
    async with runtime.database.unit_of_work() as session:
        cards = await review_service.cards_of(session, review.assessment.team_id, review.assessment.id)
    card = review_card(review)
    places = [(posted.channel_id, posted.message_ts) for posted in cards]
    if also[0] and also[1] and also not in places:
        places.append((also[0], also[1]))
    for channel, ts in places:
        await update_message(client, channel, ts, card)
    await post_safely(client, review.assessment.hero_id, decision_for_hero(review))


def submitted_note(review: Review, where: str) -> str:
    when = bk.slack_date(review.assessment.submitted_at) if review.assessment.submitted_at else "now"
    return f":outbox_tray: Submitted for IT review {when}, {where}. You'll get the decision here by direct message."
