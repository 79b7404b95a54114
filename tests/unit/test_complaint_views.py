"""Complaint Block Kit stays within Slack's limits, even with long text, many tags and many complaints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.complaints import views
from bot.complaints.ids import ComplaintModalMeta
from bot.complaints.queries import ComplaintDetail, ComplaintPage, HomeComplaints
from bot.complaints.service import Logged
from bot.console.surfaces import texts
from storage.models import AuditEvent, Complaint, ComplaintNote
from tests.blockkit import check_message, check_view

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def complaint(number: int, status: str = "assigned", **extra: object) -> Complaint:
    values: dict[str, object] = {
        "id": number,
        "team_id": "T1",
        "network": "twitter",
        "url": "https://x.com/" + "a" * 1900,
        "text": "<@U1> & *bold* " + "very angry " * 1500,
        "author": "@" + "h" * 199,
        "region": "r" * 64,
        "severity": "high",
        "status": status,
        "source": "api",
        "owner_id": "U0MAYA" if status != "new" else None,
        "routed_channel": "C0TRIAGE",
        "created_by": "api",
        "created_at": NOW - timedelta(days=2),
        "updated_at": NOW,
        "due_at": NOW - timedelta(days=1),
        "first_response_at": None,
        "snoozed_until": NOW + timedelta(hours=1),
        "project_id": None,
    }
    values.update(extra)
    return Complaint(**values)


TAGS = [f"tag-{n}-" + "x" * 58 for n in range(20)]


def test_the_owner_card_triage_post_and_replies_fit() -> None:
    for status in ("new", "assigned", "responded", "resolved", "dismissed"):
        check_message(views.owner_card(complaint(1, status), TAGS, NOW))
    many = [complaint(n, "new") for n in range(1, 60)]
    post = views.triage_post(many, {c.id: TAGS for c in many}, NOW)
    check_message(post)
    assert "49 more" in texts(post["blocks"])
    check_message(views.owner_digest(many, {}, NOW))
    logged = Logged(complaint(1), TAGS, created=True)
    check_message(views.logged_reply(logged, NOW, add_details=True))
    check_message(views.command_logged(logged, NOW))
    marked = views.mark_in_post(post["blocks"], complaint(3, "assigned"))
    check_message({"text": "x", "blocks": marked})
    assert "taken by <@U0MAYA>" in texts(marked)


def test_user_text_cannot_forge_mentions() -> None:
    card = views.owner_card(complaint(1), [], NOW)
    assert "<@U1>" not in texts(card["blocks"]) and "&lt;@U1&gt;" in texts(card["blocks"])


def test_the_overdue_mark_and_due_times_render_in_the_readers_zone() -> None:
    line = views.complaint_line(complaint(1), [], NOW)
    assert "*overdue*" in line and "<!date^" in line
    answered = views.complaint_line(complaint(2, first_response_at=NOW), [], NOW)
    assert "answered" in answered and "overdue" not in answered


def test_lists_details_modals_and_home_fit() -> None:
    rows = [complaint(n) for n in range(1, 11)]
    page = ComplaintPage(rows, {c.id: TAGS for c in rows}, 95, "tag:refunds", 2, 10, NOW)
    listing = views.complaint_list(page)
    check_message(listing)
    shown = texts(listing["blocks"])
    assert "page 2 of 10" in shown and "Previous" in shown and "Next" in shown
    empty = views.complaint_list(ComplaintPage([], {}, 0, "mine", 1, 10, NOW))
    check_message(empty)
    assert "You own no open complaints" in texts(empty["blocks"])
    notes = [
        ComplaintNote(
            id=n, team_id="T1", complaint_id=1, author_id="U0MAYA", kind="response", body="n" * 2900, created_at=NOW
        )
        for n in range(50)
    ]
    trail = [
        AuditEvent(
            id=n,
            team_id="T1",
            entity_type="complaint",
            entity_id=1,
            action="assigned",
            actor_id="U0SAM",
            after={"owner_id": "U0LEO"},
            created_at=NOW,
        )
        for n in range(50)
    ]
    detail = ComplaintDetail(complaint(1), TAGS, notes, trail)
    check_message(views.complaint_detail(detail, NOW, can_act=True))
    check_view(views.complaint_view_modal(detail, NOW, can_act=True))
    check_view(
        {
            "type": "home",
            "blocks": views.home_section(HomeComplaints([complaint(n) for n in range(1, 9)], 30, NOW)),
        }
    )
    draft = views.draft_of(complaint(1), TAGS)
    modal = views.complaint_modal(draft, ComplaintModalMeta(channel="C1", ts="1.2", thread_ts="1.1"), note="x" * 5000)
    check_view(modal)
    check_view(views.complaint_modal(draft, ComplaintModalMeta(complaint_id=1), editing=complaint(1)))
    check_message(views.usage("bad", "triangular_flag_on_post"))
