"""The console's own commands (who and where, the clock, looking around) and the table of all commands.

Commands that act in Slack — slash commands, clicks, modals, reactions, shortcuts, messages — are in
`interact.py`; this module dispatches a line's first word to either.
"""

from __future__ import annotations

import difflib
from datetime import timedelta

from bot.console import interact
from bot.console.forms import ConsoleError, channel_names, find_channel, find_user, user_names
from bot.console.mrkdwn import format_date, tz_offset_label
from bot.console.render import Targets
from bot.console.session import DM, Handler, Session
from bot.console.style import pad
from bot.console.workspace import parse_duration
from bot.manifest import SHORTCUTS, SLASH_COMMANDS


async def become(session: Session, word: str, rest: str, targets: Targets) -> None:
    if not rest:
        await users(session, word, rest, targets)
        return
    user = find_user(session.fake, rest)
    if user is None:
        raise ConsoleError(f"There is nobody called {rest!r} here. People: {user_names(session.fake)}.")
    session.user = user
    person = session.fake.users[user]
    where = "your DM with herobot" if session.where == DM else session.present.place(session.where, user)
    style = session.style
    session.out.write(f"You are {style.person(person.name)} ({person.real_name}, {_role(session, user)}), in {where}.")


async def move(session: Session, word: str, rest: str, targets: Targets) -> None:
    wanted = rest or (word if word.startswith("#") else "")
    if not wanted:
        await channels(session, word, rest, targets)
        return
    if wanted.lower().lstrip("@") in ("dm", "herobot", "direct", "im"):
        session.where = DM
        session.out.write("You are in your DM with herobot. Slash commands typed here are answered here.")
        return
    channel = find_channel(session.fake, wanted)
    if channel is None:
        raise ConsoleError(f"There is no channel {wanted!r}. Channels: {channel_names(session.fake)}, or dm.")
    session.where = channel
    found = session.fake.channels[channel]
    count = len(session.fake.messages.get(channel, []))
    line = f"You are in {session.style.place('#' + found.name)}."
    if count:
        line += f" {count} message{'s' if count != 1 else ''} here: show #{found.name} to read them."
    if not found.bot_is_member:
        line += " herobot is not a member of this channel, so it cannot post here."
    session.out.write(line)


def _role(session: Session, user: str) -> str:
    person = session.fake.users[user]
    roles = [person.title] if person.title else []
    groups = [g.handle for g in session.fake.usergroups.values() if user in g.users]
    roles += [f"@{handle}" for handle in groups]
    if person.is_admin or user in session.ws.settings.admin_ids:
        roles.append("admin")
    return ", ".join(roles) or "member"


async def users(session: Session, word: str, rest: str, targets: Targets) -> None:
    people = list(session.fake.users.values())
    name_width = max(len(p.name) for p in people) + 2
    real_width = max(len(p.real_name) for p in people) + 2
    roles = {p.id: _role(session, p.id) for p in people}
    role_width = max(len(r) for r in roles.values()) + 2
    for person in people:
        marker = "▸ " if person.id == session.user else "  "
        name = session.style.person(person.name) if person.id == session.user else person.name
        session.out.write(
            f"{marker}{pad(name, name_width)}{pad(person.real_name, real_width)}"
            f"{pad(roles[person.id], role_width)}{session.style.dim(person.tz)}"
        )
    other = next(p.name for p in people if p.id != session.user)
    session.out.write(session.style.dim(f"Become someone else with /as <name>, e.g. /as {other}"))


def _purposes(session: Session) -> dict[str, str]:
    settings = session.ws.settings
    purposes = {
        settings.hero_projects_channel: "new and launched HERO projects are announced here",
        settings.hero_complaints_channel: "complaint triage: unrouted and overdue complaints",
        settings.hero_crisis_channel: "complaint-spike alerts",
        settings.hero_it_review_channel: "risk reviews for IT",
    }
    return {channel: purpose for channel, purpose in purposes.items() if channel}


async def channels(session: Session, word: str, rest: str, targets: Targets) -> None:
    fake = session.fake
    purposes = _purposes(session)
    name_width = max(len(c.name) for c in fake.channels.values()) + 3
    for channel in fake.channels.values():
        here = channel.id == session.channel
        about = purposes.get(channel.id) or channel.topic
        if not channel.bot_is_member:
            about = (about + "; " if about else "") + "herobot is not a member"
        count = len(fake.messages.get(channel.id, []))
        name = "#" + channel.name
        shown = session.style.place(name) if here else name
        tail = session.style.dim(f"  ({count} message{'s' if count != 1 else ''})") if count else ""
        session.out.write(f"{'▸ ' if here else '  '}{pad(shown, name_width)}{about}{tail}")
    dm_here = session.where == DM
    session.out.write(f"{'▸ ' if dm_here else '  '}{pad('dm', name_width)}your direct messages with herobot")
    session.out.write(session.style.dim("Move with /in #channel (or /in dm)."))


