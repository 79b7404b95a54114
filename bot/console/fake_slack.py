"""A small Slack-compatible Web API server on loopback, for the console and the tests.

It answers the methods the bot uses with just enough state (messages, threads, ephemerals, modals,
Home tabs, users, user groups, uploads), records every call, and — like Slack — refuses unknown
methods and calls missing a required parameter, checked against Slack's published method list.
Failures (429 with Retry-After, 500, a hang) can be scheduled per method.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bot.console.blockkit_limits import violations
from bot.console.fake_platform import PlatformMixin

METHODS: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).with_name("slack_methods.json")).read_text(encoding="utf-8")
)["methods"]

TRIGGER_LIFETIME_SECONDS = 3.0
JSON_FIELDS = ("blocks", "view", "attachments", "files", "users")


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_admin: bool = False
    tz: str = "Europe/London"
    title: str = ""


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    bot_is_member: bool = True
    topic: str = ""


@dataclass
class UserGroup:
    id: str
    handle: str
    name: str
    users: list[str]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None = None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    user: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edited: bool = False


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    source: str  # "chat.postEphemeral" or "response_url"


@dataclass
class OpenView:
    id: str
    user: str
    view: dict[str, Any]
    hash: str


@dataclass
class ResponseTarget:
    """Where a response_url leads: the person who acted, and the message they acted on, if any."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral: bool = False


@dataclass
class Failure:
    status: int
    times: int
    retry_after: int = 1
    hang_seconds: float = 0.0


