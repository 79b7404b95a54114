"""Console commands that act in Slack: slash commands, clicks, selects, modals, Home, reactions,
shortcuts and messages. Each sends exactly what Slack would send the bot, through the emulator.
"""

from __future__ import annotations

import re
from typing import Any

from bot.console.emulator import Reply
from bot.console.fake_slack import Message, OpenView
from bot.console.feed import view_title
from bot.console.forms import (
    ConsoleError,
    find_channel,
    find_input,
    find_option,
    find_user,
    is_empty,
    parse_value,
)
from bot.console.mrkdwn import emojize
from bot.console.render import MULTI_SELECTS, SELECTS, UNSET, Surface, Target, Targets, block_id_of, current_value
from bot.console.session import Session
from bot.manifest import BOT_EVENTS, SHORTCUTS, SLASH_COMMANDS


def split_first(text: str) -> tuple[str, str]:
    """`"New HERO project" m3` → ('New HERO project', 'm3'); `title Refund` → ('title', 'Refund')."""
    text = text.strip()
    if text[:1] in ('"', "'", "“"):
        closing = "”" if text[0] == "“" else text[0]
        end = text.find(closing, 1)
        if end > 0:
            return text[1:end], text[end + 1 :].strip()
    first, _, rest = text.partition(" ")
    return first, rest.strip()


# ---- slash commands ----------------------------------------------------------------------------
async def slash(session: Session, word: str, rest: str, targets: Targets) -> None:
    command = word.lower()
    offered = [str(c["command"]) for c in SLASH_COMMANDS]
    if command not in offered:
        raise ConsoleError(
            f"{command} is not a command herobot offers in this version (it offers {', '.join(offered)}). "
            "Type help for the console's own commands."
        )
    spec = next(c for c in SLASH_COMMANDS if c["command"] == command)
    # Like Slack, a command declared with should_escape gets @people and #channels as <@U…> and <#C…|name>.
    text = slack_text(session, rest) if spec.get("should_escape") else rest
    reply = await session.slack.slash(session.user, command, text, session.channel)
    session.check(reply, f"{command} {rest}".strip())


