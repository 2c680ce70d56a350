"""Micro-batching: concurrent requests for one model become one generator call on a worker thread."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import anyio.to_thread


class MicroBatcher:
    """Gathers items submitted on the event loop and runs `run(items) -> results` in a thread.

    `granule` is the size `run` computes in one go (the generator's fixed, padded batch): a call of
    fewer items costs as much as a full one. So a batch starts at once when a granule's worth of items
    waits (without a granule: `max_batch` items), and then takes a multiple of it (at most `max_batch`;
    the rest opens the next batch); with fewer waiting, it waits until `max_wait_s` after the later of
    the oldest item's arrival and the end of the previous call, which lets the clients just answered
    join. Calls run one at a time:
    the generator is never called concurrently, and what arrives meanwhile forms the next batch.
    No task or loop-bound primitive outlives a burst (the drain task ends when nothing waits), so the
    batcher needs no shutdown and works across event loops (tests).
    """

    def __init__(
        self,
        run: Callable[[list[Any]], list[Any]],
        max_batch: int,
        max_wait_s: float,
        on_batch: Callable[[int, float], None] | None = None,
        granule: int | None = None,
        finish: Callable[[list[Any], list[Any]], list[Any]] | None = None,
    ) -> None:
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.granule = granule or 1
        # Items that make a call worth starting at once: a granule, or without one a full batch.
        self._ready_at = min(granule, max_batch) if granule else max_batch
        self._last_end = 0.0  # time.monotonic() when the previous call returned
        self._run = run
        self._finish = finish  # (items, results) -> results, in another thread while the next call runs
        self._finishing: set[asyncio.Task] = set()  # strong references to the finishing tasks
        self._on_batch = on_batch  # (batch size, seconds) after each call, for metrics
        self._pending: deque[tuple[Any, asyncio.Future, float]] = deque()
        self._task: asyncio.Task | None = None
        self._full: asyncio.Future | None = None  # resolved early when a gathering batch fills up

    def submit(self, item: Any) -> asyncio.Future:
        """A future for `item`'s result; must be called on the event loop."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((item, future, time.monotonic()))
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._drain())
        elif self._full is not None and len(self._pending) >= self._ready_at and not self._full.done():
            self._full.set_result(None)
        return future

    def __len__(self) -> int:
        return len(self._pending)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                await self._gather(loop)
                take = min(self.max_batch, len(self._pending))
                if take >= self.granule:
                    take -= take % self.granule  # no padding while a full call's worth waits
                batch = [self._pending.popleft() for _ in range(take)]
                batch = [(item, future) for item, future, _ in batch if not future.done()]  # caller gone
                if batch:
                    await self._call(batch)
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    async def _gather(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until a full call's worth of items waits, or max_wait_s has passed (see the class)."""
        if len(self._pending) >= self._ready_at:
            return
        delay = max(self._pending[0][2], self._last_end) + self.max_wait_s - time.monotonic()
        if delay <= 0:
            return
        self._full = loop.create_future()
        timer = loop.call_later(delay, _resolve, self._full)
        try:
            await self._full
        finally:
            timer.cancel()
            self._full = None

    async def _call(self, batch: list[tuple[Any, asyncio.Future]]) -> None:
        started = time.perf_counter()
        try:
            results = await anyio.to_thread.run_sync(self._run, [item for item, _ in batch])
        except Exception as exc:  # every caller of this batch gets the error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        except BaseException:  # the loop is shutting down: nobody is left to answer
            for _, future in batch:
                future.cancel()
            raise
        else:
            if self._finish is None:
                _settle(batch, results)
            else:  # not awaited: the next call starts while these results are finished
                task = asyncio.get_running_loop().create_task(self._finish_batch(batch, results))
                self._finishing.add(task)
                task.add_done_callback(self._finishing.discard)
        self._last_end = time.monotonic()
        if self._on_batch is not None:
            self._on_batch(len(batch), time.perf_counter() - started)

    async def _finish_batch(self, batch: list[tuple[Any, asyncio.Future]], results: list[Any]) -> None:
        try:
            finished = await anyio.to_thread.run_sync(self._finish, [item for item, _ in batch], results)
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            _settle(batch, finished)


def _settle(batch: list[tuple[Any, asyncio.Future]], results: list[Any]) -> None:
    for (_, future), result in zip(batch, results, strict=True):
        if not future.done():
            future.set_result(result)


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
