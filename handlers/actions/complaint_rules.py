"""Buttons of the routing-rule list: Add rule, Edit, Up, Down, Delete, pages. Admins only, checked on every click."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks as bk
from bot.complaints import rules as rule_service
from bot.complaints.routing_ids import RuleAction, RuleModalMeta, RuleRef
from bot.complaints.rule_views import rule_modal
from bot.runtime import Runtime
from handlers.common import Respond, answering, tell, warning
from handlers.complaint_rules_flow import NOT_ADMIN, admin_of, rule_list
from handlers.projects_flow import open_or_push


def _channel(body: dict[str, Any]) -> str | None:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


async def _show(respond: Respond, payload: dict[str, Any]) -> None:
    await respond(replace_original=True, response_type="ephemeral", **payload)


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def open_modal(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        ref = RuleRef.decode(action.get("value")) or RuleRef()
        async with answering(body, client, respond):
            actor = await admin_of(runtime, client, body)
            if actor is None:
                await tell(body, client, respond, warning(NOT_ADMIN))
                return
            rule = None
            if action.get("action_id") == RuleAction.EDIT:
                if ref.r is None:
                    return
                async with runtime.database.unit_of_work() as session:
                    rule = await rule_service.get_rule(session, actor.team_id, ref.r)
            groups = await runtime.directory.groups(client, actor.team_id)
            meta = RuleModalMeta(channel=_channel(body), page=ref.p)
            await open_or_push(client, body, rule_modal(groups, rule=rule, meta=meta))

    @app.action(RuleAction.ADD)
    async def add_rule(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        await open_modal(body, action, respond, client)

    @app.action(RuleAction.EDIT)
    async def edit_rule(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        await open_modal(body, action, respond, client)

    async def change(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient, what: str
    ) -> None:
        ref = RuleRef.decode(action.get("value"))
        if ref is None:
            return
        async with answering(body, client, respond):
            actor = await admin_of(runtime, client, body)
            if actor is None:
                await tell(body, client, respond, warning(NOT_ADMIN))
                return
            notice = ""
            if what != "page" and ref.r is not None:
                async with runtime.database.unit_of_work() as session:
                    if what == "delete":
                        deleted = await rule_service.delete_rule(session, actor, ref.r)
                        notice = f":wastebasket: Deleted the rule *{bk.escape(deleted.name)}*."
                    else:
                        step = -1 if what == "up" else 1
                        await rule_service.move_rule(session, actor, ref.r, step, now=runtime.now())
            await _show(respond, await rule_list(runtime, client, actor.team_id, page=ref.p, notice=notice))

    for action_id, what in (
        (RuleAction.UP, "up"),
        (RuleAction.DOWN, "down"),
        (RuleAction.DELETE, "delete"),
        (RuleAction.PAGE, "page"),
    ):

        def make(what: str) -> Any:
            async def listener(
                ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
            ) -> None:
                await ack()
                await change(body, action, respond, client, what)

            return listener

        app.action(action_id)(make(what))
