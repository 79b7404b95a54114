"""Rollups of complaints: what the council digest counts, kept per workspace and UTC hour (and day).

Kept in two steps, so that writers never wait for one another on a shared counter:
1. Triggers on `complaints` and `complaint_tags` (migration `0008_complaint_rollups`) append every change
   to what the rollups count to `complaint_changes` / `complaint_tag_changes`: a new row as +1, a deleted
   one as -1, an update of a counted column as -1 for the old values and +1 for the new. Every writer —
   commands, buttons, the ingestion API's bulk inserts, follow-ups, retention, deletes — is covered
   without knowing; an update that touches no counted column appends nothing. An append locks no
   existing row, where an UPSERT of the hour's counter would make every writer of the hour queue for it
   until commit.
2. `storage.repositories.folding` adds the pending changes into the rollups and deletes them, every minute
   (`bot.councils.rollups`) and after each migration.

Readers (`storage.repositories.rollups`) add the rollups, the changes not folded yet, and for the partial
hours at a period's edges the complaints themselves: every count equals the count over the complaints,
folded or not. A count can fall to 0 and its row stays.

Time to first response is kept as a histogram: per hour (and per day), per bucket of response time, how
many and the sum of their milliseconds. The buckets are as fine as the digest shows the figure (see
`bot.councils.digest_views.duration`): a minute below 2 hours, 0.1 hour below 2 days, 0.1 day beyond.
`response_bucket` is the rule (`storage.repositories.rollups.response_bucket_sql` the same in SQL).
Changing it, or what any rollup counts, takes a migration that empties the rollup and queues every
complaint as a change again (as 0008 does), for the next fold to rebuild it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

# Response-time buckets, in milliseconds: each tier is (its first millisecond, the width of its buckets, its
# first bucket number). Minutes below 2 hours, 0.1 hour below 2 days, 0.1 day beyond; the last tier has no end.
RESPONSE_TIERS = ((0, 60_000, 0), (7_200_000, 360_000, 120), (172_800_000, 8_640_000, 580))
# A response stamped before its complaint (clocks of different sources): one bucket below all others.
NEGATIVE_BUCKET = -1

_WITHOUT_ROWID = {"sqlite_with_rowid": False}  # on SQLite the primary key is the table: one b-tree, read in order


def response_bucket(milliseconds: int) -> int:
    """The histogram bucket of a response time; buckets are numbered in the order of the times they hold."""
    if milliseconds < 0:
        return NEGATIVE_BUCKET
    begins, width, first = next(tier for tier in reversed(RESPONSE_TIERS) if milliseconds >= tier[0])
    return first + (milliseconds - begins) // width


def bucket_span(bucket: int) -> tuple[int, int] | None:
    """[from, to) in milliseconds of a bucket; None for the negative one (it has no lower end)."""
    if bucket < 0:
        return None
    begins, width, first = next(tier for tier in reversed(RESPONSE_TIERS) if bucket >= tier[2])
    low = begins + (bucket - first) * width
    return low, low + width


class _HourlyRollup:
    """A rollup row: one workspace's figures for one hour (UTC) and, in most, one key."""

    __table_args__ = _WITHOUT_ROWID

    # First in the table and its primary key, before each rollup's own key.
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True, sort_order=-2)
    hour: Mapped[datetime] = mapped_column(primary_key=True, sort_order=-1)


class ComplaintStatusHour(_HourlyRollup, Base):
    """Complaints logged (`created_at`) in the hour, by their status now."""

    __tablename__ = "complaint_status_hours"

    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)


class ComplaintNetworkHour(_HourlyRollup, Base):
    """Complaints logged in the hour, by network."""

    __tablename__ = "complaint_network_hours"

    network: Mapped[str] = mapped_column(String(32), primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)


class ComplaintResolvedHour(_HourlyRollup, Base):
    """Complaints resolved now whose `closed_at` falls in the hour."""

    __tablename__ = "complaint_resolved_hours"

    complaints: Mapped[int] = mapped_column(Integer)


class ComplaintDueHour(_HourlyRollup, Base):
    """Complaints not dismissed whose first-response target (`due_at`) falls in the hour; `met`: of those,
    answered or closed by then."""

    __tablename__ = "complaint_due_hours"

    due: Mapped[int] = mapped_column(Integer)
    met: Mapped[int] = mapped_column(Integer)


class ComplaintResponseHour(_HourlyRollup, Base):
    """First responses (`first_response_at`) in the hour by bucket of time since logging (`response_bucket`):
    how many, and the sum of their times in milliseconds (a bucket's mean is exact)."""

    __tablename__ = "complaint_response_hours"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    responses: Mapped[int] = mapped_column(Integer)
    milliseconds: Mapped[int] = mapped_column(BigInteger)


class ComplaintResponseDay(Base):
    """`ComplaintResponseHour` per UTC day: response times spread over hundreds of buckets, so an hour holds
    about as many rows as responses; a day holds at most a row per bucket, and a month's median reads
    whole days here."""

    __tablename__ = "complaint_response_days"
    __table_args__ = _WITHOUT_ROWID

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[datetime] = mapped_column(primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    responses: Mapped[int] = mapped_column(Integer)
    milliseconds: Mapped[int] = mapped_column(BigInteger)


class ComplaintTagHour(_HourlyRollup, Base):
    """Tags given (`complaint_tags.created_at`, the complaint's logging time) in the hour, by tag."""

    __tablename__ = "complaint_tag_hours"

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    tags: Mapped[int] = mapped_column(Integer)


# ---- changes not folded yet ----------------------------------------------------------------------------

_CHANGE_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite: the rowid itself


class ComplaintChange(Base):
    """A complaint's counted columns as they were (`delta` -1) or are now (+1), appended by the triggers."""

    __tablename__ = "complaint_changes"
    # Never reused on SQLite either: the fold there takes the changes up to an id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(_CHANGE_ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    network: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    delta: Mapped[int] = mapped_column(SmallInteger)


class ComplaintTagChange(Base):
    """A tag given (`delta` +1) or taken away (-1), appended by the triggers on `complaint_tags`."""

    __tablename__ = "complaint_tag_changes"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(_CHANGE_ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    tag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    delta: Mapped[int] = mapped_column(SmallInteger)
