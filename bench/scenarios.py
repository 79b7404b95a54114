"""What the ack-path benchmark fires: one entry per user action, each with the targets it is held to.

A scenario that needs a command herobot does not have yet (it is not in the app manifest) is skipped
with a note, so `/complaint add` joins the run on its own the day complaints land on main.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bench.loadgen import Action
from bot import blocks as bk
from bot.console import demo
from bot.console.emulator import Emulator
from bot.ids import ProjectAction
from bot.manifest import SLASH_COMMANDS

# Projects in the workspace before the first request: `/hero list all` shows a full page, as in use.
SEEDED_PROJECTS = 30


@dataclass(frozen=True)
class Target:
    ratio: float  # herobot's acks/s over the bare app's, at least
    p99_ms: float  # herobot's 99th-percentile ack latency, below


TARGETS: dict[str, Target] = {
    "read": Target(0.5, 100.0),
    "write": Target(0.3, 200.0),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # read | write | click: which targets apply (none for click)
    action: Action
    requires_command: str | None = None

    @property
    def target(self) -> Target | None:
        return TARGETS.get(self.kind)

    def missing(self) -> str | None:
        """Why the scenario cannot run against this herobot, or None."""
        commands = {entry["command"] for entry in SLASH_COMMANDS}
        if self.requires_command and self.requires_command not in commands:
            return f"herobot has no {self.requires_command} command yet"
        return None


async def hero_list(emulator: Emulator, index: int) -> object:
    return await emulator.slash(demo.MAYA, "/hero", "list all", channel=demo.GENERAL)


async def hero_new(emulator: Emulator, index: int) -> object:
    return await emulator.slash(demo.MAYA, "/hero", f"new Benchmark project {index}", channel=demo.GENERAL)


# Every /complaint add of a run logs a new post: a URL seen before would take the (cheaper) duplicate path.
_complaint_posts = itertools.count(1)


async def complaint_add(emulator: Emulator, index: int) -> object:
    post = next(_complaint_posts)
    url = f"https://x.com/customer{post}/status/{1_000_000 + post}"
    return await emulator.slash(demo.LEO, "/complaint", f"add {url} my refund is two weeks late", channel=demo.GENERAL)


async def view_project(emulator: Emulator, index: int) -> object:
    """The *View* button of a project in `/hero list` (an ephemeral message): acks, then opens a modal."""
    project_id = str(1 + index % SEEDED_PROJECTS)
    button = bk.button("View", ProjectAction.VIEW, project_id)
    return await emulator.act_on_ephemeral(demo.MAYA, demo.GENERAL, button, f"project-{project_id}")


SCENARIOS: list[Scenario] = [
    Scenario("read: /hero list all", "read", hero_list),
    Scenario("write: /hero new <title>", "write", hero_new),
    Scenario("write: /complaint add <url>", "write", complaint_add, requires_command="/complaint"),
    Scenario("click: View project", "click", view_project),
]


async def seed(emulator: Emulator) -> None:
    """The projects every scenario finds (created through the app, as a user would)."""
    for index in range(SEEDED_PROJECTS):
        await emulator.slash(demo.MAYA, "/hero", f"new Seeded project {index}", channel=demo.GENERAL)
