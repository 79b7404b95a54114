"""Work in flight, so a SIGTERM lets it finish: requests being answered, scheduled runs, and every task
they spawn — Bolt answers Slack first and runs the rest of a listener in a task of its own.

A context variable marks the work; a task factory on the running loop (installed by `herobot serve` and
`herobot socket`) adds every task created inside marked work, since tasks inherit their creator's context.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Coroutine, Iterator
from contextvars import ContextVar
from typing import Any

log = logging.getLogger("herobot.shutdown")

_marked: ContextVar[bool] = ContextVar("herobot_in_flight", default=False)


class InFlight:
    def __init__(self) -> None:
        self._tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        """Mark the current task, and the tasks it creates, as work to finish before stopping."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        token = _marked.set(True)
        try:
            yield
        finally:
            _marked.reset(token)
            # An HTTP connection's task outlives its request; the tasks the request spawned stay tracked.
            if task is not None:
                self._tasks.discard(task)

    def install(self, loop: asyncio.AbstractEventLoop) -> Any:
        """Track tasks spawned by marked work; returns the previous factory for `uninstall`."""
        previous = loop.get_task_factory()

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
        ) -> asyncio.Task[Any]:
            task: asyncio.Task[Any] = (
                previous(loop, coro, **kwargs) if previous else asyncio.Task(coro, loop=loop, **kwargs)  # type: ignore[assignment]
            )
            if _marked.get():
                self._tasks.add(task)
            return task

        loop.set_task_factory(factory)  # type: ignore[arg-type]
        return previous

    @staticmethod
    def uninstall(loop: asyncio.AbstractEventLoop, previous: Any) -> None:
        loop.set_task_factory(previous)

    def pending(self) -> set[asyncio.Task[Any]]:
        current = asyncio.current_task()
        return {task for task in self._tasks if not task.done() and task is not current}

    async def wait(self, within: float) -> int:
        """Wait until the tracked work is done (including work it spawns meanwhile); return how much was left."""
        deadline = time.monotonic() + within
        while pending := self.pending():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                for task in pending:
                    log.warning("stopping before this work finished: %s", task.get_coro())
                return len(pending)
            await asyncio.wait(pending, timeout=remaining)
        return 0
