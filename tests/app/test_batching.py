"""app.batching.MicroBatcher: gathering, bounds on size and wait, results and errors routed back."""
from __future__ import annotations

import asyncio
import threading
import time

from app.batching import MicroBatcher


class Recorder:
    """run(items): records each batch and its thread; answers item * 10."""

    def __init__(self, delay: float = 0.0, fail_on: object = None):
        self.batches: list[list] = []
        self.threads: set[int] = set()
        self.delay = delay
        self.fail_on = fail_on

    def __call__(self, items):
        self.batches.append(list(items))
        self.threads.add(threading.get_ident())
        time.sleep(self.delay)
        if self.fail_on in items:
            raise ValueError("bad item")
        return [item * 10 for item in items]


def test_concurrent_items_share_one_call_in_a_worker_thread():
    run = Recorder()

    async def main():
        batcher = MicroBatcher(run, max_batch=8, max_wait_s=0.05)
        return await asyncio.gather(*(batcher.submit(i) for i in range(5)))

    assert asyncio.run(main()) == [0, 10, 20, 30, 40]
    assert run.batches == [[0, 1, 2, 3, 4]]
    assert threading.get_ident() not in run.threads


def test_a_full_batch_does_not_wait_and_extra_items_form_the_next():
    run = Recorder()

    async def main():
        batcher = MicroBatcher(run, max_batch=4, max_wait_s=10.0)  # only a full batch can start early
        started = time.monotonic()
        results = await asyncio.gather(*(batcher.submit(i) for i in range(8)))
        return results, time.monotonic() - started

    results, elapsed = asyncio.run(main())
    assert results == [i * 10 for i in range(8)] and run.batches == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert elapsed < 1.0


def test_a_lone_item_waits_at_most_max_wait():
    run = Recorder()

    async def main():
        batcher = MicroBatcher(run, max_batch=32, max_wait_s=0.05)
        started = time.monotonic()
        result = await batcher.submit(1)
        return result, time.monotonic() - started

    result, elapsed = asyncio.run(main())
    assert result == 10 and 0.04 <= elapsed < 0.5


def test_items_arriving_during_a_call_go_in_the_next_call_without_waiting():
    run = Recorder(delay=0.1)

    async def main():
        batcher = MicroBatcher(run, max_batch=32, max_wait_s=0.0)
        first = batcher.submit(0)
        await asyncio.sleep(0.02)  # the first call is running
        rest = [batcher.submit(i) for i in (1, 2, 3)]
        return await asyncio.gather(first, *rest)

    assert asyncio.run(main()) == [0, 10, 20, 30]
    assert run.batches == [[0], [1, 2, 3]]


def test_an_error_reaches_every_item_of_its_batch_and_the_batcher_goes_on():
    run = Recorder(fail_on=2)

    async def main():
        batcher = MicroBatcher(run, max_batch=2, max_wait_s=0.01)
        results = await asyncio.gather(*(batcher.submit(i) for i in range(4)), return_exceptions=True)
        return results, await batcher.submit(7)

    results, later = asyncio.run(main())
    assert results[:2] == [0, 10] and all(isinstance(r, ValueError) for r in results[2:])  # batch [2, 3]
    assert later == 70


def test_sizes_are_reported():
    sizes = []

    async def main():
        batcher = MicroBatcher(Recorder(), max_batch=3, max_wait_s=0.01, on_batch=lambda n, s: sizes.append(n))
        await asyncio.gather(*(batcher.submit(i) for i in range(7)))

    asyncio.run(main())
    assert sizes == [3, 3, 1]


def test_works_across_event_loops():
    batcher = MicroBatcher(Recorder(), max_batch=4, max_wait_s=0.001)

    async def one(i):
        return await batcher.submit(i)

    assert [asyncio.run(one(i)) for i in range(2)] == [0, 10]


def test_with_a_granule_calls_take_whole_granules_and_start_without_waiting():
    run = Recorder(delay=0.05)

    async def main():
        batcher = MicroBatcher(run, max_batch=8, max_wait_s=10.0, granule=4)
        started = time.monotonic()
        first = [batcher.submit(i) for i in range(6)]  # one granule now; 2 wait for company
        await asyncio.sleep(0.01)
        later = [batcher.submit(i) for i in range(6, 8)]  # completes the second granule
        results = await asyncio.gather(*first, *later)
        return results, time.monotonic() - started

    results, elapsed = asyncio.run(main())
    assert results == [i * 10 for i in range(8)]
    assert run.batches == [[0, 1, 2, 3], [4, 5, 6, 7]] and elapsed < 1.0


def test_with_a_granule_a_partial_call_waits_max_wait_after_the_previous_call():
    run = Recorder(delay=0.05)

    async def main():
        batcher = MicroBatcher(run, max_batch=8, max_wait_s=0.1, granule=4)
        first = [batcher.submit(i) for i in range(5)]  # 4 go now; 1 waits
        await asyncio.sleep(0.08)  # the first call has ended 0.03 s ago: the rest still gathers
        later = batcher.submit(5)
        return await asyncio.gather(*first, later)

    asyncio.run(main())
    assert run.batches == [[0, 1, 2, 3], [4, 5]]


def test_finish_runs_beside_the_next_call_and_its_errors_reach_the_callers():
    run = Recorder()
    events = []

    def finish(items, results):
        events.append(("finish start", items[0]))
        time.sleep(0.1)
        if 99 in items:
            raise ValueError("cannot finish")
        events.append(("finish end", items[0]))
        return [result + 1 for result in results]

    async def main():
        batcher = MicroBatcher(run, max_batch=2, max_wait_s=0.01, granule=2, finish=finish)
        results = await asyncio.gather(*(batcher.submit(i) for i in range(4)))
        failed = await asyncio.gather(batcher.submit(99), batcher.submit(5), return_exceptions=True)
        return results, failed

    results, failed = asyncio.run(main())
    assert results == [1, 11, 21, 31] and run.batches[:2] == [[0, 1], [2, 3]]
    assert events.index(("finish start", 2)) < events.index(("finish end", 0))  # overlapped
    assert all(isinstance(f, ValueError) for f in failed)
