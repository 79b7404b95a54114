"""The outbox: notices of new complaints, stored in the transaction that logs the complaints, sent afterwards.

One row per new complaint, written with it: a crash between the commit and the post leaves the row, and a
drainer (`bot.complaints.outbox`) sends it later. A row is sent only under a drainer's lease
(`claimed_until`): written with the lease of the drainer of the process that stores it, or claimed later,
so two instances never both send one; a row is deleted once its notice was sent, or given up on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow

# What a notice is: the owner's DM card, a post in the routed (triage) channel, or, for a complaint with
# neither, only the crisis check that follows every notice.
OWNER_CARD = "owner_card"
CHANNEL_POST = "channel_post"
CRISIS_CHECK = "crisis_check"


class OutboxNotice(Base):
    """A notice waiting to be sent. No secondary index: the table holds only what is not sent yet (a few
    rows, a burst's worth at most), and every index would cost the insert on the complaint's hot path.

    `recipient` is the owner's user ID or the channel, as routed when the complaint was logged.
    `available_at` is when the next attempt may be made (later after a failure: back-off), `attempts` how
    many failed so far; `claimed_until` is the lease of the drainer sending it (NULL: nobody holds it).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