async def show(session: Session, word: str, rest: str, targets: Targets) -> None:
    what = rest.strip().lower()
    present = session.present
    if what in ("modal", "form"):
        opened = session.fake.top_modal(session.user)
        if opened is None:
            raise ConsoleError("No modal is open.")
        present.modal(session.user, opened.id, opened.view, session.user, targets)
        return
    if what == "home":
        home = session.fake.homes.get(session.user)
        if home is None:
            raise ConsoleError("herobot has not published your Home tab yet: type home to open it.")
        present.home(session.user, home.view, targets)
        return
    if session.feed.is_ref(what):
        message = session.feed.message(what)
        if message is None:
            raise ConsoleError(f"{what} was deleted.")
        present.message(message, what, session.user, targets)
        return
    channel = session.fake.dm_channel(session.user) if what in ("dm", "@herobot") else find_channel(session.fake, what)
    if channel is None or not what:
        raise ConsoleError("Show what? show m3 (a message), show #hero-projects (a channel), show modal, show home.")
    messages = session.fake.messages.get(channel, [])[-10:]
    if not messages:
        session.out.write(f"Nothing has been posted in {present.place(channel, session.user)} yet.")
    for message in messages:
        present.message(message, session.feed.ref_of(message), session.user, targets)


async def clock(session: Session, word: str, rest: str, targets: Targets) -> None:
    ws = session.ws
    if rest:
        step = parse_duration(rest)
        if step is None or not rest.strip().startswith("+"):
            raise ConsoleError("Move the bot's clock forward like clock +2h, clock +30m or clock +1d (never back).")
        ws.clock.advance(step)
    reader = session.present.reader(session.user)
    now = ws.clock.now()
    shown = format_date(now, "{date_long} {time}", reader.tz, now)
    zone = f"{session.fake.users[session.user].tz}, {tz_offset_label(now, reader.tz)}"
    moved = f", {_span(ws.clock.offset)} ahead of real time" if ws.clock.offset else ""
    session.out.write(f"It is {shown} for {session.user_name} ({zone}){moved}.")
    due = ws.scheduler.due()
    if due:
        names = ", ".join(p.job_id for p in due)
        session.out.write(f"Due now: {names}. Type tick to run {'it' if len(due) == 1 else 'them'}.")


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"


async def tick(session: Session, word: str, rest: str, targets: Targets) -> None:
    scheduler = session.ws.scheduler
    if not scheduler.jobs:
        session.out.write("No scheduled jobs run in this version of herobot.")
        return
    ran = await scheduler.tick()
    if ran:
        session.out.write(f"Ran {', '.join(ran)}.")
        return
    now = session.ws.clock.now()
    upcoming = sorted((p.next_run, p.job_id) for p in scheduler.jobs.values() if p.next_run is not None)
    soonest = (
        f" The next is {upcoming[0][1]} in {_span(upcoming[0][0] - now)} (clock +… moves time)." if upcoming else ""
    )
    session.out.write(f"Nothing is due.{soonest}")


HELP = """\
Type slash commands as in Slack — {commands} — or the console's own commands:

  In Slack
    /hero help                 herobot's commands (each command has help)
    home                       open herobot's Home tab
    say <text>                 post a message in the current channel (@leo and #general work)
    reply m3 <text>            reply in the thread of message m3
    react m3 <emoji>           react to message m3, e.g. react m3 {emoji}
    shortcut "<name>" [m3]     run a shortcut: {shortcuts}
  Buttons and modals
    click 2    or just  2      press button [2] (click "Add note" works too)
    choose 3 <option>          pick in select [3] by option number, value or label
    set <field> <value>        fill a modal field: set title Refund tweets · set members leo, sam
                               (\\n makes a new line in long texts)
    submit · cancel            submit or close the open modal
    show m3 | #channel | modal | home     print it again
  Who and where
    /as <name>                 become {people}
    /in #channel · /in dm      move to a channel, or to your DM with herobot
    users · channels           who is here, and the channels
  Time
    clock · clock +2h          show or move forward the bot's clock
    tick                       run the scheduled jobs that are due
  Scripts
    expect <text>              fail unless the previous line printed <text>
    # a comment                ignored
    help · quit"""


async def show_help(session: Session, word: str, rest: str, targets: Targets) -> None:
    names = [str(s["name"]) for s in SHORTCUTS]
    session.out.write(
        HELP.format(
            commands=", ".join(str(c["command"]) for c in SLASH_COMMANDS),
            shortcuts=", ".join(f'"{n}"' for n in names) or "none yet",
            people=", ".join(u.name for u in session.fake.users.values()),
            emoji=session.ws.settings.hero_complaint_emoji,
        )
    )


TABLE: dict[str, Handler] = {
    "/as": become,
    "as": become,
    "/in": move,
    "in": move,
    "users": users,
    "who": users,
    "channels": channels,
    "show": show,
    "clock": clock,
    "tick": tick,
    "help": show_help,
    "?": show_help,
    "click": interact.click,
    "choose": interact.choose,
    "select": interact.choose,
    "set": interact.fill,
    "submit": interact.submit,
    "cancel": interact.close,
    "close": interact.close,
    "home": interact.home,
    "react": interact.react,
    "shortcut": interact.shortcut,
    "say": interact.say,
    "reply": interact.reply,
}


def dispatch(word: str) -> Handler:
    lowered = word.lower()
    if lowered in TABLE:
        return TABLE[lowered]
    if lowered.isdigit() or (lowered.startswith("[") and lowered.endswith("]")):
        return interact.click
    if lowered.startswith("#"):
        return move
    if lowered.startswith("/"):
        return interact.slash
    close = difflib.get_close_matches(lowered, [*TABLE, "quit", "expect"], n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise ConsoleError(
        f"I don't know {word!r}.{hint} Slash commands start with / (try /hero help); type help for the console's commands."
    )
