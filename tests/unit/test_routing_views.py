"""The rule list, the rule modal, the follow-up messages and the crisis alert stay within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.complaints.crisis_store import AlertSummary, Example
from bot.complaints.crisis_views import alert_message
from bot.complaints.followup import escalation_cutoffs, escalation_due, first_response_due, sla_target
from bot.complaints.followup_views import duration, escalation_message, reminder_message
from bot.complaints.rule_views import PAGE_SIZE, draft_from_state, rule_modal, rules_message
from bot.console.emulator import state_values
from bot.directory import Group
from bot.settings import DEFAULT_SLA_MINUTES, SEVERITIES, parse_crisis_threshold, parse_sla_minutes
from storage.models import Complaint, RoutingRule
from tests.blockkit import check_message, check_view

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def rule(number: int, **values: object) -> RoutingRule:
    defaults: dict[str, object] = {
        "name": f"Rule {number} " + "x" * 90,
        "pattern": "refund, " * 20,
        "tag": "vip",
        "target_kind": "group",
        "target_id": "S0CARE",
        "pattern_is_regex": False,
    }
    defaults.update(values)
    return RoutingRule(id=number, position=number, team_id="T0HERO", **defaults)


def test_a_long_rule_list_is_paged_within_the_block_limit() -> None:
    rules = [rule(n) for n in range(1, 46)]
    first = rules_message(rules, groups={"S0CARE": "care-team"}, triage="C0TRIAGE", notice="Saved.")
    check_message(first)
    assert "Next page" in str(first) and "Previous page" not in str(first) and "Page 1 of 3 · 45 rules" in str(first)
    last = rules_message(rules, groups={}, triage=None, page=9)  # a stale page number shows the last page
    check_message(last)
    assert f"*{2 * PAGE_SIZE + 1}. Rule 41" in str(last) and "no longer in Slack" in str(last)


def test_the_rule_modal_fits_any_number_of_groups_and_reads_back_what_it_shows() -> None:
    groups = [Group(id=f"S{n:04d}", handle=f"team-{n}", name=f"Team {n}" + "y" * 80) for n in range(150)]
    saved = rule(
        7,
        pattern=r"order\s*\d+",
        pattern_is_regex=True,
        network="facebook",
        region="DE",
        severity="high",
        target_id="S0007",
        name="Orders",
    )
    view = rule_modal(groups, rule=saved)
    check_view(view)
    draft = draft_from_state(state_values(view, {}))
    assert (draft.name, draft.pattern, draft.pattern_is_regex, draft.network, draft.severity) == (
        "Orders",
        r"order\s*\d+",
        True,
        "facebook",
        "high",
    )
    assert (draft.target_kind, draft.target_group, draft.catch_all) == ("group", "S0007", False)
    empty = rule_modal([])
    check_view(empty)
    assert draft_from_state(state_values(empty, {})).network == ""


def complaint(**values: object) -> Complaint:
    defaults: dict[str, object] = {
        "id": 12,
        "team_id": "T0HERO",
        "network": "twitter",
        "author": "@angry" * 50,
        "text": "Terrible " * 2000,
        "severity": "high",
        "created_at": NOW,
        "due_at": NOW + timedelta(hours=4),
        "url": "https://x.com/a/status/1",
    }
    defaults.update(values)
    return Complaint(**defaults)


def test_follow_up_messages_fit_and_say_what_to_do() -> None:
    owned = reminder_message(complaint(owner_id="U0MAYA"))
    check_message(owned)
    assert "/complaint respond COMP-12" in str(owned)
    check_message(reminder_message(complaint()))
    escalation = escalation_message(
        complaint(owner_id="U0MAYA", reminded_at=NOW), timedelta(hours=4), NOW + timedelta(hours=8, minutes=5)
    )
    check_message(escalation)
    assert "no first response for 8 h 5 min — twice its high target of 4 h" in str(escalation)


def test_durations_read_shortly() -> None:
    assert [duration(timedelta(minutes=m)) for m in (0, 45, 60, 125, 1440, 1500, 4320)] == [
        "0 min",
        "45 min",
        "1 h",
        "2 h 5 min",
        "1 d",
        "1 d 1 h",
        "3 d",
    ]


def test_sla_arithmetic() -> None:
    sla = parse_sla_minutes("critical=30,low=0.5")
    assert sla_target("critical", sla) == timedelta(minutes=30)
    assert sla_target("low", sla) == timedelta(seconds=30)
    assert sla_target("high", sla) == timedelta(minutes=DEFAULT_SLA_MINUTES["high"])
    assert sla_target("unheard-of", sla) == timedelta(minutes=DEFAULT_SLA_MINUTES["medium"])
    assert first_response_due(NOW, "critical", sla) == NOW + timedelta(minutes=30)
    assert escalation_due(NOW, "critical", sla) == NOW + timedelta(hours=1)
    for severity in SEVERITIES:  # a complaint is due for escalation exactly when its cutoff has passed
        created = NOW - 2 * sla_target(severity, sla)
        assert escalation_cutoffs(NOW, sla)[severity] == created
        assert escalation_due(created, severity, sla) == NOW


def test_the_crisis_alert_fits_and_shows_the_window() -> None:
    threshold = parse_crisis_threshold("5/2h")
    examples = [Example(n, "twitter", "@x" * 100, "down " * 1000, "https://x.com/" + "p" * 300) for n in range(3)]
    summary = AlertSummary(1, "outage", 7, NOW, NOW, [("twitter", 5), ("sms", 2)], examples, None, None, None)
    message = alert_message(summary, threshold)
    check_message(message)
    assert "threshold: 5 within 2 hours" in str(message) and "Acknowledge" in str(message)
    closed = AlertSummary(1, "outage", 7, NOW, NOW, [], [], NOW, "U0LEO", NOW)
    check_message(alert_message(closed, parse_crisis_threshold("3/45m")))
    assert "Quiet for 45 minutes" in str(alert_message(closed, parse_crisis_threshold("3/45m")))
