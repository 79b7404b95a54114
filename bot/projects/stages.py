"""The project stage machine: proposed → active → launched → retired, with paused on the side."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    LAUNCHED = "launched"
    PAUSED = "paused"
    RETIRED = "retired"


STAGE_EMOJI = {
    Stage.PROPOSED: ":seedling:",
    Stage.ACTIVE: ":hammer_and_wrench:",
    Stage.LAUNCHED: ":rocket:",
    Stage.PAUSED: ":double_vertical_bar:",
    Stage.RETIRED: ":file_cabinet:",
}

TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.PROPOSED: frozenset({Stage.ACTIVE, Stage.PAUSED, Stage.RETIRED}),
    Stage.ACTIVE: frozenset({Stage.LAUNCHED, Stage.PAUSED, Stage.RETIRED}),
    Stage.PAUSED: frozenset({Stage.ACTIVE, Stage.RETIRED}),
    Stage.LAUNCHED: frozenset({Stage.PAUSED, Stage.RETIRED}),
    Stage.RETIRED: frozenset(),
}


def parse_stage(text: str) -> Stage | None:
    try:
        return Stage(text.strip().lower())
    except ValueError:
        return None


def can_move(current: Stage, target: Stage) -> bool:
    return target in TRANSITIONS[current]


def next_stages(current: Stage) -> list[Stage]:
    return [stage for stage in Stage if stage in TRANSITIONS[current]]
