"""Routing rules: which rule matches a complaint, which patterns are refused, whose turn it is."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.complaints.matching import (
    MATCH_TEXT_MAX,
    PATTERN_MAX,
    Conditions,
    Facts,
    first_match,
    keyword_problem,
    matches,
    regex_problem,
)
from bot.complaints.routing import next_in_turn
from bot.complaints.rules import Field, RuleDraft, Target, problems


def facts(
    text: str = "",
    tags: tuple[str, ...] = (),
    network: str = "twitter",
    region: str | None = None,
    severity: str = "medium",
) -> Facts:
    return Facts.of(text=text, tags=tags, network=network, region=region, severity=severity)


KEYWORD_CASES = [
    ("refund", "Where is my refund?", True),
    ("refund", "REFUNDS are late", True),
    ("refund", "I was refunded twice", True),
    ("refund", "a nonrefundable ticket", False),
    ("refund", "ref und", False),
    ("refund, chargeback", "I filed a chargeback", True),
    ("refund, chargeback", "nothing to see", False),
    ("late delivery", "Very late   delivery again", True),
    ("late delivery", "late\ndelivery", True),
    ("late delivery", "delivery late", False),
    ("#fail", "what a #fail", True),
    ("c++", "your C++ SDK crashes", True),
    ("a.b", "axb", False),  # keywords are literal, not patterns
    ("Straße", "die STRASSE", False),
    ("Straße", "die straße ist zu", True),
    ("ümlaut", "Ümlaut problems", True),
]


@pytest.mark.parametrize(("keywords", "text", "expected"), KEYWORD_CASES)
def test_keywords_match_at_word_starts_ignoring_case(keywords: str, text: str, expected: bool) -> None:
    assert matches(Conditions(pattern=keywords), facts(text)) is expected


REGEX_CASES = [
    (r"order\s*#?\d{5,}", "my Order #123456 never came", True),
    (r"order\s*#?\d{5,}", "order 12", False),
    (r"^urgent", "URGENT: help", True),
    (r"^urgent", "not urgent", False),
    (r"(crash|freeze)s?", "the app freezes", True),
    (r"\bapp\b", "apple", False),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), REGEX_CASES)
def test_regular_expressions_are_searched_ignoring_case(pattern: str, text: str, expected: bool) -> None:
    assert matches(Conditions(pattern=pattern, pattern_is_regex=True), facts(text)) is expected


def test_every_condition_set_must_hold() -> None:
    rule = Conditions(pattern="refund", tag="Billing", network="twitter", region="DE, AT", severity="high")
    good = facts("refund please", ("billing", "vip"), "twitter", "at", "high")
    assert matches(rule, good)
    assert not matches(rule, facts("refund please", ("vip",), "twitter", "AT", "high"))
    assert not matches(rule, facts("refund please", ("billing",), "facebook", "AT", "high"))
    assert not matches(rule, facts("refund please", ("billing",), "twitter", "FR", "high"))
    assert not matches(rule, facts("refund please", ("billing",), "twitter", None, "high"))
    assert not matches(rule, facts("refund please", ("billing",), "twitter", "AT", "low"))
    assert not matches(rule, facts("hello", ("billing",), "twitter", "AT", "high"))


def test_tags_and_regions_ignore_case_and_spacing() -> None:
    assert matches(Conditions(tag="billing"), facts(tags=("BILLING",)))
    assert matches(Conditions(region="North  America"), facts(region="north america"))
    assert not matches(Conditions(region="North America"), facts(region="America"))


def test_a_rule_without_conditions_matches_everything() -> None:
    assert Conditions().is_catch_all
    assert matches(Conditions(), facts("anything", network="sms", severity="low"))


def test_first_match_wins_in_the_order_given() -> None:
    rules = [
        ("vip", Conditions(tag="vip")),
        ("refunds", Conditions(pattern="refund")),
        ("twitter", Conditions(network="twitter")),
        ("everything", Conditions()),
    ]
    assert first_match(rules, facts("refund", ("vip",))) == "vip"
    assert first_match(rules, facts("refund")) == "refunds"
    assert first_match(rules, facts("hello")) == "twitter"
    assert first_match(rules, facts("hello", network="facebook")) == "everything"
    assert first_match(rules[:3], facts("hello", network="facebook")) is None
    assert first_match([], facts("x")) is None


def test_only_the_beginning_of_a_long_text_is_searched() -> None:
    text = "x " * MATCH_TEXT_MAX + "refund"
    assert not matches(Conditions(pattern="refund"), facts(text))


def test_a_stored_pattern_that_no_longer_compiles_matches_nothing() -> None:
    assert not matches(Conditions(pattern="(unclosed", pattern_is_regex=True), facts("(unclosed"))


@given(
    st.text(min_size=1, max_size=30).filter(lambda word: "," not in word and re.search(r"\w", word) is not None),
    st.text(max_size=40),
)
def test_a_keyword_always_finds_itself_after_a_space(keyword: str, before: str) -> None:
    assert matches(Conditions(pattern=keyword), facts(before + " " + keyword + " and more"))


@given(st.from_regex(r"[a-z][a-z0-9 ]{0,20}", fullmatch=True), st.from_regex(r"[a-z ]{0,20}", fullmatch=True))
def test_ascii_keywords_ignore_case(keyword: str, before: str) -> None:
    assert matches(Conditions(pattern=keyword), facts(before + " " + keyword.upper()))


@given(st.text(max_size=200))
def test_keyword_matching_never_raises_and_literal_keywords_never_misfire(text: str) -> None:
    result = matches(Conditions(pattern="(a+)+$, [x], .*"), facts(text))
    assert result == any(re.search(r"(?<!\w)" + re.escape(k), text, re.IGNORECASE) for k in ("(a+)+$", "[x]", ".*"))


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        ("refund|chargeback", None),
        (r"order\s*#?\d{5,}", None),
        ("(foo|bar)+", None),
        (r"(ab?)+", None),
        ("(a+)+", "repeat inside a repeat"),
        (r"(\w*)*", "repeat inside a repeat"),
        (r"(a|b+)*c", "repeat inside a repeat"),
        (r"(?:x{1,3})+", "repeat inside a repeat"),
        ("[", "not a valid regular expression"),
        ("(?P<x", "not a valid regular expression"),
        ("a" * (PATTERN_MAX + 1), "under 200 characters"),
    ],
)
def test_regular_expressions_are_checked_before_they_are_saved(pattern: str, refused: str | None) -> None:
    problem = regex_problem(pattern)
    assert (problem is None) if refused is None else (problem is not None and refused in problem)


def test_keywords_need_a_letter_or_digit() -> None:
    assert keyword_problem(" , ,") is not None
    assert keyword_problem("!!") is not None
    assert keyword_problem("refund") is None
    assert keyword_problem("x" * (PATTERN_MAX + 1)) is not None


def draft(**changes: object) -> RuleDraft:
    values: dict[str, object] = {"name": "Refunds", "pattern": "refund", "target_kind": Target.TRIAGE.value}
    values.update(changes)
    return RuleDraft(**values).cleaned()  # type: ignore[arg-type]


def test_a_draft_with_a_condition_and_a_target_can_be_saved() -> None:
    assert problems(draft()) == {}
    assert problems(draft(target_kind="user", target_user="U0LEO")) == {}
    assert problems(draft(target_kind="group", target_group="S0CARE")) == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, Field.NAME),
        ({"name": "x" * 101}, Field.NAME),
        ({"pattern": "(a+)+", "pattern_is_regex": True}, Field.PATTERN),
        ({"pattern": ""}, Field.PATTERN),  # no condition and not an explicit catch-all
        ({"catch_all": True}, Field.CATCH_ALL),  # a catch-all with a condition
        ({"network": "myspace"}, Field.NETWORK),
        ({"severity": "apocalyptic"}, Field.SEVERITY),
        ({"target_kind": "user"}, Field.TARGET_USER),
        ({"target_kind": "group"}, Field.TARGET_GROUP),
        ({"target_kind": "nowhere"}, Field.TARGET_KIND),
    ],
)
def test_a_bad_draft_is_refused_on_its_field(changes: dict[str, object], field: Field) -> None:
    assert field in problems(draft(**changes))


def test_an_explicit_catch_all_is_allowed() -> None:
    assert problems(draft(pattern="", catch_all=True)) == {}


def test_tags_are_cleaned_before_saving() -> None:
    assert draft(tag=" #Billing ").tag == "billing"
    assert draft(tag="Late  delivery").tag == "late-delivery"
    assert matches(Conditions(tag="late delivery"), facts(tags=("late-delivery",)))


def test_members_take_turns_in_a_stable_order() -> None:
    members = {"U3", "U1", "U2"}
    turns = []
    last = None
    for _ in range(7):
        last = next_in_turn(members, last)
        turns.append(last)
    assert turns == ["U1", "U2", "U3", "U1", "U2", "U3", "U1"]


def test_a_member_leaving_or_joining_shifts_nobody_else() -> None:
    assert next_in_turn({"U1", "U3"}, "U2") == "U3"  # U2 left after their turn
    assert next_in_turn({"U1", "U2", "U3", "U4"}, "U3") == "U4"
    assert next_in_turn({"U1"}, "U9") == "U1"


@given(
    st.sets(st.text(alphabet="ABCDEFGHJK0123456789", min_size=1, max_size=6), min_size=1, max_size=8),
    st.integers(min_value=1, max_value=5),
)
def test_round_robin_is_fair(members: set[str], rounds: int) -> None:
    counts = dict.fromkeys(members, 0)
    last = None
    for _ in range(rounds * len(members)):
        last = next_in_turn(members, last)
        counts[last] += 1
    assert set(counts.values()) == {rounds}
