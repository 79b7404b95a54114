"""Plays Slack's client side: builds the payloads Slack sends a bot, signs them, and delivers them.

The console and the integration tests share it. It sends exactly what Slack would (form-encoded
slash commands, a `payload` field for interactions, JSON for events), signed with the signing
secret, and applies a modal submission's answer (`errors`, `update`, `push`, `clear`) to the fake
workspace the way Slack's client would.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from bot.console.fake_slack import FakeSlack, Message, OpenView, ResponseTarget

Sender = Callable[[bytes, dict[str, str]], Awaitable[tuple[int, str]]]

APP_ID = "A0HEROBOT"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest}


@dataclass
class Reply:
    """The bot's HTTP answer to one request (its ack)."""

    status: int
    body: str

    @property
    def json(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body) if self.body else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


class Emulator:
    def __init__(self, fake: FakeSlack, signing_secret: str, send: Sender, *, team_id: str | None = None) -> None:
        """`team_id` plays another workspace than the fake's own (with OAuth, the bot serves several)."""
        self.fake = fake
        self.secret = signing_secret
        self.send = send
        self.team_id = team_id or fake.team_id
        self._events = itertools.count(1)

    def via(self, send: Sender) -> Emulator:
        """The same Slack delivering to another instance of the bot (two replicas behind one URL): one
        workspace, one sequence of event IDs, as Slack has."""
        other = Emulator(self.fake, self.secret, send, team_id=self.team_id)
        other._events = self._events
        return other

    # ---- delivery ---------------------------------------------------------------------------
    async def deliver(self, body: bytes, content_type: str, extra_headers: dict[str, str] | None = None) -> Reply:
        headers = {"Content-Type": content_type, **sign(self.secret, body), **(extra_headers or {})}
        status, text = await self.send(body, headers)
        return Reply(status, text)

    async def _interaction(self, payload: dict[str, Any]) -> Reply:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.deliver(body, "application/x-www-form-urlencoded")

    def _user(self, user: str) -> dict[str, Any]:
        known = self.fake.users.get(user)
        name = known.name if known else user.lower()
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": "hero-demo"}

    # ---- slash commands ---------------------------------------------------------------------
    async def slash(self, user: str, command: str, text: str = "", channel: str = "C0GENERAL") -> Reply:
        channel_obj = self.fake.channels.get(channel)
        form = {
            "token": "verification-token-unused",
            "team_id": self.team_id,
            "team_domain": "hero-demo",
            "channel_id": channel,
            "channel_name": channel_obj.name if channel_obj else "directmessage",
            "user_id": user,
            "user_name": self._user(user)["name"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(ResponseTarget(user=user, channel=channel, ephemeral=True)),
            "trigger_id": self.fake.new_trigger(user),
        }
        reply = await self.deliver(urlencode(form).encode(), "application/x-www-form-urlencoded")
        if reply.status == 200 and reply.body.strip():
            answer = reply.json
            if answer.get("text") or answer.get("blocks"):
                self.fake.ephemerals.append(_ack_ephemeral(channel, user, answer))
        return reply

    # ---- buttons and selects ------------------------------------------------------------------
    async def act(
        self,
        user: str,
        element: dict[str, Any],
        block_id: str,
        *,
        message: Message | None = None,
        view: OpenView | None = None,
        selected: str | list[str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> Reply:
        """Press a button or choose in a select that sits in a message, a modal or the Home tab.

        `values` are what the person has typed into the modal's inputs so far (by block_id): Slack
        sends them along in `view.state` with every click inside a modal.
        """
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": APP_ID,
            "token": "verification-token-unused",
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "trigger_id": self.fake.new_trigger(user),
            "actions": [block_action(element, block_id, selected)],
        }
        if message is not None:
            channel = self.fake.channels.get(message.channel)
            payload["container"] = {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": message.channel, "name": channel.name if channel else "directmessage"}
            payload["message"] = {
                "type": "message",
                "ts": message.ts,
                "text": message.text,
                "user": message.user,
                "blocks": message.blocks,
            }
            payload["response_url"] = self.fake.new_response_url(
                ResponseTarget(user=user, channel=message.channel, message_ts=message.ts)
            )
            payload["state"] = {"values": {}}
        elif view is not None:
            payload["container"] = {"type": "view", "view_id": view.id}
            payload["view"] = self._view_payload(view, values or {})
        return await self._interaction(payload)

    async def act_on_ephemeral(
        self,
        user: str,
        channel: str,
        element: dict[str, Any],
        block_id: str,
        *,
        selected: str | list[str] | None = None,
    ) -> Reply:
        """Press a button in an ephemeral message: Slack sends no `message`, only a response_url."""
        payload = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": APP_ID,
            "team": self._team(),
            "trigger_id": self.fake.new_trigger(user),
            "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
            "channel": {"id": channel, "name": channel},
            "response_url": self.fake.new_response_url(ResponseTarget(user=user, channel=channel, ephemeral=True)),
            "actions": [block_action(element, block_id, selected)],
            "state": {"values": {}},
        }
        return await self._interaction(payload)

    # ---- modals -----------------------------------------------------------------------------
    def _view_payload(self, opened: OpenView, values: dict[str, Any]) -> dict[str, Any]:
        stack = self.fake.modals.get(opened.user) or []
        position = next((index for index, view in enumerate(stack) if view is opened), None)
        root = stack[0].id if position is not None else opened.id
        previous = stack[position - 1].id if position else None
        return {
            "id": opened.id,
            "team_id": self.team_id,
            "app_id": APP_ID,
            "bot_id": FakeSlack.BOT_ID,
            "hash": opened.hash,
            "root_view_id": root,
            "previous_view_id": previous,
            **opened.view,
            "private_metadata": opened.view.get("private_metadata", ""),
            "callback_id": opened.view.get("callback_id", ""),
            "state": {"values": state_values(opened.view, values)},
        }

    async def submit(self, user: str, values: dict[str, Any] | None = None) -> Reply:
        """Submit the person's top modal with `values` by block_id (others keep their initial values)."""
        opened = self.fake.top_modal(user)
        if opened is None:
            raise LookupError("no modal is open")
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": APP_ID,
            "token": "verification-token-unused",
            "trigger_id": self.fake.new_trigger(user),
            "view": self._view_payload(opened, values or {}),
            "response_urls": [],
            "is_enterprise_install": False,
        }
        reply = await self._interaction(payload)
        if reply.status == 200:
            self._apply_submission_answer(user, opened, reply.json)
        return reply

    def _apply_submission_answer(self, user: str, opened: OpenView, answer: dict[str, Any]) -> None:
        stack = self.fake.modals.get(user, [])
        action = answer.get("response_action")
        if action == "errors":
            return
        if action == "update":
            opened.view = answer["view"]
        elif action == "push":
            stack.append(OpenView(id=f"V{time.time_ns()}", user=user, view=answer["view"], hash="h"))
        elif action == "clear":
            stack.clear()
        elif opened in stack:
            stack.remove(opened)

    async def close(self, user: str) -> Reply | None:
        opened = self.fake.top_modal(user)
        if opened is None:
            return None
        self.fake.modals[user].remove(opened)
        if not opened.view.get("notify_on_close"):
            return None
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": APP_ID,
            "view": self._view_payload(opened, {}),
            "is_cleared": False,
        }
        return await self._interaction(payload)

    # ---- shortcuts ----------------------------------------------------------------------------
    async def global_shortcut(self, user: str, callback_id: str) -> Reply:
        payload = {
            "type": "shortcut",
            "token": "verification-token-unused",
            "action_ts": f"{time.time():.6f}",
            "team": self._team(),
            "user": self._user(user),
            "callback_id": callback_id,
            "trigger_id": self.fake.new_trigger(user),
            "is_enterprise_install": False,
        }
        return await self._interaction(payload)

    async def message_shortcut(self, user: str, callback_id: str, message: Message) -> Reply:
        channel = self.fake.channels.get(message.channel)
        payload = {
            "type": "message_action",
            "token": "verification-token-unused",
            "action_ts": f"{time.time():.6f}",
            "team": self._team(),
            "user": self._user(user),
            "channel": {"id": message.channel, "name": channel.name if channel else "directmessage"},
            "callback_id": callback_id,
            "trigger_id": self.fake.new_trigger(user),
            "message_ts": message.ts,
            "message": {
                "type": "message",
                "user": message.user,
                "ts": message.ts,
                "text": message.text,
                **({"thread_ts": message.thread_ts} if message.thread_ts else {}),
            },
            "response_url": self.fake.new_response_url(ResponseTarget(user=user, channel=message.channel)),
            "is_enterprise_install": False,
        }
        return await self._interaction(payload)

    # ---- events -------------------------------------------------------------------------------
    def envelope(self, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "token": "verification-token-unused",
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._events):010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": self.team_id,
                    "user_id": FakeSlack.BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    async def send_event(self, envelope: dict[str, Any], retry: int = 0) -> Reply:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.deliver(json.dumps(envelope).encode(), "application/json", headers)

    def reaction_event(self, user: str, message: Message, emoji: str) -> dict[str, Any]:
        return self.envelope(
            {
                "type": "reaction_added",
                "user": user,
                "reaction": emoji,
                "item_user": message.user,
                "item": {"type": "message", "channel": message.channel, "ts": message.ts},
                "event_ts": f"{time.time():.6f}",
            }
        )

    async def react(self, user: str, message: Message, emoji: str) -> Reply:
        message.reactions.setdefault(emoji, []).append(user)
        return await self.send_event(self.reaction_event(user, message, emoji))

    async def open_home(self, user: str) -> Reply:
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.fake.dm_channel(user),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        return await self.send_event(self.envelope(event))


