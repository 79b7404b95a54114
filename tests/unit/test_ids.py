from hypothesis import given
from hypothesis import strategies as st

from bot.ids import Kind, format_id, parse_id, parse_user_mention


def test_ids_are_accepted_with_or_without_prefix() -> None:
    for text in ("HERO-12", "hero-12", "HERO12", "12", " 12 ", "#12"):
        assert parse_id(Kind.PROJECT, text) == 12, text


def test_another_kind_or_garbage_names_nothing() -> None:
    for text in ("COMP-12", "RISK-3", "", "HERO-", "HERO-0", "twelve", "12a", "HERO-1-2", "-5", "1234567890"):
        assert parse_id(Kind.PROJECT, text) is None, text


@given(st.integers(min_value=1, max_value=999_999_999), st.sampled_from(list(Kind)))
def test_format_and_parse_round_trip(number: int, kind: Kind) -> None:
    assert parse_id(kind, format_id(kind, number)) == number


@given(st.text(max_size=40))
def test_parse_never_raises(text: str) -> None:
    result = parse_id(Kind.COMPLAINT, text)
    assert result is None or result > 0


def test_user_mentions_in_slack_escaped_form() -> None:
    assert parse_user_mention("<@U0LEO|leo>") == "U0LEO"
    assert parse_user_mention("<@U0LEO>") == "U0LEO"
    assert parse_user_mention("U0LEO") == "U0LEO"
    assert parse_user_mention("@leo") is None
    assert parse_user_mention("<#C0GENERAL|general>") is None
