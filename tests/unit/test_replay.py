"""The replay guard's memory: how long a request is remembered, its size bound, and what it never keeps."""

from __future__ import annotations

from bot.console.emulator import sign
from bot.replay import REMEMBER_SECONDS, ReplayGuard

SECRET = "s3cret"


def signed(body: str, **extra: str) -> dict[str, list[str]]:
    headers = {name.lower(): [value] for name, value in sign(SECRET, body.encode()).items()}
    return headers | {name.lower().replace("_", "-"): [value] for name, value in extra.items()}


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_request_is_refused_the_second_time_until_it_could_no_longer_be_valid() -> None:
    clock = Clock()
    guard = ReplayGuard(SECRET, clock=clock)
    headers = signed("command=%2Fhero")
    assert not guard.replayed("command=%2Fhero", headers)
    clock.now += REMEMBER_SECONDS - 1
    assert guard.replayed("command=%2Fhero", headers)
    clock.now += 2
    assert not guard.replayed("command=%2Fhero", headers)  # forgotten; Bolt refuses it as stale by now


def test_each_retry_of_an_event_passes_once_but_the_header_changes_nothing_on_a_command() -> None:
    guard = ReplayGuard(SECRET)
    event = '{"type": "event_callback"}'
    headers = signed(event)
    assert not guard.replayed(event, headers)
    assert not guard.replayed(event, headers | {"x-slack-retry-num": ["1"]})
    assert guard.replayed(event, headers | {"x-slack-retry-num": ["1"]})
    command = "command=%2Fhero"
    headers = signed(command)
    assert not guard.replayed(command, headers)
    assert guard.replayed(command, headers | {"x-slack-retry-num": ["1"]})


def test_badly_signed_requests_are_not_remembered_and_memory_is_bounded() -> None:
    guard = ReplayGuard(SECRET, max_remembered=3)
    forged = {"x-slack-signature": ["v0=" + "0" * 64], "x-slack-request-timestamp": ["1"]}
    assert not guard.replayed("x", forged) and not guard.replayed("x", forged)
    assert len(guard._seen) == 0
    for n in range(5):
        guard.replayed(f"text={n}", signed(f"text={n}"))
    assert len(guard._seen) == 3
