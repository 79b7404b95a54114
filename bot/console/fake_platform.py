"""The fake Slack's platform side: tokens and their scopes, the OAuth install grant, and Socket Mode.

Like Slack: a token belongs to one workspace and carries the scopes granted at install; a call needing a
scope the token lacks is refused with `missing_scope`; `oauth.v2.access` trades a one-time code for a bot
token; `apps.connections.open` (app-level token) hands out a WebSocket URL on which envelopes are sent and
must be acknowledged by their `envelope_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from bot.slack_scopes import APP_LEVEL_METHODS, missing_scope

SOCKET_ACK_SECONDS = 3.0


@dataclass
class Grant:
    """What a token is: whose workspace, which bot scopes (None: any), who installed it."""

    team_id: str
    scopes: frozenset[str] | None
    installer: str = ""


class PlatformMixin:
    team_id: str
    base_url: str
    BOT_USER: str
    BOT_ID: str
    problems: list[str]

    def _init_platform(self, scopes: list[str] | None) -> None:
        self.scopes = frozenset(scopes) if scopes is not None else None
        self.grants: dict[str, Grant] = {}
        self._codes: dict[str, Grant] = {}
        self._tokens = itertools.count(1)
        self.sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._socket_opened = asyncio.Event()

    def _add_platform_routes(self, app: web.Application) -> None:
        app.router.add_get("/socket/{ticket}", self._handle_socket)

    # ---- tokens and scopes ------------------------------------------------------------------
    def grant_of(self, token: str | None) -> Grant:
        return self.grants.get(token or "") or Grant(self.team_id, self.scopes)

    def _refuse(self, method: str, token: str | None) -> dict[str, Any] | None:
        """Slack's answer when this token may not call this method; None when it may."""
        if method in APP_LEVEL_METHODS:
            if not (token or "").startswith("xapp-"):
                self.problems.append(f"{method} needs an app-level token (xapp-)")
                return {"error": "not_allowed_token_type"}
            return None
        if (token or "").startswith("xapp-"):
            self.problems.append(f"{method} called with an app-level token")
            return {"error": "not_allowed_token_type"}
        granted = self.grant_of(token).scopes
        needed = missing_scope(method, granted) if granted is not None else None
        if needed:
            self.problems.append(f"{method} needs one of the scopes {', '.join(sorted(needed))}, not granted")
            return {
                "error": "missing_scope",
                "needed": ",".join(sorted(needed)),
                "provided": ",".join(sorted(granted or ())),
            }
        return None

    # ---- OAuth ------------------------------------------------------------------------------
    def approve_install(self, team_id: str, installer: str, scopes: list[str]) -> str:
        """A person of `team_id` presses Allow on Slack's consent page: the code the redirect carries."""
        code = f"code-{uuid.uuid4().hex[:12]}"
        self._codes[code] = Grant(team_id, frozenset(scopes), installer)
        return code

    def _api_oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        grant = self._codes.pop(params.get("code", ""), None)
        if grant is None:
            return {"error": "invalid_code"}
        token = f"xoxb-{grant.team_id}-{next(self._tokens)}"
        self.grants[token] = grant
        return {
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(sorted(grant.scopes or ())),
            "bot_user_id": self.BOT_USER,
            "app_id": "A0HEROBOT",
            "team": {"id": grant.team_id, "name": f"Workspace {grant.team_id}"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }

    # ---- Socket Mode ------------------------------------------------------------------------
    def _api_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        ws_base = self.base_url.replace("http://", "ws://", 1)
        return {"url": f"{ws_base}/socket/{uuid.uuid4().hex[:8]}"}

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        self._socket_opened.set()
        await socket.send_json(
            {"type": "hello", "num_connections": len(self.sockets), "connection_info": {"app_id": "A0HEROBOT"}}
        )
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError):
                    answer = json.loads(message.data)
                    waiting = self._acks.pop(str(answer.get("envelope_id")), None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(answer)
        finally:
            self.sockets.remove(socket)
        return socket

    async def wait_for_socket(self, within: float = 5.0) -> None:
        await asyncio.wait_for(self._socket_opened.wait(), within)

    async def socket_request(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0
    ) -> dict[str, Any] | None:
        """Send one envelope to the connected app and return its ack's payload (Slack gives up after 3 s)."""
        if not self.sockets:
            raise ConnectionError("no app is connected over Socket Mode")
        envelope_id = str(uuid.uuid4())
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiting
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        try:
            answer = await asyncio.wait_for(waiting, SOCKET_ACK_SECONDS)
        finally:
            self._acks.pop(envelope_id, None)
        ack_payload = answer.get("payload")
        return ack_payload if isinstance(ack_payload, dict) else None

    async def close_sockets(self) -> None:
        for socket in list(self.sockets):
            await socket.close()