class FakeSlack(PlatformMixin):
    BOT_USER = "U0HEROBOT"
    BOT_ID = "B0HEROBOT"

    def __init__(
        self,
        *,
        team_id: str = "T0HERO",
        users: list[User] | None = None,
        channels: list[Channel] | None = None,
        usergroups: list[UserGroup] | None = None,
        scopes: list[str] | None = None,
    ) -> None:
        """`scopes`: the bot scopes its token was granted (None: any); calls needing others are refused."""
        self.team_id = team_id
        self.users = {u.id: u for u in users or []}
        self.channels = {c.id: c for c in channels or []}
        self.usergroups = {g.id: g for g in usergroups or []}
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.modals: dict[str, list[OpenView]] = {}
        self.homes: dict[str, OpenView] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, Failure] = {}
        self._triggers: dict[str, tuple[str, float]] = {}
        self._responses: dict[str, ResponseTarget] = {}
        self._clock = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._holds: dict[str, asyncio.Event] = {}
        self._init_platform(scopes)
        self._caller_token: str | None = None

    # ---- serving -----------------------------------------------------------------------------
    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{token}", self._handle_response)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        self._add_platform_routes(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        assert sockets, "the fake Slack could not bind a port"
        bound = sockets[0].getsockname()[1]
        self.base_url = f"http://{host}:{bound}"
        return self.base_url + "/api/"

    async def stop(self) -> None:
        await self.close_sockets()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    # ---- what the emulator hands out ------------------------------------------------------------
    def new_trigger(self, user: str) -> str:
        trigger = f"{next(self._ids)}.{int(time.time())}.trigger"
        self._triggers[trigger] = (user, time.monotonic())
        return trigger

    def new_response_url(self, target: ResponseTarget) -> str:
        token = f"R{next(self._ids):06d}"
        self._responses[token] = target
        return f"{self.base_url}/response/{token}"

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._clock)}.{next(self._clock):06d}"

    def post_as_user(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> Message:
        """A person (not the bot) writes a message, e.g. a social-listening feed dropping a post."""
        message = Message(channel=channel, ts=self.next_ts(), text=text, user=user, thread_ts=thread_ts)
        self.messages.setdefault(channel, []).append(message)
        return message

    def hold(self, method: str) -> asyncio.Event:
        """Keep the next call to `method` in flight until the returned event is set, as a slow network would:
        it is seen (in `calls`) at once but takes effect, and is answered, only then."""
        gate = asyncio.Event()
        self._holds[method] = gate
        return gate

    def fail(
        self, method: str, status: int, *, times: int = 1, retry_after: int = 1, hang_seconds: float = 0.0
    ) -> None:
        self.failures[method] = Failure(status=status, times=times, retry_after=retry_after, hang_seconds=hang_seconds)

    # ---- queries for tests and the console -----------------------------------------------------
    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    def dm_channel(self, user: str) -> str:
        return "D" + user.lstrip("UW")

    def find_message(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages.get(channel, []) if m.ts == ts), None)

    def top_modal(self, user: str) -> OpenView | None:
        stack = self.modals.get(user) or []
        return stack[-1] if stack else None

    async def wait_for(self, predicate: Any, within: float = 5.0) -> None:
        """Wait until `predicate()` holds, woken by each call; raise TimeoutError otherwise."""

        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), within)

    # ---- the Web API ------------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else params.get("token")
        self.calls.append(Call(method, params, token))
        self._changed.set()
        if (gate := self._holds.pop(method, None)) is not None:
            await gate.wait()
        failure = self.failures.get(method)
        if failure and failure.times > 0:
            failure.times -= 1
            if failure.hang_seconds:
                await asyncio.sleep(failure.hang_seconds)
            headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
            return web.json_response(
                {"ok": False, "error": "ratelimited" if failure.status == 429 else "fatal_error"},
                status=failure.status,
                headers=headers,
            )
        spec = METHODS.get(method)
        if spec is None:
            self.problems.append(f"unknown method {method}")
            return web.json_response({"ok": False, "error": "unknown_method"})
        if spec["scopes"] == "" and authorization.startswith("Basic "):
            pass  # oauth.* methods authenticate the app by its client ID and secret instead
        elif not token:
            self.problems.append(f"{method} without a token")
            return web.json_response({"ok": False, "error": "not_authed"})
        elif refused := self._refuse(method, token):
            return web.json_response({"ok": False, **refused})
        missing = [name for name in spec["required"] if params.get(name) in (None, "")]
        if method == "views.update" and not (params.get("view_id") or params.get("external_id")):
            missing.append("view_id")
        if missing:
            self.problems.append(f"{method} missing {', '.join(missing)}")
            return web.json_response({"ok": False, "error": "invalid_arguments", "missing": missing})
        invalid = self._invalid_blocks(method, params)
        if invalid:
            self.problems.append(f"{method}: {'; '.join(invalid)}")
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": invalid})
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        self._caller_token = token  # handlers are synchronous: no other call can interleave
        result = handler(params) if handler else {}
        body = {"ok": True, **result} if "error" not in result else {"ok": False, **result}
        return web.json_response(body)

    def _invalid_blocks(self, method: str, params: dict[str, Any]) -> list[str]:
        """Slack refuses a message or view past its Block Kit limits; so does the fake."""
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            return violations(params, "message")
        if method.startswith("views.") and isinstance(params.get("view"), dict):
            view = params["view"]
            return violations(view, "home" if view.get("type") == "home" else "modal")
        return []

    async def _handle_response(self, request: web.Request) -> web.Response:
        target = self._responses.get(request.match_info["token"])
        if target is None:
            return web.Response(status=404, text="no such response_url")
        payload = await request.json()
        self.calls.append(Call("response_url", payload))
        self._changed.set()
        invalid = violations(payload, "message")
        if invalid:
            self.problems.append(f"response_url: {'; '.join(invalid)}")
            return web.Response(status=400, text="invalid_blocks")
        original = self.find_message(target.channel, target.message_ts) if target.message_ts else None
        if payload.get("delete_original") and original:
            self.messages[target.channel].remove(original)
        elif payload.get("replace_original") and original and not target.ephemeral:
            original.text = payload.get("text", "")
            original.blocks = payload.get("blocks") or []
            original.edited = True
        elif payload.get("response_type") == "in_channel":
            self._post(target.channel, payload.get("text", ""), payload.get("blocks") or [], payload.get("thread_ts"))
        else:
            self.ephemerals.append(
                Ephemeral(
                    target.channel,
                    target.user,
                    payload.get("text", ""),
                    payload.get("blocks") or [],
                    "response_url",
                )
            )
        return web.Response(text="ok")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404)
        self.uploads[file_id]["bytes"] = await request.read()
        return web.Response(text="OK - uploaded")

    # One function per method, named after it. Each returns the fields of an ok answer, or {"error": …}.
    def _post(self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None) -> Message:
        message = Message(
            channel=channel,
            ts=self.next_ts(),
            text=text,
            user=self.BOT_USER,
            blocks=blocks,
            thread_ts=thread_ts,
        )
        self.messages.setdefault(channel, []).append(message)
        return message

    def _resolve_channel(self, channel: str) -> tuple[str | None, dict[str, Any] | None]:
        if channel.startswith(("U", "W")) and channel in self.users:
            return self.dm_channel(channel), None
        if channel.startswith("D"):
            return channel, None
        found = self.channels.get(channel)
        if found is None:
            return None, {"error": "channel_not_found"}
        if not found.bot_is_member:
            return None, {"error": "not_in_channel"}
        return channel, None

    def _api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "team_id": self.grant_of(self._caller_token).team_id,
            "user_id": self.BOT_USER,
            "bot_id": self.BOT_ID,
            "team": "HERO demo",
            "url": "https://hero-demo.slack.com/",
        }

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("text") and not params.get("blocks"):
            return {"error": "no_text"}
        channel, error = self._resolve_channel(params["channel"])
        if error:
            return error
        assert channel is not None
        message = self._post(channel, params.get("text", ""), params.get("blocks") or [], params.get("thread_ts"))
        return {"channel": channel, "ts": message.ts, "message": {"text": message.text, "ts": message.ts}}

    def _api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._resolve_channel(params["channel"])
        if error:
            return error
        assert channel is not None
        self.ephemerals.append(
            Ephemeral(
                channel,
                params["user"],
                params.get("text", ""),
                params.get("blocks") or [],
                "chat.postEphemeral",
            )
        )
        return {"message_ts": self.next_ts()}

    def _api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.find_message(params["channel"], params["ts"])
        if message is None:
            return {"error": "message_not_found"}
        message.text = params.get("text", message.text)
        if "blocks" in params:
            message.blocks = params.get("blocks") or []
        message.edited = True
        return {"channel": params["channel"], "ts": message.ts, "text": message.text}

    def _api_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.find_message(params["channel"], params["ts"])
        if message is None:
            return {"error": "message_not_found"}
        self.messages[params["channel"]].remove(message)
        return {"channel": params["channel"], "ts": params["ts"]}

    def _api_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params["channel"], params["message_ts"]
        if self.find_message(channel, ts) is None:
            return {"error": "message_not_found"}
        return {
            "channel": channel,
            "permalink": f"https://hero-demo.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _api_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel", "")
        if channel not in self.channels and not channel.startswith("D"):
            return {"error": "channel_not_found"}
        messages = [m for m in self.messages.get(channel, []) if m.thread_ts in (None, m.ts)]
        latest = params.get("latest")
        if latest:
            inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")
            messages = [m for m in messages if m.ts < latest or (inclusive and m.ts == latest)]
        limit = int(params.get("limit") or 100)
        newest_first = sorted(messages, key=lambda m: m.ts, reverse=True)[:limit]
        return {"messages": [_message_json(m) for m in newest_first], "has_more": False}

    def _api_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params["channel"], params["ts"]
        thread = [m for m in self.messages.get(channel, []) if m.ts == ts or m.thread_ts == ts]
        if not thread:
            return {"error": "thread_not_found"}
        return {"messages": [_message_json(m) for m in sorted(thread, key=lambda m: m.ts)], "has_more": False}

    def _api_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self.channels.get(params["channel"])
        if found is None:
            return {"error": "channel_not_found"}
        return {
            "channel": {
                "id": found.id,
                "name": found.name,
                "is_private": found.is_private,
                "is_member": found.bot_is_member,
                "topic": {"value": found.topic},
            }
        }

    def _api_conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self.channels.get(params["channel"])
        if found is None:
            return {"error": "channel_not_found"}
        if found.is_private:
            return {"error": "method_not_supported_for_channel_type"}
        found.bot_is_member = True
        return {"channel": {"id": found.id, "name": found.name}}

    def _api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = params.get("users")
        first = (users if isinstance(users, str) else ",".join(users or [])).split(",")[0]
        if first not in self.users:
            return {"error": "user_not_found"}
        return {"channel": {"id": self.dm_channel(first)}}

    def _api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(params.get("user", ""))
        if user is None:
            return {"error": "user_not_found"}
        return {"user": _user_json(user, self.team_id)}

    def _api_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"members": [_user_json(u, self.team_id) for u in self.users.values()]}

    def _api_usergroups_list(self, params: dict[str, Any]) -> dict[str, Any]:
        groups = [
            {"id": g.id, "handle": g.handle, "name": g.name, "team_id": self.team_id} for g in self.usergroups.values()
        ]
        return {"usergroups": groups}

    def _api_usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(params["usergroup"])
        if group is None:
            return {"error": "no_such_subteam"}
        return {"users": list(group.users)}

    def _api_reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.find_message(params.get("channel", ""), params.get("timestamp", ""))
        if message is None:
            return {"error": "message_not_found"}
        message.reactions.setdefault(params["name"], []).append(self.BOT_USER)
        return {}

    def _take_trigger(self, trigger_id: str) -> tuple[str | None, dict[str, Any] | None]:
        found = self._triggers.pop(trigger_id, None)
        if found is None:
            return None, {"error": "invalid_trigger_id"}
        user, issued = found
        if time.monotonic() - issued > TRIGGER_LIFETIME_SECONDS:
            return None, {"error": "expired_trigger_id"}
        return user, None

    def _new_view(self, user: str, view: dict[str, Any]) -> OpenView:
        return OpenView(id=f"V{next(self._ids):08d}", user=user, view=view, hash=f"h{next(self._ids)}")

    def _api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user, error = self._take_trigger(params["trigger_id"])
        if error:
            return error
        assert user is not None
        opened = self._new_view(user, params["view"])
        self.modals[user] = [opened]
        return {"view": _view_json(opened)}

    def _api_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        user, error = self._take_trigger(params["trigger_id"])
        if error:
            return error
        assert user is not None
        if not self.modals.get(user):
            return {"error": "not_found"}
        if len(self.modals[user]) >= 3:
            return {"error": "push_limit_reached"}
        pushed = self._new_view(user, params["view"])
        self.modals[user].append(pushed)
        return {"view": _view_json(pushed)}

    def _api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        for stack in self.modals.values():
            for opened in stack:
                if opened.id == view_id:
                    if params.get("hash") and params["hash"] != opened.hash:
                        return {"error": "hash_conflict"}
                    opened.view = params["view"]
                    opened.hash = f"h{next(self._ids)}"
                    return {"view": _view_json(opened)}
        return {"error": "not_found"}

    def _api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = params["user_id"]
        if user not in self.users:
            return {"error": "user_not_found"}
        if params["view"].get("type") != "home":
            return {"error": "invalid_arguments"}
        published = self.homes.get(user) or self._new_view(user, params["view"])
        published.view = params["view"]
        self.homes[user] = published
        return {"view": _view_json(published)}

    def _api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = {
            "filename": params["filename"],
            "length": int(params["length"]),
            "bytes": None,
        }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params["files"]
        shared = []
        for item in files:
            upload = self.uploads.get(item.get("id", ""))
            if upload is None or upload["bytes"] is None:
                return {"error": "file_not_found"}
            shared.append(
                {
                    "id": item["id"],
                    "title": item.get("title") or upload["filename"],
                    "name": upload["filename"],
                    "size": len(upload["bytes"]),
                }
            )
        channel = params.get("channel_id")
        if channel:
            message = self._post(channel, params.get("initial_comment", ""), [], params.get("thread_ts"))
            message.files = shared
        return {"files": shared}


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        raw = await request.read()
        if request.content_type == "application/json":
            params.update(json.loads(raw or b"{}"))
        else:
            params.update(dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
    for name in JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)
    return params


def _message_json(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text, "user": message.user}
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    if message.blocks:
        body["blocks"] = message.blocks
    return body


def _user_json(user: User, team_id: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "team_id": team_id,
        "name": user.name,
        "real_name": user.real_name,
        "is_admin": user.is_admin,
        "is_owner": False,
        "is_bot": False,
        "tz": user.tz,
        "profile": {"real_name": user.real_name, "display_name": user.name, "title": user.title},
    }


def _view_json(opened: OpenView) -> dict[str, Any]:
    return {"id": opened.id, "hash": opened.hash, **opened.view}
