"""`/risk` — IT risk checks from the message box: start, resume, list, show, help.

Each sub-command answers in the ack when it can (the database part is quick); posting the
conversation in the HERO's DM follows after that answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks as bk
from bot.errors import UserError
from bot.ids import Kind, parse_id
from bot.risk import notices
from bot.risk import review as review_service
from bot.risk.conversation import label
from bot.risk.review import LIST_FILTERS
from bot.risk.review_views import assessment_list, detail_message
from bot.runtime import Runtime
from handlers.common import CommandReply, Subcommand, actor_of, register_command
from handlers.risk_flow import messages_tab, open_check, post_opening, repost, resume_check, risk_notice_for


def register(app: AsyncApp, runtime: Runtime) -> None:
    register_command(
        app, runtime, "/risk", SUBCOMMANDS, lambda problem: CommandReply(notices.usage(problem)), refusals=_refusals
    )


async def _refusals(produce: Callable[[], Awaitable[CommandReply]]) -> CommandReply:
    try:
        return await produce()
    except UserError as error:  # the unit of work it escaped was rolled back
        return CommandReply(risk_notice_for(error))


def usage(problem: str) -> CommandReply:
    return CommandReply(notices.usage(problem))


async def _start(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    project_id = parse_id(Kind.PROJECT, rest)
    if project_id is None:
        return usage("Name the project, e.g. `/risk start HERO-12`.")
    actor = await actor_of(runtime, client, body)
    started = await open_check(runtime, actor, project_id)

    async def post() -> None:
        await post_opening(runtime, client, started)

    notice = notices.started_notice(started.conversation, resumed=started.resumed, link=messages_tab(body))
    return CommandReply(notice, follow_up=post)


async def _resume(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    assessment_id = parse_id(Kind.RISK, rest) if rest else None
    if rest and assessment_id is None:
        return usage("Name the risk check, e.g. `/risk resume RISK-5`, or leave it out for your latest.")
    actor = await actor_of(runtime, client, body)
    conversation = await resume_check(runtime, actor, assessment_id)

    async def post() -> None:
        await repost(runtime, client, conversation)

    link = messages_tab(body)
    where = f"<{link}|open our DM>" if link else "carry on there"
    text = (
        f":arrow_forward: I posted {conversation.where()} of *{label(conversation.assessment)}* again in our "
        f"direct messages — {where}."
    )
    return CommandReply(bk.message(text, [bk.section(text)]), follow_up=post)


async def _list(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    filter_name = (rest.lower() or "mine").split()[0]
    if filter_name not in LIST_FILTERS:
        return usage(f"`{filter_name}` is not a list I know.")
    actor = await actor_of(runtime, client, body, reviewer=True)
    async with runtime.database.unit_of_work() as session:
        page = await review_service.list_assessments(session, actor, filter_name)
    return CommandReply(assessment_list(page, is_reviewer=actor.is_reviewer))


async def _show(runtime: Runtime, body: dict[str, Any], rest: str, client: AsyncWebClient) -> CommandReply:
    assessment_id = parse_id(Kind.RISK, rest)
    if assessment_id is None:
        return usage("Name the risk check, e.g. `/risk show RISK-5`.")
    actor = await actor_of(runtime, client, body, reviewer=True)
    async with runtime.database.unit_of_work() as session:
        shown = await review_service.detail(session, actor, assessment_id)
    can_decide = review_service.can_decide(actor, shown, runtime.settings.hero_it_reviewers_group)
    return CommandReply(detail_message(shown, can_decide=can_decide))


SUBCOMMANDS: dict[str, Subcommand] = {"start": _start, "resume": _resume, "list": _list, "show": _show}
