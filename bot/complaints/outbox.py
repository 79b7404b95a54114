"""The outbox's drainer: notices of new complaints, stored with them, sent by every serving process.

`log_drafts` writes one outbox row per new complaint in the transaction that stores it (`enqueue`), leased
to this process's drainer from the start; after the commit, `announce` hands the rows to the drainer
(`Outbox.announced`), which sends them at once. Every few seconds it also looks for rows nobody is
sending — left by an instance that stopped or crashed, or before this one started — and sends those.

Claims are leases in the database (`claimed_until`), so two instances never both send a notice. Notices
are paced per recipient: the first one for a quiet channel (or owner) goes out at once, and whatever
arrives for it in the next SPACING_SECONDS waits and goes out together — one triage post listing them,
or for an owner their cards (a digest past OWNER_CARDS_MAX). Slack refusing a post puts its notices back
with a back-off; after MAX_ATTEMPTS they are logged and dropped. Other recipients never wait for it.

Pacing is per process: two instances posting to one channel in the same second can make two posts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection

from bot.complaints import notices, service
from bot.complaints.service import Logged
from bot.runtime import Runtime
from storage.models import utcnow
from storage.repositories.outbox import Claimed, OutboxRepository, insert_notices

log = logging.getLogger("herobot.complaints.outbox")

POLL_SECONDS = 5.0
SPACING_SECONDS = 1.0  # Slack takes about one message per second per channel
# Seconds before attempt 2, 3 and 4; a notice refused that many times is dropped.
BACKOFF_SECONDS = (2.0, 10.0, 30.0)
# Longer than a group's posts can take (each call times out after 10 s, with the client's own retries):
# a crashed instance's notices are taken over once it has passed.
LEASE = timedelta(minutes=3)
# A notice another instance enqueued is left to that instance for this long before anyone else takes it.
HANDOFF = timedelta(seconds=30)
CLAIM_LIMIT = 500
CONCURRENT_SENDS = 8
# How long a request waits for its notices before it lets go (the drainer keeps them).
ANNOUNCE_WAIT_SECONDS = 60.0

Recipient = tuple[str, str, str | None]  # team, kind, recipient


def enqueue(
    connection: Connection,
    logged: Sequence[Logged],
    now: datetime | None = None,
    *,
    lease_until: datetime | None = None,
) -> None:
    """In the write that stored them: one notice per complaint created (one INSERT for them all).

    With `lease_until` (this process's drainer runs, `Outbox.lease_for_new`) the notices are born leased to
    it, and each one is kept on its complaint's result (`Logged.notice`) for `announce` to hand over: no
    claim after the commit. Should the process die first, the lease ends and another drainer sends them,
    as it would had the process died just after claiming them."""
    at = now or utcnow()
    created = [item for item in logged if item.created]
    addressed = [notices.notice_of(item.complaint) for item in created]
    rows = [
        {
            "team_id": item.complaint.team_id,
            "complaint_id": item.complaint.id,
            "kind": kind,
            "recipient": recipient,
            "attempts": 0,
            "created_at": at,
            "available_at": at,
            "claimed_until": lease_until,
        }
        for item, (kind, recipient) in zip(created, addressed, strict=True)
    ]
    ids = insert_notices(connection, rows)
    if lease_until is not None:
        for item, (kind, recipient), notice_id in zip(created, addressed, ids, strict=True):
            item.notice = Claimed(notice_id, item.complaint.team_id, item.complaint.id, kind, recipient, 0)


class Outbox:
    def __init__(
        self,
        runtime: Runtime,
        *,
        poll_seconds: float = POLL_SECONDS,
        spacing_seconds: float = SPACING_SECONDS,
        backoff_seconds: Sequence[float] = BACKOFF_SECONDS,
        lease: timedelta = LEASE,
        handoff: timedelta = HANDOFF,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.spacing_seconds = spacing_seconds
        self.backoff_seconds = tuple(backoff_seconds)
        self.lease = lease
        self.handoff = handoff
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._inbox: set[int] = set()  # complaints announced here whose notices are not claimed yet
        self._held: dict[int, Claimed] = {}  # by complaint: claimed by this process, not settled
        self._queued: dict[Recipient, list[Claimed]] = {}  # held, waiting for their recipient's turn
        self._turns: dict[Recipient, asyncio.Task[None]] = {}
        self._last_post: dict[Recipient, float] = {}
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._sending = asyncio.Semaphore(CONCURRENT_SENDS)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._stopping

    # ---- life cycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.ensure_future(self._run())

    async def stop(self, within: float) -> None:
        """Take no more notices; give those being sent up to `within` seconds, then hand the rest back to the
        table (unclaimed, so the next start or another instance sends them at once)."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        turns = set(self._turns.values())
        if turns:
            await asyncio.wait(turns, timeout=max(within, 0.0))
        in_post = {row.id for row in self._held.values()} - {row.id for rows in self._queued.values() for row in rows}
        for task in self._turns.values():
            task.cancel()
        await asyncio.gather(*turns, return_exceptions=True)
        unsent = [row.id for rows in self._queued.values() for row in rows]
        if unsent:
            try:
                async with self.runtime.database.unit_of_work() as session:
                    await OutboxRepository(session).release(unsent)
            except Exception:
                log.exception("could not hand back %s notices; they are sent once their lease ends", len(unsent))
        if in_post:
            log.warning("stopped while %s notices were being sent; they are sent again after their lease", len(in_post))
        self._queued.clear()
        self._held.clear()
        self._inbox.clear()
        for complaint_id in list(self._waiters):
            self._settled(complaint_id)

    def lease_for_new(self) -> datetime | None:
        """The lease new notices are written with when this drainer is to send them (`enqueue`); None when
        it is not running (they are left for whichever drainer looks next)."""
        return self.clock() + self.lease if self.running else None

    async def announced(self, complaint_ids: Iterable[int], held: Sequence[Claimed] = ()) -> None:
        """Right after the commit that enqueued them: send these complaints' notices now, and return once they
        were sent (or handed back for a retry, or found with another instance). `held` are those written
        leased to this drainer (`lease_for_new`): taken as they are; the others are claimed first."""
        ids = list(complaint_ids)
        if not ids or not self.running:
            return
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Future[None]] = []
        for complaint_id in ids:
            future = loop.create_future()
            self._waiters.setdefault(complaint_id, []).append(future)
            waiting.append(future)
        taken = set()
        for row in held:
            taken.add(row.complaint_id)
            if row.complaint_id not in self._held:
                self._hold(row)
        unclaimed = [complaint_id for complaint_id in ids if complaint_id not in taken]
        if unclaimed:
            self._inbox.update(unclaimed)
            self._wake.set()
        await asyncio.wait(waiting, timeout=ANNOUNCE_WAIT_SECONDS)

    # ---- claiming -----------------------------------------------------------------------------------
    async def _run(self) -> None:
        everything = True  # the first look takes every due notice: those left before this start
        polling = True
        while not self._stopping:
            try:
                more = await self._look(polling=polling, everything=everything)
            except Exception:
                log.exception("could not read the outbox; trying again in %s s", self.poll_seconds)
                more = False
            everything = False
            if more:
                polling = True
                continue
            try:
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
                polling = False
            except TimeoutError:
                polling = True
            self._wake.clear()

    async def _look(self, *, polling: bool, everything: bool) -> bool:
        """Claim the notices announced here, and when polling those nobody sends; True if more are due."""
        wanted, self._inbox = self._inbox, set()
        now = self.clock()
        lease_until = now + self.lease
        ready_by = now if everything else now - self.handoff
        try:
            async with self.runtime.database.unit_of_work() as session:
                repository = OutboxRepository(session)
                claimed = await repository.claim(now, lease_until, complaint_ids=wanted) if wanted else []
                found = await repository.claim(now, lease_until, ready_by=ready_by) if polling else []
        except BaseException:
            self._inbox |= wanted
            raise
        for row in [*claimed, *found]:
            self._hold(row)
        for complaint_id in wanted - self._held.keys():
            self._settled(complaint_id)  # sent already, or another instance holds it
        self._forget_quiet_recipients()
        return len(found) == CLAIM_LIMIT

    def _hold(self, row: Claimed) -> None:
        self._held[row.complaint_id] = row
        recipient = (row.team_id, row.kind, row.recipient)
        self._queued.setdefault(recipient, []).append(row)
        if recipient not in self._turns:
            self._turns[recipient] = asyncio.ensure_future(self._take_turns(recipient))

    # ---- sending ------------------------------------------------------------------------------------
    async def _take_turns(self, recipient: Recipient) -> None:
        """Send what waits for one recipient, one post (or set of cards) per SPACING_SECONDS at most."""
        try:
            while self._queued.get(recipient):
                if recipient[2] is not None:
                    rest = self._last_post.get(recipient, float("-inf")) + self.spacing_seconds - time.monotonic()
                    if rest > 0:
                        await asyncio.sleep(rest)  # what arrives meanwhile goes out with these
                rows = self._queued.pop(recipient, [])
                for attempts in sorted({row.attempts for row in rows}):
                    # Notices that failed before go apart from fresh ones: whatever Slack refused in them
                    # must not hold back the others.
                    group = [row for row in rows if row.attempts == attempts]
                    async with self._sending:
                        done = await self._deliver(group)
                    if recipient[2] is not None:
                        self._last_post[recipient] = time.monotonic()
                    await self._after(group, done)
        finally:
            self._turns.pop(recipient, None)

    async def _deliver(self, group: list[Claimed]) -> notices.Delivery:
        """Send the group, then record it: sent ones leave the table, refused ones wait for their back-off."""
        try:
            done = await notices.deliver(self.runtime, group)
        except Exception as error:  # a database error or a bug: tried again like a refused post
            log.exception("could not send the notices of complaints %s", [row.complaint_id for row in group])
            done = notices.Delivery(failed=list(group), reason=type(error).__name__)
        retry, dropped = self._after_failure(done)
        retry_at = self.clock() + timedelta(seconds=self.backoff_seconds[retry[0].attempts]) if retry else None
        try:
            async with self.runtime.database.unit_of_work() as session:
                repository = OutboxRepository(session)
                await repository.remove([row.id for row in [*done.sent, *dropped]])
                if retry_at is not None:
                    await repository.retry_later([row.id for row in retry], retry_at)
                for complaint_id, channel, ts in done.cards:
                    await service.remember_owner_card(session, group[0].team_id, complaint_id, channel, ts)
        except Exception:
            log.exception("could not record the notices sent; they may be sent again after their lease")
        if retry:
            self._later(self.backoff_seconds[retry[0].attempts], [row.complaint_id for row in retry])
        return done

    async def _after(self, group: list[Claimed], done: notices.Delivery) -> None:
        """Each complaint's crisis check follows its first notice (sent or refused); then whoever waits is told."""
        await notices.check_crisis(self.runtime, [row for row in group if row.attempts == 0], done.tags)
        for row in group:
            if self._held.get(row.complaint_id) is row:
                del self._held[row.complaint_id]
            self._settled(row.complaint_id)

    def _after_failure(self, done: notices.Delivery) -> tuple[list[Claimed], list[Claimed]]:
        """The refused notices to try again, and those given up on."""
        if not done.failed:
            return [], []
        first = done.failed[0]
        complaints = ", ".join(f"COMP-{row.complaint_id}" for row in done.failed)
        attempts = first.attempts + 1
        if attempts > len(self.backoff_seconds):  # one back-off per retry: that was the last attempt
            log.error(
                "gave up telling %s about %s after %s attempts: %s", first.recipient, complaints, attempts, done.reason
            )
            return [], done.failed
        log.warning("could not tell %s about %s (%s); trying again", first.recipient, complaints, done.reason)
        return done.failed, []

    def _later(self, delay: float, complaint_ids: list[int]) -> None:
        """Try these again after their back-off (another instance takes them if this one stops first)."""

        def due() -> None:
            self._timers.discard(timer)
            if not self._stopping:
                self._inbox.update(complaint_ids)
                self._wake.set()

        timer = asyncio.get_running_loop().call_later(delay, due)
        self._timers.add(timer)

    def _settled(self, complaint_id: int) -> None:
        for future in self._waiters.pop(complaint_id, []):
            if not future.done():
                future.set_result(None)

    def _forget_quiet_recipients(self) -> None:
        quiet_since = time.monotonic() - self.spacing_seconds
        for recipient, at in list(self._last_post.items()):
            if at < quiet_since and recipient not in self._turns:
                del self._last_post[recipient]
