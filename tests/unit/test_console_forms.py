"""What a person types at the console, read the way they meant it: options, people, fields, durations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import blocks as bk
from bot.console import demo
from bot.console.forms import ConsoleError, find_input, find_option, find_users, parse_value
from bot.console.interact import split_first
from bot.console.session import is_comment, is_expect
from bot.console.workspace import parse_duration

STAGES = bk.static_select(
    "stage",
    "Move to…",
    [("1:launched", "Move to launched"), ("1:paused", "Move to paused"), ("1:retired", "Move to retired")],
)


@pytest.mark.parametrize("typed", ["2", "1:paused", "Move to paused", "paused", "PAUSED", "paus"])
def test_an_option_by_number_value_label_or_word(typed: str) -> None:
    assert find_option(STAGES, typed)["value"] == "1:paused"


@pytest.mark.parametrize("typed", ["move", "9", "0", "", "rocket"])
def test_no_single_option_lists_the_options(typed: str) -> None:
    with pytest.raises(ConsoleError, match=r"Options: 1\) Move to launched; 2\) Move to paused"):
        find_option(STAGES, typed)


def test_people_by_handle_name_mention_or_id() -> None:
    fake = demo.demo_slack()
    assert find_users(fake, "leo, Ingrid Berg") == [demo.LEO, demo.INGRID]
    assert find_users(fake, "@leo @sam leo") == [demo.LEO, demo.SAM]
    assert find_users(fake, "<@U0MAYA>") == [demo.MAYA]
    with pytest.raises(ConsoleError, match="nobody called 'bob'"):
        find_users(fake, "leo bob")


def test_fields_by_block_id_or_label() -> None:
    view = bk.modal(
        "cb",
        "New",
        [
            bk.text_input("title", "Title"),
            bk.text_input("success", "How success is measured"),
            bk.input_block("network", "Social channel", STAGES),
        ],
    )
    assert find_input(view, "title")[0] == "title"
    assert find_input(view, '"How success is measured"')[0] == "success"
    assert find_input(view, "how")[0] == "success"
    assert find_input(view, "channel")[0] == "network"
    with pytest.raises(ConsoleError, match="Fields: title, success, network"):
        find_input(view, "budget")


def test_values_are_checked_as_slacks_client_checks_them() -> None:
    fake = demo.demo_slack()
    short = bk.text_input("t", "Title", max_length=5)["element"]
    with pytest.raises(ConsoleError, match="at most 5 characters"):
        parse_value(short, "too long", fake, "Title")
    multiline = bk.text_input("p", "Problem", multiline=True)["element"]
    assert parse_value(multiline, r"one\ntwo", fake, "Problem") == "one\ntwo"
    with pytest.raises(ConsoleError, match="YYYY-MM-DD"):
        parse_value({"type": "datepicker"}, "tomorrow", fake, "Due")
    assert parse_value({"type": "users_select"}, "sam", fake, "Owner") == demo.SAM
    assert parse_value({"type": "conversations_select"}, "#crisis", fake, "Where") == demo.CRISIS
    assert parse_value({"type": "multi_users_select"}, "", fake, "Team") == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("+2h", timedelta(hours=2)), ("+1d12h", timedelta(days=1, hours=12)), ("+90m", timedelta(minutes=90))],
)
def test_durations(typed: str, expected: timedelta) -> None:
    assert parse_duration(typed) == expected


@pytest.mark.parametrize("typed", ["", "+", "+2x", "soon", "+0m", "+400d"])
def test_bad_durations(typed: str) -> None:
    assert parse_duration(typed) is None


def test_line_parsing() -> None:
    assert split_first('"New HERO project" m3') == ("New HERO project", "m3")
    assert split_first("title Refund tweets") == ("title", "Refund tweets")
    assert is_comment("# a note") and is_comment("#") and not is_comment("#general")
    assert is_expect("expect Logged") and not is_expect("expected")


def test_a_modal_without_fields_says_so() -> None:
    with pytest.raises(ConsoleError, match="«Notice» has no fields to fill"):
        find_input(bk.modal("cb", "Notice", [bk.section("Done.")], submit=None), "title")
