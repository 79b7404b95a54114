from bot.projects.stages import TRANSITIONS, Stage, can_move, next_stages, parse_stage


def test_the_main_line_and_the_side_track() -> None:
    assert can_move(Stage.PROPOSED, Stage.ACTIVE)
    assert can_move(Stage.ACTIVE, Stage.LAUNCHED)
    assert can_move(Stage.LAUNCHED, Stage.RETIRED)
    assert can_move(Stage.ACTIVE, Stage.PAUSED) and can_move(Stage.PAUSED, Stage.ACTIVE)


def test_no_skipping_and_retired_is_final() -> None:
    assert not can_move(Stage.PROPOSED, Stage.LAUNCHED)
    assert not can_move(Stage.PAUSED, Stage.LAUNCHED)
    assert next_stages(Stage.RETIRED) == []
    assert all(stage not in TRANSITIONS[stage] for stage in Stage)


def test_parse_stage_is_forgiving_about_case_only() -> None:
    assert parse_stage(" Active ") is Stage.ACTIVE
    assert parse_stage("launch") is None
