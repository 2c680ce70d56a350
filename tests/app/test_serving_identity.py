"""The shipped 64x64 base through the real generator: batching never changes a byte of an image."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from models.images import encode_png
from models.loading import load_generator

BASE = "emoji64-gan"
SEEDS = list(range(100, 140))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """(generator, {seed: image made alone}) from a generator of its own."""
    generator = load_generator(BASE, tmp_path_factory.mktemp("data"))
    return generator, {seed: generator.generate([seed])[0] for seed in SEEDS}


def test_an_image_is_the_same_alone_and_anywhere_in_any_batch(reference, data_dir):
    generator, alone = reference
    other = load_generator(BASE, data_dir)  # a second load: same bits
    rng = np.random.default_rng(0)
    for size in (2, 3, 16, 17, 40):
        order = [int(s) for s in rng.permutation(SEEDS)[:size]]
        images = other.generate(order)
        assert all(np.array_equal(image, alone[seed]) for seed, image in zip(order, images)), size


def test_truncation_in_a_batch_is_per_row(reference):
    generator, alone = reference
    psi = np.array([1.0, 0.5, 1.0, 0.0], np.float32)
    images = generator.generate(SEEDS[:4], truncation=psi)
    assert np.array_equal(images[0], alone[SEEDS[0]]) and np.array_equal(images[2], alone[SEEDS[2]])
    assert np.array_equal(images[1], generator.generate([SEEDS[1]], truncation=0.5)[0])
    assert not np.array_equal(images[1], alone[SEEDS[1]])
    assert np.array_equal(images[3], generator.generate([SEEDS[0]], truncation=0.0)[0])  # psi 0: the mean image


def test_concurrent_http_requests_are_batched_and_byte_identical(reference, make_client):
    _, alone = reference
    client = make_client(batch_max_size=16, batch_max_wait_ms=500, image_cache_bytes=0)
    client.get(f"/v1/models/{BASE}/images/0.png")  # load before the burst
    with ThreadPoolExecutor(len(SEEDS)) as pool:
        responses = list(pool.map(lambda seed: client.get(f"/v1/models/{BASE}/images/{seed}.png"), SEEDS))
    assert all(r.status_code == 200 for r in responses)
    assert all(r.content == encode_png(alone[seed]) for seed, r in zip(SEEDS, responses))
    histogram = client.app.state.metrics.batch_size
    batches = histogram.collect()[0].samples
    count = next(s.value for s in batches if s.name.endswith("_count"))
    assert count - 1 < len(SEEDS) / 2  # requests shared calls (minus the warm-up's own batch)
