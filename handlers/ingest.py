"""`POST /api/complaints` — social-listening tools and CRMs push complaints in (see README, *Ingestion API*).

Bearer token `HERO_INGEST_TOKEN`, compared in constant time; off (404) when it is not set. A batch is one
transaction: stored whole or not at all, with the notices to owners and the triage channel (the outbox),
which are sent after the answer, paced per channel: a big batch is never held up by Slack's rate limits.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from aiohttp import web
from slack_sdk.errors import SlackApiError

from bot.complaints.ingest import MAX_BODY_BYTES, MAX_ITEMS, TEAM_HEADER, answer_items, parse_items
from bot.runtime import Runtime
from bot.workspaces import WorkspaceNotInstalled
from handlers.complaints_flow import announce, log_drafts

log = logging.getLogger("herobot.ingest")

PATH = "/api/complaints"
_background: set[asyncio.Task[Any]] = set()


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _authorised(request: web.Request, runtime: Runtime) -> bool:
    token = runtime.settings.hero_ingest_token
    assert token is not None
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode("utf-8"), token.get_secret_value().encode("utf-8"))


async def _workspace(request: web.Request, runtime: Runtime) -> str | web.Response:
    """The workspace the complaints belong to: the bot's own, or (OAuth) the one the header names."""
    named = request.headers.get(TEAM_HEADER, "").strip()
    assert runtime.workspaces is not None
    try:
        if runtime.settings.oauth_enabled:
            if not named:
                return _error(400, f"name the Slack workspace (team ID) in the {TEAM_HEADER} header")
            await runtime.workspaces.client_for(named)
            return named
        own = (await runtime.workspaces.team_ids())[0]
    except WorkspaceNotInstalled:
        return _error(400, f"herobot is not installed in workspace {named}")
    except SlackApiError as error:
        log.warning("cannot learn the bot's workspace: %s", error.response.get("error"))
        return _error(503, "Slack is unreachable just now; try again shortly")
    if named and named != own:
        return _error(400, f"this herobot serves workspace {own}, not {named}")
    return own


async def _body(request: web.Request) -> bytes | web.Response:
    too_big = _error(413, f"the body is over {MAX_BODY_BYTES} bytes; send at most {MAX_ITEMS} complaints per request")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return too_big
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return too_big
    return too_big if len(raw) > MAX_BODY_BYTES else raw


def register(web_app: web.Application, runtime: Runtime) -> None:
    async def ingest(request: web.Request) -> web.Response:
        if runtime.settings.hero_ingest_token is None:
            return _error(404, "ingestion is off: set HERO_INGEST_TOKEN to accept complaints here")
        if not _authorised(request, runtime):
            response = _error(401, "send the ingestion token as `Authorization: Bearer <HERO_INGEST_TOKEN>`")
            response.headers["WWW-Authenticate"] = 'Bearer realm="herobot"'
            return response
        raw = await _body(request)
        if isinstance(raw, web.Response):
            return raw
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            return _error(400, f"the body is not valid JSON: {error}")
        if not isinstance(payload, dict | list):
            return _error(400, "send one complaint as a JSON object, or several as an array of objects")
        if isinstance(payload, list) and not payload:
            return _error(400, "the array is empty: send at least one complaint")
        if isinstance(payload, list) and len(payload) > MAX_ITEMS:
            return _error(413, f"{len(payload)} complaints in one request; send at most {MAX_ITEMS}")
        drafts, problems = parse_items(payload)
        if problems:
            return _error(
                400,
                f"{len({p['index'] for p in problems})} complaint(s) are invalid; nothing was stored",
                errors=problems,
            )
        team_id = await _workspace(request, runtime)
        if isinstance(team_id, web.Response):
            return team_id
        client = await runtime.client_for(team_id)
        logged = await log_drafts(runtime, client, team_id, "api", drafts)
        created = any(item.created for item in logged)
        with runtime.in_flight.track():
            task = asyncio.ensure_future(_announce(runtime, logged))
        _background.add(task)
        task.add_done_callback(_background.discard)
        return web.json_response(answer_items(logged), status=201 if created else 200)

    web_app.router.add_post(PATH, ingest)


async def _announce(runtime: Runtime, logged: list[Any]) -> None:
    try:
        await announce(runtime, logged)
    except Exception:
        log.exception("could not tell owners and triage about ingested complaints")
