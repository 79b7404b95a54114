"""Submission of the routing-rule modal: checked (admin, conditions, pattern, target in Slack), then saved."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks as bk
from bot.complaints import rules as rule_service
from bot.complaints.routing_ids import RuleAction, RuleModalMeta
from bot.complaints.rule_targets import target_problems
from bot.complaints.rule_views import draft_from_state
from bot.complaints.rules import Field
from bot.errors import InvalidInput, UserError
from bot.runtime import Runtime
from handlers.common import log, post_safely, team_of, user_of
from handlers.complaint_rules_flow import NOT_ADMIN, admin_of, rule_list


def _placed(errors: dict[str, str], view: dict[str, Any]) -> dict[str, str]:
    """Errors only on inputs the modal has (an error on a missing block would make Slack refuse them all)."""
    present = {block.get("block_id") for block in view.get("blocks") or [] if block.get("type") == "input"}
    placed: dict[str, str] = {}
    for field, message in errors.items():
        where = field if field in present else Field.TARGET_KIND if Field.TARGET_KIND in present else Field.NAME
        placed.setdefault(str(where), message)
    return placed


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.view(RuleAction.MODAL)
    async def rule_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        actor = await admin_of(runtime, client, body)
        if actor is None:
            await ack(response_action="errors", errors={Field.NAME: NOT_ADMIN})
            return
        meta = RuleModalMeta.decode(view.get("private_metadata"))
        draft = draft_from_state(view["state"]["values"]).cleaned()
        errors = rule_service.problems(draft) or await target_problems(runtime.directory, client, actor.team_id, draft)
        if errors:
            await ack(response_action="errors", errors=_placed(errors, view))
            return
        try:
            async with runtime.database.unit_of_work() as session:
                rule = await rule_service.save_rule(session, actor, draft, rule_id=meta.rule_id, now=runtime.now())
        except UserError as error:
            field = error.field if isinstance(error, InvalidInput) and error.field else Field.NAME
            await ack(response_action="errors", errors=_placed({field: str(error)}, view))
            return
        await ack()
        verb = "Saved" if meta.rule_id else "Added"
        notice = f":white_check_mark: {verb} the rule *{bk.escape(rule.name)}*."
        payload = await rule_list(runtime, client, team_of(body), page=meta.page, notice=notice)
        await _show_list(client, meta.channel, user_of(body), payload)


async def _show_list(client: AsyncWebClient, channel: str | None, user_id: str, payload: dict[str, Any]) -> None:
    """The refreshed list, ephemerally where the admin opened it, or by DM when that channel can't be used."""
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user_id, **payload)
            return
        except SlackApiError as error:
            log.info("rule list in %s failed (%s); sending a DM", channel, error.response.get("error"))
    await post_safely(client, user_id, payload)
