"""Refusing a replayed Slack request: the same signed request delivered a second time.

Bolt checks the signature and that the timestamp is within five minutes, so a request copied off the wire
(a proxy log, a leaked capture) could otherwise be sent again, as is, for those five minutes. Each genuine
delivery carries its own signature; Slack's retries of an event carry `X-Slack-Retry-Num`, and each retry
is let through once (the event's effects are deduplicated by its `event_id`). Slack retries nothing else,
so on a command or a click that header is ignored.

Remembered per process: with several instances behind a load balancer a copy could still be accepted once
by each other instance within the five minutes.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("herobot.requests")

# Bolt accepts a timestamp up to five minutes either side of its clock: a request can be valid for ten
# minutes after it first arrives.
REMEMBER_SECONDS = 10 * 60
MAX_REMEMBERED = 200_000

Headers = Mapping[str, Sequence[str]]


def _header(headers: Headers, name: str) -> str:
    values = headers.get(name) or [""]
    return values[0] if values else ""


class ReplayGuard:
    def __init__(
        self,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_remembered: int = MAX_REMEMBERED,
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._clock = clock
        self._max = max_remembered
        self._seen: OrderedDict[str, float] = OrderedDict()  # key → when it may be forgotten, oldest first

    def replayed(self, raw_body: str, headers: Headers) -> bool:
        """True when this correctly signed request was already accepted; otherwise remember it.

        Headers are Bolt's: lower-case names, lists of values. Badly signed requests are not remembered
        (Bolt refuses them anyway), so nobody can fill the memory without the signing secret.
        """
        signature = _header(headers, "x-slack-signature")
        timestamp = _header(headers, "x-slack-request-timestamp")
        if not signature or not self._verifier.is_valid(raw_body, timestamp, signature):
            return False
        key = signature
        if raw_body.lstrip().startswith("{"):  # an event (JSON); commands and clicks are form-encoded
            key += "#" + _header(headers, "x-slack-retry-num")
        now = self._clock()
        self._forget_expired(now)
        if key in self._seen:
            log.warning("refused a replayed slack request", extra={"signed_at": timestamp})
            return True
        self._seen[key] = now + REMEMBER_SECONDS
        return False

    def _forget_expired(self, now: float) -> None:
        while self._seen:
            key, expires = next(iter(self._seen.items()))
            if expires > now and len(self._seen) < self._max:
                return
            del self._seen[key]
