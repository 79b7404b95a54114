"""The console's renderer: each Block Kit block type, numbered elements, mentions, dates and mrkdwn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import blocks as bk
from bot.console.mrkdwn import Reader, format_date, mrkdwn
from bot.console.render import Canvas, Surface, Targets, render_blocks, render_message
from bot.console.style import NBSP, Style, keep_together, strip_ansi, width, wrap

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
PLAIN = Style(colour=False)


def reader(tz: str = "Europe/Stockholm") -> Reader:
    return Reader(
        users={"U0MAYA": "maya", "U0LEO": "leo"},
        channels={"C0PROJECTS": "hero-projects"},
        groups={"S0ITREV": "it-reviewers"},
        tz=ZoneInfo(tz),
        now=NOW,
    )


def canvas(**extra: object) -> Canvas:
    return Canvas(reader(), PLAIN, Targets(), Surface("message", channel="C0PROJECTS", ts="1.1"), **extra)  # type: ignore[arg-type]


def show(blocks: list[dict[str, object]], **extra: object) -> str:
    return "\n".join(render_blocks(blocks, canvas(**extra))).replace(NBSP, " ")


# ---- inline formatting -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<@U0MAYA> owns it", "@maya owns it"),
        ("<@U0LEO|leo.park>", "@leo"),
        ("<@U0NOBODY>", "@U0NOBODY"),
        ("see <#C0PROJECTS>", "see #hero-projects"),
        ("<#C0PROJECTS|hero-projects>", "#hero-projects"),
        ("<!subteam^S0ITREV> please", "@it-reviewers please"),
        ("<!here> heads up", "@here heads up"),
        ("<https://x.com/a|the tweet>", "the tweet (https://x.com/a)"),
        ("<https://x.com/a>", "https://x.com/a"),
        ("<mailto:a@b.se|a@b.se>", "a@b.se"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("*Stage*\nactive", "Stage\nactive"),
        ("_soon_ and ~gone~", "soon and gone"),
        ("snake_case_words stay", "snake_case_words stay"),
        ("5 * 3 * 2", "5 * 3 * 2"),
        ("*`/hero` — HERO projects*", "`/hero` — HERO projects"),
        ("`/hero update HERO-1 &lt;note&gt;`", "`/hero update HERO-1 <note>`"),
        ("`*not bold*`", "`*not bold*`"),
        (":white_check_mark: Logged", "✅ Logged"),
        (":no_such_emoji_name: stays", ":no_such_emoji_name: stays"),
        ("10:30:45", "10:30:45"),
    ],
)
def test_mrkdwn_is_shown_as_slack_shows_it(raw: str, shown: str) -> None:
    assert mrkdwn(raw, reader(), PLAIN) == shown


def test_bold_becomes_a_terminal_style_with_colours() -> None:
    shown = mrkdwn("Logged *HERO-1*", reader(), Style(colour=True))
    assert "\x1b[1mHERO-1\x1b[0m" in shown and strip_ansi(shown) == "Logged HERO-1"


def test_dates_are_shown_in_the_readers_time_zone() -> None:
    moment = datetime(2025, 3, 13, 23, 30, tzinfo=UTC)
    token = bk.slack_date(moment, "{date_short} {time}")
    assert mrkdwn(token, reader("Europe/Stockholm"), PLAIN) == "Mar 14, 2025 00:30"
    assert mrkdwn(token, reader("America/New_York"), PLAIN) == "Mar 13, 2025 19:30"


@pytest.mark.parametrize(
    ("moment", "template", "shown"),
    [
        (NOW, "{date_short_pretty} at {time}", "today at 13:00"),
        (NOW - timedelta(days=1), "{date_pretty}", "yesterday"),
        (NOW + timedelta(days=1), "{date_long_pretty}", "tomorrow"),
        (NOW - timedelta(days=30), "{date_short_pretty}", "Feb 12, 2025"),
        (NOW, "{date_num} {time_secs}", "2025-03-14 13:00:00"),
        (NOW, "{date}", "March 14th, 2025"),
        (NOW, "{date_long}", "Friday, March 14th, 2025"),
        (NOW - timedelta(hours=3), "{ago}", "3 hours ago"),
        (NOW + timedelta(minutes=5), "{ago}", "in 5 minutes"),
    ],
)
def test_date_tokens(moment: datetime, template: str, shown: str) -> None:
    assert format_date(moment, template, ZoneInfo("Europe/Stockholm"), NOW) == shown


def test_a_broken_date_falls_back_to_its_text() -> None:
    assert mrkdwn("<!date^soon^{date}|some day>", reader(), PLAIN) == "some day"
    assert mrkdwn("<!date^1741953600^{date_num}^https://x.io|x>", reader(), PLAIN) == "2025-03-14 (https://x.io)"


# ---- blocks -------------------------------------------------------------------------------------------
def test_header_section_divider_and_context() -> None:
    shown = show(
        [
            bk.header("HERO-1: Refund tweets"),
            bk.section("Owner <@U0MAYA>"),
            bk.divider(),
            bk.context("first", ":rocket: second"),
        ]
    )
    assert shown.split("\n") == [
        "HERO-1: Refund tweets",
        "═" * len("HERO-1: Refund tweets"),
        "Owner @maya",
        "─" * 40,
        "first  ·  🚀 second",
    ]


def test_fields_are_an_aligned_table() -> None:
    shown = show([bk.fields([("Stage", "active"), ("Social channel", "Twitter / X"), ("By stage", "a: 1\nb: 2")])])
    assert shown.split("\n") == [
        "Stage           active",
        "Social channel  Twitter / X",
        "By stage        a: 1",
        "                b: 2",
    ]


def test_buttons_and_selects_are_numbered_in_reading_order() -> None:
    targets = Targets()
    blocks = [
        bk.section("HERO-1 Refund tweets", accessory=bk.button("View", "view", "1")),
        bk.actions(
            bk.button("Add note", "note", "1", style="primary"),
            bk.button("Open", "open", url="https://example.com"),
            bk.static_select("stage", "Move to…", [("1:active", "Move to active"), ("1:paused", "Move to paused")]),
        ),
    ]
    lines = render_blocks(blocks, Canvas(reader(), PLAIN, targets, Surface("ephemeral", user="U0MAYA", index=0)))
    assert [line.replace(NBSP, " ") for line in lines] == [
        "HERO-1 Refund tweets   [1] View",
        "[2] Add note  [3] Open ↗ https://example.com",
        "[4] Move to… ▾",
        "    1) Move to active   2) Move to paused",
    ]
    assert [(t.number, t.label, t.block_id) for t in targets.items] == [
        (1, "View", "b0"),
        (2, "Add note", "b1"),
        (3, "Open", "b1"),
        (4, "Move to…", "b1"),
    ]
    assert targets.items[0].surface.kind == "ephemeral"


def test_other_elements_say_what_they_take() -> None:
    shown = show([bk.actions({"type": "users_select", "action_id": "who", "placeholder": bk.plain("Assign")})])
    assert shown == "[1] Assign ▾  (choose a person)"
    overflow = show(
        [bk.section("More", accessory={"type": "overflow", "action_id": "o", "options": [bk.option("Snooze", "s")]})]
    )
    assert overflow.split("\n") == ["More   [1] ⋯ ▾", "    1) Snooze"]


def test_inputs_show_what_to_type_their_value_and_errors() -> None:
    blocks = [
        bk.text_input("title", "Title", placeholder="Answer refund tweets"),
        bk.input_block("network", "Social channel", bk.static_select("value", "Where", [("twitter", "Twitter / X")])),
        bk.input_block(
            "members",
            "Team members",
            {"type": "multi_users_select", "action_id": "value", "initial_users": ["U0LEO"]},
            optional=True,
        ),
        bk.text_input("problem", "The problem", multiline=True, hint="Say where customers complain"),
    ]
    shown = show(blocks, values={"network": "twitter", "problem": "slow\nrefunds"}, errors={"title": "Too short."})
    assert shown.split("\n") == [
        "Title   set title <text>",
        "  (empty — Answer refund tweets)",
        "  ✗ Too short.",
        "Social channel   set network <option>",
        "  ▸ Twitter / X",
        "    1) Twitter / X",
        "Team members (optional)   set members <names>",
        "  ▸ @leo",
        "The problem   set problem <text>",
        "  ▸ slow",
        "    refunds",
        "  Say where customers complain",
    ]


def test_images_rich_text_and_unknown_blocks_stay_readable() -> None:
    shown = show(
        [
            {"type": "image", "image_url": "https://x.io/c.png", "alt_text": "chart", "title": bk.plain("Complaints")},
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "user", "user_id": "U0MAYA"}, {"type": "text", "text": " said"}],
                    },
                    {
                        "type": "rich_text_list",
                        "style": "bullet",
                        "elements": [{"elements": [{"type": "text", "text": "one"}]}],
                    },
                    {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quoted"}]},
                ],
            },
            {"type": "call", "call_id": "R1"},
        ]
    )
    assert shown.split("\n") == [
        "[image: chart] https://x.io/c.png Complaints",
        "@maya said",
        "• one",
        "▍ quoted",
        "[call block]",
    ]


def test_a_message_without_blocks_shows_its_text() -> None:
    assert render_message("Hello <@U0LEO> &amp; all", [], canvas()) == ["Hello @leo & all"]
    assert render_message("", [], canvas()) == ["(an empty message)"]


# ---- terminal width ------------------------------------------------------------------------------------
def test_wrapping_keeps_indentation_and_counts_emoji_as_two_columns() -> None:
    assert width("✅ ok") == 5
    lines = wrap("    1) Twitter   2) Facebook   3) Instagram   4) LinkedIn", 30)
    assert lines == ["    1) Twitter   2) Facebook", "    3) Instagram   4) LinkedIn"]
    options = "    " + "   ".join(keep_together(o) for o in ("6) TikTok", "7) Forum / community", "8) SMS"))
    assert [line.replace(NBSP, " ") for line in wrap(options, 34)] == [
        "    6) TikTok",
        "    7) Forum / community   8) SMS",
    ]
    coloured = wrap("\x1b[1m" + "word " * 10 + "\x1b[0m", 24)
    assert all(line.startswith("\x1b[1m") for line in coloured) and strip_ansi("".join(coloured)).count("word") == 10


def test_the_console_draws_every_emoji_the_bot_writes() -> None:
    """An emoji code the console doesn't know shows as `:name:` in the demo instead of the picture."""
    import pathlib
    import re

    from bot.console.emoji import EMOJI

    root = pathlib.Path(__file__).resolve().parents[2]
    written: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (root / folder).rglob("*.py"):
            if "console" not in path.parts:
                written.update(re.findall(r"(?<![\w:]):([a-z][a-z0-9_+-]{1,40}):(?!\w)", path.read_text()))
    assert sorted(written - set(EMOJI)) == []