# ---- buttons and selects -----------------------------------------------------------------------
def find_target(session: Session, wanted: str) -> Target:
    items = session.targets.items
    if not items:
        raise ConsoleError("Nothing to click yet: buttons and selects are shown numbered, like [1] Add note.")
    wanted = wanted.strip().strip("[]").strip()
    if wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(items):
            return items[number - 1]
        raise ConsoleError(f"There is no [{number}]: the latest output numbered [1] to [{len(items)}].")
    lowered = wanted.casefold()
    for test in (
        lambda t: t.label.casefold() == lowered,
        lambda t: t.label.casefold().startswith(lowered),
        lambda t: lowered in t.label.casefold(),
    ):
        matches = [t for t in items if lowered and test(t)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listing = ", ".join(f"[{t.number}] {t.label}" for t in matches)
            raise ConsoleError(f"Several match {wanted!r}: {listing}. Use the number.")
    raise ConsoleError(f"Nothing numbered is called {wanted!r}. Click by number, e.g. click 1.")


def _current_element(blocks: list[dict[str, Any]], target: Target) -> tuple[str, dict[str, Any]]:
    """The element as it is now (the surface may have changed since it was printed)."""
    action_id = target.element.get("action_id")
    found: list[tuple[str, dict[str, Any]]] = []
    for index, block in enumerate(blocks or []):
        block_id = block_id_of(block, index)
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        found += [(block_id, e) for e in candidates if isinstance(e, dict) and e.get("action_id") == action_id]
    exact = [f for f in found if f[0] == target.block_id]
    same_value = [f for f in found if f[1].get("value") == target.element.get("value")]
    for choice in (exact, same_value):
        if len(choice) >= 1:
            return choice[0]
    raise ConsoleError(f"[{target.number}] {target.label} is no longer there: it changed since. See the newest output.")


def _owner_check(session: Session, owner: str, what: str) -> None:
    if owner != session.user:
        name = session.present.name(owner)
        raise ConsoleError(f"Only {name} can see that {what}: type /as {name} first.")


async def press(session: Session, target: Target, selected: Any = None) -> Reply:
    surface, user, fake = target.surface, session.user, session.fake
    what = f"[{target.number}] {target.label}"
    covering = fake.top_modal(user)
    if covering is not None and surface.kind != "modal":
        raise ConsoleError(
            f"«{view_title(covering.view)}» is open: submit or cancel it first (in Slack a modal covers everything else)."
        )
    if surface.kind == "message":
        message = fake.find_message(surface.channel, surface.ts)
        if message is None:
            raise ConsoleError(f"{what}: that message was deleted.")
        block_id, element = _current_element(message.blocks, target)
        _announce(session, element)
        reply = await session.slack.act(user, element, block_id, message=message, selected=selected)
    elif surface.kind == "ephemeral":
        _owner_check(session, surface.user, "message")
        shown = fake.ephemerals[surface.index]
        block_id, element = _current_element(shown.blocks, target)
        _announce(session, element)
        reply = await session.slack.act_on_ephemeral(user, shown.channel, element, block_id, selected=selected)
    elif surface.kind == "modal":
        _owner_check(session, surface.user, "modal")
        stack = fake.modals.get(user) or []
        opened = next((v for v in stack if v.id == surface.view_id), None)
        if opened is None:
            raise ConsoleError(f"{what}: that modal is closed.")
        if opened is not stack[-1]:
            raise ConsoleError(f"{what}: another modal is on top of it; submit or cancel that one first.")
        block_id, element = _current_element(opened.view.get("blocks") or [], target)
        _announce(session, element)
        values = session.forms.values.get(opened.id, {})
        reply = await session.slack.act(user, element, block_id, view=opened, selected=selected, values=values)
    else:
        _owner_check(session, surface.user, "Home tab")
        home = fake.homes.get(user)
        if home is None:
            raise ConsoleError(f"{what}: the Home tab is gone.")
        block_id, element = _current_element(home.view.get("blocks") or [], target)
        _announce(session, element)
        reply = await session.slack.act(user, element, block_id, view=home, selected=selected)
    session.check(reply, what)
    return reply


def _announce(session: Session, element: dict[str, Any]) -> None:
    """What Slack's client does before sending: open a URL, ask to confirm."""
    if element.get("url"):
        session.out.write(session.style.dim(f"(Slack opens {element['url']} in the browser)"))
    confirm = element.get("confirm")
    if isinstance(confirm, dict):
        title = (confirm.get("title") or {}).get("text", "Are you sure?")
        session.out.write(session.style.dim(f"(Slack asks “{title}” — the console answers yes)"))


async def click(session: Session, word: str, rest: str, targets: Targets) -> None:
    wanted = rest if word.lower() == "click" else f"{word} {rest}".strip()
    if not wanted:
        raise ConsoleError("Click which? e.g. click 1, or click Add note.")
    target = find_target(session, wanted)
    if target.element.get("type") != "button":
        raise ConsoleError(f"[{target.number}] {target.label} is a select: choose {target.number} <option>.")
    await press(session, target)


async def choose(session: Session, word: str, rest: str, targets: Targets) -> None:
    which, option = split_first(rest)
    if not which or not option:
        raise ConsoleError("Choose like this: choose 3 2 (option 2 of select [3]), or choose 3 active.")
    target = find_target(session, which)
    element = target.element
    kind = element.get("type", "")
    if kind == "button":
        raise ConsoleError(f"[{target.number}] {target.label} is a button: click {target.number}.")
    label = target.label
    if kind in SELECTS:
        selected: Any = find_option(element, option)["value"]
    elif kind in MULTI_SELECTS:
        selected = [find_option(element, piece)["value"] for piece in option.split(",") if piece.strip()]
    else:
        selected = parse_value(element, option, session.fake, label)
    await press(session, target, selected)


# ---- modals --------------------------------------------------------------------------------------
def _top_modal(session: Session) -> OpenView:
    opened = session.fake.top_modal(session.user)
    if opened is None:
        raise ConsoleError("No modal is open. Open one first, e.g. /hero new.")
    return opened


async def fill(session: Session, word: str, rest: str, targets: Targets) -> None:
    opened = _top_modal(session)
    key, value = split_first(rest)
    if not key:
        raise ConsoleError("Fill a field like this: set title Answer refund tweets")
    block_id, block = find_input(opened.view, key)
    element = block.get("element") or {}
    label = str((block.get("label") or {}).get("text") or block_id)
    parsed = parse_value(element, value, session.fake, label)
    session.forms.values.setdefault(opened.id, {})[block_id] = parsed
    session.forms.errors.get(opened.id, {}).pop(block_id, None)
    canvas = session.present.canvas(session.user, targets, _modal_surface(session, opened.id))
    shown = current_value(element, parsed, canvas) or session.style.dim("(empty)")
    session.out.write(f"{session.style.bold(label)} ← {shown}")


def _modal_surface(session: Session, view_id: str) -> Surface:
    return Surface("modal", user=session.user, view_id=view_id)


def _missing_required(session: Session, opened: OpenView) -> list[tuple[str, str]]:
    """Required fields still empty: Slack's client refuses to send the form until they are filled."""
    typed = session.forms.values.get(opened.id, {})
    canvas = session.present.canvas(session.user, Targets(), _modal_surface(session, opened.id))
    missing = []
    for index, block in enumerate(opened.view.get("blocks") or []):
        if block.get("type") != "input" or block.get("optional"):
            continue
        block_id = block_id_of(block, index)
        value = current_value(block.get("element") or {}, typed.get(block_id, UNSET), canvas)
        if is_empty(value):
            missing.append((block_id, str((block.get("label") or {}).get("text") or block_id)))
    return missing


async def submit(session: Session, word: str, rest: str, targets: Targets) -> None:
    opened = _top_modal(session)
    if not opened.view.get("submit"):
        raise ConsoleError("This modal has no submit button: type close.")
    style = session.style
    missing = _missing_required(session, opened)
    if missing:
        session.forms.errors[opened.id] = {block_id: "Please fill out this field." for block_id, _ in missing}
        names = ", ".join(label for _, label in missing)
        session.out.write(style.warn(f"Slack won't send this form yet: please fill in {names} (set <field> <value>)."))
        return
    reply = await session.slack.submit(session.user, session.forms.values.get(opened.id, {}))
    session.check(reply, "the form")
    answer = reply.json
    if answer.get("response_action") == "errors":
        errors = {str(k): str(v) for k, v in (answer.get("errors") or {}).items()}
        session.forms.errors[opened.id] = errors
        labels = {b.get("block_id"): (b.get("label") or {}).get("text") for b in opened.view.get("blocks") or []}
        session.out.write(style.warn("herobot sent the form back:"))
        for block_id, message in errors.items():
            session.out.write(f"  {style.bold(str(labels.get(block_id) or block_id))}: {message}")
        session.out.write(style.dim("Fix it with set <field> <value>, then submit again."))


async def close(session: Session, word: str, rest: str, targets: Targets) -> None:
    _top_modal(session)
    reply = await session.slack.close(session.user)
    session.check(reply, "closing the modal")


# ---- Home, reactions, shortcuts, messages ------------------------------------------------------------
async def home(session: Session, word: str, rest: str, targets: Targets) -> None:
    if "app_home_opened" not in BOT_EVENTS:
        raise ConsoleError("herobot has no Home tab in this version.")
    before = len(session.fake.calls_to("views.publish"))
    reply = await session.slack.open_home(session.user)
    session.check(reply, "opening the Home tab")
    if len(session.fake.calls_to("views.publish")) == before:
        session.out.write(session.style.warn("herobot did not publish a Home tab."))


def _message(session: Session, ref: str) -> Message:
    message = session.feed.message(ref) if ref else None
    if message is None:
        if session.feed.is_ref(ref):
            raise ConsoleError(f"{ref} was deleted.")
        raise ConsoleError(f"There is no message {ref!r}: messages are numbered as they are shown, m1, m2, …")
    return message


async def react(session: Session, word: str, rest: str, targets: Targets) -> None:
    ref, emoji = split_first(rest)
    emoji = emoji.strip().strip(":").split("::")[0].lower()
    if not ref or not re.fullmatch(r"[a-z0-9_+\-']+", emoji):
        raise ConsoleError("React like this: react m3 eyes (a message reference, then an emoji name).")
    message = _message(session, ref)
    if session.user in message.reactions.get(emoji, []):
        raise ConsoleError(f"You already reacted with :{emoji}: to {ref}.")
    if "reaction_added" in BOT_EVENTS:
        reply = await session.slack.react(session.user, message, emoji)
        session.check(reply, f"the reaction on {ref}")
    else:
        message.reactions.setdefault(emoji, []).append(session.user)
    reader = session.present.reader(session.user)
    session.out.write(f"{session.user_name} reacted {emojize(f':{emoji}:', reader)} to {ref.lower()}.")


async def shortcut(session: Session, word: str, rest: str, targets: Targets) -> None:
    name, ref = split_first(rest)
    if not rest.strip().startswith(('"', "'", "“")):
        last = rest.split()[-1] if rest.split() else ""
        name, ref = (rest.rsplit(" ", 1)[0], last) if re.fullmatch(r"m\d+", last.lower()) else (rest, "")
    chosen = _find_shortcut(name)
    if chosen["type"] == "global":
        if ref:
            raise ConsoleError(f"“{chosen['name']}” is a global shortcut: it takes no message.")
        reply = await session.slack.global_shortcut(session.user, str(chosen["callback_id"]))
    else:
        if not ref:
            raise ConsoleError(
                f'“{chosen["name"]}” is a message shortcut: name the message, e.g. shortcut "{chosen["name"]}" m3.'
            )
        reply = await session.slack.message_shortcut(session.user, str(chosen["callback_id"]), _message(session, ref))
    session.check(reply, f"the shortcut “{chosen['name']}”")


def _find_shortcut(name: str) -> dict[str, Any]:
    wanted = name.strip().casefold()
    listing = ", ".join(f"“{s['name']}” ({s['type']})" for s in SHORTCUTS) or "none"
    if not wanted:
        raise ConsoleError(f'Which shortcut? e.g. shortcut "{SHORTCUTS[0]["name"]}". Shortcuts: {listing}.')
    for test in (lambda s: s.casefold() == wanted, lambda s: s.casefold().startswith(wanted)):
        matches = [s for s in SHORTCUTS if test(str(s["name"]))]
        if len(matches) == 1:
            return dict(matches[0])
    raise ConsoleError(f"herobot has no shortcut {name!r}. Shortcuts: {listing}.")


def slack_text(session: Session, text: str) -> str:
    """What Slack's client sends for typed text: &<> escaped, @name and #channel turned into links."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def person(match: re.Match[str]) -> str:
        user = find_user(session.fake, match[1])
        return f"<@{user}>" if user else match[0]

    def place(match: re.Match[str]) -> str:
        channel = find_channel(session.fake, match[1])
        return f"<#{channel}|{session.fake.channels[channel].name}>" if channel else match[0]

    escaped = re.sub(r"(?<![\w@])@([\w.-]+)", person, escaped)
    return re.sub(r"(?<![\w&#])#([\w-]+)", place, escaped)


async def say(session: Session, word: str, rest: str, targets: Targets) -> None:
    if not rest:
        raise ConsoleError("Say what? e.g. say Our refunds take three weeks, customers are angry")
    await _post(session, rest, None)


async def reply(session: Session, word: str, rest: str, targets: Targets) -> None:
    ref, text = split_first(rest)
    if not ref or not text:
        raise ConsoleError("Reply like this: reply m3 Thanks, on it!")
    parent = _message(session, ref)
    await _post(session, text, parent.thread_ts or parent.ts, channel=parent.channel)


async def _post(session: Session, text: str, thread_ts: str | None, channel: str | None = None) -> None:
    where = channel or session.channel
    in_dm = where.startswith("D")
    posted = session.fake.post_as_user(session.user, where, slack_text(session, text), thread_ts=thread_ts)
    subscription = "message.im" if in_dm else "message.channels"
    if subscription not in BOT_EVENTS:
        return
    event: dict[str, Any] = {
        "type": "message",
        "channel": where,
        "user": session.user,
        "text": posted.text,
        "ts": posted.ts,
        "event_ts": posted.ts,
        "channel_type": "im" if in_dm else "channel",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    answer = await session.slack.send_event(session.slack.envelope(event))
    session.check(answer, "the message event")
