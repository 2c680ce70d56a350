"""Images by seed, grids and interpolations: cached bytes, one computation per key in flight."""
from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Awaitable, Callable, Hashable
from functools import partial

import anyio.to_thread
import numpy as np

from app.byte_cache import ByteCache
from app.generation import LoadedModel, Row
from models.images import encode_gif, encode_png, make_grid

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest zip date: same seeds, same archive bytes


class Renderer:
    """Turns requests into bytes through the byte cache, sharing any computation already in flight."""

    def __init__(self, cache: ByteCache, on_cache: Callable[[str], None] | None = None) -> None:
        self.cache = cache
        self._on_cache = on_cache  # "hit" | "miss" | "joined", for metrics
        self._inflight: dict[Hashable, asyncio.Future] = {}

    async def image_png(self, model: LoadedModel, seed: int, truncation: float) -> bytes:
        """The PNG of one seed, encoded in the generator's batch thread."""
        key = _image_key(model, seed, truncation)
        if (data := self._lookup(key)) is not None:
            return data
        future = self._inflight.get(key)
        if future is None:
            future = model.batcher.submit(Row(seed=seed, truncation=truncation, png=True))
            self._start(key, future)
        else:
            self._count("joined")
        return await asyncio.shield(future)  # a client that goes away does not cancel the others' image

    async def composite(self, key: Hashable, produce: Callable[[], Awaitable[bytes]]) -> bytes:
        """Bytes for `key`, from the cache or from `produce()` (run once however many ask meanwhile)."""
        if (data := self._lookup(key)) is not None:
            return data
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(produce())
            self._start(key, future)
        else:
            self._count("joined")
        return await asyncio.shield(future)

    def has_image(self, model: LoadedModel, seed: int, truncation: float) -> bool:
        """In the byte cache: serving it costs no generator work (what the image rate limit spares)."""
        return self.cache.get(_image_key(model, seed, truncation)) is not None

    def has(self, key: Hashable) -> bool:
        return self.cache.get(key) is not None

    async def grid_png(self, model: LoadedModel, seeds: list[int], columns: int, truncation: float) -> bytes:
        key = grid_key(model, seeds, columns, truncation)

        async def produce() -> bytes:
            images = await pixels(model, [Row(seed=seed, truncation=truncation) for seed in seeds])
            return await anyio.to_thread.run_sync(_encode_grid, images, columns)

        return await self.composite(key, produce)

    async def interpolation(
        self, model: LoadedModel, from_seed: int, to_seed: int, steps: int, truncation: float, gif_ms: int | None
    ) -> bytes:
        """A strip PNG (gif_ms None) or a GIF of `steps` frames `gif_ms` apart."""
        key = interpolation_key(model, from_seed, to_seed, steps, truncation, gif_ms)

        async def produce() -> bytes:
            latents = model.generator.interpolation_latents(from_seed, to_seed, steps)
            images = await pixels(model, [Row(latent=z, truncation=truncation) for z in latents])
            if gif_ms is None:
                return await anyio.to_thread.run_sync(_encode_grid, images, steps)
            return await anyio.to_thread.run_sync(encode_gif, images, gif_ms)

        return await self.composite(key, produce)

    async def zip_of_pngs(self, model: LoadedModel, seeds: list[int], truncation: float) -> bytes:
        """One PNG per seed, each the same bytes as the single image; a deterministic archive."""
        pngs = await asyncio.gather(*(self.image_png(model, seed, truncation) for seed in seeds))
        return await anyio.to_thread.run_sync(_zip, [f"seed{seed:04d}.png" for seed in seeds], pngs)

    def _lookup(self, key: Hashable) -> bytes | None:
        data = self.cache.get(key)
        if data is not None:
            self._count("hit")
        return data

    def _start(self, key: Hashable, future: asyncio.Future) -> None:
        self._count("miss")
        self._inflight[key] = future
        future.add_done_callback(partial(self._settle, key))

    def _settle(self, key: Hashable, future: asyncio.Future) -> None:
        self._inflight.pop(key, None)
        if not future.cancelled() and future.exception() is None:
            self.cache.put(key, future.result())

    def _count(self, result: str) -> None:
        if self._on_cache is not None:
            self._on_cache(result)


def _image_key(model: LoadedModel, seed: int, truncation: float) -> tuple:
    return ("image", model.fingerprint, seed, truncation)


def grid_key(model: LoadedModel, seeds: list[int], columns: int, truncation: float) -> tuple:
    return ("grid", model.fingerprint, tuple(seeds), columns, truncation)


def interpolation_key(model: LoadedModel, from_seed: int, to_seed: int, steps: int, truncation: float,
                      gif_ms: int | None) -> tuple:
    return ("interpolation", model.fingerprint, from_seed, to_seed, steps, truncation, gif_ms)


async def pixels(model: LoadedModel, rows: list[Row]) -> np.ndarray:
    """uint8 images (n, H, W, 3) for rows, through the model's batcher."""
    return np.stack(await asyncio.gather(*(model.batcher.submit(row) for row in rows)))


def _encode_grid(images: np.ndarray, columns: int) -> bytes:
    return encode_png(make_grid(images, columns))


def _zip(names: list[str], members: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for name, data in zip(names, members, strict=True):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
