"""Social complaints (COMP-n), their tags and notes, the routing rules that assign them, crisis alerts.

A complaint is recognised again by its URL, its external ID (from the ingestion API) or the Slack
message it was logged from: each has a unique key per workspace, so a retry or a second reaction finds
the existing complaint instead of creating one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, TeamScoped, utcnow


class Complaint(TeamScoped, Base):
    """`status`: new → assigned → responded → resolved, or dismissed from any open status.

    `reminded_at` / `escalated_at` are claimed with a compare-and-set (`UPDATE … WHERE reminded_at IS
    NULL`) before the reminder or escalation is sent, so each happens once across restarts and
    instances. `purged_at` is set when retention removed the personal data (text, handle, URL).
    """

    __tablename__ = "complaints"
    __table_args__ = (
        UniqueConstraint("team_id", "url_key"),
        UniqueConstraint("team_id", "external_id"),
        UniqueConstraint("team_id", "slack_channel", "slack_ts"),
        Index("ix_complaints_team_status", "team_id", "status"),
        Index("ix_complaints_team_owner_status", "team_id", "owner_id", "status"),
        # By created, due and closed time: the digest's indexes (storage.models.councils) begin with those.
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No index of its own: every index above (and the digest's) begins with team_id (migration 0009).
    team_id: Mapped[str] = mapped_column(String(32))
    network: Mapped[str] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # sha256 of the normalised URL: a unique key that fits an index whatever the URL's length.
    url_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    slack_channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    author: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    status: Mapped[str] = mapped_column(String(16), default="new")
    source: Mapped[str] = mapped_column(String(16), default="command")  # command|shortcut|reaction|api
    owner_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    routed_channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(32), default="")
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    posted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Where the bot answered: the thread reply under the Slack message, the owner's DM card.
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    owner_dm_channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    owner_dm_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ComplaintTag(Base):
    """One tag of a complaint; `team_id` and `created_at` repeat the complaint's for indexed aggregates."""

    __tablename__ = "complaint_tags"
    __table_args__ = (Index("ix_complaint_tags_team_tag_created", "team_id", "tag", "created_at"),)

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintNote(TeamScoped, Base):
    """A response, resolution, dismissal, reassignment or snooze note on a complaint's timeline."""

    __tablename__ = "complaint_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoutingRule(TeamScoped, Base):
    """Evaluated by `position`, first match wins. Every condition set must hold; unset ones match all.

    `target_kind`: user (`target_id` a user ID), group (a user-group ID, round-robin among its
    members) or triage (the triage channel).
    """

    __tablename__ = "routing_rules"
    __table_args__ = (Index("ix_routing_rules_team_position", "team_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100), default="")
    pattern: Mapped[str | None] = mapped_column(String(500), nullable=True)
    pattern_is_regex: Mapped[bool] = mapped_column(Boolean, default=False)
    tag: Mapped[str | None] = mapped_column(String(64), nullable=True)
    network: Mapped[str | None] = mapped_column(String(32), nullable=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_by: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundRobinCursor(Base):
    """Whose turn it is in a user group: the next complaint goes to the member after `last_user_id`
    (members ordered by user ID, wrapping around); `count` is how many the group has been given.

    Stored, so the turn survives restarts and is shared by every instance (updated under a row lock).
    """

    __tablename__ = "round_robin_cursors"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class CrisisAlert(TeamScoped, Base):
    """One alert for a spike of complaints with one tag; later complaints update it (`chat.update`).

    `open_key` is the tag while the alert is open and NULL once the window passed quietly, so the
    unique key allows one open alert per tag and workspace: two instances cannot both raise it.
    """

    __tablename__ = "crisis_alerts"
    __table_args__ = (
        UniqueConstraint("team_id", "open_key"),
        Index("ix_crisis_alerts_team_tag", "team_id", "tag"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(64))
    open_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_complaint_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
