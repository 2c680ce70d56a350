"""app.byte_cache and app.rendering: bounded byte cache, one computation per key in flight."""
from __future__ import annotations

import asyncio

from app.byte_cache import ByteCache
from app.generation import LoadedModel, new_batcher
from app.rendering import Renderer
from tests.app.factories import FakeGenerator


def test_byte_cache_is_bounded_by_bytes_least_recent_first():
    cache = ByteCache(max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    cache.get("a")  # b is now the least recent
    cache.put("c", b"1234")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1234", None, b"1234")
    assert cache.size == 8 and len(cache) == 2
    cache.put("huge", b"x" * 11)  # never fits: ignored, nothing evicted
    assert cache.get("huge") is None and len(cache) == 2
    assert ByteCache(0).get("a") is None


def test_concurrent_requests_for_one_image_share_one_row():
    generator = FakeGenerator(batch_size=4)
    counts: list[str] = []

    async def main():
        batcher = new_batcher(generator, max_batch=32, max_wait_s=0.01)
        model = LoadedModel("m", generator, "fp", "v", batcher, 0, 0.0)
        renderer = Renderer(ByteCache(1 << 20), on_cache=counts.append)
        first = await asyncio.gather(*(renderer.image_png(model, seed, 1.0) for seed in (1, 1, 1, 2)))
        again = await renderer.image_png(model, 1, 1.0)
        return first, again

    (a, b, c, other), again = asyncio.run(main())
    assert a == b == c == again != other
    assert generator.calls == [2]  # seeds 1 and 2 in one call, seed 1 computed once
    assert sorted(counts) == ["hit", "joined", "joined", "miss", "miss"]