def _ack_ephemeral(channel: str, user: str, answer: dict[str, Any]) -> Any:
    from bot.console.fake_slack import Ephemeral

    return Ephemeral(channel, user, answer.get("text", ""), answer.get("blocks") or [], "ack")


def _find_option(element: dict[str, Any], value: str) -> dict[str, Any] | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options", [])
    return next((o for o in options if o.get("value") == value), None)


def block_action(element: dict[str, Any], block_id: str, selected: str | list[str] | None = None) -> dict[str, Any]:
    """One entry of a block_actions payload's `actions`, with the choice in the field Slack uses for it."""
    kind = element.get("type", "button")
    action: dict[str, Any] = {
        "action_id": element.get("action_id", ""),
        "block_id": block_id,
        "type": kind,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        action["text"] = element.get("text")
        if "value" in element:
            action["value"] = element["value"]
    elif kind in ("static_select", "external_select", "overflow", "radio_buttons"):
        action["selected_option"] = _find_option(element, str(selected))
    elif kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        chosen = selected if isinstance(selected, list) else [selected] if selected else []
        action["selected_options"] = [o for value in chosen if (o := _find_option(element, value))]
    else:
        key = {
            "users_select": "selected_user",
            "multi_users_select": "selected_users",
            "conversations_select": "selected_conversation",
            "multi_conversations_select": "selected_conversations",
            "channels_select": "selected_channel",
            "multi_channels_select": "selected_channels",
            "datepicker": "selected_date",
            "timepicker": "selected_time",
        }.get(kind)
        if key:
            plural = key.endswith("s")
            action[key] = (selected or []) if plural else selected
    return action


def state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`view.state.values` as Slack builds it from the inputs, their initial values and `values`."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block.get("element", {})
        block_id = block.get("block_id", "")
        kind = element.get("type")
        given = values.get(block_id, _MISSING)
        state[block_id] = {element.get("action_id", "value"): _element_state(element, kind, given)}
    return state


_MISSING = object()


def _element_state(element: dict[str, Any], kind: str | None, given: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "number_input", "url_text_input", "email_text_input"):
        entry["value"] = element.get("initial_value") if given is _MISSING else (given if given != "" else None)
    elif kind in ("static_select", "radio_buttons", "external_select"):
        entry["selected_option"] = (
            element.get("initial_option") if given is _MISSING else _find_option(element, str(given)) if given else None
        )
    elif kind in ("multi_static_select", "checkboxes"):
        entry["selected_options"] = (
            element.get("initial_options", [])
            if given is _MISSING
            else [o for v in given if (o := _find_option(element, v))]
        )
    elif kind == "users_select":
        entry["selected_user"] = element.get("initial_user") if given is _MISSING else given
    elif kind == "multi_users_select":
        entry["selected_users"] = element.get("initial_users", []) if given is _MISSING else list(given)
    elif kind in ("conversations_select", "channels_select"):
        key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        initial = element.get("initial_conversation") or element.get("initial_channel")
        entry[key] = initial if given is _MISSING else given
    elif kind == "datepicker":
        entry["selected_date"] = element.get("initial_date") if given is _MISSING else given
    elif kind == "timepicker":
        entry["selected_time"] = element.get("initial_time") if given is _MISSING else given
    return entry


def http_sender(session: Any, url: str) -> Sender:
    """Deliver over HTTP, as Slack does, to a running `/slack/events`."""

    async def send(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async with session.post(url, data=body, headers=headers) as response:
            return response.status, await response.text()

    return send


def socket_sender(fake: FakeSlack) -> Sender:
    """Deliver over Socket Mode, as Slack does to `herobot socket`: an envelope on the fake's WebSocket, then its ack."""

    async def send(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        text = body.decode("utf-8")
        if headers.get("Content-Type", "").startswith("application/json"):
            kind, payload = "events_api", json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            kind, payload = (
                ("interactive", json.loads(form["payload"])) if "payload" in form else ("slash_commands", form)
            )
        retry = int(headers.get("X-Slack-Retry-Num", "0"))
        answer = await fake.socket_request(kind, payload, retry_attempt=retry)
        return 200, json.dumps(answer) if answer else ""

    return send


def in_process_sender(bolt: Any) -> Sender:
    """Deliver straight into Bolt's dispatcher: the same middleware, signature check and listeners."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    async def send(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
        response = await bolt.async_dispatch(AsyncBoltRequest(body=body.decode("utf-8"), headers=bolt_headers))
        return response.status, response.body

    return send
