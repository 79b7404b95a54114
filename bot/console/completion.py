"""Tab completion for the interactive console: commands, people, channels, message references."""

from __future__ import annotations

from bot.console.commands import TABLE
from bot.console.session import Session
from bot.manifest import SHORTCUTS, SLASH_COMMANDS


def _subcommands(command: dict[str, str]) -> list[str]:
    """`new | list [mine|all] | show HERO-12` → ['new', 'list', 'show']."""
    hint = command.get("usage_hint", "")
    return [part.split()[0] for part in hint.split(" | ") if part.strip()]


class Completer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._matches: list[str] = []

    def candidates(self, line: str) -> list[str]:
        words = line.split(" ")
        fake = self.session.fake
        if len(words) == 1:
            commands = [c["command"] for c in SLASH_COMMANDS]
            return sorted({*TABLE, *commands, "quit", "expect"})
        first = words[0].lower()
        if len(words) == 2:
            if first in ("/as", "as"):
                return [u.name for u in fake.users.values()]
            if first in ("/in", "in", "show"):
                extra = ["dm", "modal", "home"] if first == "show" else ["dm"]
                return ["#" + c.name for c in fake.channels.values()] + extra
            if first in ("react", "reply"):
                return [f"m{n}" for n in range(1, 200) if self.session.feed.is_ref(f"m{n}")]
            if first == "shortcut":
                return [f'"{s["name"]}"' for s in SHORTCUTS]
            for command in SLASH_COMMANDS:
                if first == command["command"]:
                    return _subcommands(command)
        return []

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            import readline

            line = readline.get_line_buffer()[: readline.get_endidx()]
            self._matches = [c + " " for c in self.candidates(line) if c.startswith(text)]
        return self._matches[state] if state < len(self._matches) else None
