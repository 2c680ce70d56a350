"""app.generation.GeneratorCache: one load per model under concurrency, LRU by count and memory, reloads."""
from __future__ import annotations

import threading
import time

import anyio
import pytest

from app import generation
from app.generation import GeneratorCache, Row, encode_rows, generate_rows, model_version
from models.errors import ModelNotFoundError
from tests.app.factories import FakeGenerator, decode_png, write_model_card


class SlowLoader:
    """Counts loads; each takes a while, in a worker thread, like loading a Keras model."""

    def __init__(self, delay: float = 0.2, memory_bytes: int = 1000):
        self.calls: list[str] = []
        self.threads: set[int] = set()
        self.delay = delay
        self.memory_bytes = memory_bytes

    def __call__(self, model_id, data_dir):
        self.calls.append(model_id)
        self.threads.add(threading.get_ident())
        time.sleep(self.delay)
        generator = FakeGenerator(fingerprint=f"fp-{model_id}")
        generator.memory_bytes = self.memory_bytes
        return generator


@pytest.fixture
def models_dir(tmp_path):
    for model_id in "abc":
        write_model_card(tmp_path, model_id)
    return tmp_path


def test_concurrent_requests_load_a_model_once(monkeypatch, models_dir):
    loader = SlowLoader()
    monkeypatch.setattr(generation, "_load", loader)
    cache = GeneratorCache(models_dir, max_models=4)
    results = []

    async def main():
        async def get(model_id):
            results.append((await cache.get(model_id)).fingerprint)

        async with anyio.create_task_group() as group:
            for model_id in ["a"] * 5 + ["b"] * 5:
                group.start_soon(get, model_id)

    started = time.monotonic()
    anyio.run(main)
    assert sorted(loader.calls) == ["a", "b"]
    assert sorted(set(results)) == ["fp-a", "fp-b"] and len(results) == 10
    assert threading.get_ident() not in loader.threads  # never on the event loop's thread
    assert time.monotonic() - started < 0.39  # a and b loaded in parallel


def test_least_recently_used_is_evicted_and_new_weights_reload(monkeypatch, models_dir):
    loader = SlowLoader(delay=0)
    monkeypatch.setattr(generation, "_load", loader)
    cache = GeneratorCache(models_dir, max_models=2)

    async def main():
        for model_id in ["a", "b", "a", "c", "a", "b"]:  # c evicts b (a was used more recently)
            await cache.get(model_id)
        (models_dir / "models" / "a" / "generator_ema.keras").write_bytes(b"new weights")
        await cache.get("a")  # new weights on disk: loaded again

    anyio.run(main)
    assert loader.calls == ["a", "b", "c", "b", "a"]


def test_memory_budget_bounds_the_loaded_models(monkeypatch, models_dir):
    monkeypatch.setattr(generation, "_load", SlowLoader(delay=0, memory_bytes=400))
    cache = GeneratorCache(models_dir, max_models=10, memory_budget=1000)

    async def main():
        for model_id in "abc":
            await cache.get(model_id)

    anyio.run(main)
    assert list(cache._entries) == ["b", "c"] and cache.memory_bytes == 800
    cache.memory_budget = 100  # the newest stays even alone over the budget
    anyio.run(cache.get, "a")
    assert list(cache._entries) == ["a"]


def test_unknown_model_raises_and_a_deleted_one_is_dropped(monkeypatch, models_dir):
    monkeypatch.setattr(generation, "_load", SlowLoader(delay=0))
    cache = GeneratorCache(models_dir, check_interval_s=0)
    with pytest.raises(ModelNotFoundError):
        anyio.run(cache.get, "nope")
    anyio.run(cache.get, "a")
    (models_dir / "models" / "a" / "model.json").unlink()
    with pytest.raises(ModelNotFoundError):
        anyio.run(cache.get, "a")
    assert len(cache) == 0


def test_model_version_follows_the_files(tmp_path):
    folder = write_model_card(tmp_path, "m")
    before = model_version(folder)
    assert model_version(folder) == before
    (folder / "generator_ema.keras").write_bytes(b"other weights")
    assert model_version(folder) != before


def test_rows_make_pngs_and_pixels_from_one_network_call():
    generator = FakeGenerator(batch_size=4)
    latent = generator.latent_for_seed(9)
    rows = [Row(seed=3, png=True), Row(latent=latent), Row(seed=9, truncation=0.5)]
    png, image, truncated = encode_rows(rows, generate_rows(generator, rows))
    assert generator.calls == [3]
    assert decode_png(png).size == (16, 16)
    assert image.shape == (16, 16, 3) and image.dtype.name == "uint8"
    assert (image == generator.generate([9])[0]).all() and not (truncated == image).all()


def test_the_heap_is_frozen_after_each_load_and_collected_once_a_model_left(monkeypatch, models_dir):
    monkeypatch.setattr(generation, "_load", SlowLoader(delay=0))
    freezes = []
    monkeypatch.setattr(generation, "_freeze_heap", freezes.append)
    cache = GeneratorCache(models_dir, max_models=1)
    for model_id in "aab":  # a loads, a is a hit, b loads and evicts a
        anyio.run(cache.get, model_id)
    cache.evict("b")
    anyio.run(cache.get, "a")
    assert freezes == [False, True, True]
